"""Marshmallow schemas of the rectification API (field names are the public contract,
SPEC §14 and §10)."""

from __future__ import annotations

from flask_babel import gettext as _
from marshmallow import ValidationError, fields, post_dump, validate

from supervision.common import clock
from supervision.common.api import BaseSchema, Id, LocalDateTime, labelled, one_line, text
from supervision.rectification.labels import (
    EVIDENCE_OBJECT_LABELS,
    FINDING_STATUS_LABELS,
    FINDING_TERM_LABELS,
    INSPECTION_STATUS_LABELS,
    MEASURE_STATUS_LABELS,
)
from supervision.rectification.models import (
    DEFAULT_CATEGORIES,
    EVIDENCE_OBJECT_TYPES,
    FINDING_STATUSES,
    FINDING_TERMS,
    INSPECTION_STATUSES,
)


def _plausible(value) -> None:
    if not 1950 <= value.year <= 2100:
        raise ValidationError(_("Must be between the years 1950 and 2100."))


def _date(**kwargs) -> fields.Date:
    return fields.Date(allow_none=True, validate=_plausible, **kwargs)


class NarrativeParagraphSchema(BaseSchema):
    heading = fields.Str(validate=text(200))
    body = fields.Str(required=True, validate=text(20000, min_len=1))


class NarrativeSchema(BaseSchema):
    """The notice's sections 一 (党委履行整改主体责任情况) and 四 (下一步工作打算)."""

    duty = fields.List(fields.Nested(NarrativeParagraphSchema), validate=validate.Length(max=50))
    next_steps = fields.List(
        fields.Nested(NarrativeParagraphSchema), validate=validate.Length(max=50)
    )


class InspectionWriteSchema(BaseSchema):
    """An inspection as sent in POST (name, inspector, org_unit_id and feedback_on required)
    and PATCH."""

    name = fields.Str(
        required=True, validate=one_line(200), metadata={"example": "十五届市委第五轮巡察"}
    )
    inspector = fields.Str(
        required=True, validate=one_line(200), metadata={"example": "市委第八巡察组"}
    )
    org_unit_id = Id(required=True, metadata={"description": "the inspected unit"})
    onsite_from = _date()
    onsite_to = _date()
    feedback_on = fields.Date(required=True, validate=_plausible)
    deadline = _date(metadata={"description": "集中整改期限; default feedback_on + 90 days"})
    leader_person_id = Id(allow_none=True, metadata={"description": "整改第一责任人"})
    narrative = fields.Nested(NarrativeSchema)
    publish_from = _date()
    publish_to = _date()
    contact = fields.Str(
        validate=text(2000), metadata={"description": "联系电话、邮政信箱、电子邮箱"}
    )
    status = fields.Str(
        validate=validate.OneOf(INSPECTION_STATUSES),
        metadata=labelled(INSPECTION_STATUS_LABELS, "moves only forward"),
    )


class InspectionSchema(BaseSchema):
    id = fields.Int()
    name = fields.Str()
    inspector = fields.Str()
    org_unit_id = fields.Int()
    onsite_from = fields.Date(allow_none=True)
    onsite_to = fields.Date(allow_none=True)
    feedback_on = fields.Date()
    deadline = fields.Date()
    leader_person_id = fields.Int(allow_none=True)
    narrative = fields.Dict()
    publish_from = fields.Date(allow_none=True)
    publish_to = fields.Date(allow_none=True)
    contact = fields.Str()
    status = fields.Str(metadata=labelled(INSPECTION_STATUS_LABELS))
    created_at = LocalDateTime()
    updated_at = LocalDateTime()


class InspectionSummaryQuery(BaseSchema):
    as_of = fields.Date(metadata={"description": "default: today (local)"})


class _InspectionFigures(BaseSchema):
    findings = fields.Int()
    by_status = fields.Dict(keys=fields.Str(), values=fields.Int())
    long_term = fields.Int()
    overdue_findings = fields.Int()
    measures = fields.Int()
    measures_done = fields.Int()
    overdue_measures = fields.Int()


class InspectionUnitFiguresSchema(_InspectionFigures):
    lead_unit_id = fields.Int(allow_none=True)
    lead_unit_name = fields.Str(allow_none=True)


class InspectionSummarySchema(_InspectionFigures):
    inspection_id = fields.Int()
    as_of = fields.Str()
    units = fields.List(fields.Nested(InspectionUnitFiguresSchema))


class FindingWriteSchema(BaseSchema):
    """A finding as sent in POST (category and title required) and PATCH."""

    category = fields.Str(
        required=True,
        validate=one_line(200),
        metadata={"description": "the focus area, e.g. " + "; ".join(DEFAULT_CATEGORIES)},
    )
    theme = fields.Str(validate=text(200), metadata={"description": "the sub-heading"})
    number = Id(allow_none=True, metadata={"description": "1…N in the inspection; default next"})
    title = fields.Str(required=True, validate=one_line(200))
    description = fields.Str(validate=text(20000))
    responsible_leader_id = Id(allow_none=True, metadata={"description": "分管局领导"})
    lead_unit_id = Id(allow_none=True, metadata={"description": "牵头责任部门"})
    term = fields.Str(
        validate=validate.OneOf(FINDING_TERMS), metadata=labelled(FINDING_TERM_LABELS)
    )
    deadline = _date(metadata={"description": "default the inspection's; none for long_term"})


class FindingQuery(BaseSchema):
    category = fields.Str(validate=validate.Length(max=200))
    lead_unit_id = Id()
    status = fields.Str(validate=validate.OneOf(FINDING_STATUSES))
    term = fields.Str(validate=validate.OneOf(FINDING_TERMS))
    overdue = fields.Boolean(metadata={"description": "past the deadline as of `as_of`"})
    as_of = fields.Date(metadata={"description": "default: today (local)"})


