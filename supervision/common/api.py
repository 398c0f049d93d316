"""Shared pieces of the JSON API: blueprint class, authentication, pagination, schemas."""

from __future__ import annotations

import re
from collections.abc import Mapping

import marshmallow as ma
import sqlalchemy as sa
from flask import abort, g, request
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint, Page
from flask_wtf.csrf import validate_csrf
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException, UnprocessableEntity
from wtforms.validators import ValidationError

from supervision.common import clock
from supervision.common.input import MAX_ID
from supervision.extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: The X-Pagination header of every list (SPEC §10): a JSON text, so declared by its
#: media type, with the fields it holds.
PAGINATION_HEADER_DOC = {
    "description": "Pagination metadata, a JSON object: total, total_pages, page, "
    "first_page, last_page, previous_page, next_page",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    name: {"type": "integer", "minimum": 0}
                    for name in (
                        "total",
                        "total_pages",
                        "first_page",
                        "last_page",
                        "page",
                        "previous_page",
                        "next_page",
                    )
                },
                "required": ["total", "total_pages", "page"],
                "additionalProperties": False,
            }
        }
    },
}
#: Largest id or page number accepted: the database's 32-bit integer columns end here, and
#: a larger number could only ever be "not found" (it would overflow the driver instead).


def Id(**kwargs) -> ma.fields.Int:  # noqa: N802 - reads like a field class in schemas
    """An id field: a whole number from 1 to MAX_ID."""
    return ma.fields.Int(strict=False, validate=ma.validate.Range(min=1, max=MAX_ID), **kwargs)


class Unparsed(Mapping):
    """The arguments of a write whose body did not validate: any use raises the 400/422
    that parsing raised. The view runs up to its first use, so its permission and scope
    checks, which come first, answer 403/404 before the body is judged (SPEC §4, §10)."""

    def __init__(self, error: HTTPException):
        self.error = error

    def _raise(self, *_args, **_kwargs):
        raise self.error

    __getitem__ = __iter__ = __len__ = __contains__ = __eq__ = __bool__ = _raise
    get = keys = items = values = _raise
    __hash__ = None


def _empty_body(location: str) -> HTTPException | None:
    """The 422 of a PATCH or PUT that sends no field (no body, or `{}`), else None."""
    if location != "json" or request.method not in ("PATCH", "PUT"):
        return None
    if request.get_data(cache=True).strip() and request.get_json(silent=True) != {}:
        return None
    message = _("The request body is empty: send at least one field.")
    error = UnprocessableEntity(message)
    error.data = {"message": message}
    return error


class DeferringParser(FlaskParser):
    """webargs' parser, except that a write's invalid body does not stop the request at once
    (see `Unparsed`); reads (GET) still answer 422 for bad query parameters at once."""

    def parse(self, argmap, req=None, *, location=None, **kwargs):
        """Parse as webargs does; for writes, defer a 400/422 until the view uses the data."""
        try:
            data = super().parse(argmap, req, location=location, **kwargs)
        except HTTPException as exc:
            if request.method in SAFE_METHODS or exc.code not in (400, 422):
                raise
            return Unparsed(exc)
        empty = _empty_body(location or self.location)
        return data if empty is None else Unparsed(empty)


class ApiBlueprint(Blueprint):
    """A flask-smorest blueprint whose every route needs a user, and CSRF for cookie auth.

    Bearer-token requests carry no ambient credentials, so they need no CSRF token; browser
    session requests that change something must send `X-CSRFToken`.

    Permission before validation: the body of a write is parsed before the view runs, but a
    refusal of the body waits until the view first uses it (`DeferringParser`). So a view
    checks the grant (`require`) and loads its object (404 outside the scope) before it
    reads its arguments, and a caller without the right gets 403/404 whatever they sent;
    tests/functional/test_authorization_matrix.py holds every endpoint to it.
    """

    DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": 50, "max_page_size": 1000}
    ARGUMENTS_PARSER = DeferringParser()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.before_request(_authenticate)

    @staticmethod
    def _make_pagination_metadata(page, page_size, item_count):
        """flask-smorest's metadata, always with the requested `page` (SPEC §10: `total`,
        `total_pages`, `page`), also on an empty list or past the last page."""
        meta = Blueprint._make_pagination_metadata(page, page_size, item_count)
        meta.setdefault("page", page)
        return meta

    def _document_pagination_metadata(self, spec, resp_doc):
        """Declare X-Pagination as what it is: a header whose value is a JSON text (flask-
        smorest declares it with the object schema itself, which every string value violates).
        OpenAPI 3 says so with `content` (application/json) instead of `schema`."""
        resp_doc.setdefault("headers", {})[self.PAGINATION_HEADER_NAME] = PAGINATION_HEADER_DOC


