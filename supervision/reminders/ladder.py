"""The reminder ladder over the data (SPEC §8): every step of every open item, with its
recipients, computed set-based.

Open items, as of today:
- talk obligations `pending` or `overdue` of the current period and the two before it of
  each frequency (older open obligations are the reports' business, not reminders'):
  `upcoming` → the conductor; `overdue` → the conductor and the discipline members;
  `escalated` → the discipline secretary and the supervising leader of the person's unit
  (the nearest unit up the tree that names one). A final talk closes the obligation and so
  stops the ladder;
- rotation rows `not_due`, `upcoming` or `due` (blocked, planned and deferred people are
  not chased): `rotation_upcoming` and `rotation_due` → every HR user's person;
- risk points not retired with a `review_due_on`: `review_upcoming` and `review_overdue`
  → the department owner; open measures with a due date → their owner, likewise.

Statements: the settings, the calendar, one engine run per obligation period (each a
bounded number), one eligibility run, the risk points, the measures, the role holders and
the units: a fixed number whatever the number of people.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from supervision.auth.queries import people_holding
from supervision.calendar.models import CalendarDay
from supervision.calendar.services import load_calendar
from supervision.common import clock
from supervision.common.periods import KINDS, Period
from supervision.common.permissions import holders
from supervision.obligations import engine
from supervision.obligations import table as obligation_table
from supervision.obligations.models import ObligationRow
from supervision.obligations.rules import OBLIGATION_TYPES
from supervision.obligations.settings import get_obligation_settings
from supervision.org.models import OrgUnit
from supervision.org.paths import path_ids
from supervision.reminders import rectification, rules
from supervision.reminders.settings import get_reminder_settings
from supervision.risks.models import Measure, RiskPoint
from supervision.rotation import eligibility
from supervision.rotation.models import TenureRow
from supervision.rotation.settings import get_rotation_settings

#: How many periods of each frequency the ladder covers: the current one and those before.
PERIODS_BACK = 2
OPEN_OBLIGATIONS = ("pending", "overdue")
CHASED_ROTATION = ("not_due", "upcoming", "due")


@dataclass(frozen=True)
class Step:
    """One ladder step for one recipient."""

    on: datetime
    step: str
    recipient_id: int
    object_type: str
    object_ref: str
    person_id: int | None
    type: str | None
    period: str
    due_on: date
    #: The obligation's conductor (who is late, for an escalation); None for other objects.
    conductor_id: int | None = None

    @property
    def key(self) -> tuple:
        """The uniqueness key of the notification it becomes."""
        return (self.recipient_id, self.object_type, self.object_ref, self.period, self.step)


@dataclass(frozen=True)
class Increment:
    """What a sweep after an earlier one must look at (see sweep.py): the steps whose
    instant lies in (`since`, `until`] — the last run's instant and this one's — and every
    step of the objects changed since `changed_since` (shortly before the last run started,
    for transactions that committed after it had read the data)."""

    since: datetime
    until: datetime
    changed_since: datetime

    def days(self, at, zone) -> tuple[date, date] | None:
        """The local dates whose steps (at the local time `at`) fall in (since, until], as
        (first, last); None when no step can."""
        first = self.since.astimezone(zone).date()
        if rules.instant(first, at, zone) <= self.since:
            first += timedelta(days=1)
        last = self.until.astimezone(zone).date()
        if rules.instant(last, at, zone) > self.until:
            last -= timedelta(days=1)
        return (first, last) if first <= last else None

    def keeps(self, step: Step) -> bool:
        """Whether a step of an unchanged object is the increment's to evaluate."""
        return step.on > self.since


def role_people(session: Session, grant: str) -> list[int]:
    """Active people linked to enabled users holding `grant` (a recipient grant), by id."""
    return people_holding(session, holders(grant))


