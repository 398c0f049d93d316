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

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from supervision.auth.queries import people_holding
from supervision.calendar.services import load_calendar
from supervision.common import clock
from supervision.common.periods import KINDS, Period
from supervision.common.permissions import holders
from supervision.obligations import engine
from supervision.obligations.rules import OBLIGATION_TYPES
from supervision.obligations.settings import get_obligation_settings
from supervision.org.models import OrgUnit
from supervision.org.paths import path_ids
from supervision.reminders import rectification, rules
from supervision.reminders.settings import get_reminder_settings
from supervision.risks.models import Measure, RiskPoint
from supervision.rotation import eligibility
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
    session: Session, *, today: date | None = None, window: tuple[date, date] | None = None
) -> list[Step]:
    """Every step of every item open as of `today`: of the covered periods, or of the periods
    whose steps may fall in `window` (local dates, inclusive) — then only those steps."""
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
    steps = list(
        _obligation_steps(session, periods, today, calendar, settings, obligation_rules, at, zone)
    )
    steps += _rotation_steps(session, today, calendar, at, zone)
    steps += _review_steps(session, calendar, settings, at, zone)
    # Rectification measures and the weekly summaries (SPEC §14): reminders/rectification.py.
    steps += [
        Step(**f)
        for f in rectification.step_fields(session, today, calendar, settings, at, zone, window)
    ]
    if window is not None:
        steps = [s for s in steps if window[0] <= s.on.date() <= window[1]]
    steps.sort(key=lambda s: (s.on, s.step, s.object_type, s.object_ref, s.recipient_id))
    return steps


def _obligation_steps(
    session, periods, today, calendar, settings, obligation_rules, at, zone
) -> Iterator[Step]:
    members = role_people(session, "reminders.receive_overdue")
    secretaries = role_people(session, "reminders.receive_escalated")
    leaders = _supervising_leaders(session)
    by_type: dict[str, list[Period]] = {}
    for period, type_ in periods:
        by_type.setdefault(type_, []).append(period)
    for type_, type_periods in by_type.items():
        for period in type_periods:
            rows = engine.compute(session, period, [type_], as_of=today, settings=obligation_rules)
            ladder = rules.obligation_steps(period.due_date, calendar, settings)
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


def _rotation_steps(session, today, calendar, at, zone) -> Iterator[Step]:
    hr = role_people(session, "reminders.receive_rotation")
    if not hr:
        return
    policy = get_rotation_settings(session)
    for row in eligibility.compute(session, today, policy=policy):
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


def open_reviews(session, owner_id: int | None = None) -> list[tuple[str, int, int, date]]:
    """(object type, id, owner, due date) of what has a review or due date to chase: risk
    points not retired with a department owner and a `review_due_on`, and their open
    measures with an owner and a due date; only `owner_id`'s when given."""
    point_owner = RiskPoint.department_owner_id
    points = sa.select(RiskPoint.id, point_owner, RiskPoint.review_due_on).where(
        RiskPoint.status != "retired",
        RiskPoint.review_due_on.is_not(None),
        point_owner.is_not(None),
    )
    measures = (
        sa.select(Measure.id, Measure.owner_id, Measure.due_on)
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
    return [("risk_point", *r) for r in session.execute(points).all()] + [
        ("measure", *r) for r in session.execute(measures).all()
    ]


def _review_steps(session, calendar, settings, at, zone) -> Iterator[Step]:
    for object_type, oid, owner, due in open_reviews(session):
        for step, day in rules.review_steps(due, calendar, settings):
            yield Step(
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
