"""Marshmallow schemas of the calendar API (SPEC §10)."""

from __future__ import annotations

from marshmallow import fields, validate

from supervision.calendar.models import DAY_SOURCES
from supervision.calendar.services import MAX_YEAR, MIN_YEAR, NOTE_MAX, NOTICE_MAX
from supervision.common.api import BaseSchema


class CalendarDaySchema(BaseSchema):
    """One day of the calendar."""

    date = fields.Date(dump_only=True)
    is_workday = fields.Bool(dump_only=True)
    note = fields.Str(dump_only=True)
    source = fields.Str(
        dump_only=True,
        validate=validate.OneOf(DAY_SOURCES),
        metadata={
            "description": "library, admin (edited by hand) or fallback "
            "(no official data for the year: Monday–Friday minus the statutory holidays "
            "computed in "
            "advance, without the adjusted working days)"
        },
    )


class CalendarYearQuery(BaseSchema):
    """Query of GET /calendar/days."""

    year = fields.Int(
        required=True,
        strict=False,
        validate=validate.Range(min=MIN_YEAR, max=MAX_YEAR),
        metadata={"description": f"the calendar year ({MIN_YEAR}–{MAX_YEAR})"},
    )


class CalendarDayUpdateSchema(BaseSchema):
    """Body of PUT /calendar/days/{date}."""

    is_workday = fields.Bool(
        required=True,
        truthy={True},
        falsy={False},
        metadata={"description": "true for a working day, false for a day off"},
    )
    note = fields.Str(
        load_default="",
        allow_none=True,
        validate=validate.Length(max=NOTE_MAX),
        metadata={"description": "e.g. the holiday's name"},
    )


class NoticeSchema(BaseSchema):
    """Body of POST /calendar/notices."""

    year = fields.Int(
        required=True,
        strict=True,
        validate=validate.Range(min=MIN_YEAR, max=MAX_YEAR),
        metadata={"description": "the year the notice is for"},
    )
    text = fields.Str(
        required=True,
        validate=validate.Length(min=1, max=NOTICE_MAX),
        metadata={"description": "the notice's text (国务院办公厅关于YYYY年部分节假日安排的通知)"},
    )
    apply = fields.Bool(
        load_default=False,
        truthy={True},
        falsy={False},
        metadata={"description": "false: only parse and preview; true: also write the days"},
    )


class NoticeChangeSchema(BaseSchema):
    """A day the notice changes."""

    date = fields.Date(dump_only=True)
    is_workday = fields.Bool(dump_only=True)
    note = fields.Str(dump_only=True)


class NoticeResultSchema(BaseSchema):
    """Answer of POST /calendar/notices."""

    year = fields.Int(dump_only=True)
    holidays = fields.List(fields.Date(), dump_only=True, metadata={"description": "days off"})
    workdays = fields.List(
        fields.Date(), dump_only=True, metadata={"description": "adjusted working days (调休)"}
    )
    changes = fields.List(
        fields.Nested(NoticeChangeSchema),
        dump_only=True,
        metadata={"description": "days whose working/off status or note changes"},
    )