def _supervising_leaders(session: Session) -> dict[str, int]:
    """{unit path: supervising leader of the unit or its nearest ancestor naming one}."""
    units = session.execute(
        sa.select(OrgUnit.id, OrgUnit.path, OrgUnit.supervising_leader_id).order_by(OrgUnit.depth)
    ).all()
    by_id = {uid: leader for uid, _path, leader in units}
    out: dict[str, int] = {}
    for _uid, path, _leader in units:
        found = next((by_id.get(i) for i in reversed(path_ids(path)) if by_id.get(i)), None)
        if found:
            out[path] = found
    return out


def periods_for(today: date, settings: dict) -> list[tuple[Period, str]]:
    """(period, obligation type) of the periods the ladder covers."""
    out = []
    for type_ in OBLIGATION_TYPES:
        period = Period.of(today, settings[type_]["frequency"])
        for _i in range(PERIODS_BACK + 1):
            out.append((period, type_))
            period = period.previous()
    return out


def periods_between(first: date, last: date, settings: dict) -> list[tuple[Period, str]]:
    """(period, type) whose ladder may have a step in [first, last]: due dates from 40
    days before `first` (escalation can lag a due date by a holiday-long stretch) to 20
    days after `last`."""
    lo, hi = first - timedelta(days=40), last + timedelta(days=20)
    out = []
    for type_ in OBLIGATION_TYPES:
        kind = settings[type_]["frequency"]
        assert kind in KINDS
        period = Period.of(lo, kind)
        while period.end <= hi:
            if period.end >= lo:
                out.append((period, type_))
            period = period.next()
    return out


def collect(
    session: Session,
    *,
    today: date | None = None,
    window: tuple[date, date] | None = None,
    increment: Increment | None = None,
) -> list[Step]:
    """Every step of every item open as of `today`: of the covered periods, or of the periods
    whose steps may fall in `window` (local dates, inclusive) — then only those steps.

    With an `increment` (a sweep after an earlier one), only the steps it must evaluate:
    those whose instant lies after `increment.since`, and every step of the objects changed
    since `increment.changed_since`. Each source receives it."""
    today = today or clock.today()
    settings = get_reminder_settings(session)
    obligation_rules = get_obligation_settings(session)
    if window is not None:
        periods = periods_between(window[0], window[1], obligation_rules)
        span = (
            min(window[0], today) - timedelta(days=400),
            max(window[1], today) + timedelta(days=400),
        )
    else:
        periods = periods_for(today, obligation_rules)
        span = (today - timedelta(days=800), today + timedelta(days=400))
    calendar = load_calendar(session, *span)
    at, zone = rules.send_time(settings), clock.zone()
    # The obligations and rotation sources read their maintained tables (obligation_rows,
    # tenure_rows) through their engines; the increment is applied to their output here:
    # the steps after `since`, and every step of the rows whose `changed_at` is after
    # `changed_since`. While a table cannot tell (not built for today's periods), its
    # source is evaluated in full.
    # An increment is also pushed into the reads where the table can tell: a period none of
    # whose steps falls after `since` reads only its rows changed since `changed_since`; the
    # rotation source reads the rows whose due date puts a step in the increment's days, or
    # changed ones.
    changed = _changed_obligations(session, increment, today, obligation_rules)
    steps = _incremented(
        _obligation_steps(
            session,
            periods,
            today,
            calendar,
            settings,
            obligation_rules,
            at,
            zone,
            increment if changed is not None else None,
        ),
        increment,
        changed,
    )
    changed = _changed_tenures(session, increment)
    steps += _incremented(
        _rotation_steps(
            session, today, calendar, at, zone, increment if changed is not None else None
        ),
        increment,
        changed,
    )
    steps += _review_steps(session, calendar, settings, at, zone, increment)
    # Rectification measures and the weekly summaries (SPEC §14): reminders/rectification.py
    # (a few hundred open measures: evaluated in full, the increment applied to the steps).
    steps += _incremented(
        [
            Step(**f)
            for f in rectification.step_fields(session, today, calendar, settings, at, zone, window)
        ],
        increment,
        set(),
    )
    if window is not None:
        steps = [s for s in steps if window[0] <= s.on.date() <= window[1]]
    steps.sort(key=lambda s: (s.on, s.step, s.object_type, s.object_ref, s.recipient_id))
    return steps


