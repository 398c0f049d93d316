"""The eligibility engine of rotation (SPEC §7): tenure, due dates and statuses computed
set-based for a whole scope (or a batch of people), the single source of these rules.
supervision.rotation.eligibility answers from the maintained table when it can and runs
this engine otherwise; supervision.rotation.maintained fills the table with it.

One run reads a fixed handful of statements whatever the number of people: the stints of
the people concerned in sensitive or leadership posts (one query, with the person and post
columns), their unreleased holds, the deferrals in force, and the approved plans not yet
executed; plus the policy. Tenure, due dates and statuses are then linear work in Python
through the pure rules of supervision.rotation.rules.

Only active people are considered. A row is one person and one sensitive or leadership post
held on `as_of`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from supervision.org.models import Assignment, OrgUnit, Person, Post, in_subtree
from supervision.org.scope import Scope
from supervision.rotation import rules
from supervision.rotation.models import (
    RotationDeferral,
    RotationHold,
    RotationPlan,
    RotationPlanItem,
)
from supervision.rotation.settings import get_rotation_settings

#: Sort order of statuses in lists: the ones needing action first.
STATUS_ORDER = {s: i for i, s in enumerate(rules.STATUSES)}


@dataclass
class Row:
    """One person in one sensitive or leadership post, as of a date."""

    person_id: int
    post_id: int
    tenure_start: date
    tenure_days: int
    threshold_years: int
    due_on: date
    status: str
    reasons: list[str]
    # What lists and reports show alongside:
    person_name: str
    staff_no: str
    personnel_type: str
    org_unit_id: int
    org_unit_name: str
    path: str
    post_name: str
    post_code: str
    post_category: str
    post_unit_id: int
    retirement_date: date | None = None
    probation_until: date | None = None
    #: The deferral in force (id, expires_on), for links; never the hold's reason.
    deferral_id: int | None = None
    deferral_expires_on: date | None = None
    plan_id: int | None = None
    stints: list = field(default_factory=list, repr=False)

    @property
    def tenure_years(self) -> float:
        """Tenure in years, for display (days ÷ 365.25, one decimal)."""
        return round(self.tenure_days / 365.25, 1)


@dataclass(frozen=True)
class Filters:
    """What to compute for: a unit's subtree, one person, a post category, a personnel type."""

    unit_path: str | None = None
    person_id: int | None = None
    post_category: str | None = None
    personnel_type: str | None = None


def _rows(session: Session, stmt) -> list:
    """Rows of a column select through Core (no ORM row processing: these can be large)."""
    session.flush()
    return session.connection().execute(stmt).all()


def people_clause(scope: Scope | None, filters: Filters, people: list[int] | None = None):
    """SQL condition on Person (joined to the person's OrgUnit): who may appear (among
    `people` when given: a batch of ids, see compute_people)."""
    conds = [Person.is_active.is_(True)]
    if people is not None:
        conds.append(Person.id.in_(people))
    if filters.unit_path is not None:
        conds.append(in_subtree(OrgUnit.path, filters.unit_path))
    if filters.person_id is not None:
        conds.append(Person.id == filters.person_id)
    if filters.personnel_type is not None:
        conds.append(Person.personnel_type == filters.personnel_type)
    if scope is not None and not scope.everything:
        conds.append(scope.person_clause())
    return sa.and_(*conds)


def _people_ids(scope: Scope | None, filters: Filters, people: list[int] | None = None):
    """A SELECT of the ids of the people concerned (for the side tables)."""
    if people is not None:
        return people
    if filters.person_id is not None and (scope is None or scope.everything):
        return sa.select(sa.literal(filters.person_id))
    return (
        sa.select(Person.id)
        .join(OrgUnit, OrgUnit.id == Person.org_unit_id)
        .where(people_clause(scope, filters))
    )


def _stints(
    session: Session,
    as_of: date,
    scope: Scope | None,
    filters: Filters,
    people: list[int] | None = None,
):
    """{(person, post): [columns..., stints]} for every pair whose post is sensitive or a
    leadership position, from ONE query over the assignments started by `as_of`."""
    conds = [
        Assignment.start_date <= as_of,
        sa.or_(Post.is_sensitive.is_(True), Post.is_leadership.is_(True)),
        people_clause(scope, filters, people),
    ]
    if filters.post_category is not None:
        conds.append(Post.category == filters.post_category)
    stmt = (
        sa.select(
            Assignment.person_id,
            Assignment.post_id,
            Assignment.start_date,
            Assignment.end_date,
            Person.name,
            Person.staff_no,
            Person.personnel_type,
            Person.org_unit_id,
            Person.retirement_date,
            Person.probation_until,
            OrgUnit.name,
            OrgUnit.path,
            Post.name,
            Post.code,
            Post.category,
            Post.org_unit_id,
            Post.is_sensitive,
            Post.is_leadership,
            Post.is_technical,
            Post.rotation_years,
        )
        .join(Person, Person.id == Assignment.person_id)
        .join(OrgUnit, OrgUnit.id == Person.org_unit_id)
        .join(Post, Post.id == Assignment.post_id)
        .where(*conds)
    )
    pairs: dict[tuple[int, int], tuple] = {}
    stints: dict[tuple[int, int], list] = defaultdict(list)
    for r in _rows(session, stmt):
        key = (r[0], r[1])
        stints[key].append((r[2], r[3]))
        if key not in pairs:
            pairs[key] = r[4:]
    return pairs, stints


