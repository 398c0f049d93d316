"""JSON API: /obligations, /obligations/summary, /obligations/waivers, /obligations/rules
(SPEC §6, §10).

Decisions:
- `period` is required; `type` is optional: without it, every obligation type whose
  frequency is the period's kind (default: 2025Q3 → integrity_reminder, 2025H2 →
  supervision, 2025 → heart_to_heart). A type of another frequency is 422 on `period`.
- Who sees obligations: the discipline roles see all; a leader sees the people of their
  scope (units they head or supervise, their own unit, themselves) and the obligations
  they conduct. The summary of a leader covers their scope only. hr, admin and staff get
  403 (SPEC §4 gives staff their talks, not obligations).
- An `org_unit_id` outside the caller's scope is 404; a `person_id` is a plain filter
  (an empty list when that person is not visible), so existence does not leak.
- Waivers: the discipline roles create and list them. Rules: read by admin, the discipline
  roles and leaders; changed by admin and the discipline secretary.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Page
from marshmallow import fields, validate

from supervision.common import clock
from supervision.common.api import (
    ApiBlueprint,
    BaseSchema,
    Id,
    LocalDateTime,
    SelectPage,
    labelled,
    text,
)
from supervision.common.periods import KINDS
from supervision.common.permissions import require
from supervision.extensions import db
from supervision.obligations import engine, rules
from supervision.obligations.labels import OBLIGATION_STATUS_LABELS
from supervision.obligations.models import ObligationWaiver
from supervision.obligations.permissions import readable_obligations
from supervision.obligations.services import create_waiver
from supervision.obligations.settings import get_obligation_settings, update_obligation_settings
from supervision.org.scope import unit_in_scope
from supervision.talks.labels import TALK_TYPE_LABELS

blp = ApiBlueprint(
    "obligations_api",
    __name__,
    description="Talk obligations: computed status by period, completion "
    "summary by unit, waivers, and the obligation rules",
)


# ------------------------------------------------------------------ schemas


class ObligationQuery(BaseSchema):
    period = fields.Str(
        required=True,
        validate=validate.Length(max=16),
        metadata={"description": "2025Q3, 2025H2 or 2025"},
    )
    type = fields.Str(
        validate=validate.OneOf(rules.OBLIGATION_TYPES),
        metadata={"description": "default: every type owed per this kind of period"},
    )
    org_unit_id = Id(metadata={"description": "the unit and its subtree"})
    person_id = Id()
    status = fields.Str(validate=validate.OneOf(rules.STATUSES))
    as_of = fields.Date(metadata={"description": "default: today (local)"})


class ObligationSchema(BaseSchema):
    person_id = fields.Int()
    type = fields.Str(metadata=labelled({t: TALK_TYPE_LABELS[t] for t in rules.OBLIGATION_TYPES}))
    period = fields.Str()
    due_date = fields.Date()
    status = fields.Str(metadata=labelled(OBLIGATION_STATUS_LABELS, values=rules.STATUSES))
    talk_id = fields.Int(allow_none=True, metadata={"description": "the talk that fulfils it"})
    conductor_id = fields.Int(allow_none=True, metadata={"description": "who should hold the talk"})
    reason = fields.Str(
        allow_none=True, metadata={"description": "why not required, or the waiver's reason"}
    )
    org_unit_id = fields.Int(metadata={"description": "the person's unit"})


class SummaryQuery(BaseSchema):
    period = fields.Str(required=True, validate=validate.Length(max=16))
    type = fields.Str(validate=validate.OneOf(rules.OBLIGATION_TYPES))
    org_unit_id = Id()
    as_of = fields.Date()


class SummaryRowSchema(BaseSchema):
    org_unit_id = fields.Int(allow_none=True, metadata={"description": "null: the whole scope"})
    org_unit_name = fields.Str(allow_none=True)
    required = fields.Int(metadata={"description": "all but not_required and waived"})
    pending = fields.Int()
    done = fields.Int()
    done_late = fields.Int()
    overdue = fields.Int()
    waived = fields.Int()
    not_required = fields.Int()
    completion_rate = fields.Float(
        allow_none=True,
        metadata={"description": "(done + done_late) ÷ required; null when nothing is required"},
    )


class SummarySchema(BaseSchema):
    total = fields.Nested(SummaryRowSchema)
    units = fields.List(fields.Nested(SummaryRowSchema))


class WaiverSchema(BaseSchema):
    id = fields.Int(dump_only=True)
    person_id = Id(required=True)
    type = fields.Str(required=True, validate=validate.OneOf(rules.OBLIGATION_TYPES))
    period = fields.Str(required=True, validate=validate.Length(min=1, max=16))
    reason = fields.Str(required=True, validate=text(2000, min_len=1))
    created_at = LocalDateTime(dump_only=True)
    created_by_id = fields.Int(dump_only=True, allow_none=True)


class WaiverQuery(BaseSchema):
    person_id = Id()
    type = fields.Str(validate=validate.OneOf(rules.OBLIGATION_TYPES))
    period = fields.Str(validate=validate.Length(max=16))


_CONDUCTOR = {
    "validate": validate.OneOf(rules.CONDUCTORS),
    "metadata": {
        "description": "responsible_head; committee (the assigned committee member, else the "
        "discipline secretary); party_secretary (for team members; others: the "
        "responsible head)"
    },
}


class IntegrityRuleSchema(BaseSchema):
    """Rule 1: whoever holds sensitive posts owes one talk per period."""

    frequency = fields.Str(
        validate=validate.OneOf(KINDS), metadata={"description": "fixed: quarter, half or year"}
    )
    min_days_in_period = fields.Int(
        strict=True,
        metadata={
            "description": "unbroken days on sensitive posts up to the period's last day (30)"
        },
    )
    conductor = fields.Str(**_CONDUCTOR)


class LeadershipRuleSchema(BaseSchema):
    """Rules 2 and 3: the leaders of the listed leadership levels owe one talk per period."""

    frequency = fields.Str(
        validate=validate.OneOf(KINDS), metadata={"description": "fixed: quarter, half or year"}
    )
    leadership = fields.List(
        fields.Str(validate=validate.OneOf(rules.LEADERSHIP_LEVELS)),
        metadata={"description": "who owes: team_member, department_head"},
    )
    conductor = fields.Str(**_CONDUCTOR)


class RulesSchema(BaseSchema):
    integrity_reminder = fields.Nested(IntegrityRuleSchema)
    supervision = fields.Nested(LeadershipRuleSchema)
    heart_to_heart = fields.Nested(LeadershipRuleSchema)
    party_secretary_staff_no = fields.Str(
        validate=validate.Length(max=32),
        metadata={
            "description": "staff number of the party secretary (党委书记); empty: responsible head"
        },
    )


# ------------------------------------------------------------------ helpers


# ------------------------------------------------------------------ routes


@blp.route("/obligations")
class Obligations(MethodView):
    @blp.arguments(ObligationQuery, location="query")
    @blp.response(200, ObligationSchema(many=True))
    @blp.paginate(Page)
    def get(self, args):
        """Computed obligations of a period (by person, then type), as of a date."""
        scope, viewer = readable_obligations()
        settings = get_obligation_settings(db.session)
        period, types = engine.resolve(args["period"], args.get("type"), settings)
        unit = unit_in_scope(scope, args.get("org_unit_id"))
        rows = engine.compute(
            db.session,
            period,
            types,
            as_of=args.get("as_of") or clock.today(),
            unit_path=unit.path if unit else None,
            person_id=args.get("person_id"),
            scope=scope,
            viewer_id=viewer,
            settings=settings,
        )
        if args.get("status"):
            rows = [r for r in rows if r.status == args["status"]]
        return rows


@blp.route("/obligations/summary")
class Summary(MethodView):
    @blp.arguments(SummaryQuery, location="query")
    @blp.response(200, SummarySchema)
    def get(self, args):
        """Completion counts and rate over a unit's subtree (or the scope) and per child unit."""
        scope, _viewer = readable_obligations()
        settings = get_obligation_settings(db.session)
        period, types = engine.resolve(args["period"], args.get("type"), settings)
        unit = unit_in_scope(scope, args.get("org_unit_id"))
        return engine.summary(
            db.session,
            period,
            types,
            unit=unit,
            scope=scope,
            as_of=args.get("as_of") or clock.today(),
        )