def _incremented(steps, increment: Increment | None, changed: set | None) -> list[Step]:
    """The steps an increment evaluates among a source's: those after its `since`, and
    every step of a changed object — `changed` holds (object_ref, period) pairs or bare
    object_refs; None when the source cannot tell, so all of them (all without an
    increment too)."""
    if increment is None or changed is None:
        return list(steps)
    return [
        s
        for s in steps
        if increment.keeps(s) or (s.object_ref, s.period) in changed or s.object_ref in changed
    ]


def _changed_obligations(session, increment, today, obligation_rules) -> set | None:
    """(object_ref, period) of the obligation rows changed since the increment's
    `changed_since`; None when the table is not built for today's open periods."""
    if increment is None:
        return None
    current = obligation_table.state(session)
    expected = obligation_table.periods_key(obligation_table.open_periods(today, obligation_rules))
    if current is None or current.periods != expected:
        return None
    rows = session.execute(
        sa.select(ObligationRow.person_id, ObligationRow.type, ObligationRow.period).where(
            ObligationRow.changed_at > increment.changed_since
        )
    )
    return {(f"{pid}:{type_}", period) for pid, type_, period in rows}


def _changed_tenures(session, increment) -> set | None:
    """object_refs (person:post) of the tenure rows changed since the increment's
    `changed_since`; None while the table is empty (never built)."""
    if increment is None:
        return None
    if session.scalar(sa.select(TenureRow.person_id).limit(1)) is None:
        return None
    rows = session.execute(
        sa.select(TenureRow.person_id, TenureRow.post_id).where(
            TenureRow.changed_at > increment.changed_since
        )
    )
    return {f"{pid}:{post_id}" for pid, post_id in rows}


def due_range(step_day, first: date, last: date) -> tuple[date, date] | None:
    """The due dates whose step falls on a day from `first` to `last`, as (earliest,
    latest), or None; `step_day(due)` is the step's day, non-decreasing in the due date (the
    k-th working day before or after a date moves forward with it), so both ends are found
    by bisection over a year either side (a ladder spans a few months at most)."""
    lo, hi = first.toordinal() - 400, last.toordinal() + 400

    def day(ordinal: int) -> date:
        return step_day(date.fromordinal(ordinal))

    if day(hi) < first or day(lo) > last:
        return None
    a, b = lo, hi  # the first due whose step is on or after `first`
    while a < b:
        mid = (a + b) // 2
        if day(mid) >= first:
            b = mid
        else:
            a = mid + 1
    earliest = a
    a, b = lo, hi  # the last due whose step is on or before `last`
    while a < b:
        mid = (a + b + 1) // 2
        if day(mid) <= last:
            a = mid
        else:
            b = mid - 1
    latest = a
    if earliest > latest:
        return None
    return date.fromordinal(earliest), date.fromordinal(latest)


