"""Marshmallow schemas of the rotation API (field names are the public contract, SPEC §7, §10).

Bounds of the policy settings and the rules of deferrals, holds and plans are checked by the
services (supervision.rotation.{policy,services,plans}); the schemas check types, formats and
lengths, and reject unknown fields.
"""

from __future__ import annotations

from flask_babel import gettext as _
from marshmallow import ValidationError, fields, validate

from supervision.common import clock
from supervision.common.api import BaseSchema, Id, LocalDateTime, labelled, one_line, text
from supervision.org.labels import PERSONNEL_TYPE_LABELS, POST_CATEGORY_LABELS
from supervision.org.models import PERSONNEL_TYPES, POST_CATEGORIES
from supervision.rotation import plans, rules
from supervision.rotation.labels import (
    PLAN_PROBLEM_LABELS,
    PLAN_STATUS_LABELS,
    ROTATION_REASON_LABELS,
    ROTATION_STATUS_LABELS,
)
from supervision.rotation.models import PLAN_STATUSES
from supervision.rotation.services import MAX_MINUTES_NO, MAX_REASON

#: Dates outside these years are typing mistakes; they are refused before any date
#: arithmetic could overflow (a plan's "day before" 0001-01-01).
MIN_YEAR, MAX_YEAR = 1950, 2100


def _plausible(value) -> None:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValidationError(_("Must be between the years 1950 and 2100."))


def _date(**kwargs) -> fields.Date:
    """A date field (YYYY-MM-DD) within MIN_YEAR..MAX_YEAR."""
    return fields.Date(validate=_plausible, **kwargs)


def _setting(field: str, description: str) -> fields.Int:
    low, high = rules.BOUNDS[field]
    return fields.Int(
        strict=True,
        metadata={
            "description": f"{description} (default {rules.DEFAULT_POLICY[field]})",
            "minimum": low,
            "maximum": high,
        },
    )


# ------------------------------------------------------------------ policy


class PolicySchema(BaseSchema):
    """The rotation policy; a PUT may send any subset (validated as a whole)."""

    police_years = _setting("police_years", "years for sworn police in a sensitive post")
    auxiliary_years = _setting("auxiliary_years", "years for auxiliary police in a sensitive post")
    leader_years = _setting("leader_years", "years in the same leadership position")
    tenure_mode = fields.Str(
        metadata={
            "enum": list(rules.TENURE_MODES),
            "description": "continuous (from the latest unbroken run) or cumulative (all days)",
        }
    )
    gap_tolerance_days = _setting(
        "gap_tolerance_days", "continuous mode: a shorter gap does not break the tenure"
    )
    upcoming_days = _setting("upcoming_days", "upcoming this long before the due date")
    retirement_window_days = _setting(
        "retirement_window_days", "deferred automatically this close to retirement_date"
    )


# ------------------------------------------------------------------ eligibility


class EligibilityQuery(BaseSchema):
    as_of = _date(metadata={"description": "default: today (local)"})
    status = fields.Str(validate=validate.OneOf(rules.STATUSES))
    org_unit_id = Id(metadata={"description": "people of the unit and its subtree"})
    person_id = Id()
    post_category = fields.Str(validate=validate.OneOf(POST_CATEGORIES))
    personnel_type = fields.Str(validate=validate.OneOf(PERSONNEL_TYPES))


class EligibilityRowSchema(BaseSchema):
    person_id = fields.Int()
    post_id = fields.Int()
    tenure_start = fields.Date()
    tenure_days = fields.Int(metadata={"description": "whole days in the post before as_of"})
    threshold_years = fields.Int(
        metadata={"description": "the post's rotation_years, else the policy's"}
    )
    due_on = fields.Date(metadata={"description": "the day the threshold is (or will be) reached"})
    status = fields.Str(metadata=labelled(ROTATION_STATUS_LABELS))
    reasons = fields.List(fields.Str(metadata=labelled(ROTATION_REASON_LABELS)))
    person_name = fields.Str()
    staff_no = fields.Str()
    personnel_type = fields.Str(metadata=labelled(PERSONNEL_TYPE_LABELS))
    org_unit_id = fields.Int(metadata={"description": "the person's unit"})
    post_name = fields.Str()
    post_code = fields.Str()
    post_category = fields.Str(metadata=labelled(POST_CATEGORY_LABELS))


# ------------------------------------------------------------------ policy preview


class PolicyPreviewQuery(BaseSchema):
    as_of = _date(metadata={"description": "compare the statuses on this day (default: today)"})


class StatusChangeSchema(BaseSchema):
    from_ = fields.Str(data_key="from", attribute="from", metadata=labelled(ROTATION_STATUS_LABELS))
    to = fields.Str(metadata=labelled(ROTATION_STATUS_LABELS))
    count = fields.Int(metadata={"description": "rows (person and post) changing so"})


