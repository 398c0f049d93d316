"""Marshmallow schemas of the calendar API (SPEC §10)."""

from __future__ import annotations

from marshmallow import fields, validate

from supervision.calendar.models import DAY_SOURCES
from supervision.calendar.services import MAX_YEAR, MIN_YEAR, NOTE_MAX
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
            "(no data for the year: Monday–Friday)"
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