def _obligation_steps(
    session, periods, today, calendar, settings, obligation_rules, at, zone, increment=None
) -> Iterator[Step]:
    members = role_people(session, "reminders.receive_overdue")
    secretaries = role_people(session, "reminders.receive_escalated")
    leaders = _supervising_leaders(session)
    by_type: dict[str, list[Period]] = {}
    for period, type_ in periods:
        by_type.setdefault(type_, []).append(period)
    for type_, type_periods in by_type.items():
        for period in type_periods:
            ladder = rules.obligation_steps(period.due_date, calendar, settings)
            changed_since = None
            if increment is not None and not any(
                increment.since < rules.instant(day, at, zone) <= increment.until
                for _step, day in ladder
            ):
                # No step of the period falls in the increment (a later one is not due yet):
                # only its changed rows can have a step to evaluate.
                changed_since = increment.changed_since
            rows = engine.compute(
                session,
                period,
                [type_],
                as_of=today,
                settings=obligation_rules,
                changed_since=changed_since,
            )
            for row in rows:
                if row.status not in OPEN_OBLIGATIONS:
                    continue
                for step, day in ladder:
                    if step == "upcoming":
                        recipients = [row.conductor_id]
                    elif step == "overdue":
                        recipients = [row.conductor_id, *members]
                    else:
                        recipients = [*secretaries, leaders.get(row.path)]
                    for rid in dict.fromkeys(r for r in recipients if r is not None):
                        yield Step(
                            rules.instant(day, at, zone),
                            step,
                            rid,
                            "obligation",
                            f"{row.person_id}:{row.type}",
                            row.person_id,
                            row.type,
                            row.period,
                            row.due_date,
                            row.conductor_id,
                        )


def _rotation_steps(session, today, calendar, at, zone, increment=None) -> Iterator[Step]:
    hr = role_people(session, "reminders.receive_rotation")
    if not hr:
        return
    policy = get_rotation_settings(session)
    only = None
    if increment is not None:
        ranges = []
        days = increment.days(at, zone)
        if days is not None:
            upcoming = timedelta(days=policy["upcoming_days"])
            for step_day in (
                lambda d: calendar.next_workday(d - upcoming),
                calendar.next_workday,
            ):
                found = due_range(step_day, *days)
                if found:
                    ranges.append(found)
        only = sa.or_(
            TenureRow.changed_at > increment.changed_since,
            *(TenureRow.due_on.between(*r) for r in ranges),
        )
    for row in eligibility.compute(session, today, policy=policy, only=only):
        if row.status not in CHASED_ROTATION:
            continue
        for step, day in rules.rotation_steps(row.due_on, policy["upcoming_days"], calendar):
            for rid in hr:
                yield Step(
                    rules.instant(day, at, zone),
                    step,
                    rid,
                    "rotation",
                    f"{row.person_id}:{row.post_id}",
                    row.person_id,
                    None,
                    row.due_on.isoformat(),
                    row.due_on,
                )


def _review_selects(owner_id: int | None = None):
    """The selects of `open_reviews`: risk points, then measures (id, owner, due date, and
    when the row and its point were last written)."""
    point_owner = RiskPoint.department_owner_id
    points = sa.select(
        RiskPoint.id, point_owner, RiskPoint.review_due_on, RiskPoint.updated_at
    ).where(
        RiskPoint.status != "retired",
        RiskPoint.review_due_on.is_not(None),
        point_owner.is_not(None),
    )
    measures = (
        sa.select(
            Measure.id, Measure.owner_id, Measure.due_on, Measure.updated_at, RiskPoint.updated_at
        )
        .join(RiskPoint, RiskPoint.id == Measure.risk_point_id)
        .where(
            Measure.status == "open",
            Measure.due_on.is_not(None),
            Measure.owner_id.is_not(None),
            RiskPoint.status != "retired",
        )
    )
    if owner_id is not None:
        points = points.where(point_owner == owner_id)
        measures = measures.where(Measure.owner_id == owner_id)
    return points, measures


def open_reviews(session, owner_id: int | None = None) -> list[tuple[str, int, int, date]]:
    """(object type, id, owner, due date) of what has a review or due date to chase: risk
    points not retired with a department owner and a `review_due_on`, and their open
    measures with an owner and a due date; only `owner_id`'s when given."""
    points, measures = _review_selects(owner_id)
    return [("risk_point", *r[:3]) for r in session.execute(points).all()] + [
        ("measure", *r[:3]) for r in session.execute(measures).all()
    ]