class UnitEffectSchema(BaseSchema):
    org_unit_id = fields.Int(metadata={"description": "the people's unit"})
    org_unit_name = fields.Str()
    due_before = fields.Int(metadata={"description": "rows due under the current policy"})
    due_after = fields.Int(metadata={"description": "rows due under the proposed policy"})
    upcoming_before = fields.Int()
    upcoming_after = fields.Int()
    changed = fields.Int(metadata={"description": "rows of the unit whose status changes"})


class ChangedRowSchema(BaseSchema):
    person_id = fields.Int()
    person_name = fields.Str()
    staff_no = fields.Str()
    org_unit_id = fields.Int()
    post_id = fields.Int()
    post_name = fields.Str()
    status_before = fields.Str(metadata=labelled(ROTATION_STATUS_LABELS))
    status_after = fields.Str(metadata=labelled(ROTATION_STATUS_LABELS))
    due_on_before = fields.Date()
    due_on_after = fields.Date()
    threshold_before = fields.Int()
    threshold_after = fields.Int()


class PolicyPreviewSchema(BaseSchema):
    """The effect of a proposed policy (nothing saved): status changes, by unit, listed."""

    as_of = fields.Date()
    current = fields.Nested(PolicySchema)
    proposed = fields.Nested(PolicySchema)
    total = fields.Int(metadata={"description": "rows (person and post) compared"})
    changed_total = fields.Int(metadata={"description": "rows whose status changes"})
    truncated = fields.Bool(metadata={"description": "true when `people` lists only the first"})
    changes = fields.List(fields.Nested(StatusChangeSchema))
    units = fields.List(fields.Nested(UnitEffectSchema))
    people = fields.List(
        fields.Nested(ChangedRowSchema), metadata={"description": "up to 500 changed rows"}
    )


# ------------------------------------------------------------------ deferrals and holds


class DeferralSchema(BaseSchema):
    id = fields.Int(dump_only=True)
    person_id = Id(required=True)
    reason = fields.Str(required=True, validate=text(MAX_REASON, min_len=1))
    meeting_date = _date(
        required=True, metadata={"description": "the committee meeting (党委研究)"}
    )
    minutes_no = fields.Str(
        required=True, validate=one_line(MAX_MINUTES_NO), metadata={"description": "会议纪要编号"}
    )
    expires_on = _date(required=True, metadata={"description": "last day in force"})
    created_at = LocalDateTime(dump_only=True)
    revoked_at = LocalDateTime(dump_only=True, allow_none=True)
    in_force = fields.Function(
        lambda d: (
            d.revoked_at is None and rules.in_force(d.meeting_date, d.expires_on, clock.today())
        ),
        dump_only=True,
        metadata={
            "type": "boolean",
            "description": "not revoked, and today is within meeting_date..expires_on",
        },
    )


class DeferralQuery(BaseSchema):
    person_id = Id()
    current = fields.Bool(
        metadata={
            "description": "true: only those in force today; false: "
            "only those not in force; default: all"
        }
    )


class HoldSchema(BaseSchema):
    id = fields.Int(dump_only=True)
    person_id = Id(required=True)
    reason = fields.Str(
        required=True,
        validate=text(MAX_REASON, min_len=1),
        metadata={"description": "confidential to the discipline roles"},
    )
    created_at = LocalDateTime(dump_only=True)
    released_at = LocalDateTime(dump_only=True, allow_none=True)


class HoldQuery(BaseSchema):
    person_id = Id()
    current = fields.Bool(
        metadata={
            "description": "true: only unreleased holds; false: only released ones; default: all"
        }
    )


# ------------------------------------------------------------------ plans


class PlanItemWriteSchema(BaseSchema):
    person_id = Id(required=True)
    from_post_id = Id(required=True, metadata={"description": "the post the person leaves"})
    to_post_id = Id(allow_none=True, metadata={"description": "may stay empty in a draft"})
    effective_date = _date(
        allow_none=True,
        metadata={"description": "first day in the new post; may stay empty in a draft"},
    )


class PlanWriteSchema(BaseSchema):
    """A plan as sent in POST (name required) and PATCH (name and/or items)."""

    name = fields.Str(required=True, validate=one_line(plans.MAX_NAME))
    items = fields.List(
        fields.Nested(PlanItemWriteSchema),
        metadata={"description": "in a PATCH, the full new list of moves"},
    )


class ProblemSchema(BaseSchema):
    field = fields.Str(
        metadata={"enum": ["person_id", "from_post_id", "to_post_id", "effective_date"]}
    )
    code = fields.Str(metadata=labelled(PLAN_PROBLEM_LABELS))
    message = fields.Str()


