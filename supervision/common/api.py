"""Shared pieces of the JSON API: blueprint class, authentication, pagination, schemas."""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa
from flask import abort, g, request
from flask_login import current_user
from flask_smorest import Blueprint, Page
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from supervision.extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ApiBlueprint(Blueprint):
    """A flask-smorest blueprint whose every route needs a user, and CSRF for cookie auth.

    Bearer-token requests carry no ambient credentials, so they need no CSRF token; browser
    session requests that change something must send `X-CSRFToken`.
    """

    DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": 50, "max_page_size": 1000}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.before_request(_authenticate)


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
