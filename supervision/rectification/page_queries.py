"""What the rectification pages read (SPEC §14), scoped by supervision.rectification.permissions:
the inspections a user may know about with their counts, the ledger's rows and figures, a
finding or measure in reach (404 otherwise), "my tasks", the sign-off queue, a finding's
history, and the records a measure's evidence may link to.

Counts are of what the caller sees: the discipline roles see the whole inspection (the same
figures as figures.summary); a leader or an owner the findings and measures in their scope.
Every list runs a fixed number of statements whatever its length.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from supervision.audit.models import AuditEntry
from supervision.common.permissions import can
from supervision.org.models import OrgUnit, Person
from supervision.org.scope import risk_scope, scope_for
from supervision.rectification.figures import finding_overdue_clause, measure_overdue_clause
from supervision.rectification.models import (
    FINDING_STATUSES,
    Finding,
    Inspection,
    RectificationMeasure,
    RectificationSnapshot,
)
from supervision.rectification.permissions import (
    finding_clause,
    full_finding_clause,
    inspection_clause,
    measure_clause,
)
from supervision.risks import queries as risk_queries
from supervision.risks.models import RiskCampaign, RiskPoint
from supervision.risks.settings import get_risk_settings
from supervision.rotation.models import RotationDeferral, RotationPlan
from supervision.talks.models import Talk
from supervision.talks.permissions import contents_visible, visible_clause

#: How many records of each type the evidence picker offers (the newest; older ones by id).
PICKER_LIMIT = 30
#: History entries shown on a finding's page (the newest).
HISTORY_LIMIT = 200


# ------------------------------------------------------------------ single objects


def get_inspection(session: Session, user, inspection_id: int) -> Inspection:
    """The inspection if the user may know about it (404 otherwise)."""
    found = session.scalar(
        sa.select(Inspection).where(Inspection.id == inspection_id, inspection_clause(user))
    )
    if found is None:
        abort(404)
    return found


def get_finding(session: Session, user, finding_id: int, *, lock: bool = False) -> Finding:
    """The finding if the user may know about it (404 otherwise); `lock` for the actions."""
    stmt = (
        sa.select(Finding)
        .where(Finding.id == finding_id, finding_clause(user))
        .options(joinedload(Finding.inspection))
    )
    if lock:
        stmt = stmt.with_for_update(of=Finding)
    found = session.scalar(stmt)
    if found is None:
        abort(404)
    return found


def get_measure(
    session: Session, user, measure_id: int, *, lock: bool = False
) -> RectificationMeasure:
    """The measure if the user may see it (404 otherwise); `lock` locks its finding, as the
    finding's workflow reads all its measures."""
    measure = session.scalar(
        sa.select(RectificationMeasure).where(
            RectificationMeasure.id == measure_id, measure_clause(user)
        )
    )
    if measure is None:
        abort(404)
    if lock:
        session.scalar(
            sa.select(Finding.id).where(Finding.id == measure.finding_id).with_for_update()
        )
    return measure


# ------------------------------------------------------------------ inspections


def inspections_select(user) -> sa.Select:
    """SELECT of the inspections the user may know about, newest feedback first."""
    return (
        sa.select(Inspection)
        .where(inspection_clause(user))
        .order_by(Inspection.feedback_on.desc(), Inspection.id.desc())
    )


def inspection_counts(session: Session, user, ids: list[int], as_of: date) -> dict[int, dict]:
    """{inspection id: {findings, completed, overdue}} over the findings the user may know
    about (one query)."""
    out = {i: {"findings": 0, "completed": 0, "overdue": 0} for i in ids}
    if not ids:
        return out
    rows = session.execute(
        sa.select(
            Finding.inspection_id,
            sa.func.count(),
            sa.func.sum(sa.case((Finding.status == "completed", 1), else_=0)),
            sa.func.sum(sa.case((finding_overdue_clause(as_of), 1), else_=0)),
        )
        .where(Finding.inspection_id.in_(ids), finding_clause(user))
        .group_by(Finding.inspection_id)
    ).all()
    for inspection_id, total, completed, overdue in rows:
        out[inspection_id] = {
            "findings": total,
            "completed": int(completed or 0),
            "overdue": int(overdue or 0),
        }
    return out


