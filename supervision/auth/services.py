"""Users, password hashing (argon2), API tokens (stored as SHA-256) and login bookkeeping."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from supervision.audit.services import record
from supervision.auth.models import ROLES, ApiToken, User, UserRole
from supervision.common import clock
from supervision.common.errors import Conflict, Invalid, NotFound
from supervision.org.models import Person

_hasher = PasswordHasher()
TOKEN_PREFIX = "sv_"
MIN_PASSWORD_LENGTH = 8
#: Verifying against this keeps the time of a login for an unknown user like a real one.
_DUMMY_HASH = _hasher.hash("timing-equaliser")


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _hasher.hash(password)


def check_password(user: User | None, password: str) -> bool:
    """Whether `password` matches; constant work whether or not the user exists."""
    try:
        return _hasher.verify(user.password_hash if user else _DUMMY_HASH, password) and bool(user)
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
        errors["username"] = ["Username is required (at most 64 characters)."]
    if len(password or "") < MIN_PASSWORD_LENGTH:
        errors["password"] = [f"Password must have at least {MIN_PASSWORD_LENGTH} characters."]
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        errors["roles"] = [f"Unknown or missing role(s): {', '.join(bad) or '-'}; "
                           f"choose from {', '.join(ROLES)}."]
    person = None
    if staff_no:
        person = session.scalar(sa.select(Person).where(Person.staff_no == staff_no))
        if person is None:
            errors["staff_no"] = [f"No person with staff number {staff_no}."]
    if errors:
        raise Invalid("Invalid user", errors)
    if session.scalar(sa.select(User.id).where(User.username == username)):
        raise Conflict(f"User {username} already exists.")
    if person and session.scalar(sa.select(User.id).where(User.person_id == person.id)):
        raise Conflict(f"Person {staff_no} already has an account.")
    user = User(username=username, password_hash=hash_password(password), person=person)
    user.role_rows = [UserRole(role=r) for r in dict.fromkeys(roles)]
    session.add(user)
    session.flush()
    record(session, "create", "user", user.id,
           {"username": [None, username], "roles": [None, sorted(user.roles)],
            "person_id": [None, person.id if person else None]})
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, name: str = "") -> str:
    """Create a personal API token and return it; only its hash is kept."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user=user, name=name[:100], token_hash=_digest(token), prefix=token[:10])
    session.add(row)
    session.flush()
    record(session, "create", "api_token", row.id, {"user_id": [None, user.id], "name": [None, name]})
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The enabled user owning a valid, unrevoked token, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == _digest(token), ApiToken.revoked_at.is_(None))
    )
    if row is None or not row.user.is_enabled:
        return None
    return row.user


def revoke_token(session: Session, user: User, token_id: int) -> None:
    """Revoke one of `user`'s tokens (404 if it is not theirs)."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound("No such token.")
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        record(session, "revoke", "api_token", row.id, {"revoked_at": [None, row.revoked_at.isoformat()]})


def note_login(session: Session, user: User) -> None:
    """Record a successful login."""
    user.last_login_at = clock.now()
    record(session, "login", "user", user.id, actor_user_id=user.id, actor_name=user.username)


def note_failed_login(session: Session, username: str) -> None:
    """Record a failed login attempt (the username as typed, truncated)."""
    record(session, "login_failed", "user", "", {"username": [None, username[:64]]},
           actor_user_id=None, actor_name="")
