"""The working-day calendar: sync from chinese-calendar, admin edits, the State Council's
notice, and lookups (SPEC §2).

A year is *covered* when the database holds a row for every one of its days (seeded by the
migration or synced from the library, or written by a notice import); any other day is
computed by the fallback (Monday–Friday minus the statutory holidays, `fallback.py`,
`source` fallback) and admins are warned while the current or next year is such a year.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from supervision.audit import services as audit
from supervision.calendar.fallback import fallback_day
from supervision.calendar.models import CalendarDay
from supervision.common.errors import Invalid
from supervision.common.workdays import WorkCalendar

#: Years the API and pages accept.
MIN_YEAR, MAX_YEAR = 1900, 2200
NOTE_MAX = 200
FIELDS = ("is_workday", "note", "source")


@dataclass(frozen=True)
class DayInfo:
    """One day of the calendar as shown to users: stored, or computed by the fallback."""

    date: date
    is_workday: bool
    note: str
    source: str


@dataclass(frozen=True)
class YearDays:
    """Every day of a year, and whether the year relies on the Monday–Friday fallback."""

    year: int
    days: list[DayInfo]
    #: Some days have no stored data (computed Monday–Friday).
    uncovered: bool
    #: The library has data for this year (so `calendar sync` can fill it).
    in_library: bool


@dataclass
class SyncResult:
    """What `sync` did."""

    years: list[int] = field(default_factory=list)
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_admin: int = 0

    @property
    def changed(self) -> int:
        """Rows inserted or updated."""
        return self.inserted + self.updated


def days_in_year(year: int) -> int:
    """365 or 366."""
    return 366 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 365


def _year_dates(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=i) for i in range(days_in_year(year))]


def check_year(year: int) -> int:
    """`year` if it is within the supported range, else Invalid."""
    if not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise Invalid(
            f"Year must be between {MIN_YEAR} and {MAX_YEAR}.",
            {"year": [f"Must be between {MIN_YEAR} and {MAX_YEAR}."]},
        )
    return year


# --- the library -------------------------------------------------------------------------


def library_years() -> list[int]:
    """The years chinese-calendar has official data for (e.g. 2004–2026)."""
    return list(_library_span())


@functools.cache
def _library_span() -> range:
    import chinese_calendar

    known = set(chinese_calendar.holidays) | set(chinese_calendar.workdays)
    return range(min(known).year, max(known).year + 1)


def _chinese_name(english: str | None) -> str:
    import chinese_calendar

    if not english:
        return ""
    for holiday in chinese_calendar.Holiday:
        if holiday.value == english:
            return holiday.chinese
    return english


def library_day(day: date) -> dict:
    """The library's row for one day of a covered year: date, is_workday, note, source."""
    import chinese_calendar

    workday = chinese_calendar.is_workday(day)
    _holiday, name = chinese_calendar.get_holiday_detail(day)
    note = _chinese_name(name)
    if note and workday:
        note = f"{note}调休上班"  # an adjusted working day (调休) of that holiday
    return {"date": day, "is_workday": workday, "note": note[:NOTE_MAX], "source": "library"}


def library_days(year: int) -> list[dict]:
    """The library's rows for every day of one covered year."""
    return [library_day(day) for day in _year_dates(year)]


