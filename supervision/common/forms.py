"""One way for a page to save a form: validate, call the service, put its refusal next to
the inputs, commit, and say so.

Services raise ServiceError with `errors` by service field; `put_errors` shows each
message next to the input of that field (a form's FIELD_MAP names inputs whose name
differs), and whatever has no input above the form. Nothing is committed unless the
service accepted; a refusal rolls back, so a form never writes half of what it was given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from flask import flash

from supervision.common.errors import ServiceError
from supervision.extensions import db

T = TypeVar("T")


def add_errors(field, messages) -> None:
    """Append messages to a field's errors (also after validation)."""
    if isinstance(field.errors, tuple):  # a field that was not validated has a tuple
        field.errors = list(field.errors)
    field.errors.extend(str(m) for m in messages)


def put_errors(
    form, errors: Mapping | None, message: str = "", field_map: Mapping[str, str] | None = None
) -> None:
    """Show a service refusal on the form: each field's messages next to its input (unless
    validation already said what is wrong there), the rest, and the message when no field
    is named, above the form. A list's errors ({index: {field: messages}}, a plan's items)
    go above the form."""
    field_map = field_map or getattr(form, "FIELD_MAP", None) or {}
    for key, messages in (errors or {}).items():
        if isinstance(messages, Mapping):
            form.form_errors.extend(
                str(m) for by_field in messages.values() for ms in by_field.values() for m in ms
            )
            continue
        field = form._fields.get(field_map.get(key, key))
        if field is None:
            form.form_errors.extend(str(m) for m in messages)
        elif not field.errors:
            add_errors(field, messages)
    if not errors and message:
        form.form_errors.append(str(message))


def save_form(
    form,
    call: Callable[[], T],
    *,
    success: str | None = None,
    field_map: Mapping[str, str] | None = None,
    together: bool = False,
    put: Callable[[ServiceError], None] | None = None,
) -> tuple[T | None, int | None]:
    """Validate `form` and, when it is submitted, run `call` (a service write); commit and
    flash `success` when the service accepts.

    Returns (result, None) once saved, or (None, status) to render the form again with its
    input: 200 when it was not submitted, 422 when invalid, the service's status when it
    refused. With `together`, the service runs even when the form is invalid, so that one
    round trip reports every problem (nothing is committed unless both accept). `put`
    replaces `put_errors` for forms that place errors themselves (rows of a list).
    """
    if not form.is_submitted():
        return None, 200
    valid = form.validate()
    if not valid and not together:
        return None, 422
    try:
        result = call()
    except ServiceError as exc:
        db.session.rollback()
        if put is not None:
            put(exc)
        else:
            put_errors(form, exc.errors, exc.message, field_map)
        return None, exc.status if valid else 422
    if not valid or form.errors:
        db.session.rollback()
        return None, 422
    db.session.commit()
    if success:
        flash(success, "success")
    return result, None
