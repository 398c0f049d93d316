"""Scoped, filtered selects shared by the org API and pages."""

from __future__ import annotations

import sqlalchemy as sa

from supervision.common.permissions import Scope
from supervision.org.models import Assignment, OrgUnit, Person, Post


def _like(text: str) -> str:
    escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _subtree_of(unit_id: int):
    parent = sa.select(OrgUnit.path).where(OrgUnit.id == unit_id).scalar_subquery()
    return sa.select(OrgUnit.id).where(OrgUnit.path.startswith(parent))


def units(scope: Scope, q: str | None = None, parent_id: int | None = None, kind: str | None = None):
    """Units in scope, ordered by path (tree order)."""
    stmt = sa.select(OrgUnit).where(scope.unit_clause())
    if q:
        stmt = stmt.where(sa.or_(OrgUnit.name.like(_like(q), escape="\\"),
                                 OrgUnit.code.like(_like(q), escape="\\")))
    if parent_id is not None:
        stmt = stmt.where(OrgUnit.parent_id == parent_id)
    if kind:
        stmt = stmt.where(OrgUnit.kind == kind)
    return stmt.order_by(OrgUnit.path)


def people(scope: Scope, q: str | None = None, org_unit_id: int | None = None,
           personnel_type: str | None = None, leadership: str | None = None,
           is_active: bool | None = None):
    """People in scope, ordered by staff number."""
    stmt = sa.select(Person).where(scope.person_clause())
    if q:
        stmt = stmt.where(sa.or_(Person.name.like(_like(q), escape="\\"),
                                 Person.staff_no.like(_like(q), escape="\\")))
    if org_unit_id is not None:
        stmt = stmt.where(Person.org_unit_id.in_(_subtree_of(org_unit_id)))
    if personnel_type:
        stmt = stmt.where(Person.personnel_type == personnel_type)
    if leadership:
        stmt = stmt.where(Person.leadership == leadership)
    if is_active is not None:
        stmt = stmt.where(Person.is_active.is_(is_active))
    return stmt.order_by(Person.staff_no)


def posts(scope: Scope, q: str | None = None, org_unit_id: int | None = None,
          category: str | None = None, is_sensitive: bool | None = None):
    """Posts of units in scope, ordered by code."""
    stmt = sa.select(Post).where(Post.org_unit_id.in_(scope.unit_ids_select()))
    if q:
        stmt = stmt.where(sa.or_(Post.name.like(_like(q), escape="\\"),
                                 Post.code.like(_like(q), escape="\\")))
    if org_unit_id is not None:
        stmt = stmt.where(Post.org_unit_id.in_(_subtree_of(org_unit_id)))
    if category:
        stmt = stmt.where(Post.category == category)
    if is_sensitive is not None:
        stmt = stmt.where(Post.is_sensitive.is_(is_sensitive))
    return stmt.order_by(Post.code)


def assignments(scope: Scope, person_id: int | None = None, post_id: int | None = None,
                current: bool | None = None):
    """Assignments of people in scope, newest first."""
    visible = sa.select(Person.id).where(scope.person_clause())
    stmt = sa.select(Assignment).where(Assignment.person_id.in_(visible))
    if person_id is not None:
        stmt = stmt.where(Assignment.person_id == person_id)
    if post_id is not None:
        stmt = stmt.where(Assignment.post_id == post_id)
    if current is True:
        stmt = stmt.where(Assignment.end_date.is_(None))
    elif current is False:
        stmt = stmt.where(Assignment.end_date.is_not(None))
    return stmt.order_by(Assignment.start_date.desc(), Assignment.id.desc())


def one(stmt, model, obj_id: int):
    """Add `id == obj_id` to a scoped select."""
    return stmt.where(model.id == obj_id)
