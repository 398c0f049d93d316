"""Configuration: production unless told otherwise, refusing to start without a secret or
with debug; Secure cookies; development's key random per instance folder (SPEC §12)."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from config import DevelopmentConfig, ProductionConfig, config_from_env
from supervision import create_app


def test_production_requires_secret_key(tmp_path):
    class NoSecret(ProductionConfig):
        SECRET_KEY = None
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'p.db'}"

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(NoSecret)


def test_production_cookies_are_secure_and_postgres_urls_use_psycopg(tmp_path):
    class Prod(ProductionConfig):
        SECRET_KEY = "x" * 32
        SQLALCHEMY_DATABASE_URI = "postgresql://user@127.0.0.1:5432/db"

    app = create_app(Prod)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


def test_postgres_sessions_run_without_jit_and_parallel_workers(tmp_path):
    """The app's PostgreSQL sessions switch off JIT compilation and parallel workers (issue
    14: JIT spent 0.9 s compiling a 30 ms inbox query), kept beside any options of the
    engine's own; SQLite is left alone; an empty setting leaves the server's."""

    class Prod(ProductionConfig):
        SECRET_KEY = "x" * 32
        SQLALCHEMY_DATABASE_URI = "postgresql://user@127.0.0.1:5432/db"
        SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "connect_args": {"options": "-c a=b"}}

    options = create_app(Prod).config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["pool_pre_ping"] is True
    assert options["connect_args"]["options"] == (
        "-c a=b -c jit=off -c max_parallel_workers_per_gather=0"
    )
    lite = type("Lite", (Prod,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'l.db'}"})
    assert create_app(lite).config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {
        "options": "-c a=b"
    }
    plain = type("Plain", (Prod,), {"POSTGRES_SESSION_OPTIONS": ""})
    assert create_app(plain).config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {
        "options": "-c a=b"
    }


# --- Safe defaults (SPEC §12, issue 11): production unless told otherwise ----------------

ROOT = Path(__file__).resolve().parents[2]
#: The key development used to fall back to; anyone could read it in the repository.
OLD_PUBLIC_KEY = "dev-insecure-secret-key"


def _clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SUPERVISION_", "SECRET_KEY", "FLASK_", "DATABASE_URL", "AUDIT_KEY"))
    }
    return {**env, **extra}


def _start(tmp_path, code: str, **extra: str) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter with the given environment (as gunicorn would)."""
    env = _clean_env(
        SUPERVISION_INSTANCE=str(tmp_path / "instance"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'app.db'}",
        **extra,
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_supervision_env_the_app_is_production(monkeypatch):
    monkeypatch.delenv("SUPERVISION_ENV", raising=False)
    assert config_from_env() is ProductionConfig
    monkeypatch.setenv("SUPERVISION_ENV", "development")
    assert config_from_env() is DevelopmentConfig
    monkeypatch.setenv("SUPERVISION_ENV", "staging")
    with pytest.raises(RuntimeError, match="SUPERVISION_ENV"):
        config_from_env()


def test_forgetting_every_variable_refuses_to_start(tmp_path):
    """wsgi:app as the README starts it, with no SUPERVISION_ENV and no SECRET_KEY."""
    done = _start(tmp_path, "import wsgi")
    assert done.returncode != 0
    assert "SECRET_KEY must be set in production" in done.stderr


def test_production_with_a_key_runs_without_debug_and_with_secure_cookies(tmp_path):
    done = _start(
        tmp_path,
        "import wsgi; a = wsgi.app; "
        "print(a.config['ENV_NAME'], a.debug, a.config['SESSION_COOKIE_SECURE'])",
        SECRET_KEY="k" * 40,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["production", "False", "True"]


def test_production_refuses_debug(tmp_path):
    done = _start(tmp_path, "import wsgi", SECRET_KEY="k" * 40, FLASK_DEBUG="1")
    assert done.returncode != 0
    assert "Debug mode is for development only" in done.stderr


def _dev_app(folder: Path):
    class Dev(DevelopmentConfig):
        SECRET_KEY = None
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder / 'dev.db'}"

    old = os.environ.get("SUPERVISION_INSTANCE")
    os.environ["SUPERVISION_INSTANCE"] = str(folder / "instance")
    try:
        return create_app(Dev)
    finally:
        if old is None:
            os.environ.pop("SUPERVISION_INSTANCE")
        else:
            os.environ["SUPERVISION_INSTANCE"] = old


def test_development_makes_a_random_key_per_instance_folder_and_keeps_it(tmp_path):
    first = _dev_app(tmp_path / "a")
    again = _dev_app(tmp_path / "a")
    other = _dev_app(tmp_path / "b")
    key = first.config["SECRET_KEY"]
    assert len(key) == 64 and key != OLD_PUBLIC_KEY
    assert again.config["SECRET_KEY"] == key, "a restart must not log everyone out"
    assert other.config["SECRET_KEY"] != key
    path = tmp_path / "a" / "instance" / "secret_key"
    assert path.read_text().strip() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.debug and first.config["ENV_NAME"] == "development"


def test_a_cookie_forged_with_the_old_public_key_opens_nothing(tmp_path):
    """The finding: a session cookie signed with the fixed development key opened the user
    administration as admin. Now no key the app uses is known outside its instance folder:
    a real admin session's cookie opens the page, the same contents signed with the old
    public key do not."""
    import re

    from flask.sessions import SecureCookieSessionInterface

    from supervision.auth import services
    from supervision.extensions import db

    app = _dev_app(tmp_path)
    with app.app_context():
        db.create_all()
        services.create_user(db.session, "admin", "a-long-passphrase-2026", ["admin"])
        db.session.commit()
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    resp = client.post(
        "/login",
        data={"username": "admin", "password": "a-long-passphrase-2026", "csrf_token": token},
    )
    assert resp.status_code == 302
    assert client.get("/admin/users/").status_code == 200

    interface = SecureCookieSessionInterface()
    real = interface.get_signing_serializer(app)
    claims = real.loads(client.get_cookie("session").value)
    forger = type("Forger", (), {"secret_key": OLD_PUBLIC_KEY, "config": app.config})
    forged = interface.get_signing_serializer(forger).dumps(claims)
    attacker = app.test_client()
    attacker.set_cookie("session", forged)
    refused = attacker.get("/admin/users/")
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]


def test_forwarded_headers_are_believed_only_from_configured_proxies(tmp_path):
    """Behind the TLS proxy the README asks for, the client's own address is what the audit
    log and the login throttle see; without TRUSTED_PROXIES a forged header changes nothing."""
    from flask import request

    seen = []

    def app_with(proxies: int):
        class Prod(ProductionConfig):
            SECRET_KEY = "k" * 40
            SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'p.db'}"
            TRUSTED_PROXIES = proxies

        app = create_app(Prod)
        app.add_url_rule("/_addr", "addr", lambda: seen.append(request.remote_addr) or "")
        return app

    headers = {"X-Forwarded-For": "10.1.2.3", "X-Forwarded-Proto": "https"}
    app_with(0).test_client().get("/_addr", headers=headers)
    app_with(1).test_client().get("/_addr", headers=headers)
    assert seen == ["127.0.0.1", "10.1.2.3"]
