"""Marshmallow schemas of the talk API (field names are the public contract, SPEC §6 and §10)."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError, fields, post_dump, validate

from supervision.common.api import BaseSchema, Id, LocalDateTime, labelled, text
from supervision.common.periods import Period
from supervision.talks.labels import ATTACHMENT_KIND_LABELS, TALK_STATUS_LABELS, TALK_TYPE_LABELS
from supervision.talks.models import TALK_TYPES
from supervision.talks.permissions import contents_visible
from supervision.talks.services import ATTACHMENT_KINDS

STATUSES = ("draft", "final")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def _one_line(value: str) -> None:
    if _CONTROL.search(value):
        raise ValidationError(_("Contains control characters."))


def _plausible_year(value) -> None:
    # Checked on the year alone: converting an absurd instant to UTC could overflow.
    if not 1950 <= value.year <= 2100:
        raise ValidationError(_("Must be between the years 1950 and 2100."))


def _period(value: str) -> None:
    try:
        Period.parse(value)
    except ValueError:
        raise ValidationError(
            _("Invalid period: expected YYYY, YYYYQn (n = 1–4) or YYYYHn (n = 1–2).")
        ) from None


def _instant(**kwargs) -> fields.AwareDateTime:
    return fields.AwareDateTime(format="iso", allow_none=True, validate=_plausible_year, **kwargs)


class TalkWriteSchema(BaseSchema):
    """A talk as sent in POST (`type`, `interviewee_id` and `held_at` required; the rest may
    wait until the talk is final) and PATCH."""

    type = fields.Str(required=True, validate=validate.OneOf(TALK_TYPES))
    held_at = _instant(
        metadata={"description": "ISO 8601 with offset, e.g. 2025-07-01T09:30:00+08:00"}
    )
    location = fields.Str(allow_none=True, validate=[validate.Length(max=200), _one_line])
    interviewee_id = Id(allow_none=True, metadata={"description": "被谈话人 (a person)"})
    interviewer_ids = fields.List(
        Id(),
        allow_none=True,
        validate=validate.Length(max=20),
        metadata={"description": "谈话人 (people), in order; in a PATCH the full new list"},
    )
    recorder_id = Id(allow_none=True, metadata={"description": "记录人 (a person)"})
    reason = fields.Str(allow_none=True, validate=text(2000), metadata={"description": "谈话事由"})
    content = fields.Str(
        allow_none=True, validate=text(50000), metadata={"description": "谈话内容 (confidential)"}
    )
    response = fields.Str(
        allow_none=True, validate=text(20000), metadata={"description": "本人表态 (confidential)"}
    )
    follow_up = fields.Str(
        allow_none=True, validate=text(5000), metadata={"description": "整改要求"}
    )
    period = fields.Str(
        allow_none=True,
        validate=[validate.Length(max=16), _period],
        metadata={
            "description": "the obligation period fulfilled (2025Q3 / 2025H2 / 2025 by type); "
            "default "
            "the period of the talk's local date; an earlier one makes a make-up talk "
            "(补谈), a later one is refused; null for types without an obligation"
        },
    )
    reported_to_higher_at = _instant(
        metadata={"description": "admonishments: reported to the higher-level committee"}
    )


class TalkSignatureSchema(BaseSchema):
    person_id = fields.Int()
    role = fields.Str(metadata={"enum": ["interviewee", "interviewer"]})
    signed_at = LocalDateTime()


class TalkAttachmentSchema(BaseSchema):
    id = fields.Int()
    kind = fields.Str(metadata=labelled(ATTACHMENT_KIND_LABELS))
    filename = fields.Str()
    content_type = fields.Str(metadata={"enum": ["application/pdf", "image/jpeg", "image/png"]})
    size = fields.Int(metadata={"description": "bytes"})
    uploaded_at = LocalDateTime()


class TalkSummarySchema(BaseSchema):
    """A talk in a list: never its content, response or attachments."""

    id = fields.Int()
    type = fields.Str(metadata=labelled(TALK_TYPE_LABELS))
    status = fields.Str(metadata=labelled(TALK_STATUS_LABELS))
    held_at = LocalDateTime(allow_none=True)
    location = fields.Str()
    interviewee_id = fields.Int(allow_none=True)
    interviewer_ids = fields.Function(
        lambda t: [i.person_id for i in t.interviewers],
        metadata={"type": "array", "items": {"type": "integer"}},
    )
    recorder_id = fields.Int(allow_none=True)
    reason = fields.Str()
    follow_up = fields.Str()
    period = fields.Str(allow_none=True)
    reported_to_higher_at = LocalDateTime(allow_none=True)
    signatures = fields.List(fields.Nested(TalkSignatureSchema))
    revision_of_id = fields.Int(allow_none=True, metadata={"description": "the talk this corrects"})
    revised_by_id = fields.Function(
        lambda t: getattr(t, "revised_by_id", None),
        metadata={
            "type": "integer",
            "nullable": True,
            "description": "the newest revision correcting this talk, if any",
        },
    )
    finalized_at = LocalDateTime(allow_none=True)
    created_at = LocalDateTime()
    updated_at = LocalDateTime()


class TalkSchema(TalkSummarySchema):
    """One talk. `content`, `response` and `attachments` are null for callers who may not
    read them (HR, admins: SPEC §4)."""

    content = fields.Str(allow_none=True)
    response = fields.Str(allow_none=True)
    attachments = fields.List(fields.Nested(TalkAttachmentSchema), allow_none=True)

    @post_dump(pass_original=True)
    def _hide_contents(self, data: dict, talk, **kwargs) -> dict:
        if not contents_visible(current_user, talk):
            data["content"] = data["response"] = data["attachments"] = None
        return data


class TalkQuery(BaseSchema):
    interviewee_id = Id()
    type = fields.Str(validate=validate.OneOf(TALK_TYPES))
    period = fields.Str(validate=[validate.Length(max=16), _period])
    status = fields.Str(validate=validate.OneOf(STATUSES))
    held_from = fields.Date(metadata={"description": "local date, inclusive"})
    held_to = fields.Date(metadata={"description": "local date, inclusive"})


class AttachmentUploadSchema(BaseSchema):
    """The multipart form of an attachment upload."""

    file = fields.Raw(
        metadata={
            "type": "string",
            "format": "binary",
            "description": "PDF, JPEG or PNG (checked by content), at most 10 MB",
        }
    )
    kind = fields.Str(
        required=True,
        validate=validate.OneOf(ATTACHMENT_KINDS),
        metadata={
            "description": "signed_form (a scanned signed record: replaces the signatures), "
            "written_explanation (书面说明/检讨), other"
        },
    )
