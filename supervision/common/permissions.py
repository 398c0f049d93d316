"""Who may do what, and the org scope a user sees (enforced in queries).

Objects outside the caller's scope are answered 404, never 403, so existence does not leak.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from supervision.extensions import db

#: Roles that read the whole organisation (units, people, posts, assignments).
ORG_READ_ALL = ("admin", "hr", "discipline_secretary", "discipline_member")
#: Roles that change units, people, posts and assignments, and import/export the roster.
ORG_WRITE = ("admin", "hr")
AUDIT_READ = ("admin", "discipline_secretary")
#: Review (approve/return) risk inventories; read every unit's inventory.
RISK_REVIEW = ("discipline_secretary", "discipline_member")
#: Create, edit and submit risk points (leaders within their scope).
RISK_EDIT = ("leader", *RISK_REVIEW)
#: Read rotation eligibility, deferrals, plans and the 应轮尽轮 figures (SPEC §4, §7).
ROTATION_READ = ("admin", "hr", "discipline_secretary", "discipline_member")
#: Change the rotation policy (issue 5: admins and HR).
ROTATION_POLICY = ("admin", "hr")
#: Build, submit and execute rotation plans; record the committee's deferrals.
ROTATION_PLAN = ("hr",)
#: Record the party committee's decision (approve / reject) on a submitted plan.
ROTATION_DECIDE = ("discipline_secretary",)
#: Place and release discipline holds (不得转任) and read their reasons.
ROTATION_HOLD = ("discipline_secretary", "discipline_member")


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
        from supervision.org.models import OrgUnit, in_subtree

        u = unit_table if unit_table is not None else OrgUnit
        if self.everything:
            return sa.true()
        conds = [in_subtree(u.path, p) for p in self.subtree_paths]
        if self.unit_ids:
            conds.append(u.id.in_(self.unit_ids))
        return sa.or_(*conds) if conds else sa.false()

    def unit_ids_select(self):
        """SELECT of the ids of units in scope."""
        from supervision.org.models import OrgUnit

        return sa.select(OrgUnit.id).where(self.unit_clause())

    def person_clause(self):
        """SQL condition on Person rows in scope (their unit in scope, or named)."""
        from supervision.org.models import Person

        if self.everything:
            return sa.true()
        conds = []
        if self.subtree_paths or self.unit_ids:
            conds.append(Person.org_unit_id.in_(self.unit_ids_select()))
        if self.person_ids:
            conds.append(Person.id.in_(self.person_ids))
        return sa.or_(*conds) if conds else sa.false()


def scope_for(user) -> Scope:
    """Compute a user's org scope: all for org-wide roles; subtrees for leaders; self for staff."""
    if user is None or not user.is_authenticated:
        return Scope()
    if user.has_role(*ORG_READ_ALL):
        return Scope(everything=True)
    if user.person_id is None:
        return Scope()
    if not user.has_role("leader"):
        return Scope(person_ids=(user.person_id,))
    return leader_scope(user.person_id)


def leader_scope(person_id: int) -> Scope:
    """The units a leader answers for: subtrees they head or supervise, plus their own unit."""
    from supervision.org.models import OrgUnit, Person

    led = (
        db.session.execute(
            sa.select(OrgUnit.path).where(
                sa.or_(
                    OrgUnit.head_person_id == person_id, OrgUnit.supervising_leader_id == person_id
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


def risk_scope(user) -> Scope:
    """Whose risk inventories a user sees: all for the discipline roles, a leader's units,
    nobody's for other roles (HR and admins see no inventories, SPEC §4)."""
    if user is None or not user.is_authenticated:
        return Scope()
    if user.has_role(*RISK_REVIEW):
        return Scope(everything=True)
    if user.has_role("leader") and user.person_id is not None:
        return leader_scope(user.person_id)
    return Scope()


def current_scope() -> Scope:
    """The org scope of the logged-in user (cached for the request)."""
    from flask import g

    if "scope" not in g:
        g.scope = scope_for(current_user)
    return g.scope


def current_risk_scope() -> Scope:
    """The risk-inventory scope of the logged-in user (cached for the request)."""
    from flask import g

    if "risk_scope" not in g:
        g.risk_scope = risk_scope(current_user)
    return g.risk_scope


def require_roles(*roles: str) -> None:
    """Abort 401 when anonymous, 403 unless the current user holds one of `roles`."""
    if not current_user.is_authenticated:
        abort(401)
    if not current_user.has_role(*roles):
        abort(403)


def roles_required(*roles: str) -> Callable:
    """View decorator: 401 when anonymous, 403 unless the user holds one of `roles`.

    This guards kinds of action; single objects outside the scope are 404 in the queries.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            require_roles(*roles)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def can_write_org() -> bool:
    """Whether the current user may change org data."""
    return current_user.is_authenticated and current_user.has_role(*ORG_WRITE)