def sync(session: Session, years: list[int] | None = None) -> SyncResult:
    """Write the library's days of `years` (default all it covers); admin rows are kept.
    Idempotent."""
    available = library_years()
    wanted = sorted(set(years)) if years is not None else available
    missing = [y for y in wanted if y not in available]
    if missing:
        raise Invalid(
            f"The calendar library has no data for {', '.join(map(str, missing))} "
            f"(it covers {available[0]}–{available[-1]}).",
            {"years": [f"Not covered by the library: {', '.join(map(str, missing))}."]},
        )
    result = SyncResult(years=wanted)
    if not wanted:
        return result
    existing = {
        row.date: row
        for row in session.execute(
            sa.select(
                CalendarDay.date, CalendarDay.is_workday, CalendarDay.note, CalendarDay.source
            ).where(CalendarDay.date.between(date(wanted[0], 1, 1), date(wanted[-1], 12, 31)))
        )
    }
    inserts, updates = [], []
    for year in wanted:
        for row in library_days(year):
            old = existing.get(row["date"])
            if old is None:
                inserts.append(row)
            elif old.source == "admin":
                result.kept_admin += 1
            elif (old.is_workday, old.note or "", old.source) != (
                row["is_workday"],
                row["note"],
                "library",
            ):
                updates.append(row)
            else:
                result.unchanged += 1
    if inserts:
        session.execute(sa.insert(CalendarDay), inserts)
    if updates:
        session.execute(sa.update(CalendarDay), updates)
    result.inserted, result.updated = len(inserts), len(updates)
    if result.changed:
        span = f"{wanted[0]}-{wanted[-1]}" if len(wanted) > 1 else str(wanted[0])
        audit.record(
            session,
            "sync",
            "calendar",
            span,
            {
                "years": [None, wanted],
                "inserted": [0, result.inserted],
                "updated": [0, result.updated],
                "kept_admin": [0, result.kept_admin],
            },
        )
    session.flush()
    return result


# --- admin edits ---------------------------------------------------------------------------


def _check_day(day: date) -> date:
    if not isinstance(day, date) or not MIN_YEAR <= day.year <= MAX_YEAR:
        raise Invalid(
            f"Dates must be between {MIN_YEAR} and {MAX_YEAR}.",
            {"date": [f"Must be between {MIN_YEAR} and {MAX_YEAR}."]},
        )
    return day


def computed_day(day: date) -> DayInfo:
    """The fallback's value of a day no row stores."""
    is_workday, note = fallback_day(day)
    return DayInfo(day, is_workday, note, "fallback")


def _info(row: CalendarDay | None, day: date) -> DayInfo:
    if row is None:
        return computed_day(day)
    return DayInfo(row.date, row.is_workday, row.note or "", row.source)


def _snapshot(info: DayInfo) -> dict:
    return {"is_workday": info.is_workday, "note": info.note, "source": info.source}


def get_day(session: Session, day: date) -> DayInfo:
    """One day: the stored row, or the Monday–Friday fallback."""
    return _info(session.get(CalendarDay, _check_day(day)), day)


def set_day(session: Session, day: date, is_workday: bool, note: str | None = "") -> DayInfo:
    """Admin edit: make `day` a working day or a day off with a note (kept by later syncs)."""
    _check_day(day)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise Invalid(
            f"The note is longer than {NOTE_MAX} characters.",
            {"note": [f"At most {NOTE_MAX} characters."]},
        )
    if not isinstance(is_workday, bool):
        raise Invalid(
            "Say whether the day is a working day.", {"is_workday": ["Must be true or false."]}
        )
    row = session.get(CalendarDay, day)
    before = _info(row, day)
    if row is None:
        row = CalendarDay(date=day, is_workday=is_workday, note=note, source="admin")
        session.add(row)
    else:
        row.is_workday, row.note, row.source = is_workday, note, "admin"
    after = _info(row, day)
    changes = audit.diff(_snapshot(before), _snapshot(after))
    if changes:
        audit.record(session, "update", "calendar_day", day.isoformat(), changes)
    session.flush()
    return after


def reset_day(session: Session, day: date) -> DayInfo:
    """Undo an admin edit: back to the library's value, or to the fallback for uncovered years."""
    _check_day(day)
    row = session.get(CalendarDay, day)
    before = _info(row, day)
    library = library_day(day) if day.year in _library_span() else None
    if library is None:
        after = computed_day(day)
        if row is not None:  # keep the row, so that a year a notice filled stays covered
            row.is_workday, row.note, row.source = after.is_workday, after.note, "fallback"
    else:
        if row is None:
            row = CalendarDay(**library)
            session.add(row)
        else:
            row.is_workday, row.note, row.source = library["is_workday"], library["note"], "library"
        after = DayInfo(day, library["is_workday"], library["note"], "library")
    changes = audit.diff(_snapshot(before), _snapshot(after))
    if changes:
        audit.record(session, "reset", "calendar_day", day.isoformat(), changes)
    session.flush()
    return after


