"""Packaging (issue 12): a wheel built from the repository runs outside the checkout, with
the templates, the migrations and the compiled Chinese catalogs inside the package.

The wheel is built from a copy of the repository (as a fresh clone would be), installed
into a new virtualenv without its dependencies (they come from the suite's virtualenv through
a .pth, to stay offline), then `flask --app wsgi db upgrade` and `/login` run from an empty
directory with nothing of the checkout on the path. Takes about ten seconds.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import supervision
import supervision.models  # noqa: F401 - fills the metadata the migrations are compared to
from supervision.extensions import db
from tests.integration.test_migrations import built_on, empty_database

ROOT = Path(__file__).resolve().parents[2]
#: Not part of a clone: what the copy leaves out (the wheel must not depend on any of it).
NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "instance",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    "*.mo",
    ".*_cache",
    ".hypothesis",
    ".schemathesis",
    "test-artifacts",
    "backups",
    ".env",
)
#: Printed as JSON by the installed application, run from an empty directory.
PROBE = """
import json, config, supervision, wsgi
app = wsgi.app
client = app.test_client()
login = client.get("/login")
css = client.get("/static/css/app.css")
print(json.dumps({
    "modules": [supervision.__file__, wsgi.__file__, config.__file__],
    "templates": app.template_folder,
    "migrations": app.extensions["migrate"].directory,
    "catalogs": app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";"),
    "instance": app.instance_path,
    "login": [login.status_code, login.get_data(as_text=True)],
    "css": css.status_code,
}))
"""


def _environment(**extra: str) -> dict[str, str]:
    """The environment of a production start, with nothing of the checkout in it (no
    PYTHONPATH: the checkout's egg-info would even make pip think the wheel installed)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SUPERVISION_", "FLASK_", "PYTHON", "PIP_", "TEST_DATABASE_URL"))
        and k not in ("SECRET_KEY", "AUDIT_KEY", "DATABASE_URL", "VIRTUAL_ENV")
    }
    return {**env, **extra}


def _run(args: list, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        args, cwd=cwd, env=_environment(**env), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("packaging")
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=NOT_IN_A_CLONE)
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "--disable-pip-version-check", "-w", str(base / "dist"), str(source)],
        cwd=base,
    )  # fmt: skip
    (built,) = (base / "dist").glob("supervision-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A new virtualenv holding the wheel; its dependencies are the suite's (a .pth)."""
    target = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", "--without-pip", str(target)], cwd=target)
    python = target / "bin" / "python"
    _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "--disable-pip-version-check", str(wheel)],
        cwd=target,
    )  # fmt: skip
    site = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                cwd=target)  # fmt: skip
    shared = sysconfig.get_paths()["purelib"]
    # A plain path: the suite's own .pth files (its editable install of the checkout) stay
    # unread, so `supervision` can only come from the wheel.
    (Path(site.stdout.strip()) / "suite-dependencies.pth").write_text(shared + "\n")
    return target


def test_the_wheel_carries_templates_migrations_and_compiled_catalogs(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for top in ("templates", "migrations"):
        for path in (ROOT / top).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                assert f"supervision/{path.relative_to(ROOT)}" in names
    catalogs = sorted((ROOT / "supervision" / "i18n").glob("*/*/LC_MESSAGES/messages.po"))
    assert len(catalogs) > 1
    for po in catalogs:
        assert f"{po.relative_to(ROOT).with_suffix('.mo')}" in names
    assert {"config.py", "wsgi.py", "supervision/static/css/app.css"} <= names
    assert not any("__pycache__" in name for name in names)


def test_installed_wheel_migrates_and_serves_from_any_directory(venv, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    python = str(venv / "bin" / "python")
    with empty_database(tmp_path) as url:
        env = {"SECRET_KEY": "k" * 64, "DATABASE_URL": url}
        upgraded = _run([python, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
                        cwd=elsewhere, **env)  # fmt: skip
        assert "Running upgrade" in upgraded.stderr
        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                opts = {"compare_type": True, "include_object": built_on(conn.dialect.name)}
                ctx = MigrationContext.configure(conn, opts=opts)
                assert compare_metadata(ctx, db.metadata) == []
        finally:
            engine.dispose()

        probe = json.loads(_run([python, "-c", PROBE], cwd=elsewhere, **env).stdout)

    installed = (venv / "lib").resolve()
    for path in [
        *probe["modules"],
        probe["templates"],
        probe["migrations"],
        *probe["catalogs"],
        probe["instance"],
    ]:
        resolved = Path(path).resolve()
        assert not resolved.is_relative_to(ROOT), path
        assert resolved.is_relative_to(venv.resolve()), path
    assert Path(probe["templates"]).resolve().is_relative_to(installed)
    status, page = probe["login"]
    assert status == 200
    # The template rendered (its form and CSRF field) in Chinese from the compiled catalogs.
    assert '<form method="post"' in page and 'name="csrf_token"' in page
    assert "<title>登录" in page and "用户名" in page and "密码" in page
    assert "Log in" not in page and "Username" not in page
    assert probe["css"] == 200
    assert not list(elsewhere.iterdir())  # nothing written into the working directory


def test_the_checkout_reads_its_own_top_level_folders(app):
    """The dev workflow (make, editable install) uses templates/ and migrations/ where they
    are; a wheel's copies inside the package never exist in the checkout."""
    assert not supervision.INSTALLED
    assert not (ROOT / "supervision" / "templates").exists()
    assert Path(app.template_folder) == ROOT / "templates"
    assert Path(app.extensions["migrate"].directory) == ROOT / "migrations"


def test_documentation_links_stay_inside_the_repository():
    """README and docs/ link only to files of the repository (the contract included), never
    to a folder beside the checkout."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    assert {"SPEC.md", "ARCHITECTURE.md", "install.md", "api.md"} <= {p.name for p in pages}
    for page in pages:
        text = page.read_text()
        assert "../shared" not in text, page
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" not in target:
                assert (page.parent / target).resolve().exists(), (page.name, target)
                assert (page.parent / target).resolve().is_relative_to(ROOT), (page.name, target)