def names(session: Session, unit_ids=(), person_ids=()) -> tuple[dict, dict]:
    """({unit id: name}, {person id: name}) of the ids given (two queries at most)."""
    units = {u for u in unit_ids if u is not None}
    people = {p for p in person_ids if p is not None}
    unit_names = (
        {
            r.id: r.name
            for r in session.execute(
                sa.select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(units))
            )
        }
        if units
        else {}
    )
    person_names = (
        {
            r.id: r.name
            for r in session.execute(sa.select(Person.id, Person.name).where(Person.id.in_(people)))
        }
        if people
        else {}
    )
    return unit_names, person_names


def leader_suggestions(session: Session, limit: int = 300) -> list[str]:
    """Suggestions for the forms' people inputs: the active leaders and heads, 姓名（警号）."""
    rows = session.execute(
        sa.select(Person.name, Person.staff_no)
        .where(Person.leadership != "none", Person.is_active.is_(True))
        .order_by(Person.name)
        .limit(limit)
    ).all()
    return [f"{r.name}（{r.staff_no}）" for r in rows]


# ------------------------------------------------------------------ the ledger


def ledger_counts(session: Session, user, inspection: Inspection, as_of: date) -> dict:
    """The figures at the top of the ledger as of a date, over what the user sees: findings
    by status, long-term ones, overdue findings; measures, done, overdue (two queries)."""
    f = session.execute(
        sa.select(
            Finding.status,
            Finding.term,
            finding_overdue_clause(as_of).label("overdue"),
        ).where(Finding.inspection_id == inspection.id, finding_clause(user))
    ).all()
    m = session.execute(
        sa.select(
            sa.and_(
                RectificationMeasure.status == "done", RectificationMeasure.done_on <= as_of
            ).label("done"),
            measure_overdue_clause(as_of).label("overdue"),
        )
        .join(Finding, Finding.id == RectificationMeasure.finding_id)
        .where(Finding.inspection_id == inspection.id, measure_clause(user))
    ).all()
    by_status = dict.fromkeys(FINDING_STATUSES, 0)
    for row in f:
        by_status[row.status] += 1
    return {
        "findings": len(f),
        "by_status": by_status,
        "long_term": sum(1 for row in f if row.term == "long_term"),
        "overdue_findings": sum(1 for row in f if row.overdue),
        "measures": len(m),
        "measures_done": sum(1 for row in m if row.done),
        "overdue_measures": sum(1 for row in m if row.overdue),
    }


def ledger_select(user, inspection: Inspection, filters: dict, as_of: date) -> sa.Select:
    """SELECT of (Finding, overdue, measures done, measures) of the inspection the user may
    know about, filtered (category, lead_unit_id, status, overdue), by category and theme. The
    measure counts are of the measures the user sees."""
    m = RectificationMeasure
    counts = (
        sa.select(
            m.finding_id.label("finding_id"),
            sa.func.count().label("total"),
            sa.func.sum(sa.case((m.status == "done", 1), else_=0)).label("done"),
        )
        .where(measure_clause(user))
        .group_by(m.finding_id)
        .subquery()
    )
    overdue = finding_overdue_clause(as_of)
    # Grouped as the notice reads: the categories, and the themes within each, in the order
    # of their first problem; the problems by number within a theme.
    other = aliased(Finding)
    first_of = sa.select(sa.func.min(other.number)).where(
        other.inspection_id == Finding.inspection_id, other.category == Finding.category
    )
    category_rank = first_of.scalar_subquery()
    theme_rank = first_of.where(other.theme == Finding.theme).scalar_subquery()
    stmt = (
        sa.select(
            Finding,
            overdue.label("overdue"),
            sa.func.coalesce(counts.c.done, 0),
            sa.func.coalesce(counts.c.total, 0),
        )
        .outerjoin(counts, counts.c.finding_id == Finding.id)
        .where(Finding.inspection_id == inspection.id, finding_clause(user))
        .order_by(category_rank, theme_rank, Finding.number)
    )
    if filters.get("category"):
        stmt = stmt.where(Finding.category == filters["category"])
    if filters.get("lead_unit_id"):
        stmt = stmt.where(Finding.lead_unit_id == filters["lead_unit_id"])
    if filters.get("status"):
        stmt = stmt.where(Finding.status == filters["status"])
    if filters.get("overdue"):
        stmt = stmt.where(overdue)
    return stmt


