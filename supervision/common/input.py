"""Request-wide input hygiene applied before any view runs."""

from __future__ import annotations

from flask import Flask, abort, request

_NUL_FORMS = (b"\x00", b"%00", b"\\u0000")
#: The largest id anything accepts: the databases' 32-bit integer (2**31 - 1), so that a
#: larger number is a clear 404/422 instead of an overflow in the driver.
MAX_ID = 2**31 - 1


def reject_unstorable_text() -> None:
    """400 for a NUL character anywhere in the path, query, form fields or a text body,
    and for lone surrogates in a JSON body.

    No text field of ours can hold one (PostgreSQL refuses them outright), so refusing
    here gives one clear answer instead of a database error deep inside a query. Uploaded
    files are binary and are not inspected.
    """
    if "\x00" in request.path or any(f in request.query_string for f in _NUL_FORMS[:2]):
        abort(400, description="NUL characters are not allowed in the request.")
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        if any("\x00" in value for values in request.form.listvalues() for value in values):
            abort(400, description="NUL characters are not allowed in the request.")
    elif request.content_length or request.headers.get("Transfer-Encoding"):
        body = request.get_data(cache=True)
        if b"\x00" in body or b"\\u0000" in body:
            abort(400, description="NUL characters are not allowed in the request.")
        if request.is_json and b"\\u" in body:
            _reject_lone_surrogates(request.get_json(silent=True))


def _reject_lone_surrogates(value) -> None:
    """400 for a JSON string holding half of a surrogate pair (e.g. "\\ud800"): valid JSON,
    but not text any database can store."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                abort(400, description="The request holds an invalid character (a lone surrogate).")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def register(app: Flask) -> None:
    """Install the checks."""
    app.before_request(reject_unstorable_text)
