"""Users, password hashing (argon2), API tokens (stored as SHA-256) and login bookkeeping."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from supervision.audit.services import record
from supervision.auth.models import ApiToken, User, UserRole
from supervision.common import clock
from supervision.common.errors import Conflict, Invalid, NotFound
from supervision.common.permissions import ADMIN, ROLES
from supervision.org.models import Person

TOKEN_PREFIX = "sv_"
MIN_PASSWORD_LENGTH = 8
_hashers: dict[tuple, tuple[PasswordHasher, str]] = {}


def _hasher() -> tuple[PasswordHasher, str]:
    """The argon2id hasher for the configured cost (ARGON2_PARAMS), and a dummy hash.

    Verifying against the dummy hash keeps a login for an unknown user as slow as a real one.
    """
    params = current_app.config.get("ARGON2_PARAMS") or {} if has_app_context() else {}
    key = tuple(sorted(params.items()))
    if key not in _hashers:
        ph = PasswordHasher(**params)
        _hashers[key] = (ph, ph.hash("timing-equaliser"))
    return _hashers[key]


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _hasher()[0].hash(password)


def check_password(user: User | None, password: str) -> bool:
    """Whether `password` matches; constant work whether or not the user exists."""
    ph, dummy = _hasher()
    try:
        return ph.verify(user.password_hash if user else dummy, password) and bool(user)
    except (VerificationError, InvalidHashError):
        return False


def create_user(
    session: Session,
    username: str,
    password: str,
    roles: list[str] | tuple[str, ...],
    staff_no: str | None = None,
) -> User:
    """Create a user with roles, optionally linked to the person with `staff_no`."""
    username = (username or "").strip()
    errors: dict[str, list[str]] = {}
    if not username or len(username) > 64:
        errors["username"] = [_("Username is required (at most 64 characters).")]
    if len(password or "") < MIN_PASSWORD_LENGTH:
        errors["password"] = [
            _("Password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)
        ]
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        errors["roles"] = [
            _(
                "Unknown or missing role(s): %(bad)s; choose from %(roles)s.",
                bad=", ".join(bad) or "-",
                roles=", ".join(ROLES),
            )
        ]
    person = None
    if staff_no:
        person = session.scalar(sa.select(Person).where(Person.staff_no == staff_no))
        if person is None:
            errors["staff_no"] = [_("No person with staff number %(staff_no)s.", staff_no=staff_no)]
    if errors:
        raise Invalid(_("Invalid user"), errors)
    if session.scalar(sa.select(User.id).where(User.username == username)):
        raise Conflict(
            _("User %(name)s already exists.", name=username), {"username": [_("Already in use.")]}
        )
    if person and session.scalar(sa.select(User.id).where(User.person_id == person.id)):
        raise Conflict(
            _("Person %(staff_no)s already has an account.", staff_no=staff_no),
            {"staff_no": [_("This person already has an account.")]},
        )
    user = User(username=username, password_hash=hash_password(password), person=person)
    user.role_rows = [UserRole(role=r) for r in dict.fromkeys(roles)]
    session.add(user)
    session.flush()
    record(
        session,
        "create",
        "user",
        user.id,
        {
            "username": [None, username],
            "roles": [None, sorted(user.roles)],
            "person_id": [None, person.id if person else None],
        },
    )
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, name: str = "") -> str:
    """Create a personal API token and return it; only its hash is kept."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user=user, name=name[:100], token_hash=_digest(token), prefix=token[:10])
    session.add(row)
    session.flush()
    record(
        session, "create", "api_token", row.id, {"user_id": [None, user.id], "name": [None, name]}
    )
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The enabled user owning a valid, unrevoked token, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = session.scalar(
        sa.select(ApiToken).where(
            ApiToken.token_hash == _digest(token), ApiToken.revoked_at.is_(None)
        )
    )
    if row is None or not row.user.is_enabled:
        return None
    return row.user


def revoke_token(session: Session, user: User, token_id: int) -> None:
    """Revoke one of `user`'s tokens (404 if it is not theirs)."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound(_("No such token."))
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        record(
            session,
            "revoke",
            "api_token",
            row.id,
            {"revoked_at": [None, row.revoked_at.isoformat()]},
        )


def note_login(session: Session, user: User) -> None:
    """Record a successful login."""
    user.last_login_at = clock.now()
    record(session, "login", "user", user.id, actor_user_id=user.id, actor_name=user.username)


def note_logout(session: Session, user: User) -> None:
    """Record a logout."""
    record(session, "logout", "user", user.id)


def note_failed_login(session: Session, username: str) -> None:
    """Record a failed login attempt (the username as typed, truncated)."""
    record(
        session,
        "login_failed",
        "user",
        "",
        {"username": [None, username[:64]]},
        actor_user_id=None,
        actor_name="",
    )


def update_user(
    session: Session,
    user: User,
    *,
    roles: list[str] | None = None,
    staff_no: str | None = None,
    is_enabled: bool | None = None,
    password: str | None = None,
    acting_user: User | None = None,
) -> User:
    """Change a user's roles, linked person, enabled flag or password (audited).

    The last enabled administrator cannot lose the role or be disabled, and nobody can
    disable their own account, so the system never locks its administrators out.
    """
    errors: dict[str, list[str]] = {}
    before = {
        "roles": sorted(user.roles),
        "person_id": user.person_id,
        "is_enabled": user.is_enabled,
    }
    if roles is not None:
        bad = [r for r in roles if r not in ROLES]
        if bad or not roles:
            errors["roles"] = [_("Choose at least one valid role.")]
    person_id = user.person_id
    if staff_no is not None:
        if staff_no.strip():
            person = session.scalar(sa.select(Person).where(Person.staff_no == staff_no.strip()))
            if person is None:
                errors["staff_no"] = [
                    _("No person with staff number %(staff_no)s.", staff_no=staff_no)
                ]
            else:
                other = session.scalar(
                    sa.select(User.username).where(User.person_id == person.id, User.id != user.id)
                )
                if other:
                    errors["staff_no"] = [
                        _("This person already has the account %(name)s.", name=other)
                    ]
                person_id = person.id
        else:
            person_id = None
    if password and len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = [
            _("Password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)
        ]
    if is_enabled is False and acting_user is not None and acting_user.id == user.id:
        errors["is_enabled"] = [_("You cannot disable your own account.")]
    if errors:
        raise Invalid(_("Invalid user"), errors)
    losing_admin = ADMIN in user.roles and (
        (roles is not None and ADMIN not in roles) or is_enabled is False
    )
    if losing_admin and _enabled_admins(session, exclude=user.id) == 0:
        raise Conflict(
            _("This is the last enabled administrator."),
            {"roles": [_("Keep at least one enabled administrator.")]},
        )
    if roles is not None:
        user.role_rows = [UserRole(role=r) for r in dict.fromkeys(roles)]
    user.person_id = person_id
    if is_enabled is not None:
        user.is_enabled = is_enabled
    if password:
        user.password_hash = hash_password(password)
    session.flush()
    after = {
        "roles": sorted(user.roles),
        "person_id": user.person_id,
        "is_enabled": user.is_enabled,
    }
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if password:
        changes["password"] = ["(hidden)", "(changed)"]
    if changes:
        record(session, "update", "user", user.id, changes)
    return user


def _enabled_admins(session: Session, exclude: int) -> int:
    return (
        session.scalar(
            sa.select(sa.func.count(sa.distinct(User.id)))
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == ADMIN, User.is_enabled, User.id != exclude)
        )
        or 0
    )
