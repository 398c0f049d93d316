"""Service errors and the JSON/HTML error handlers.

Services raise these; API requests get `{"code", "status", "message", "errors"}` JSON and
pages get an error template (or, in views, a form error).
"""

from __future__ import annotations

from http import HTTPStatus

from flask import Flask, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException


class ServiceError(Exception):
    """A refusal from a service, with the HTTP status that describes it."""

    status = 400

    def __init__(self, message: str, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class NotFound(ServiceError):
    """The object does not exist or is outside the caller's scope."""

    status = 404


class Forbidden(ServiceError):
    """The caller may see the object but not do this."""

    status = 403


class Conflict(ServiceError):
    """The change conflicts with existing data (duplicate, overlap)."""

    status = 409


class TooLarge(ServiceError):
    """An upload larger than a limit (size once unpacked)."""

    status = 413


class Invalid(ServiceError):
    """The input breaks a rule; `errors` maps field names to messages."""

    status = 422


def is_api_request() -> bool:
    """Whether the current request addresses the JSON API."""
    return request.path.startswith("/api/")


def error_body(status: int, message: str, errors: dict | None = None) -> dict:
    """The JSON error document."""
    body = {"code": status, "status": HTTPStatus(status).phrase, "message": message}
    if errors:
        body["errors"] = errors
    return body


def flatten_errors(errors: dict) -> dict:
    """webargs nests messages by location ({"json": {...}}); the API reports them by field."""
    locations = {"json", "query", "form", "files", "headers", "querystring", "view_args"}
    if errors and set(errors) <= locations:
        flat: dict = {}
        for by_field in errors.values():
            if isinstance(by_field, dict):
                flat.update(by_field)
        return flat
    return errors


def http_error_response(exc: HTTPException):
    """Render an HTTP error as JSON for the API or as a page."""
    status = exc.code or 500
    if is_api_request():
        data = getattr(exc, "data", None) or {}
        errors = flatten_errors(data.get("messages") or data.get("errors") or {})
        message = data.get("message") or exc.description or HTTPStatus(status).phrase
        if status == 422 and errors and message == exc.description:
            message = "Validation failed"
        resp = jsonify(error_body(status, message, errors))
        resp.status_code = status
        for key, value in exc.get_headers() if status == 405 else []:
            if key.lower() == "allow":
                resp.headers[key] = value
        if status == 429:
            resp.headers.update({k: v for k, v in exc.get_headers() if k.startswith("Retry")})
        return resp
    if status == 401:
        # A page guarded by a grant alone (`@requires`) sends an anonymous visitor to the
        # login page, as `@login_required` does, rather than showing a bare 401.
        return current_app.login_manager.unauthorized()
    template = "errors/error.html"
    return render_template(template, status=status, exc=exc), status


def service_error_response(exc: ServiceError):
    """Render a ServiceError that escaped a view."""
    if is_api_request():
        resp = jsonify(error_body(exc.status, exc.message, exc.errors))
        resp.status_code = exc.status
        return resp
    return render_template("errors/error.html", status=exc.status, exc=exc), exc.status


def register_error_handlers(app: Flask) -> None:
    """Install the handlers on the app."""
    app.register_error_handler(HTTPException, http_error_response)
    app.register_error_handler(ServiceError, service_error_response)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):  # pragma: no cover - a bug, logged with its traceback
        if isinstance(exc, HTTPException):
            return http_error_response(exc)
        app.logger.exception("unhandled error")
        if is_api_request():
            return jsonify(error_body(500, "Internal error")), 500
        return render_template("errors/error.html", status=500, exc=None), 500
