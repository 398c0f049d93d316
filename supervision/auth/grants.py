"""Role changes under separation of duties (SPEC §4, 三员分立).

- Nobody changes their own roles on a page (the command line is exempt: whoever runs it
  holds the server and the database already).
- A discipline role (CONFIRMED_ROLES) given on a page becomes a pending RoleGrant: the user
  does not hold it, and so gains nothing, until a discipline secretary other than the
  grantor (and other than the user) confirms it. It may be rejected by a secretary or
  withdrawn by an administrator or its grantor meanwhile.
- Other roles, and every removal, take effect at once; the command line grants any role at
  once (that is how the first secretary is made).
- Every change is audited and announced by the `role_changed` signal, on which the
  reminders package notifies the discipline secretaries.

Services take a session and flush; the caller commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, selectinload

from supervision.audit.services import record
from supervision.auth.models import CONFIRMED_ROLES, RoleGrant, User, UserRole
from supervision.auth.signals import RoleChange, role_changed
from supervision.common import clock
from supervision.common.errors import Conflict, Forbidden, NotFound
from supervision.common.permissions import can

#: The page listing the pending grants (the link in the secretaries' notices).
PENDING_GRANTS_PATH = "/admin/role-grants/"


def own_roles_error() -> str:
    """The refusal shown to whoever tries to change their own roles."""
    return _(
        "You cannot change your own roles (separation of duties); another administrator must do it."
    )


def pending_select() -> sa.Select:
    """The pending grants, oldest first, with their user, person and grantor loaded."""
    return (
        sa.select(RoleGrant)
        .where(RoleGrant.status == "pending")
        .options(
            selectinload(RoleGrant.user).selectinload(User.person),
            selectinload(RoleGrant.granted_by),
        )
        .order_by(RoleGrant.granted_at, RoleGrant.id)
    )


def pending_by_user(session: Session, user_ids: Iterable[int]) -> dict[int, list[RoleGrant]]:
    """{user id: their pending grants} for `user_ids` (one query)."""
    ids = sorted(set(user_ids))
    out: dict[int, list[RoleGrant]] = defaultdict(list)
    if ids:
        for grant in session.scalars(pending_select().where(RoleGrant.user_id.in_(ids))):
            out[grant.user_id].append(grant)
    return dict(out)


def apply_roles(
    session: Session, user: User, roles: Sequence[str], acting_user: User | None
) -> list[RoleChange]:
    """Make `roles` the roles of `user` as separation of duties allows; the changes made.

    With an `acting_user` (a page), discipline roles the user lacks become pending grants
    (one per role: a role already pending is left as it is); without one (the command
    line) every role is given at once. Removals take effect at once. The caller checked
    that `acting_user` is not `user`, audits the role list and calls `announce`.
    """
    wanted = list(dict.fromkeys(roles))
    current = user.roles
    if acting_user is None:
        at_once, to_confirm = [r for r in wanted if r not in current], []
    else:
        at_once = [r for r in wanted if r not in current and r not in CONFIRMED_ROLES]
        to_confirm = [r for r in wanted if r not in current and r in CONFIRMED_ROLES]
    changes = [RoleChange("removed", r) for r in sorted(current) if r not in wanted]
    user.role_rows = [row for row in user.role_rows if row.role in wanted] + [
        UserRole(role=r) for r in at_once
    ]
    changes += [RoleChange("granted", r) for r in at_once]
    if to_confirm:
        session.add(user)
        session.flush()
        already = set(
            session.scalars(
                sa.select(RoleGrant.role).where(
                    RoleGrant.user_id == user.id, RoleGrant.status == "pending"
                )
            )
        )
        for role in to_confirm:
            if role in already:
                continue
            grant = RoleGrant(
                user_id=user.id,
                role=role,
                status="pending",
                granted_by_id=acting_user.id,
                granted_at=clock.now(),
            )
            session.add(grant)
            session.flush()
            record(
                session,
                "create",
                "role_grant",
                grant.id,
                {"user_id": [None, user.id], "role": [None, role], "status": [None, "pending"]},
            )
            changes.append(RoleChange("pending", role, grant.id, acting_user.username))
    return changes


def announce(
    session: Session, user: User, changes: list[RoleChange], acting_user: User | None
) -> None:
    """Tell the layers above that `user`'s roles changed (nothing when nothing did)."""
    if changes:
        role_changed.send(session, user=user, changes=list(changes), actor=acting_user)


def _pending_grant(session: Session, grant_id: int) -> RoleGrant:
    grant = session.get(RoleGrant, grant_id)
    if grant is None:
        raise NotFound(_("No %(what)s with id %(id)s.", what=_("role grant"), id=grant_id))
    if grant.status != "pending":
        raise Conflict(_("This grant was already decided or withdrawn."))
    return grant


def _decide(session: Session, grant: RoleGrant, status: str, acting_user: User) -> None:
    grant.status = status
    grant.decided_by_id = acting_user.id
    grant.decided_at = clock.now()
    session.flush()
    action = {"confirmed": "approve", "rejected": "reject", "withdrawn": "revoke"}[status]
    record(
        session,
        action,
        "role_grant",
        grant.id,
        {"status": ["pending", status], "user_id": [grant.user_id, grant.user_id]},
    )


def confirm_grant(session: Session, grant_id: int, acting_user: User) -> RoleGrant:
    """Confirm a pending grant: the user holds the role from now on. Only a discipline
    secretary who is neither the grantor nor the grantee may."""
    grant = _pending_grant(session, grant_id)
    if not can(acting_user, "users.confirm_grants"):
        raise Forbidden(_("Only a discipline secretary may confirm a role grant."))
    if grant.granted_by_id == acting_user.id:
        raise Forbidden(
            _("You made this grant yourself: another discipline secretary must confirm it.")
        )
    if grant.user_id == acting_user.id:
        raise Forbidden(
            _("This role was granted to you: another discipline secretary must confirm it.")
        )
    user = grant.user
    before = sorted(user.roles)
    if grant.role not in user.roles:
        user.role_rows.append(UserRole(role=grant.role))
    _decide(session, grant, "confirmed", acting_user)
    after = sorted(user.roles)
    if before != after:
        record(session, "update", "user", user.id, {"roles": [before, after]})
    grantor = grant.granted_by.username if grant.granted_by else ""
    announce(session, user, [RoleChange("confirmed", grant.role, grant.id, grantor)], acting_user)
    return grant


def reject_grant(session: Session, grant_id: int, acting_user: User) -> RoleGrant:
    """Reject a pending grant (a discipline secretary): the user never holds the role."""
    grant = _pending_grant(session, grant_id)
    if not can(acting_user, "users.confirm_grants"):
        raise Forbidden(_("Only a discipline secretary may reject a role grant."))
    _decide(session, grant, "rejected", acting_user)
    grantor = grant.granted_by.username if grant.granted_by else ""
    announce(
        session, grant.user, [RoleChange("rejected", grant.role, grant.id, grantor)], acting_user
    )
    return grant


def withdraw_grant(session: Session, grant_id: int, acting_user: User) -> RoleGrant:
    """Withdraw a pending grant (an administrator, or whoever made it)."""
    grant = _pending_grant(session, grant_id)
    if not (can(acting_user, "users.manage") or grant.granted_by_id == acting_user.id):
        raise Forbidden(_("Only an administrator or its grantor may withdraw a role grant."))
    _decide(session, grant, "withdrawn", acting_user)
    grantor = grant.granted_by.username if grant.granted_by else ""
    announce(
        session, grant.user, [RoleChange("withdrawn", grant.role, grant.id, grantor)], acting_user
    )
    return grant
