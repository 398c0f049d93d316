"""Absolute links (SPEC §12): every link in mail, calendar feeds and documents starts with
`SUPERVISION_BASE_URL`, the address users reach, and never with the request's `Host` header
(a forged header would otherwise hand out links to another site). Nothing here reads the
request, so the scheduler's jobs (sweep, digest, deliver) build the same links as a page.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app

#: Used when neither SUPERVISION_BASE_URL nor SERVER_NAME is set (development only; a
#: production start without SUPERVISION_BASE_URL logs a warning, see check_config).
DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def base_url() -> str:
    """The application's public address without a trailing slash: SUPERVISION_BASE_URL; else
    PREFERRED_URL_SCHEME, SERVER_NAME and APPLICATION_ROOT; else http://127.0.0.1:5000."""
    config = current_app.config
    configured = config.get("SUPERVISION_BASE_URL")
    if configured:
        return configured.strip().rstrip("/")
    server = config.get("SERVER_NAME")
    if server:
        scheme = config.get("PREFERRED_URL_SCHEME") or "http"
        root = (config.get("APPLICATION_ROOT") or "/").rstrip("/")
        return f"{scheme}://{server}{root}"
    return DEFAULT_BASE_URL


def absolute(path: str) -> str:
    """The absolute link of an application path ("/talks/3", "talks/3")."""
    return base_url() + "/" + path.lstrip("/")


def external_url(endpoint: str, **values) -> str:
    """url_for(endpoint, **values, _external=True), but rooted at base_url() and usable
    outside a request: the path is built from the URL map alone."""
    path = current_app.url_map.bind("localhost", script_name="/").build(endpoint, values)
    return absolute(path)


def problem(value: str | None) -> str | None:
    """Why `value` cannot be SUPERVISION_BASE_URL (None if it can, or if it is unset)."""
    if not value:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "SUPERVISION_BASE_URL must start with http:// or https:// and name a host"
    if parts.query or parts.fragment or "@" in parts.netloc:
        return "SUPERVISION_BASE_URL must be a plain address (no user, query or fragment)"
    return None


def check_config(app: Flask) -> None:
    """Refuse a malformed SUPERVISION_BASE_URL; warn when production has none (links in
    mail and feeds would then point at 127.0.0.1)."""
    error = problem(app.config.get("SUPERVISION_BASE_URL"))
    if error:
        raise RuntimeError(f"{error}: {app.config['SUPERVISION_BASE_URL']!r}")
    if app.config.get("ENV_NAME", "production") == "production" and not (
        app.config.get("SUPERVISION_BASE_URL") or app.config.get("SERVER_NAME")
    ):
        app.logger.warning(
            "SUPERVISION_BASE_URL is not set: links in e-mails and calendar feeds point at %s",
            DEFAULT_BASE_URL,
        )