class PlanItemSchema(BaseSchema):
    id = fields.Int()
    person_id = fields.Int()
    person_name = fields.Str()
    from_post_id = fields.Int()
    to_post_id = fields.Int(allow_none=True)
    effective_date = fields.Date(allow_none=True)
    closed_assignment_id = fields.Int(allow_none=True, metadata={"description": "set on execution"})
    opened_assignment_id = fields.Int(allow_none=True, metadata={"description": "set on execution"})
    problems = fields.List(
        fields.Nested(ProblemSchema),
        metadata={
            "description": "what stops this move now (one plan only; empty once executed or "
            "rejected)"
        },
    )


class PlanSchema(BaseSchema):
    id = fields.Int()
    name = fields.Str()
    status = fields.Str(metadata=labelled(PLAN_STATUS_LABELS))
    items = fields.List(fields.Nested(PlanItemSchema))
    created_at = LocalDateTime()
    submitted_at = LocalDateTime(allow_none=True)
    decided_at = LocalDateTime(allow_none=True)
    meeting_date = fields.Date(allow_none=True)
    minutes_no = fields.Str(allow_none=True)
    decision_comment = fields.Str()
    executed_at = LocalDateTime(allow_none=True)


class PlanQuery(BaseSchema):
    status = fields.Str(validate=validate.OneOf(PLAN_STATUSES))


class ApproveSchema(BaseSchema):
    meeting_date = _date(required=True, metadata={"description": "the party committee meeting"})
    minutes_no = fields.Str(
        required=True, validate=one_line(64), metadata={"description": "会议纪要编号"}
    )
    comment = fields.Str(validate=text(5000))


class RejectSchema(BaseSchema):
    comment = fields.Str(
        required=True,
        validate=text(5000, min_len=1),
        metadata={"description": "why the plan is rejected"},
    )
    meeting_date = _date()
    minutes_no = fields.Str(validate=one_line(64))


class CompletionQuery(BaseSchema):
    """Which period and unit the 应轮尽轮 figures cover."""

    period = fields.Str(
        required=True,
        validate=validate.Length(max=16),
        metadata={"description": "2025, 2025H1 or 2025Q3"},
    )
    org_unit_id = Id(
        load_default=None,
        metadata={"description": "the unit and its subtree (default: everything in scope)"},
    )


class CompletionRowSchema(BaseSchema):
    """Counts of one unit (or of the total)."""

    org_unit_id = fields.Int(allow_none=True)
    org_unit_name = fields.Str(allow_none=True)
    rotated = fields.Int(metadata={"description": "people who left a post after its threshold"})
    due = fields.Int(
        metadata={
            "description": "still due at the cutoff (approved plans not executed count as due)"
        }
    )
    deferred = fields.Int(metadata={"description": "deferred, threshold reached (not in the rate)"})
    blocked = fields.Int(
        metadata={"description": "under a discipline hold, threshold reached (not in the rate)"}
    )
    rate = fields.Float(
        allow_none=True,
        metadata={"description": "rotated ÷ (rotated + due), a fraction 0–1; null when both are 0"},
    )


class CompletionPersonSchema(BaseSchema):
    """One person in one of the lists."""

    person_id = fields.Int()
    name = fields.Str()
    staff_no = fields.Str()
    org_unit_id = fields.Int()
    org_unit_name = fields.Str()
    post_id = fields.Int()
    post_name = fields.Str()
    due_on = fields.Date(metadata={"description": "the day the threshold was (or is) reached"})
    left_on = fields.Date(
        metadata={"description": "rotated people: the day after their last day in the post"}
    )


class CompletionPeopleSchema(BaseSchema):
    """The four lists."""

    rotated = fields.List(fields.Nested(CompletionPersonSchema))
    due = fields.List(fields.Nested(CompletionPersonSchema))
    deferred = fields.List(fields.Nested(CompletionPersonSchema))
    blocked = fields.List(fields.Nested(CompletionPersonSchema))


class CompletionSchema(BaseSchema):
    """The 应轮尽轮 figures of a period."""

    period = fields.Str()
    as_of = fields.Date(metadata={"description": "the cutoff: the period's end or today"})
    total = fields.Nested(
        CompletionRowSchema,
        metadata={"description": "the requested unit's subtree, or everything in scope"},
    )
    units = fields.List(
        fields.Nested(CompletionRowSchema),
        metadata={
            "description": "per direct child unit (without a unit: of the single root, else the "
            "roots)"
        },
    )
    own_unit = fields.Nested(
        CompletionRowSchema,
        allow_none=True,
        metadata={
            "description": "people attached to the broken-down unit itself rather than to a "
            "child; null when none"
        },
    )
    people = fields.Nested(CompletionPeopleSchema)