# --- lookups -------------------------------------------------------------------------------


def list_year(session: Session, year: int) -> YearDays:
    """Every day of `year`: stored rows, and computed fallback rows where nothing is stored."""
    check_year(year)
    rows = {
        r.date: r
        for r in session.scalars(
            sa.select(CalendarDay).where(
                CalendarDay.date.between(date(year, 1, 1), date(year, 12, 31))
            )
        )
    }
    days = [_info(rows.get(d), d) for d in _year_dates(year)]
    return YearDays(year, days, uncovered=len(rows) < len(days), in_library=year in _library_span())


def covered_years(session: Session) -> list[int]:
    """The years the database holds a row for every day of."""
    year = sa.extract("year", CalendarDay.date)
    counts = session.execute(sa.select(year, sa.func.count()).group_by(year)).all()
    return sorted(int(y) for y, n in counts if n >= days_in_year(int(y)))


def is_year_uncovered(session: Session, year: int) -> bool:
    """Whether `year` relies (at least partly) on the Monday–Friday fallback: warn admins."""
    check_year(year)
    stored = session.scalar(
        sa.select(sa.func.count())
        .select_from(CalendarDay)
        .where(CalendarDay.date.between(date(year, 1, 1), date(year, 12, 31)))
    )
    return stored < days_in_year(year)


def load_calendar(session: Session, first: date, last: date, margin_days: int = 60) -> WorkCalendar:
    """A WorkCalendar for the whole years around [first, last] (± margin), in one query."""
    lo, hi = min(first, last), max(first, last)
    try:
        lo -= timedelta(days=margin_days)
    except OverflowError:
        lo = date.min
    try:
        hi += timedelta(days=margin_days)
    except OverflowError:
        hi = date.max
    rows = session.execute(
        sa.select(CalendarDay.date, CalendarDay.is_workday).where(
            CalendarDay.date.between(date(lo.year, 1, 1), date(hi.year, 12, 31))
        )
    ).all()
    days = {d: w for d, w in rows}
    per_year: dict[int, int] = {}
    for d in days:
        per_year[d.year] = per_year.get(d.year, 0) + 1
    covered = [y for y, n in per_year.items() if n >= days_in_year(y)]
    for year in range(lo.year, hi.year + 1):
        if year not in covered and MIN_YEAR <= year <= MAX_YEAR:
            for day in _year_dates(year):  # the fallback's holidays where nothing is stored
                days.setdefault(day, fallback_day(day)[0])
    return WorkCalendar(days, covered)


# --- warnings ------------------------------------------------------------------------------

#: From this day of the year on, the next year is watched too (SPEC §2: from 1 November).
WATCH_NEXT_YEAR_FROM = (11, 1)


def watched_years(today: date) -> list[int]:
    """The years whose calendar must be known by `today`: this one, and from 1 November
    the next one."""
    if (today.month, today.day) >= WATCH_NEXT_YEAR_FROM:
        return [today.year, today.year + 1]
    return [today.year]


def fallback_years(session: Session, today: date) -> list[int]:
    """The watched years that rely on the fallback: warn admins and the secretary."""
    return [
        y
        for y in watched_years(today)
        if MIN_YEAR <= y <= MAX_YEAR and is_year_uncovered(session, y)
    ]


# --- the State Council's notice ------------------------------------------------------------

#: The longest notice text accepted (the real ones have about 1,000 characters).
NOTICE_MAX = 20_000


@dataclass(frozen=True)
class NoticeResult:
    """A parsed notice: its days off and working days, and what importing it changes."""

    year: int
    holidays: list[date]
    workdays: list[date]
    #: Days whose working/off status or note would change (all of them when applied).
    changes: list[DayInfo]
    applied: bool = False