def ledger_choices(session: Session, user, inspection: Inspection) -> dict:
    """The filters' choices: the categories and lead units of the findings the user may
    know about (two queries)."""
    visible = sa.and_(Finding.inspection_id == inspection.id, finding_clause(user))
    categories = session.scalars(
        sa.select(Finding.category)
        .where(visible)
        .group_by(Finding.category)
        .order_by(sa.func.min(Finding.number))
    ).all()
    units = session.execute(
        sa.select(OrgUnit.id, OrgUnit.name)
        .where(OrgUnit.id.in_(sa.select(Finding.lead_unit_id).where(visible)))
        .order_by(OrgUnit.path)
    ).all()
    return {"categories": list(categories), "units": [(u.id, u.name) for u in units]}


def snapshots(session: Session, inspection: Inspection, limit: int = 24) -> list:
    """The inspection's latest monthly snapshots, oldest first."""
    rows = session.scalars(
        sa.select(RectificationSnapshot)
        .where(RectificationSnapshot.inspection_id == inspection.id)
        .order_by(RectificationSnapshot.taken_on.desc())
        .limit(limit)
    ).all()
    return list(reversed(rows))


# ------------------------------------------------------------------ my tasks, sign-off


def _mine_clause(me: int):
    """Findings a leader answers for themself: as responsible leader, as head of the lead
    unit or of a unit owning one of its measures (not every finding the discipline roles
    may read)."""
    headed = sa.select(OrgUnit.id).where(OrgUnit.head_person_id == me)
    return sa.or_(
        Finding.responsible_leader_id == me,
        Finding.lead_unit_id.in_(headed),
        Finding.id.in_(
            sa.select(RectificationMeasure.finding_id).where(
                RectificationMeasure.owner_unit_id.in_(headed)
            )
        ),
    )


def my_findings(session: Session, user, as_of: date, limit: int = 200) -> list[dict]:
    """The open findings a leader answers for, overdue first, then by what is due next
    (the earliest open measure, else the deadline): rows {finding, overdue, next_due,
    open_measures}. Two queries."""
    me = user.person_id
    if me is None or not can(user, "rectification.lead"):
        return []
    m = RectificationMeasure
    next_due = (
        sa.select(
            m.finding_id.label("finding_id"),
            sa.func.min(m.due_on).label("next_due"),
            sa.func.count().label("open"),
        )
        .where(m.status == "open")
        .group_by(m.finding_id)
        .subquery()
    )
    overdue = finding_overdue_clause(as_of)
    due = sa.func.coalesce(next_due.c.next_due, Finding.deadline)
    rows = session.execute(
        sa.select(Finding, overdue.label("overdue"), due.label("due"), next_due.c.open)
        .outerjoin(next_due, next_due.c.finding_id == Finding.id)
        .where(_mine_clause(me), full_finding_clause(user), Finding.status != "completed")
        .options(joinedload(Finding.inspection))
        .order_by(sa.desc(overdue), due.is_(None), due, Finding.id)
        .limit(limit)
    ).all()
    return [
        {"finding": f, "overdue": bool(o), "next_due": d, "open_measures": n or 0}
        for f, o, d, n in rows
    ]


def my_measures(session: Session, user, as_of: date, limit: int = 200) -> list[dict]:
    """The measures the user owns: open ones first (overdue first, by due date), then the
    done ones (latest first). Rows {measure, overdue}. One query."""
    me = user.person_id
    if me is None or not can(user, "rectification.take_part"):
        return []
    m = RectificationMeasure
    overdue = measure_overdue_clause(as_of)
    rows = session.execute(
        sa.select(m, overdue.label("overdue"))
        .join(Finding, Finding.id == m.finding_id)
        .where(m.owner_person_id == me)
        .options(joinedload(m.finding).joinedload(Finding.inspection), selectinload(m.evidence))
        .order_by(
            (m.status == "done"),
            sa.desc(overdue),
            m.due_on.is_(None),
            m.due_on,
            m.done_on.desc(),
            m.id,
        )
        .limit(limit)
    ).all()
    return [{"measure": measure, "overdue": bool(o)} for measure, o in rows]


def sign_off_select() -> sa.Select:
    """SELECT of the findings waiting for sign-off, the earliest request first, with their
    inspection, measures and evidence."""
    return (
        sa.select(Finding)
        .where(Finding.status == "completion_requested")
        .options(
            joinedload(Finding.inspection),
            selectinload(Finding.measures).selectinload(RectificationMeasure.evidence),
        )
        .order_by(Finding.completion_requested_at, Finding.id)
    )


# ------------------------------------------------------------------ history


