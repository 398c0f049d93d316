"""What the rotation pages read: a person in scope with their assignments, holds, deferrals
and plan items; a plan with everything its editor shows; plans with their sizes."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from supervision.common.errors import NotFound
from supervision.extensions import db
from supervision.org import queries as org_queries
from supervision.org.models import Assignment, Person, Post
from supervision.org.scope import Scope
from supervision.rotation import plans, services
from supervision.rotation.labels import PLAN_STATUS_LABELS
from supervision.rotation.models import (
    RotationDeferral,
    RotationHold,
    RotationPlan,
    RotationPlanItem,
)

#: Destination posts offered in the plan editor before the user types a filter.
POST_OPTIONS = 100


def person_in_scope(scope: Scope, person_id: int) -> Person:
    """The person with their unit if in `scope`; 404 for an unknown or hidden person."""
    who = db.session.scalar(
        org_queries.people(scope).where(Person.id == person_id).options(joinedload(Person.org_unit))
    )
    if who is None:
        raise NotFound(_("No %(what)s with id %(id)s.", what=_("person"), id=person_id))
    return who


def assignments_of(person_id: int) -> list[Assignment]:
    """Every assignment of the person, with post and unit, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Assignment)
            .where(Assignment.person_id == person_id)
            .options(joinedload(Assignment.post).joinedload(Post.org_unit))
            .order_by(Assignment.start_date, Assignment.id)
        )
    )


def holds_of(person_id: int) -> list[RotationHold]:
    """The person's discipline holds, current and released."""
    return list(db.session.scalars(services.list_query(RotationHold, person_id=person_id)))


def deferrals_of(person_id: int) -> list[RotationDeferral]:
    """The person's deferrals, in force or not."""
    return list(db.session.scalars(services.list_query(RotationDeferral, person_id=person_id)))


def plan_items_of(person_id: int) -> list[RotationPlanItem]:
    """Every plan item naming the person, newest plan first, with plan and posts."""
    return list(
        db.session.scalars(
            sa.select(RotationPlanItem)
            .join(RotationPlan)
            .where(RotationPlanItem.person_id == person_id)
            .options(
                joinedload(RotationPlanItem.plan),
                joinedload(RotationPlanItem.from_post),
                joinedload(RotationPlanItem.to_post),
            )
            .order_by(RotationPlan.created_at.desc(), RotationPlan.id.desc())
        )
    )


def plans_with_sizes(status: str | None) -> sa.Select:
    """SELECT of (plan, number of items), newest first, optionally of one status."""
    count = (
        sa.select(sa.func.count(RotationPlanItem.id))
        .where(RotationPlanItem.plan_id == RotationPlan.id)
        .scalar_subquery()
    )
    return plans.list_plans(status).add_columns(count)


def plan_for_editor(plan_id: int) -> RotationPlan:
    """The plan with its items, people, posts and assignments loaded in a fixed number of
    queries; 404 when there is none."""
    plan = db.session.scalar(
        sa.select(RotationPlan)
        .where(RotationPlan.id == plan_id)
        .options(
            selectinload(RotationPlan.items).options(
                joinedload(RotationPlanItem.person).joinedload(Person.org_unit),
                joinedload(RotationPlanItem.from_post).joinedload(Post.org_unit),
                joinedload(RotationPlanItem.to_post).joinedload(Post.org_unit),
                joinedload(RotationPlanItem.closed_assignment),
                joinedload(RotationPlanItem.opened_assignment),
            )
        )
    )
    if plan is None:
        raise NotFound(_("No %(what)s with id %(id)s.", what=_("rotation plan"), id=plan_id))
    return plan


def first_posts(limit: int = POST_OPTIONS) -> list:
    """(code, name) of the first posts by code: the editor's list before a filter is typed
    (planning is HR's, whose scope is everything)."""
    return list(
        db.session.execute(sa.select(Post.code, Post.name).order_by(Post.code).limit(limit))
    )


def matching_posts(scope: Scope, q: str | None, limit: int = 30) -> list[Post]:
    """Posts of the scope whose code or name contains `q`, with their units, by code."""
    stmt = org_queries.posts(scope, q=q or None).options(joinedload(Post.org_unit)).limit(limit)
    return list(db.session.scalars(stmt))


def plan_counts(session) -> list[tuple[str, int]]:
    """(status, number of plans) of every plan state, in workflow order (one grouped query)."""
    found = dict(
        session.execute(
            sa.select(RotationPlan.status, sa.func.count()).group_by(RotationPlan.status)
        ).all()
    )
    return [(status, found.get(status, 0)) for status in PLAN_STATUS_LABELS]


def names_of(pairs: list[tuple[int, int]]) -> list[tuple[str, str]]:
    """(person name, post name) of ticked (person, post) pairs, in their order (two queries)."""
    if not pairs:
        return []
    people = dict(
        db.session.execute(
            sa.select(Person.id, Person.name).where(Person.id.in_({p for p, _q in pairs}))
        ).all()
    )
    posts = dict(
        db.session.execute(
            sa.select(Post.id, Post.name).where(Post.id.in_({q for _p, q in pairs}))
        ).all()
    )
    return [(people[p], posts[q]) for p, q in pairs if p in people and q in posts]
