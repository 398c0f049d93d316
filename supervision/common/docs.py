"""Interactive API docs at /api/v1/docs, served from the swagger-ui-bundle package's files."""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from flask import Blueprint, abort, make_response, render_template, send_from_directory

bp = Blueprint("api_docs_page", __name__)
_SWAGGER_DIR = Path(swagger_ui_bundle.swagger_ui_path)
_ALLOWED = {"swagger-ui-bundle.js", "swagger-ui.css", "index.css", "favicon-32x32.png"}


@bp.get("/api/v1/docs")
def docs():
    """The Swagger UI page (no inline script, so it works under the CSP)."""
    resp = make_response(render_template("api_docs.html"))
    # Swagger UI injects style elements; scripts stay restricted to our own files.
    resp.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; object-src 'none'; frame-ancestors 'none'"
    )
    return resp


@bp.get("/api/v1/docs/static/<path:filename>")
def swagger_static(filename: str):
    """Swagger UI's own files, from the installed package."""
    if filename not in _ALLOWED:
        abort(404)
    return send_from_directory(_SWAGGER_DIR, filename, max_age=86400)