def history(session: Session, finding: Finding) -> list[AuditEntry]:
    """The audit entries of the finding and of its present measures, oldest first."""
    measure_ids = [str(m.id) for m in finding.measures]
    clause = sa.and_(AuditEntry.object_type == "finding", AuditEntry.object_id == str(finding.id))
    if measure_ids:
        clause = sa.or_(
            clause,
            sa.and_(
                AuditEntry.object_type == "rectification_measure",
                AuditEntry.object_id.in_(measure_ids),
            ),
        )
    rows = session.scalars(
        sa.select(AuditEntry).where(clause).order_by(AuditEntry.id.desc()).limit(HISTORY_LIMIT)
    ).all()
    return list(reversed(rows))


# ------------------------------------------------------------------ evidence picker


def _talk_label(talk: Talk) -> str:
    day = talk.held_at.date().isoformat() if talk.held_at else ""
    who = talk.interviewee.name if talk.interviewee is not None else ""
    return " ".join(x for x in (f"#{talk.id}", day, who) if x)


def picker(session: Session, user) -> dict[str, list[tuple[int, str]]]:
    """The records of each type the user may link as evidence (the newest PICKER_LIMIT of
    each; the same rules as permissions.link_readable, which judges the choice again)."""
    out: dict[str, list[tuple[int, str]]] = {}
    talks = session.scalars(
        sa.select(Talk)
        .where(visible_clause(user))
        .options(joinedload(Talk.interviewee))
        .order_by(Talk.id.desc())
        .limit(PICKER_LIMIT)
    ).all()
    out["talk"] = [(t.id, _talk_label(t)) for t in talks if contents_visible(user, t)]
    if can(user, "risks.edit"):
        stmt = risk_queries.points(
            risk_scope(user), get_risk_settings(session), include_retired=True, eager=False
        )
        points = session.scalars(
            stmt.order_by(None).order_by(RiskPoint.id.desc()).limit(PICKER_LIMIT)
        ).all()
        out["risk_point"] = [(p.id, f"#{p.id} {p.title}") for p in points]
        campaigns = session.execute(
            sa.select(RiskCampaign.id, RiskCampaign.name)
            .order_by(RiskCampaign.id.desc())
            .limit(PICKER_LIMIT)
        ).all()
        out["risk_campaign"] = [(c.id, f"#{c.id} {c.name}") for c in campaigns]
    if can(user, "rotation.read"):
        plans = session.execute(
            sa.select(RotationPlan.id, RotationPlan.name)
            .order_by(RotationPlan.id.desc())
            .limit(PICKER_LIMIT)
        ).all()
        out["rotation_plan"] = [(p.id, f"#{p.id} {p.name}") for p in plans]
        deferrals = session.execute(
            sa.select(RotationDeferral.id, Person.name, RotationDeferral.minutes_no)
            .join(Person, Person.id == RotationDeferral.person_id)
            .where(scope_for(user).person_clause())
            .order_by(RotationDeferral.id.desc())
            .limit(PICKER_LIMIT)
        ).all()
        out["deferral"] = [(d.id, f"#{d.id} {d.name} {d.minutes_no}") for d in deferrals]
    return {k: v for k, v in out.items() if v}


# ------------------------------------------------------------------ the start page


def desk(session: Session, user, today: date) -> dict:
    """The start page's rectification figures (counts only, at most three statements): the
    findings waiting for sign-off (the discipline roles), the open findings a leader answers
    for and the measures one owns, with how many of each are overdue. Zeros where a figure
    is not the user's."""
    out = {"sign_off": 0, "findings": 0, "overdue_findings": 0, "measures": 0}
    out["overdue_measures"] = 0
    if can(user, "rectification.manage"):
        out["sign_off"] = session.scalar(
            sa.select(sa.func.count()).where(Finding.status == "completion_requested")
        )
    me = getattr(user, "person_id", None)
    if me is None:
        return out
    if can(user, "rectification.lead"):
        row = session.execute(
            sa.select(
                sa.func.count(),
                sa.func.sum(sa.case((finding_overdue_clause(today), 1), else_=0)),
            ).where(_mine_clause(me), full_finding_clause(user), Finding.status != "completed")
        ).one()
        out["findings"], out["overdue_findings"] = row[0], int(row[1] or 0)
    if can(user, "rectification.take_part"):
        m = RectificationMeasure
        row = session.execute(
            sa.select(
                sa.func.count(),
                sa.func.sum(sa.case((measure_overdue_clause(today), 1), else_=0)),
            ).where(m.owner_person_id == me, m.status == "open")
        ).one()
        out["measures"], out["overdue_measures"] = row[0], int(row[1] or 0)
    return out
