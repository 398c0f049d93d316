"""Users (linked to people), their roles, and personal API tokens (stored hashed)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supervision.common.clock import utcnow
from supervision.common.permissions import ROLES
from supervision.db import UTCDateTime
from supervision.extensions import db
from supervision.org.models import Person


class User(UserMixin, db.Model):
    """A login account; several roles each; usually linked to a person."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    person_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL"), unique=True
    )
    is_enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Set when an administrator sets the password: the user must choose a new one at login.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Bumped to end every session of the user at once (logout, password change, disabling):
    #: a session remembers the epoch it was opened in and is refused once it differs.
    session_epoch: Mapped[int] = mapped_column(default=0)

    person: Mapped[Person | None] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    @property
    def roles(self) -> frozenset[str]:
        """The names of this user's roles."""
        return frozenset(r.role for r in self.role_rows)

    def has_role(self, *roles: str) -> bool:
        """Whether the user holds any of `roles`."""
        return bool(self.roles.intersection(roles))

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled users cannot log in
        return self.is_enabled

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class UserRole(db.Model):
    """One role held by one user."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(sa.String(32), primary_key=True)

    __table_args__ = (
        sa.CheckConstraint(
            "role IN (" + ",".join(f"'{r}'" for r in ROLES) + ")",
            name="role",
        ),
    )


class ApiToken(db.Model):
    """A personal API token; only its SHA-256 is stored. Revoked tokens are kept for audit."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100), default="")
    #: sha256 hex of the secret part of the token.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: First characters of the token, shown so a user can tell tokens apart.
    prefix: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Optional end of validity; None means until revoked.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="tokens")


#: Roles whose grant waits for a second discipline secretary (SPEC §4, separation of duties).
CONFIRMED_ROLES = ("discipline_secretary", "discipline_member")
GRANT_STATUSES = ("pending", "confirmed", "rejected", "withdrawn")


class RoleGrant(db.Model):
    """A grant of a discipline role made on a page or by the API: it changes nothing until a
    discipline secretary other than the grantor confirms it (SPEC §4)."""

    __tablename__ = "role_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[str] = mapped_column(sa.String(12), default="pending")
    granted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    __table_args__ = (
        sa.CheckConstraint(
            "role IN (" + ",".join(f"'{r}'" for r in CONFIRMED_ROLES) + ")", name="grant_role"
        ),
        sa.CheckConstraint(
            "status IN (" + ",".join(f"'{s}'" for s in GRANT_STATUSES) + ")", name="grant_status"
        ),
        # At most one pending grant of a role to a user.
        sa.Index(
            "uq_role_grants_pending",
            "user_id",
            "role",
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        ),
    )
