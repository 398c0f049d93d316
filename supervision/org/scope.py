"""The part of the organisation a user sees (SPEC §4), enforced in queries.

Objects outside the caller's scope are answered 404, never 403, so existence does not leak.
Which roles see everything comes from the role table (`supervision.common.permissions`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import g
from flask_babel import gettext as _
from flask_login import current_user

from supervision.common.errors import NotFound
from supervision.common.permissions import can
from supervision.extensions import db
from supervision.org.models import OrgUnit, Person, in_subtree


@dataclass(frozen=True)
class Scope:
    """The part of the organisation a user may see."""

    everything: bool = False
    #: Materialised paths whose whole subtree is visible.
    subtree_paths: tuple[str, ...] = ()
    #: Single units visible without their subtree (a leader's own unit).
    unit_ids: tuple[int, ...] = ()
    #: People visible individually (one's own record).
    person_ids: tuple[int, ...] = field(default=())

    def unit_clause(self, unit_table=None):
        """SQL condition on OrgUnit rows in scope."""
        u = unit_table if unit_table is not None else OrgUnit
        if self.everything:
            return sa.true()
        conds = [in_subtree(u.path, p) for p in self.subtree_paths]
        if self.unit_ids:
            conds.append(u.id.in_(self.unit_ids))
        return sa.or_(*conds) if conds else sa.false()

    def unit_ids_select(self):
        """SELECT of the ids of units in scope."""
        return sa.select(OrgUnit.id).where(self.unit_clause())

    def person_clause(self):
        """SQL condition on Person rows in scope (their unit in scope, or named)."""
        if self.everything:
            return sa.true()
        conds = []
        if self.subtree_paths or self.unit_ids:
            conds.append(Person.org_unit_id.in_(self.unit_ids_select()))
        if self.person_ids:
            conds.append(Person.id.in_(self.person_ids))
        return sa.or_(*conds) if conds else sa.false()


EVERYTHING = Scope(everything=True)
NOTHING = Scope()


def scope_for(user) -> Scope:
    """A user's org scope: all for org-wide roles; subtrees for leaders; self for staff."""
    if user is None or not user.is_authenticated:
        return NOTHING
    if can(user, "org.read_all"):
        return EVERYTHING
    if user.person_id is None:
        return NOTHING
    if not can(user, "scope.led_units"):
        return Scope(person_ids=(user.person_id,))
    return leader_scope(user.person_id)


def leader_scope(person_id: int) -> Scope:
    """The units a leader answers for: subtrees they head or supervise, plus their own unit."""
    led = (
        db.session.execute(
            sa.select(OrgUnit.path).where(
                sa.or_(
                    OrgUnit.head_person_id == person_id,
                    OrgUnit.supervising_leader_id == person_id,
                )
            )
        )
        .scalars()
        .all()
    )
    own_unit = db.session.scalar(sa.select(Person.org_unit_id).where(Person.id == person_id))
    return Scope(
        subtree_paths=tuple(sorted(set(led))),
        unit_ids=(own_unit,) if own_unit else (),
        person_ids=(person_id,),
    )


def led_scope(user) -> Scope:
    """A leader's units (SPEC §4 "their scope"), or nothing for the other roles; callers
    decide first which grant sees everything."""
    if user is not None and user.is_authenticated and user.person_id is not None:
        if can(user, "scope.led_units"):
            return leader_scope(user.person_id)
    return NOTHING


def risk_scope(user) -> Scope:
    """Whose risk inventories a user sees: all for the reviewers, a leader's units,
    nobody's for other roles (HR and admins see no inventories, SPEC §4)."""
    if user is None or not user.is_authenticated:
        return NOTHING
    if can(user, "risks.review"):
        return EVERYTHING
    return led_scope(user)


def current_scope() -> Scope:
    """The org scope of the logged-in user (cached for the request)."""
    if "scope" not in g:
        g.scope = scope_for(current_user)
    return g.scope


def current_risk_scope() -> Scope:
    """The risk-inventory scope of the logged-in user (cached for the request)."""
    if "risk_scope" not in g:
        g.risk_scope = risk_scope(current_user)
    return g.risk_scope


def unit_in_scope(
    scope: Scope | None, unit_id: int | None, field: str | None = None
) -> OrgUnit | None:
    """The unit if it is in `scope` (any unit when `scope` is None; None when no id is
    given); 404 for an unknown or hidden unit alike, so existence does not leak. `field`
    names the input the error belongs to on a form (the report pages)."""
    if unit_id is None:
        return None
    stmt = sa.select(OrgUnit).where(OrgUnit.id == unit_id)
    if scope is not None:
        stmt = stmt.where(scope.unit_clause())
    unit = db.session.scalar(stmt)
    if unit is None:
        errors = {field: [_("No such org unit.")]} if field else None
        raise NotFound(_("No %(what)s with id %(id)s.", what=_("org unit"), id=unit_id), errors)
    return unit