def _review_steps(session, calendar, settings, at, zone, increment=None) -> list[Step]:
    points, measures = _review_selects()
    changed: set[tuple[str, int]] = set()
    if increment is not None:
        # In SQL: the due dates whose steps fall in the increment's days, or changed rows.
        days = increment.days(at, zone)
        ranges = []
        if days is not None:
            for step_day in (
                lambda d: calendar.working_days_before(d, settings["review_upcoming_working_days"]),
                lambda d: calendar.working_days_after(d, settings["review_overdue_working_days"]),
            ):
                found = due_range(step_day, *days)
                if found:
                    ranges.append(found)
        since = increment.changed_since
        point_changed = RiskPoint.updated_at >= since
        measure_changed = sa.or_(Measure.updated_at >= since, point_changed)
        points = points.where(
            sa.or_(point_changed, *(RiskPoint.review_due_on.between(*r) for r in ranges))
        )
        measures = measures.where(
            sa.or_(measure_changed, *(Measure.due_on.between(*r) for r in ranges))
        )
    rows = []
    for oid, owner, due, updated in session.execute(points).all():
        rows.append(("risk_point", oid, owner, due))
        if increment is not None and updated is not None and updated >= since:
            changed.add(("risk_point", oid))
    for oid, owner, due, updated, point_updated in session.execute(measures).all():
        rows.append(("measure", oid, owner, due))
        if increment is not None and any(
            u is not None and u >= since for u in (updated, point_updated)
        ):
            changed.add(("measure", oid))
    out = []
    for object_type, oid, owner, due in rows:
        for step, day in rules.review_steps(due, calendar, settings):
            s = Step(
                rules.instant(day, at, zone),
                step,
                owner,
                object_type,
                str(oid),
                owner,
                None,
                due.isoformat(),
                due,
            )
            if increment is None or (object_type, oid) in changed or increment.keeps(s):
                out.append(s)
    return out


def inputs(session: Session, today: date) -> str:
    """A digest of the inputs every step depends on, beyond the objects themselves: the
    reminder, obligation and rotation settings, the working-day calendar around `today`,
    the recipients by role and the units' supervising leaders. A sweep after one with other
    inputs evaluates everything (a moved holiday moves steps into the past; a new discipline
    member receives the open `overdue` steps). A fixed number of statements."""
    # Whole years around the span `collect` reads, so that the digest changes with a day
    # of the calendar, not with the date of the sweep.
    first, last = date(today.year - 3, 1, 1), date(today.year + 1, 12, 31)
    days = session.execute(
        sa.select(CalendarDay.date, CalendarDay.is_workday)
        .where(CalendarDay.date.between(first, last))
        .order_by(CalendarDay.date)
    ).all()
    document = {
        "reminders": get_reminder_settings(session),
        "obligations": get_obligation_settings(session),
        "rotation": get_rotation_settings(session),
        "calendar": [(d.isoformat(), bool(w)) for d, w in days],
        "roles": {
            grant: role_people(session, grant)
            for grant in (
                "reminders.receive_overdue",
                "reminders.receive_escalated",
                "reminders.receive_rotation",
            )
        },
        "leaders": sorted(_supervising_leaders(session).items()),
        "zone": str(clock.zone()),
        "periods_back": PERIODS_BACK,
    }
    text = json.dumps(document, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def due_now(steps: list[Step], now: datetime) -> list[Step]:
    """The steps whose instant has come, without stale warnings: an `upcoming` (or
    `review_upcoming`, `rotation_upcoming`) whose item has already reached its next step is
    not sent late."""
    reached = {(s.object_type, s.object_ref, s.period, s.step) for s in steps if s.on <= now}
    stale_if = {
        "upcoming": "overdue",
        "review_upcoming": "review_overdue",
        "rotation_upcoming": "rotation_due",
    }
    out = []
    for s in steps:
        if s.on > now:
            continue
        later = stale_if.get(s.step)
        if later and (s.object_type, s.object_ref, s.period, later) in reached:
            continue
        out.append(s)
    return out
