"""The supervision web service: create_app() builds the Flask application."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, g, jsonify, request, session
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from supervision.common.input import MAX_ID
from supervision.extensions import (
    api,
    babel,
    bootstrap,
    csrf,
    db,
    limiter,
    login_manager,
    mail,
    migrate,
)

PACKAGE_DIR = Path(__file__).resolve().parent
#: Where `templates/` and `migrations/` are: the repository's top level in a checkout (make,
#: editable install); inside the package once installed from a wheel, where setup.py puts
#: them (and the compiled catalogs) at build time.
INSTALLED = (PACKAGE_DIR / "templates").is_dir()
ROOT = PACKAGE_DIR if INSTALLED else PACKAGE_DIR.parent


class BoundedInt(IntegerConverter):
    """`<int:...>` in routes accepts ids up to MAX_ID; a larger number matches no route
    (404) instead of overflowing the database driver."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


#: Page modules: each has an attribute `bp`, its blueprint (modules may share one).
VIEW_MODULES = (
    "supervision.home.views",
    "supervision.auth.views",
    "supervision.auth.admin_views",
    "supervision.auth.account_views",
    "supervision.auth.grant_views",
    "supervision.common.docs",
    "supervision.org.views",
    "supervision.org.roster_views",
    "supervision.audit.views",
    "supervision.calendar.views",
    "supervision.risks.views",
    "supervision.risks.import_views",
    "supervision.reports.views",
    "supervision.reports.job_views",
    "supervision.talks.views",
    "supervision.obligations.views",
    "supervision.obligations.mine_views",
    "supervision.integrity.views",
    "supervision.rotation.views",
    "supervision.rotation.plan_views",
    "supervision.rotation.completion_views",
    "supervision.reminders.views",
    "supervision.reminders.admin_views",
    "supervision.reminders.settings_views",
    "supervision.rectification.views",
    "supervision.rectification.finding_views",
    "supervision.rectification.evidence_views",
)
#: API blueprints (flask-smorest): module path -> attribute `blp`, mounted under /api/v1.
API_MODULES = (
    "supervision.org.api",
    "supervision.org.roster_api",
    "supervision.audit.api",
    "supervision.calendar.api",
    "supervision.risks.api",
    "supervision.risks.import_api",
    "supervision.reports.api",
    "supervision.talks.api",
    "supervision.obligations.api",
    "supervision.reports.talks_api",
    "supervision.rotation.api",
    "supervision.reports.rotation_api",
    "supervision.reports.rectification_api",
    "supervision.reports.jobs_api",
    "supervision.reminders.api",
    "supervision.rectification.api",
)
#: CLI groups/commands: module path -> attribute `commands` (a list of click commands).
CLI_MODULES = (
    "supervision.auth.cli",
    "supervision.audit.cli",
    "supervision.calendar.cli",
    "supervision.demo.cli",
    "supervision.obligations.cli",
    "supervision.backup",
    "supervision.reminders.cli",
    "supervision.rectification.cli",
    "supervision.rotation.cli",
    "supervision.scheduler",
)


def create_app(config: type | str | None = None) -> Flask:
    """Build the application for a config class (or its name; default from the env)."""
    from config import CONFIGS, config_from_env

    if config is None:
        config = config_from_env()
    elif isinstance(config, str):
        config = CONFIGS[config]

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        # An installed wheel has no checkout to hold instance/: Flask's default for installed
        # packages then, <venv>/var/supervision-instance.
        instance_path=os.environ.get(
            "SUPERVISION_INSTANCE", None if INSTALLED else str(ROOT / "instance")
        ),
    )
    app.config.from_object(config)
    app.url_map.converters["int"] = BoundedInt
    _check_config(app)
    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Only the configured number of proxies is believed: the client address (audit log,
        # login throttling), the scheme (Secure cookies, HSTS) and the host come from them.
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    importlib.import_module("supervision.models")

    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)
    _register_hooks(app)

    from supervision.common import input as input_checks
    from supervision.common import templating
    from supervision.common.errors import register_error_handlers
    from supervision.labels import TABLES

    input_checks.register(app)
    templating.register(app, TABLES)
    register_error_handlers(app)
    return app


def _check_config(app: Flask) -> None:
    from flask.helpers import get_debug_flag

    env = app.config.get("ENV_NAME", "production")
    if env == "production" and (app.debug or get_debug_flag()):
        # FLASK_DEBUG or a config that turns debug on would expose the debugger.
        raise RuntimeError("Debug mode is for development only (SUPERVISION_ENV=development).")
    if not app.config.get("SECRET_KEY"):
        if env != "development":
            raise RuntimeError(
                "SECRET_KEY must be set in production (environment variable SECRET_KEY); "
                "SUPERVISION_ENV=development makes a random one for local use."
            )
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{Path(app.instance_path) / 'supervision.db'}"
        )
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):
        uri = "postgresql+psycopg://" + uri.removeprefix("postgres://")
    elif uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    options = app.config.get("POSTGRES_SESSION_OPTIONS")
    if uri.startswith("postgresql") and options:
        engine_options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        connect_args = dict(engine_options.get("connect_args") or {})
        connect_args["options"] = " ".join(filter(None, (connect_args.get("options"), options)))
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options | {"connect_args": connect_args}
    from supervision.common import links

    links.check_config(app)
    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES",
        # One catalog per area (supervision/i18n/<area>/zh/...), merged by Flask-Babel.
        ";".join(str(p) for p in sorted((PACKAGE_DIR / "i18n").iterdir()) if p.is_dir()),
    )