def _holds(session, people) -> dict[int, int]:
    """{person: hold id} of unreleased holds."""
    stmt = (
        sa.select(RotationHold.person_id, RotationHold.id)
        .where(RotationHold.released_at.is_(None), RotationHold.person_id.in_(people))
        .order_by(RotationHold.id)
    )
    return dict(_rows(session, stmt))


def _deferrals(session, people, as_of: date) -> dict[int, tuple[int, date]]:
    """{person: (deferral id, expires_on)} of the deferral in force lasting longest."""
    stmt = (
        sa.select(RotationDeferral.person_id, RotationDeferral.id, RotationDeferral.expires_on)
        .where(
            RotationDeferral.revoked_at.is_(None),
            RotationDeferral.meeting_date <= as_of,
            RotationDeferral.expires_on >= as_of,
            RotationDeferral.person_id.in_(people),
        )
        .order_by(RotationDeferral.expires_on, RotationDeferral.id)
    )
    return {pid: (did, exp) for pid, did, exp in _rows(session, stmt)}


def _planned(session, people) -> dict[int, int]:
    """{person: plan id} of people in an approved plan not yet executed."""
    stmt = (
        sa.select(RotationPlanItem.person_id, RotationPlan.id)
        .join(RotationPlan, RotationPlan.id == RotationPlanItem.plan_id)
        .where(RotationPlan.status == "approved", RotationPlanItem.person_id.in_(people))
    )
    return dict(_rows(session, stmt))


def compute(
    session: Session,
    as_of: date,
    scope: Scope | None,
    filters: Filters,
    policy: dict,
    only: list[int] | None = None,
) -> list[Row]:
    """Eligibility rows as of a date under `policy`, sorted: most urgent status first,
    then due date; of the scope, filters and (when given) the people `only`."""
    pairs, stints = _stints(session, as_of, scope, filters, only)
    if not pairs:
        return []
    people = _people_ids(scope, filters, only)
    holds = _holds(session, people)
    deferrals = _deferrals(session, people, as_of)
    planned = _planned(session, people)
    out: list[Row] = []
    for (pid, post_id), cols in pairs.items():
        history = stints[(pid, post_id)]
        if not any(end is None or end >= as_of for _start, end in history):
            continue  # not held on as_of
        (
            name,
            staff_no,
            ptype,
            unit_id,
            retirement,
            probation,
            unit_name,
            path,
            post_name,
            post_code,
            category,
            post_unit,
            sensitive,
            leadership,
            technical,
            years,
        ) = cols
        threshold = rules.threshold_years(
            policy,
            rotation_years=years,
            is_sensitive=sensitive,
            is_leadership=leadership,
            personnel_type=ptype,
        )
        tenure = rules.tenure(
            history, as_of, threshold, policy["tenure_mode"], policy["gap_tolerance_days"]
        )
        near = rules.near_retirement(retirement, as_of, policy["retirement_window_days"])
        deferral = deferrals.get(pid)
        status = rules.status(
            due_on=tenure.due_on,
            as_of=as_of,
            upcoming_days=policy["upcoming_days"],
            blocked=pid in holds,
            planned=pid in planned,
            deferred=deferral is not None or near,
        )
        reasons = rules.reasons(
            near_retirement=near,
            on_probation=probation is not None and probation >= as_of,
            under_review=pid in holds,
            deferred=deferral is not None,
            technical_post=technical,
            leader_term=leadership,
        )
        out.append(
            Row(
                person_id=pid,
                post_id=post_id,
                tenure_start=tenure.start,
                tenure_days=tenure.days,
                threshold_years=threshold,
                due_on=tenure.due_on,
                status=status,
                reasons=reasons,
                person_name=name,
                staff_no=staff_no,
                personnel_type=ptype,
                org_unit_id=unit_id,
                org_unit_name=unit_name,
                path=path,
                post_name=post_name,
                post_code=post_code,
                post_category=category,
                post_unit_id=post_unit,
                retirement_date=retirement,
                probation_until=probation,
                deferral_id=deferral[0] if deferral else None,
                deferral_expires_on=deferral[1] if deferral else None,
                plan_id=planned.get(pid),
                stints=sorted(history, key=lambda s: s[0]),
            )
        )
    out.sort(key=lambda r: (STATUS_ORDER[r.status], r.due_on, r.path, r.staff_no, r.post_code))
    return out


def compute_people(
    session: Session, as_of: date, people: list[int], policy: dict | None = None
) -> list[Row]:
    """The engine's rows of the people with these ids (one batch: at most
    common.batches.BATCH ids, each statement binds them once), whatever the scope: what
    the maintained table is filled with."""
    if not people:
        return []
    return compute(
        session, as_of, None, Filters(), policy or get_rotation_settings(session), people
    )
