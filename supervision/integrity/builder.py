"""The one data builder of an integrity file (廉政档案, SPEC §6), read by the page and the
PDF alike, so that both show the same sections in the same order (`SECTIONS`).

What a reader sees follows the rules of the rest of the product, decided here once:
- talks received and held: an index of all of them (type, period, date, status, the other
  side: reading the file is knowing that they exist, as it always was); of the talks
  received, the reason, content, response and follow-up only where the reader reaches the
  talk elsewhere (the talk list's `visible_clause`) and may read its contents
  (`contents_visible`: the discipline roles and the talk's participants), so a discipline
  member reads what they read on the talk pages and HR reads none; the talks they held stay
  an index (what was said belongs to the interviewee's record; a head holds dozens a year);
- discipline holds: their reasons only for `rotation.hold` (HR learns that a hold exists);
- obligations: those of the leader (talks owed to them) and those they conduct (talks they
  owe), for the recent periods of each type;
- rectification (SPEC §14): the findings they answer for as the responsible leader (分管局
  领导) and the rectification measures they own, of every inspection, overdue as of today;
  only for readers who read the whole ledger (`rectification.read_all`: the discipline
  roles, who are the readers of integrity files), so the file never widens its scope.

gather() reads a fixed number of statements whatever the size of the file.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from supervision.common import clock
from supervision.common.periods import Period
from supervision.common.permissions import can
from supervision.integrity.models import IntegrityNote
from supervision.obligations import engine, rules
from supervision.obligations.settings import get_obligation_settings
from supervision.org.models import Assignment, Person
from supervision.org.scope import leader_scope
from supervision.rectification.figures import finding_overdue_clause, measure_overdue_clause
from supervision.rectification.models import Finding, Inspection, RectificationMeasure
from supervision.risks import rules as risk_rules
from supervision.risks.models import Measure, RiskPoint
from supervision.risks.settings import get_risk_settings
from supervision.rotation import eligibility
from supervision.rotation.models import (
    RotationDeferral,
    RotationHold,
    RotationPlan,
    RotationPlanItem,
)
from supervision.talks.models import Talk, TalkInterviewer
from supervision.talks.permissions import contents_visible, visible_clause

#: The sections of the file, in the order the page and the PDF show them.
SECTIONS = (
    "basic",
    "posts",
    "risks",
    "measures",
    "rectification",
    "talks",
    "obligations",
    "rotation",
    "notes",
)
#: How many periods of each kind back (the current one included) the obligations cover.
RECENT_PERIODS = {"quarter": 4, "half": 2, "year": 2}
#: Talks the leader conducted are shown for this many days back (they can be many).
CONDUCTED_DAYS = 730
TALK_ORDER = {
    t: i
    for i, t in enumerate(
        ("integrity_reminder", "supervision", "heart_to_heart", "admonishment", "pre_appointment")
    )
}
OWED_COLUMNS = ("required", "done", "done_late", "overdue", "pending", "waived")


@dataclass
class OwedRow:
    """The obligations a leader conducts for one period and type, counted by status."""

    period: str
    type: str
    counts: Counter = field(default_factory=Counter)

    @property
    def required(self) -> int:
        """Obligations that count (neither waived nor not required)."""
        return sum(self.counts[s] for s in ("done", "done_late", "overdue", "pending"))


@dataclass
class IntegrityFile:
    """Everything one leader's integrity file shows, as one reader may see it."""

    person: Person
    generated_on: date
    assignments: list[Assignment] = field(default_factory=list)
    #: (risk point, its level, the leader's roles on it: "responsible_leader",
    #: "department_owner").
    risk_points: list[tuple[RiskPoint, str, list[str]]] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    #: (finding, overdue today) of the findings they are the responsible leader of.
    findings: list[tuple[Finding, bool]] = field(default_factory=list)
    #: (rectification measure, overdue today) of the measures they own.
    rectification_measures: list[tuple[RectificationMeasure, bool]] = field(default_factory=list)
    talks: list[Talk] = field(default_factory=list)
    conducted: list[Talk] = field(default_factory=list)
    #: Ids of the talks received whose contents the reader may read.
    readable: set[int] = field(default_factory=set)
    obligations: list[engine.Obligation] = field(default_factory=list)
    owed: list[OwedRow] = field(default_factory=list)
    #: The obligations they conduct that are overdue, with the interviewee's name.
    owed_overdue: list[tuple[engine.Obligation, str]] = field(default_factory=list)
    rotation: list[eligibility.Row] = field(default_factory=list)
    moves: list[RotationPlanItem] = field(default_factory=list)
    deferrals: list[RotationDeferral] = field(default_factory=list)
    holds: list[RotationHold] = field(default_factory=list)
    show_hold_reasons: bool = False
    notes: list[IntegrityNote] = field(default_factory=list)
    sections: tuple[str, ...] = SECTIONS

    @property
    def owed_totals(self) -> Counter:
        """The conducted obligations of all recent periods, by status."""
        total: Counter = Counter()
        for row in self.owed:
            total.update(row.counts)
        return total