def _notice_error(exc, year: int) -> Invalid:
    from flask_babel import gettext as _

    messages = {
        "bad_date": _("“%(text)s” is not a date.", text=exc.detail),
        "weekday": _(
            "The weekday written in “%(text)s” does not match %(year)d: is this the notice "
            "of another year?",
            text=exc.detail,
            year=year,
        ),
        "bad_range": _("The range “%(text)s” is reversed or too long.", text=exc.detail),
        "both": _("These days are both days off and working days: %(days)s.", days=exc.detail),
    }
    message = messages[exc.kind]
    return Invalid(message, {"text": [message]})


def parse_notice(year: int, text: str):
    """The notice's days, checked against `year`: Invalid (with a Chinese message) for a
    text with no day, a day outside `year`, or a date or weekday that cannot be."""
    from flask_babel import gettext as _

    from supervision.calendar import notice

    check_year(year)
    if not isinstance(text, str) or len(text) > NOTICE_MAX:
        message = _("Paste the notice's text (at most %(n)d characters).", n=NOTICE_MAX)
        raise Invalid(message, {"text": [message]})
    titled = notice.title_year(text)
    if titled is not None and titled != year:
        message = _("This is the notice for %(found)d, not for %(year)d.", found=titled, year=year)
        raise Invalid(message, {"text": [message]})
    try:
        parsed = notice.parse(text, year)
    except notice.NoticeError as exc:
        raise _notice_error(exc, year) from None
    days = parsed.all_days()
    if not days:
        message = _(
            "No day was found in the text: paste the notice's arrangements "
            "(“1月1日（周四）至3日（周六）放假”, “1月4日（周日）上班”)."
        )
        raise Invalid(message, {"text": [message]})
    outside = [d.isoformat() for d in days if d.year != year]
    if outside:
        message = _("These days are not in %(year)d: %(days)s.", year=year, days="、".join(outside))
        raise Invalid(message, {"text": [message]})
    return parsed


def _notice_targets(year_days: YearDays, parsed) -> dict[date, DayInfo]:
    """The value every day of the year takes: the notice's days (admin); the days nothing
    stores yet keep the fallback's value, now stored (`source` fallback), so that the year
    is known. A statutory holiday the text does not name stays a day off: the fallback's
    holidays are all official days off (tested for 2004–2026), so a complete notice loses
    nothing and a notice pasted in part cannot turn 春节 into working days."""
    targets = {}
    for info in year_days.days:
        if info.date in parsed.holidays:
            targets[info.date] = DayInfo(info.date, False, parsed.holidays[info.date], "admin")
        elif info.date in parsed.workdays:
            targets[info.date] = DayInfo(info.date, True, parsed.workdays[info.date], "admin")
        elif info.source == "fallback":
            targets[info.date] = info
    return targets


def import_notice(session: Session, year: int, text: str, apply: bool = False) -> NoticeResult:
    """Parse the notice of `year` and say what it changes; with `apply`, write the year:
    the notice's days as admin rows (kept by syncs), the rest as the fallback has them. All
    or nothing."""
    parsed = parse_notice(year, text)
    year_days = list_year(session, year)
    current = {d.date: d for d in year_days.days}
    targets = _notice_targets(year_days, parsed)
    changes = [
        t
        for d, t in sorted(targets.items())
        if (t.is_workday, t.note) != (current[d].is_workday, current[d].note)
    ]
    if apply:
        _write_targets(session, year, targets, len(changes))
    return NoticeResult(
        year, sorted(parsed.holidays), sorted(parsed.workdays), changes, applied=apply
    )


def _write_targets(session: Session, year: int, targets: dict[date, DayInfo], changed: int):
    stored = {
        row.date: row
        for row in session.scalars(
            sa.select(CalendarDay).where(
                CalendarDay.date.between(date(year, 1, 1), date(year, 12, 31))
            )
        )
    }
    for day, target in targets.items():
        row = stored.get(day)
        if row is None:
            session.add(
                CalendarDay(
                    date=day, is_workday=target.is_workday, note=target.note, source=target.source
                )
            )
        else:
            row.is_workday, row.note, row.source = target.is_workday, target.note, target.source
    admin = sum(1 for t in targets.values() if t.source == "admin")
    audit.record(
        session,
        "import",
        "calendar",
        str(year),
        {"notice_days": [None, admin], "changed": [None, changed]},
    )
    session.flush()
