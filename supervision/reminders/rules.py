"""Pure rules of the reminder ladder (SPEC §8): when each step falls, on the working-day
calendar, at the configured local time.

Standard library only (plus the pure supervision.common.workdays); dates are parameters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from supervision.common.workdays import WorkCalendar

DEFAULT_SETTINGS: dict = {
    #: `upcoming`: this many working days before the due date → the conductor.
    "upcoming_working_days": 5,
    #: `overdue`: this many working days after the due date → conductor and members.
    "overdue_working_days": 1,
    #: `escalated`: this many working days after the due date → secretary and the unit's
    #: supervising leader; the obligation is listed in the period's report (通报).
    "escalated_working_days": 10,
    #: Risk points and measures: `review_upcoming` this many working days before the date.
    "review_upcoming_working_days": 10,
    #: `review_overdue`: this many working days after the date.
    "review_overdue_working_days": 1,
    #: Local time of day of every step and of the weekly digest.
    "send_at": "09:00",
    #: A step whose instant lies more than this many days before the sweep (the first sweep
    #: of a new installation, one after a long outage) goes to the inbox without e-mail.
    "mail_backlog_days": 7,
    "email_enabled": True,
    "digest_enabled": True,
}
BOUNDS = {
    "upcoming_working_days": (1, 60),
    "overdue_working_days": (1, 60),
    "escalated_working_days": (1, 120),
    "review_upcoming_working_days": (1, 60),
    "review_overdue_working_days": (1, 60),
    "mail_backlog_days": (1, 365),
}
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

# Validation messages (translated by the caller; this module imports no translation).
BAD_NUMBER = "Must be a whole number from {low} to {high}."
BAD_TIME = "Must be a time of day as HH:MM."
BAD_BOOL = "Must be true or false."
BAD_ORDER = "Escalation must come after the overdue step."


def validate_settings(values: Mapping) -> dict[str, list[str]]:
    """Field -> messages for a whole settings document (empty when valid)."""
    errors: dict[str, list[str]] = {}
    for field, (low, high) in BOUNDS.items():
        value = values.get(field)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors[field] = [BAD_NUMBER.format(low=low, high=high)]
    if not isinstance(values.get("send_at"), str) or not _TIME.match(values["send_at"]):
        errors["send_at"] = [BAD_TIME]
    for field in ("email_enabled", "digest_enabled"):
        if not isinstance(values.get(field), bool):
            errors[field] = [BAD_BOOL]
    if not errors and values["escalated_working_days"] <= values["overdue_working_days"]:
        errors["escalated_working_days"] = [BAD_ORDER]
    return errors


def is_backlog(step_on: datetime, now: datetime, settings: Mapping) -> bool:
    """Whether a step's instant lies more than the backlog window before `now` (its
    notification then gets no e-mail)."""
    return step_on < now - timedelta(days=settings["mail_backlog_days"])


def send_time(settings: Mapping) -> time:
    """The local time of day of the steps."""
    hours, minutes = settings["send_at"].split(":")
    return time(int(hours), int(minutes))


def instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`day` at the local time `at`, as an aware datetime in `zone`."""
    return datetime.combine(day, at, tzinfo=zone)


def obligation_steps(
    due: date, calendar: WorkCalendar, settings: Mapping
) -> list[tuple[str, date]]:
    """(step, local date) of an obligation's ladder, in order.

    Due Tue 2025-09-30 → upcoming Wed 2025-09-24 (Sun 09-28 is a working day); due Wed
    2025-12-31 → overdue Sun 2026-01-04, escalated Thu 2026-01-15 (SPEC §8).
    """
    return [
        ("upcoming", calendar.working_days_before(due, settings["upcoming_working_days"])),
        ("overdue", calendar.working_days_after(due, settings["overdue_working_days"])),
        ("escalated", calendar.working_days_after(due, settings["escalated_working_days"])),
    ]


def review_steps(due: date, calendar: WorkCalendar, settings: Mapping) -> list[tuple[str, date]]:
    """(step, local date) of a risk point's review or a measure's due date."""
    return [
        (
            "review_upcoming",
            calendar.working_days_before(due, settings["review_upcoming_working_days"]),
        ),
        (
            "review_overdue",
            calendar.working_days_after(due, settings["review_overdue_working_days"]),
        ),
    ]


def rotation_steps(
    due_on: date, upcoming_days: int, calendar: WorkCalendar
) -> list[tuple[str, date]]:
    """(step, local date): `rotation_upcoming` on the first working day from the day the
    person becomes upcoming, `rotation_due` on the first working day from the due date."""
    return [
        ("rotation_upcoming", calendar.next_workday(due_on - timedelta(days=upcoming_days))),
        ("rotation_due", calendar.next_workday(due_on)),
    ]


def first_workday_of_week(day: date, calendar: WorkCalendar) -> date | None:
    """The first working day of `day`'s ISO week (Monday to Sunday), or None if it has none."""
    monday = day - timedelta(days=day.weekday())
    for offset in range(7):
        candidate = monday + timedelta(days=offset)
        if calendar.is_workday(candidate):
            return candidate
    return None


def iso_week(day: date) -> str:
    """The ISO week of `day`, e.g. "2026-W48" (the digest's period)."""
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"