def recent_periods(today: date, settings: dict) -> list[tuple[Period, str]]:
    """(period, obligation type) of the recent periods shown, newest first per type."""
    out = []
    for type_ in rules.OBLIGATION_TYPES:
        kind = settings[type_]["frequency"]
        period = Period.of(today, kind)
        for _i in range(RECENT_PERIODS.get(kind, 1)):
            out.append((period, type_))
            period = period.previous()
    return out


def gather(session: Session, person: Person, today: date, viewer) -> IntegrityFile:
    """The file of one leader as of `today`, as `viewer` may see it (bounded statements)."""
    file = IntegrityFile(person=person, generated_on=today)
    file.assignments = list(
        session.scalars(
            sa.select(Assignment)
            .where(Assignment.person_id == person.id)
            .options(selectinload(Assignment.post))
            .order_by(Assignment.start_date.desc(), Assignment.id.desc())
        )
    )
    _gather_risks(session, file)
    _gather_rectification(session, file, today, viewer)
    _gather_talks(session, file, today, viewer)
    _gather_obligations(session, file, today)
    _gather_rotation(session, file, today)
    file.show_hold_reasons = can(viewer, "rotation.hold")
    file.notes = list(
        session.scalars(
            sa.select(IntegrityNote)
            .where(IntegrityNote.person_id == person.id)
            .options(selectinload(IntegrityNote.attachments))
            .order_by(IntegrityNote.noted_on.desc(), IntegrityNote.id.desc())
        )
    )
    return file


def _gather_risks(session: Session, file: IntegrityFile) -> None:
    """Current risk points where the leader is 责任领导 or 部门负责人; measures they own."""
    pid = file.person.id
    settings = get_risk_settings(session)
    points = session.scalars(
        sa.select(RiskPoint)
        .where(
            sa.or_(RiskPoint.responsible_leader_id == pid, RiskPoint.department_owner_id == pid),
            RiskPoint.status != "retired",
        )
        .options(selectinload(RiskPoint.org_unit), selectinload(RiskPoint.post))
        .order_by(RiskPoint.org_unit_id, RiskPoint.id)
    )
    for point in points:
        roles = [
            role
            for role, holder in (
                ("responsible_leader", point.responsible_leader_id),
                ("department_owner", point.department_owner_id),
            )
            if holder == pid
        ]
        level = risk_rules.level(point.likelihood, point.impact, settings)
        file.risk_points.append((point, level, roles))
    file.measures = list(
        session.scalars(
            sa.select(Measure)
            .join(RiskPoint, RiskPoint.id == Measure.risk_point_id)
            .where(Measure.owner_id == pid, RiskPoint.status != "retired")
            .options(selectinload(Measure.risk_point).selectinload(RiskPoint.org_unit))
            .order_by(Measure.status.desc(), Measure.due_on, Measure.id)
        )
    )


def _gather_rectification(session: Session, file: IntegrityFile, today: date, viewer) -> None:
    """Findings the leader answers for and rectification measures they own (a fixed number of
    statements),
    for a reader of the whole ledger."""
    if not can(viewer, "rectification.read_all"):
        return
    pid = file.person.id
    order = (Inspection.feedback_on.desc(), Inspection.id.desc(), Finding.number)
    file.findings = [
        (f, bool(late))
        for f, late in session.execute(
            sa.select(Finding, finding_overdue_clause(today))
            .join(Inspection, Inspection.id == Finding.inspection_id)
            .where(Finding.responsible_leader_id == pid)
            .options(selectinload(Finding.inspection))
            .order_by(*order)
        )
    ]
    m = RectificationMeasure
    file.rectification_measures = [
        (measure, bool(late))
        for measure, late in session.execute(
            sa.select(m, measure_overdue_clause(today))
            .join(Finding, Finding.id == m.finding_id)
            .join(Inspection, Inspection.id == Finding.inspection_id)
            .where(m.owner_person_id == pid)
            .options(selectinload(m.finding).selectinload(Finding.inspection))
            .order_by(*order, m.number)
        )
    ]