class MeasureEvidenceSchema(BaseSchema):
    id = fields.Int()
    kind = fields.Str(metadata={"enum": ["file", "link"]})
    filename = fields.Str(allow_none=True)
    content_type = fields.Str(allow_none=True)
    size = fields.Int(allow_none=True)
    object_type = fields.Str(allow_none=True, metadata=labelled(EVIDENCE_OBJECT_LABELS))
    object_id = fields.Int(allow_none=True)
    note = fields.Str()
    created_at = LocalDateTime()
    created_by_id = fields.Int(allow_none=True)


def _overdue_measure(measure) -> bool:
    return (
        measure.status != "done" and measure.due_on is not None and measure.due_on < clock.today()
    )


class RectificationMeasureSchema(BaseSchema):
    id = fields.Int()
    finding_id = fields.Int()
    number = fields.Int()
    description = fields.Str()
    owner_unit_id = fields.Int(allow_none=True)
    owner_person_id = fields.Int(allow_none=True)
    due_on = fields.Date(allow_none=True)
    due_reason = fields.Str()
    status = fields.Str(metadata=labelled(MEASURE_STATUS_LABELS))
    done_on = fields.Date(allow_none=True)
    result = fields.Str(metadata={"description": "整改成效"})
    overdue = fields.Function(_overdue_measure, metadata={"type": "boolean"})
    evidence = fields.List(fields.Nested(MeasureEvidenceSchema))


class RectificationMeasureWriteSchema(BaseSchema):
    """A measure as sent in POST (description required) and PATCH (owners and leaders may
    change only `result`)."""

    number = Id(allow_none=True, metadata={"description": "default: the next"})
    description = fields.Str(required=True, validate=text(20000, min_len=1))
    owner_unit_id = Id(allow_none=True)
    owner_person_id = Id(allow_none=True)
    due_on = _date(metadata={"description": "default the finding's deadline"})
    due_reason = fields.Str(
        validate=text(2000),
        metadata={"description": "required when due after the finding's deadline"},
    )
    result = fields.Str(validate=text(5000))


class MeasureDoneSchema(BaseSchema):
    done_on = _date(metadata={"description": "default: today"})
    result = fields.Str(validate=text(5000), metadata={"description": "整改成效"})


class EvidenceLinkSchema(BaseSchema):
    """Evidence as a link (JSON); a file is sent as multipart (`file`, `note`)."""

    object_type = fields.Str(
        required=True,
        validate=validate.OneOf(EVIDENCE_OBJECT_TYPES),
        metadata=labelled(EVIDENCE_OBJECT_LABELS),
    )
    object_id = Id(required=True)
    note = fields.Str(validate=text(2000))


class FindingNoteWriteSchema(BaseSchema):
    text = fields.Str(required=True, validate=text(5000, min_len=1))
    noted_on = _date(metadata={"description": "default: today"})


class FindingNoteSchema(BaseSchema):
    id = fields.Int()
    noted_on = fields.Date()
    text = fields.Str()
    author_id = fields.Int(allow_none=True)
    created_at = LocalDateTime()


class CompletionRequestSchema(BaseSchema):
    summary = fields.Str(required=True, validate=text(5000, min_len=1))


class FindingCommentSchema(BaseSchema):
    comment = fields.Str(required=True, validate=text(2000, min_len=1))


class FindingHistorySchema(BaseSchema):
    at = LocalDateTime()
    actor_name = fields.Str()
    action = fields.Str()
    status_from = fields.Str(allow_none=True)
    status_to = fields.Str(allow_none=True)
    text = fields.Str(allow_none=True)


class FindingSummarySchema(BaseSchema):
    """A finding in a list. `completion_summary` and `review_comment` are null for callers
    who see it only as the owner of one of its measures."""

    id = fields.Int()
    inspection_id = fields.Int()
    category = fields.Str()
    theme = fields.Str()
    number = fields.Int()
    title = fields.Str()
    description = fields.Str()
    responsible_leader_id = fields.Int(allow_none=True)
    lead_unit_id = fields.Int(allow_none=True)
    term = fields.Str(metadata=labelled(FINDING_TERM_LABELS))
    deadline = fields.Date(allow_none=True)
    status = fields.Str(metadata=labelled(FINDING_STATUS_LABELS))
    overdue = fields.Function(
        lambda f: f.status != "completed" and f.deadline is not None and f.deadline < clock.today(),
        metadata={"type": "boolean", "description": "past its deadline today (local)"},
    )
    completion_summary = fields.Str(allow_none=True)
    completion_requested_at = LocalDateTime(allow_none=True)
    completed_on = fields.Date(allow_none=True)
    completed_by_id = fields.Int(allow_none=True)
    review_comment = fields.Str(allow_none=True)
    created_at = LocalDateTime()
    updated_at = LocalDateTime()

    #: What an owner-only reader does not get.
    HIDDEN = ("completion_summary", "review_comment")

    @post_dump(pass_original=True)
    def _hide(self, data: dict, finding, **kwargs) -> dict:
        if not getattr(finding, "read_in_full", False):
            for key in self.HIDDEN:
                if key in data:
                    data[key] = None
        return data


class FindingSchema(FindingSummarySchema):
    """One finding with its measures (only one's own for an owner), its notes and its
    workflow history (null for an owner)."""

    measures = fields.List(fields.Nested(RectificationMeasureSchema), attribute="shown_measures")
    notes = fields.List(fields.Nested(FindingNoteSchema), allow_none=True)
    history = fields.List(fields.Nested(FindingHistorySchema), allow_none=True)

    HIDDEN = ("completion_summary", "review_comment", "notes", "history")