def _instance_secret(folder: Path) -> str:
    """Development's key: random, made once per instance folder and kept there (0600)."""
    import secrets

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret_key"
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        key = ""
    if len(key) < 32:
        key = secrets.token_hex(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key + "\n")
    return key


def _init_extensions(app: Flask) -> None:
    from sqlalchemy.orm import Session

    from supervision.audit import services as audit_services
    from supervision.auth import loaders
    from supervision.common.api import spec_kwargs

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    loaders.configure(login_manager)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_timezone)
    limiter.init_app(app)
    mail.init_app(app)
    bootstrap.init_app(app)
    api.init_app(app, spec_kwargs=spec_kwargs())
    audit_services.install(Session)

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _sqlite_pragmas(db.engine)


def _sqlite_pragmas(engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()


def _select_locale() -> str:
    chosen = session.get("lang") if request else None
    if chosen in ("zh_CN", "en"):
        return chosen
    from flask import current_app

    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _select_timezone() -> str:
    from flask import current_app

    return current_app.config["SUPERVISION_TIMEZONE"]


def _register_blueprints(app: Flask) -> None:
    # Import every page module first: several may add routes to one blueprint (the rotation
    # pages), which is registered once, after all its routes exist.
    blueprints = list(dict.fromkeys(importlib.import_module(p).bp for p in VIEW_MODULES))
    for bp in blueprints:
        app.register_blueprint(bp)
    for path in API_MODULES:
        blp = importlib.import_module(path).blp
        csrf.exempt(blp)  # the API checks X-CSRFToken itself for cookie-authenticated writes
        api.register_blueprint(blp, url_prefix="/api/v1" + (blp.url_prefix or ""))


def _register_cli(app: Flask) -> None:
    for path in CLI_MODULES:
        for command in importlib.import_module(path).commands:
            app.cli.add_command(command)


#: Endpoints that serve public static files (stylesheets, scripts, icons): the only answers
#: that browsers and proxies may cache. Every other answer may carry confidential data.
STATIC_ENDPOINTS = frozenset(
    {"static", "bootstrap.static", "api_docs_page.swagger_static", "favicon"}
)
#: HSTS in production (SPEC §13): a year, subdomains included.
HSTS = "max-age=31536000; includeSubDomains"


def _check_database() -> str:
    """The database's state: "ok", or "unreachable" when it does not answer `SELECT 1`."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception:  # noqa: BLE001 - whatever the driver raises, the answer is one word
        db.session.rollback()
        from flask import current_app

        current_app.logger.warning("health check: database unreachable", exc_info=True)
        return "unreachable"
    return "ok"


#: The checks of /healthz: name -> (function answering "ok" or a one-word problem, whether a
#: problem is an error (503) rather than a degradation). Add a check here; it is reported
#: by name, never with an error text, a path or a version (SPEC §10).
HEALTH_CHECKS: dict[str, tuple] = {"database": (_check_database, True)}


def _check_calendar() -> str:
    """ "fallback" while the current year (from 1 November also the next) has no official
    calendar (SPEC §2), else "ok"; "unknown" when the database cannot say."""
    from supervision.calendar.services import fallback_years
    from supervision.common import clock

    try:
        return "fallback" if fallback_years(db.session, clock.today()) else "ok"
    except Exception:  # noqa: BLE001 - the database check reports the cause
        db.session.rollback()
        return "unknown"


#: A calendar on the fallback degrades the service (200, "degraded"); it is not an error.
HEALTH_CHECKS["calendar"] = (_check_calendar, False)


def health() -> tuple[dict, int]:
    """The /healthz document and its status code."""
    checks = {name: check() for name, (check, _critical) in HEALTH_CHECKS.items()}
    failing = [name for name, result in checks.items() if result != "ok"]
    if any(HEALTH_CHECKS[name][1] for name in failing):
        return {"status": "error", "checks": checks}, 503
    return {"status": "degraded" if failing else "ok", "checks": checks}, 200


def _register_hooks(app: Flask) -> None:
    @app.get("/healthz")
    @limiter.exempt
    def healthz():
        """Liveness and the health checks (no authentication)."""
        body, status = health()
        return jsonify(body), status

    @app.get("/favicon.ico")
    def favicon():
        """Browsers ask for /favicon.ico whatever the page says."""
        return app.send_static_file("favicon.svg")

    @app.after_request
    def security_headers(resp):
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        )
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint not in STATIC_ENDPOINTS:
            # Pages, API answers and downloads may hold confidential data (talks, integrity
            # files, reports, exports): no browser or proxy keeps a copy (SPEC §13).
            resp.headers["Cache-Control"] = "no-store"
            resp.headers["Pragma"] = "no-cache"
        if app.config.get("ENV_NAME") == "production":
            resp.headers.setdefault("Strict-Transport-Security", HSTS)
        return resp

    @app.context_processor
    def inject_globals():
        from flask import has_request_context

        from supervision.common import nav

        if not has_request_context():  # e-mails and PDFs rendered by jobs have no user
            return {
                "nav_items": [],
                "nav_links": [],
                "current_locale": app.config["BABEL_DEFAULT_LOCALE"],
            }
        return {
            "nav_items": nav.bar_for(current_user),
            "nav_links": nav.items_for(current_user),
            "current_locale": _select_locale(),
        }

    def _reset_auth_marker():
        g.pop("auth_via", None)

    # First of all the request hooks: a hook registered earlier (a blueprint's
    # before_app_request) may load the user, and so set the marker, before this one ran.
    app.before_request_funcs.setdefault(None, []).insert(0, _reset_auth_marker)
