"""The people behind the users that hold a role (recipients and conductors by role, SPEC §6,
§8)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from supervision.auth.models import User, UserRole
from supervision.org.models import Person


def people_holding_select(roles) -> sa.Select:
    """SELECT of the ids of active people linked to enabled users holding any of `roles`,
    by id."""
    return (
        sa.select(Person.id)
        .join(User, User.person_id == Person.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            UserRole.role.in_(sorted(roles)),
            User.is_enabled.is_(True),
            Person.is_active.is_(True),
        )
        .order_by(Person.id)
        .distinct()
    )


def people_holding(session: Session, roles) -> list[int]:
    """The ids of active people linked to enabled users holding any of `roles`."""
    return list(session.scalars(people_holding_select(roles)))