@blp.route("/obligations/waivers")
class Waivers(MethodView):
    @blp.arguments(WaiverQuery, location="query")
    @blp.response(200, WaiverSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """Waivers, newest first (discipline roles)."""
        require("obligations.waive")
        stmt = sa.select(ObligationWaiver).order_by(ObligationWaiver.id.desc())
        for key in ("person_id", "type"):
            if args.get(key) is not None:
                stmt = stmt.where(getattr(ObligationWaiver, key) == args[key])
        if args.get("period"):
            stmt = stmt.where(ObligationWaiver.period == args["period"].strip().upper())
        return stmt

    @blp.arguments(WaiverSchema)
    @blp.response(201, WaiverSchema)
    def post(self, data):
        """Waive a person's obligation for a period, with a reason (discipline roles; 409 if
        already waived)."""
        require("obligations.waive")
        waiver = create_waiver(db.session, data, current_user.id)
        db.session.commit()
        return waiver


@blp.route("/obligations/rules")
class Rules(MethodView):
    @blp.response(200, RulesSchema)
    def get(self):
        """The obligation rules (SPEC §6 defaults unless changed)."""
        require("obligations.rules.read")
        return get_obligation_settings(db.session)

    @blp.arguments(RulesSchema(partial=True))
    @blp.response(200, RulesSchema)
    def put(self, data):
        """Change any part of the rules (admin, discipline secretary; validated as a whole)."""
        require("obligations.rules.write")
        result = update_obligation_settings(db.session, data)
        db.session.commit()
        return result