def _gather_talks(session: Session, file: IntegrityFile, today: date, viewer) -> None:
    """Talks received (all) and held (recent); which contents the viewer may read."""
    pid = file.person.id
    loads = (
        selectinload(Talk.interviewers).selectinload(TalkInterviewer.person),
        selectinload(Talk.interviewee),
    )
    received = session.scalars(
        sa.select(Talk)
        .where(Talk.interviewee_id == pid)
        .options(*loads)
        .order_by(Talk.held_at.desc(), Talk.id.desc())
    )
    file.talks = sorted(received, key=lambda t: TALK_ORDER.get(t.type, 99))
    since = datetime.combine(today - timedelta(days=CONDUCTED_DAYS), time(), clock.zone())
    file.conducted = list(
        session.scalars(
            sa.select(Talk)
            .where(
                Talk.id.in_(
                    sa.select(TalkInterviewer.talk_id).where(TalkInterviewer.person_id == pid)
                ),
                sa.or_(Talk.held_at.is_(None), Talk.held_at >= since),
            )
            .options(*loads)
            .order_by(Talk.held_at.desc(), Talk.id.desc())
        )
    )
    reachable = set(
        session.scalars(
            sa.select(Talk.id).where(Talk.interviewee_id == pid, visible_clause(viewer))
        )
    )
    file.readable = {t.id for t in file.talks if t.id in reachable and contents_visible(viewer, t)}


def _gather_obligations(session: Session, file: IntegrityFile, today: date) -> None:
    """Obligations of the leader, and those they conduct (counted, the overdue listed)."""
    pid = file.person.id
    settings = get_obligation_settings(session)
    scope = leader_scope(pid)
    owed: dict[tuple[str, str], OwedRow] = {}
    overdue = []
    for period, type_ in recent_periods(today, settings):
        file.obligations += engine.compute(
            session, period, [type_], as_of=today, person_id=pid, settings=settings
        )
        conducted = engine.compute(
            session, period, [type_], as_of=today, scope=scope, viewer_id=pid, settings=settings
        )
        for o in conducted:
            if o.conductor_id != pid:
                continue
            row = owed.setdefault((o.period, o.type), OwedRow(o.period, o.type))
            row.counts[o.status] += 1
            if o.status == "overdue":
                overdue.append(o)
    file.owed = [r for r in owed.values() if r.counts]
    names = _names(session, {o.person_id for o in overdue})
    file.owed_overdue = [(o, names.get(o.person_id, "")) for o in overdue]


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(sa.select(Person.id, Person.name).where(Person.id.in_(ids))).all())


def _gather_rotation(session: Session, file: IntegrityFile, today: date) -> None:
    """Tenure and status today, executed moves, deferrals and holds of the file's person."""
    pid = file.person.id
    file.rotation = eligibility.for_person(session, pid, today)
    file.moves = list(
        session.scalars(
            sa.select(RotationPlanItem)
            .join(RotationPlan)
            .where(RotationPlanItem.person_id == pid, RotationPlan.status == "executed")
            .options(
                selectinload(RotationPlanItem.plan),
                selectinload(RotationPlanItem.from_post),
                selectinload(RotationPlanItem.to_post),
            )
            .order_by(RotationPlanItem.effective_date.desc())
        )
    )
    file.deferrals = list(
        session.scalars(
            sa.select(RotationDeferral)
            .where(RotationDeferral.person_id == pid)
            .order_by(RotationDeferral.meeting_date.desc(), RotationDeferral.id.desc())
        )
    )
    file.holds = list(
        session.scalars(
            sa.select(RotationHold)
            .where(RotationHold.person_id == pid)
            .order_by(RotationHold.created_at.desc(), RotationHold.id.desc())
        )
    )
