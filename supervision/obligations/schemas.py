"""Marshmallow schemas of the obligations API (SPEC §6, §10)."""

from __future__ import annotations

from marshmallow import fields, validate

from supervision.common.api import BaseSchema, Id, LocalDateTime, labelled, text
from supervision.common.periods import KINDS
from supervision.obligations import rules
from supervision.obligations.labels import OBLIGATION_STATUS_LABELS
from supervision.talks.labels import TALK_TYPE_LABELS


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