def _authenticate():
    if not current_user.is_authenticated:
        abort(401, description="Authentication required: send a Bearer token or log in.")
    if request.method not in SAFE_METHODS and g.get("auth_via") != "token":
        try:
            validate_csrf(request.headers.get("X-CSRFToken") or request.headers.get("X-CSRF-Token"))
        except ValidationError as exc:
            abort(400, description=f"CSRF token missing or invalid: {exc}")


class SelectPage(Page):
    """Paginates a SQLAlchemy `select()` with OFFSET/LIMIT and a COUNT."""

    @property
    def items(self):
        # The count is known already (Page.__init__): a page past the end is empty without a
        # query, and an absurd page number never reaches the database as an OFFSET.
        if self.page_params.first_item >= self.page_params.item_count:
            return []
        stmt = self.collection.offset(self.page_params.first_item).limit(self.page_params.page_size)
        return db.session.scalars(stmt).all()

    @property
    def item_count(self):
        counted = self.collection.order_by(None).subquery()
        return db.session.scalar(sa.select(sa.func.count()).select_from(counted))


class BaseSchema(ma.Schema):
    """Rejects unknown fields with a clear message and keeps field order."""

    class Meta:
        unknown = ma.RAISE


def binary_response_doc(mime: str, what: str) -> dict:
    """OpenAPI `doc` for an endpoint answering a file of type `mime`."""
    return {
        "responses": {
            "200": {
                "description": what,
                "content": {mime: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }


def labelled(labels: Mapping[str, object], description: str = "", values=None) -> dict:
    """Field metadata of an enumeration: its values, and a description that names each
    value's label from the domain's labels.py, in the reader's language (built when the
    OpenAPI document is served, so it is never stale and never a second copy)."""

    def describe() -> str:
        named = "; ".join(f"{value}: {label}" for value, label in labels.items())
        return f"{description} ({named})" if description else named

    return {"enum": list(values or labels), "description": LazyString(describe)}


def schema_name(schema) -> str:
    """OpenAPI component name: the class name without "Schema", "Patch" for partial loads."""
    from apispec.ext.marshmallow.common import resolve_schema_cls

    cls = resolve_schema_cls(schema)
    name = cls.__name__.removesuffix("Schema")
    if getattr(schema, "partial", False) and not name.endswith("Patch"):
        name += "Patch"
    return name


def spec_kwargs() -> dict:
    """Options for flask-smorest's APISpec."""
    from apispec.ext.marshmallow import MarshmallowPlugin

    return {"marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=schema_name)}


# ------------------------------------------------------------------ field helpers

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: JSON may escape half of a UTF-16 pair ("\ud800"); no database can store it.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _checker(control: re.Pattern):
    def check(value: str) -> None:
        if _SURROGATE.search(value):
            raise ma.ValidationError(_("Contains invalid characters."))
        if control.search(value):
            raise ma.ValidationError(_("Contains control characters."))

    return check


_no_control = _checker(_CONTROL)
_no_control_but_lines = _checker(_CONTROL_IN_TEXT)


def one_line(max_len: int) -> list:
    """Validators of a one-line text: 1..max_len characters, no control characters."""
    return [ma.validate.Length(min=1, max=max_len), _no_control]


def text(max_len: int, min_len: int = 0) -> list:
    """Validators of a multi-line text: tabs and line breaks allowed, no other controls."""
    return [ma.validate.Length(min=min_len, max=max_len), _no_control_but_lines]


class LocalDateTime(ma.fields.DateTime):
    """An aware instant dumped in the configured zone, ISO 8601 with its offset."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else clock.local(value).isoformat()


class DryRunQuery(BaseSchema):
    """`dry_run` of an import may also be given in the query string."""

    dry_run = ma.fields.Boolean(load_default=False)
