"""JSON API: GET /audit (the log, filtered and paginated) and GET /audit/verify (SPEC §10),
the latter optionally against anchors (`?anchor=ID:HASH`, repeatable)."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_login import current_user
from marshmallow import fields, validate

from supervision.audit import services
from supervision.common import clock
from supervision.common.api import ApiBlueprint, BaseSchema, SelectPage
from supervision.common.permissions import can, require
from supervision.extensions import db

blp = ApiBlueprint("audit_api", __name__, description="Audit log (append-only, hash-chained)")


class AuditQuery(BaseSchema):
    object = fields.Str(
        validate=validate.Length(max=40), metadata={"description": "object type, e.g. person"}
    )
    object_id = fields.Str(validate=validate.Length(max=64))
    action = fields.Str(
        validate=validate.Length(max=40), metadata={"description": "e.g. update, login_failed"}
    )
    actor = fields.Str(
        validate=validate.Length(max=64), metadata={"description": "username of the actor"}
    )
    since = fields.Date(metadata={"description": "first local date (inclusive)"})
    until = fields.Date(metadata={"description": "last local date (inclusive)"})

    @ma.validates_schema
    def _dates_in_order(self, data, **_kwargs):
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise ma.ValidationError("Must not be before `since`.", "until")


class AuditEntrySchema(BaseSchema):
    id = fields.Int()
    at = fields.Method(
        "_at",
        metadata={
            "type": "string",
            "format": "date-time",
            "description": "ISO 8601 in the local zone, with offset",
        },
    )
    actor_user_id = fields.Int(allow_none=True)
    actor_name = fields.Str()
    action = fields.Str()
    object_type = fields.Str()
    object_id = fields.Str()
    changes = fields.Method(
        "_changes",
        metadata={
            "type": "object",
            "description": '{"field": [before, after]} for writes; details for other actions',
        },
    )
    ip = fields.Str()
    hash = fields.Str()
    prev_hash = fields.Str()

    def _at(self, entry) -> str:
        return clock.local(entry.at).isoformat()

    def _changes(self, entry) -> dict:
        return services.parsed_changes(entry, _may_read_confidential())


class AnchorField(fields.Str):
    """ID:HASH, deserialized to (id, hash)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return services.parse_anchor(text)
        except ValueError:
            raise ma.ValidationError(
                "Not an anchor: expected ID:HASH (an entry id, a colon, 64 hex digits)."
            ) from None


class VerifyQuery(BaseSchema):
    anchor = fields.List(
        AnchorField(
            validate=validate.Length(max=90),
            metadata={"pattern": "^[1-9][0-9]*:[0-9a-fA-F]{64}$", "example": "42:" + "0" * 64},
        ),
        validate=validate.Length(max=100),
        metadata={
            "description": "anchors kept outside the database, as logged daily "
            "(`audit anchor: ID:HASH`) and sent in the secretaries' weekly digest: entry id, "
            "colon, its 64-hex-digit hash. Repeat the parameter for several. The chain is "
            "broken when an anchored entry is missing or its hash differs."
        },
    )


class VerifySchema(BaseSchema):
    ok = fields.Bool(required=True)
    entries = fields.Int(required=True, metadata={"description": "entries verified"})
    first_broken_id = fields.Int(metadata={"description": "present when ok is false"})
    reason = fields.Str(metadata={"description": "present when ok is false"})


def _may_read_confidential() -> bool:
    return can(current_user, "audit.read_confidential")


@blp.route("/audit")
class AuditLog(MethodView):
    @blp.arguments(AuditQuery, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """The audit log, newest first (admin and discipline secretary)."""
        require("audit.read")
        return services.entries_select(
            db.session,
            object_type=args.get("object"),
            object_id=args.get("object_id"),
            action=args.get("action"),
            actor=args.get("actor"),
            since=args.get("since"),
            until=args.get("until"),
        )


@blp.route("/audit/verify")
class AuditVerify(MethodView):
    @blp.arguments(VerifyQuery, location="query")
    @blp.response(200, VerifySchema)
    def get(self, args):
        """Check the keyed hash chain, and the anchors given: ok with the number of entries,
        or the first broken entry and why."""
        require("audit.read")
        return services.verify(db.session, args.get("anchor", ())).as_dict()
