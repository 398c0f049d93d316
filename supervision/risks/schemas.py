"""Marshmallow schemas of the risk API (field names are the public contract, SPEC §5 and §10)."""

from __future__ import annotations

from flask import g
from marshmallow import fields, validate

from supervision.common.api import BaseSchema, Id, LocalDateTime, labelled, one_line, text
from supervision.extensions import db
from supervision.risks import rules
from supervision.risks.labels import RISK_STATUS_LABELS, UNIT_STATE_LABELS
from supervision.risks.settings import get_risk_settings


def current_settings() -> rules.RiskSettings:
    """The risk settings, read once per request (levels are computed under them)."""
    if "risk_settings" not in g:
        g.risk_settings = get_risk_settings(db.session)
    return g.risk_settings


class RiskMeasureSchema(BaseSchema):
    id = Id(
        metadata={
            "description": "in a PATCH: the measure of this point to update; "
            "leave out for a new measure"
        }
    )
    description = fields.Str(required=True, validate=text(2000, min_len=1))
    owner_id = Id(allow_none=True, metadata={"description": "a person"})
    due_on = fields.Date(allow_none=True)
    status = fields.Str(
        validate=validate.OneOf(("open", "done")),
        metadata={"description": "open (default) or done"},
    )
    done_on = fields.Date(dump_only=True, metadata={"description": "set when marked done"})


class RiskPointSchema(BaseSchema):
    id = fields.Int(dump_only=True)
    org_unit_id = Id(required=True)
    post_id = Id(allow_none=True, metadata={"description": "null for a unit-wide risk"})
    title = fields.Str(required=True, validate=one_line(300), metadata={"description": "风险点"})
    manifestation = fields.Str(validate=text(5000), metadata={"description": "表现形式"})
    category = fields.Str(required=True, validate=validate.OneOf(rules.CATEGORIES))
    likelihood = fields.Int(required=True, strict=True, validate=validate.Range(min=1, max=5))
    impact = fields.Int(required=True, strict=True, validate=validate.Range(min=1, max=5))
    score = fields.Function(
        lambda p: rules.score(p.likelihood, p.impact),
        dump_only=True,
        metadata={"type": "integer", "description": "likelihood × impact"},
    )
    level = fields.Function(
        lambda p: rules.level(p.likelihood, p.impact, current_settings()),
        dump_only=True,
        metadata={
            "type": "string",
            "enum": list(rules.LEVELS),
            "description": "under the current settings",
        },
    )
    responsible_leader_id = Id(allow_none=True, metadata={"description": "责任领导 (a person)"})
    department_owner_id = Id(allow_none=True, metadata={"description": "部门负责人 (a person)"})
    last_reviewed_on = fields.Date(allow_none=True)
    review_due_on = fields.Date(dump_only=True)
    status = fields.Str(dump_only=True, metadata=labelled(RISK_STATUS_LABELS))
    return_comment = fields.Str(dump_only=True)
    version = fields.Int(dump_only=True)
    campaign_id = fields.Int(dump_only=True, allow_none=True)
    measures = fields.List(
        fields.Nested(RiskMeasureSchema),
        metadata={
            "description": "in a PATCH, the full new list: items with an id update that measure, "
            "items without one are new, measures left out are removed"
        },
    )
    created_at = LocalDateTime(dump_only=True)
    updated_at = LocalDateTime(dump_only=True)


class RiskPointQuery(BaseSchema):
    org_unit_id = Id(metadata={"description": "the unit and its subtree"})
    post_id = Id()
    level = fields.Str(validate=validate.OneOf(rules.LEVELS))
    category = fields.Str(validate=validate.OneOf(rules.CATEGORIES))
    status = fields.Str(
        validate=validate.OneOf(rules.STATUSES),
        metadata={"description": "without it, retired points are left out"},
    )
    likelihood = fields.Int(validate=validate.Range(min=1, max=5))
    impact = fields.Int(validate=validate.Range(min=1, max=5))
    q = fields.Str(
        validate=validate.Length(max=200),
        metadata={"description": "search in title and manifestation"},
    )


class RiskCampaignRefSchema(BaseSchema):
    campaign_id = Id(metadata={"description": "default: the open campaign, if any"})


class RiskReturnSchema(RiskCampaignRefSchema):
    comment = fields.Str(required=True, validate=text(5000, min_len=1))


class RiskCampaignSchema(BaseSchema):
    id = fields.Int(dump_only=True)
    name = fields.Str(required=True, validate=one_line(200))
    year = fields.Int(required=True, strict=True, validate=validate.Range(min=2000, max=2100))
    deadline = fields.Date(required=True)
    status = fields.Str(dump_only=True, metadata={"enum": ["open", "closed"]})
    closed_at = LocalDateTime(dump_only=True, allow_none=True)
    created_at = LocalDateTime(dump_only=True)


class RiskCampaignQuery(BaseSchema):
    status = fields.Str(validate=validate.OneOf(("open", "closed")))
    year = fields.Int(validate=validate.Range(min=2000, max=2100))


class RiskUnitCountsSchema(BaseSchema):
    current = fields.Int(metadata={"description": "points not retired"})
    submitted = fields.Int(metadata={"description": "submitted to this campaign, awaiting review"})
    approved = fields.Int(metadata={"description": "approved in this campaign"})
    returned = fields.Int(metadata={"description": "returned in this campaign"})
    draft = fields.Int()


class RiskCampaignUnitSchema(BaseSchema):
    org_unit_id = fields.Int()
    org_unit_name = fields.Str()
    state = fields.Str(metadata=labelled(UNIT_STATE_LABELS))
    counts = fields.Nested(RiskUnitCountsSchema)


class RiskCampaignUnitQuery(BaseSchema):
    state = fields.Str(validate=validate.OneOf(rules.UNIT_STATES))


class RiskSettingsSchema(BaseSchema):
    high_min_score = fields.Int(strict=True, metadata={"description": "一级 from this score (15)"})
    medium_min_score = fields.Int(strict=True, metadata={"description": "二级 from this score (8)"})
    review_days = fields.Int(strict=True, metadata={"description": "review cycle in days (365)"})
    high_review_days = fields.Int(
        strict=True, metadata={"description": "review cycle of a high risk (180)"}
    )
