"""Application configuration, read from the environment only (and a .env file if present)."""

import os
from pathlib import Path

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent
load_dotenv(BASE_DIR / ".env")
# Installed from a wheel, config.py is in site-packages: the service's .env is then the one
# in the working directory (as `flask` itself reads it). Variables already set win.
load_dotenv(Path.cwd() / ".env")


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings shared by every environment."""

    #: Which environment this is: "production", "development" or "test".
    ENV_NAME = "production"
    #: Debug is for development only (and then only through DevelopmentConfig).
    DEBUG = False
    SECRET_KEY = os.environ.get("SECRET_KEY")
    #: Key of the audit chain's HMAC (SPEC §4); kept outside the database. None: derived from
    #: SECRET_KEY (see supervision.audit.services.audit_key).
    AUDIT_KEY = os.environ.get("AUDIT_KEY")
    #: Idle and absolute session timeouts (SPEC §4, §12).
    SESSION_IDLE_MINUTES = float(os.environ.get("SESSION_IDLE_MINUTES", "30"))
    SESSION_MAX_HOURS = float(os.environ.get("SESSION_MAX_HOURS", "12"))
    #: argon2-cffi PasswordHasher arguments; empty means the library's (RFC 9106) defaults.
    ARGON2_PARAMS: dict = {}
    #: None means SQLite in the instance folder (filled in by create_app).
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    #: Settings of every PostgreSQL session the app opens (libpq `options`). The app's
    #: statements are short and many run at once: PostgreSQL's JIT compiler spent 0.9 s
    #: compiling the inbox's 20-branch UNION for a 30 ms query, and parallel workers cost more
    #: to start than the index walks they split (issue 14, benchmarks/). Empty: the server's.
    POSTGRES_SESSION_OPTIONS = os.environ.get(
        "POSTGRES_SESSION_OPTIONS", "-c jit=off -c max_parallel_workers_per_gather=0"
    )
    SUPERVISION_TIMEZONE = os.environ.get("SUPERVISION_TIMEZONE", "Asia/Shanghai")

    BABEL_DEFAULT_LOCALE = os.environ.get("BABEL_DEFAULT_LOCALE", "zh_CN")
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ("zh_CN", "en")

    BOOTSTRAP_SERVE_LOCAL = True
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_ENABLED = True

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    #: Failed logins (SPEC §4), counted in RATELIMIT_STORAGE_URI (shared by every worker and
    #: server when it is Redis): per account, this many failures, then a wait that starts at
    #: LOGIN_LOCKOUT_MINUTES and doubles with each further failure, up to the maximum; the
    #: count is forgotten after a quiet period or a successful login.
    LOGIN_ACCOUNT_MAX_FAILURES = int(os.environ.get("LOGIN_ACCOUNT_MAX_FAILURES", "5"))
    LOGIN_LOCKOUT_MINUTES = float(os.environ.get("LOGIN_LOCKOUT_MINUTES", "1"))
    LOGIN_LOCKOUT_MAX_MINUTES = float(os.environ.get("LOGIN_LOCKOUT_MAX_MINUTES", "1440"))
    LOGIN_FAILURE_QUIET_HOURS = float(os.environ.get("LOGIN_FAILURE_QUIET_HOURS", "24"))
    #: Per client address (password spraying): this many failures in the window.
    LOGIN_ADDRESS_MAX_FAILURES = int(os.environ.get("LOGIN_ADDRESS_MAX_FAILURES", "50"))
    LOGIN_ADDRESS_WINDOW_MINUTES = float(os.environ.get("LOGIN_ADDRESS_WINDOW_MINUTES", "15"))

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "supervision@localhost")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    #: Seconds to wait for the SMTP server before an attempt counts as failed.
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "30"))
    #: Minutes between e-mail attempts after failures; after the last, the e-mail is `failed`.
    SUPERVISION_MAIL_BACKOFF_MINUTES = (1, 5, 15, 60, 240)
    #: How long a deliverer holds a claimed e-mail before another may take it over.
    SUPERVISION_MAIL_LEASE_SECONDS = float(os.environ.get("SUPERVISION_MAIL_LEASE_SECONDS", "300"))
    #: Intervals of the scheduler's jobs (SPEC §8: sweep every 15 minutes, outbox every minute).
    SCHEDULER_SWEEP_SECONDS = float(os.environ.get("SCHEDULER_SWEEP_SECONDS", "900"))
    SCHEDULER_DELIVER_SECONDS = float(os.environ.get("SCHEDULER_DELIVER_SECONDS", "60"))
    SCHEDULER_DIGEST_SECONDS = float(os.environ.get("SCHEDULER_DIGEST_SECONDS", "900"))
    #: How many reverse proxies in front set X-Forwarded-For/-Proto/-Host (SPEC §12). 0: the
    #: headers are ignored (anyone could forge them); the client address is the peer's.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    #: The address of the application as users reach it, for links in e-mails and feeds.
    SUPERVISION_BASE_URL = os.environ.get("SUPERVISION_BASE_URL")

    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    #: Where talk attachments are stored (outside the web root); empty = instance/attachments.
    TALK_ATTACHMENT_DIR = os.environ.get("TALK_ATTACHMENT_DIR")
    #: CJK font files embedded in PDFs (default: Debian's fonts-noto-cjk).
    PDF_FONT_REGULAR = os.environ.get("PDF_FONT_REGULAR")
    PDF_FONT_BOLD = os.environ.get("PDF_FONT_BOLD")
    ROSTER_MAX_ROWS = 200_000
    RISK_IMPORT_MAX_ROWS = 5000
    #: Largest size once unpacked of an uploaded workbook, in bytes (a zip-bomb guard,
    #: checked before any parser reads the file; SPEC §13). Default 50 MB.
    UPLOAD_MAX_UNPACKED = int(os.environ.get("UPLOAD_MAX_UNPACKED", str(50 * 1024 * 1024)))

    API_TITLE = "Supervision API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    # The interactive docs are our own page (local Swagger UI files, no inline script).
    OPENAPI_SWAGGER_UI_PATH = None
    API_SPEC_OPTIONS = {
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session"},
            }
        },
        "security": [{"bearerAuth": []}, {"cookieAuth": []}],
    }

    #: Frozen "now" (ISO 8601 with offset) for demos and browser tests; never set in production.
    SUPERVISION_FAKE_NOW = os.environ.get("SUPERVISION_FAKE_NOW")


class DevelopmentConfig(Config):
    """Local development (`make run`): debug on; without SECRET_KEY, create_app makes a random
    key and keeps it in the instance folder (never a fixed string anyone could know)."""

    ENV_NAME = "development"
    DEBUG = True


class TestConfig(Config):
    """The test suite: DATABASE_URL picks SQLite or PostgreSQL."""

    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    RATELIMIT_ENABLED = True
    MAIL_SUPPRESS_SEND = False
    #: Cheap argon2 for speed; the algorithm and code path are the production ones.
    ARGON2_PARAMS = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


class ProductionConfig(Config):
    """Production: SECRET_KEY is mandatory and cookies are Secure."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """The configuration class named by SUPERVISION_ENV: production unless it says
    `development` (SPEC §12); the test configuration is chosen by the test suite itself."""
    name = (os.environ.get("SUPERVISION_ENV") or "production").strip().lower()
    if name not in ("production", "development"):
        raise RuntimeError(
            f"SUPERVISION_ENV={name!r}: use 'production' (the default) or 'development'."
        )
    return CONFIGS[name]
