"""The ledger's figures (SPEC §14): overdue as of a date, the summary of an inspection
overall and per lead unit, the monthly snapshots, and the open measures the reminders read.

As of a date `d`:
- a measure is done when its status is done and `done_on` ≤ d; overdue when it has a
  `due_on` before d and is not done as of d;
- a finding is overdue when it has a `deadline` before d and is not completed as of d
  (status completed and `completed_on` ≤ d).
The statuses counted are the findings' present ones (the ledger keeps no history of
them); the snapshots taken every month keep the past ones.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from supervision.audit.services import record
from supervision.calendar.services import load_calendar
from supervision.org.models import OrgUnit
from supervision.rectification.models import (
    FINDING_STATUSES,
    Finding,
    Inspection,
    RectificationMeasure,
    RectificationSnapshot,
)


def measure_overdue_clause(as_of: date):
    """SQL condition on RectificationMeasure: past its due date and not done as of `as_of`."""
    m = RectificationMeasure
    return sa.and_(
        m.due_on.is_not(None),
        m.due_on < as_of,
        sa.not_(sa.and_(m.status == "done", m.done_on <= as_of)),
    )


def finding_overdue_clause(as_of: date):
    """SQL condition on Finding: past its deadline and not completed as of `as_of`."""
    f = Finding
    return sa.and_(
        f.deadline.is_not(None),
        f.deadline < as_of,
        sa.not_(sa.and_(f.status == "completed", f.completed_on <= as_of)),
    )


def empty_row(lead_unit_id=None, name=None) -> dict:
    return {
        "lead_unit_id": lead_unit_id,
        "lead_unit_name": name,
        "findings": 0,
        "by_status": dict.fromkeys(FINDING_STATUSES, 0),
        "long_term": 0,
        "overdue_findings": 0,
        "measures": 0,
        "measures_done": 0,
        "overdue_measures": 0,
    }


def summary(session: Session, inspection: Inspection, as_of: date) -> dict:
    """The inspection's figures as of a date: findings by status, long-term ones, overdue
    findings and measures, measures done of all; the same per lead unit (by unit path; the
    findings without a lead unit last). Two queries."""
    findings = session.execute(
        sa.select(
            Finding.id,
            Finding.lead_unit_id,
            Finding.status,
            Finding.term,
            finding_overdue_clause(as_of).label("overdue"),
        ).where(Finding.inspection_id == inspection.id)
    ).all()
    measures = session.execute(
        sa.select(
            RectificationMeasure.finding_id,
            sa.and_(
                RectificationMeasure.status == "done", RectificationMeasure.done_on <= as_of
            ).label("done"),
            measure_overdue_clause(as_of).label("overdue"),
        )
        .join(Finding, Finding.id == RectificationMeasure.finding_id)
        .where(Finding.inspection_id == inspection.id)
    ).all()
    unit_ids = {f.lead_unit_id for f in findings if f.lead_unit_id is not None}
    units = (
        session.execute(
            sa.select(OrgUnit.id, OrgUnit.name, OrgUnit.path).where(OrgUnit.id.in_(unit_ids))
        ).all()
        if unit_ids
        else []
    )
    rows = {u.id: empty_row(u.id, u.name) for u in sorted(units, key=lambda u: (u.path, u.id))}
    total = empty_row()
    unit_of = {}
    for f in findings:
        row = rows.get(f.lead_unit_id) or rows.setdefault(None, empty_row())
        unit_of[f.id] = row
        for target in (total, row):
            target["findings"] += 1
            target["by_status"][f.status] += 1
            target["long_term"] += f.term == "long_term"
            target["overdue_findings"] += bool(f.overdue)
    for m in measures:
        for target in (total, unit_of[m.finding_id]):
            target["measures"] += 1
            target["measures_done"] += bool(m.done)
            target["overdue_measures"] += bool(m.overdue)
    del total["lead_unit_id"], total["lead_unit_name"]
    ordered = [r for key, r in rows.items() if key is not None]
    if None in rows:
        ordered.append(rows[None])
    return {"inspection_id": inspection.id, "as_of": as_of.isoformat(), **total, "units": ordered}


def take_snapshot(session: Session, inspection: Inspection, on: date) -> RectificationSnapshot:
    """Freeze the summary as of `on` (one per inspection and day: a second call gives the
    first snapshot back; the unique constraint settles a race between two processes)."""
    existing = session.scalar(
        sa.select(RectificationSnapshot).where(
            RectificationSnapshot.inspection_id == inspection.id,
            RectificationSnapshot.taken_on == on,
        )
    )
    if existing is not None:
        return existing
    snap = RectificationSnapshot(
        inspection_id=inspection.id, taken_on=on, figures=summary(session, inspection, on)
    )
    try:
        with session.begin_nested():
            session.add(snap)
            session.flush()
    except sa.exc.IntegrityError:
        return session.scalar(
            sa.select(RectificationSnapshot).where(
                RectificationSnapshot.inspection_id == inspection.id,
                RectificationSnapshot.taken_on == on,
            )
        )
    record(session, "snapshot", "inspection", inspection.id, {"taken_on": [None, on.isoformat()]})
    return snap


def first_workday_of_month(session: Session, day: date) -> date:
    """The first working day of `day`'s month (the working-day calendar, SPEC §2)."""
    first = day.replace(day=1)
    return load_calendar(session, first, first, margin_days=40).next_workday(first)


def monthly_snapshots(session: Session, today: date) -> int:
    """The monthly snapshot of every inspection being rectified, from the first working day
    of the month on: taken today unless one was taken since that day (a run missed on the
    day is caught up by the next one). Returns how many were taken."""
    first = first_workday_of_month(session, today)
    if today < first:
        return 0
    following = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    taken = sa.select(RectificationSnapshot.inspection_id).where(
        RectificationSnapshot.taken_on >= first, RectificationSnapshot.taken_on < following
    )
    due = session.scalars(
        sa.select(Inspection)
        .where(Inspection.status == "rectifying", Inspection.id.not_in(taken))
        .order_by(Inspection.id)
    ).all()
    for inspection in due:
        take_snapshot(session, inspection, today)
    return len(due)


def open_measures_select() -> sa.Select:
    """SELECT of the open measures of inspections being rectified, with whom they concern:
    (measure, owner_person_id, responsible_leader_id, inspection leader_person_id, due_on),
    by due date (none last). For the reminders (SPEC §8: object_type rectification_measure)."""
    m = RectificationMeasure
    return (
        sa.select(
            m,
            m.owner_person_id,
            Finding.responsible_leader_id,
            Inspection.leader_person_id,
            m.due_on,
        )
        .join(Finding, Finding.id == m.finding_id)
        .join(Inspection, Inspection.id == Finding.inspection_id)
        .where(m.status == "open", Inspection.status == "rectifying")
        .order_by(m.due_on.is_(None), m.due_on, m.id)
    )
