"""Users, password hashing (argon2), API tokens (stored as SHA-256) and login bookkeeping."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from supervision.audit.services import record
from supervision.auth import grants
from supervision.auth.models import ApiToken, User, UserRole
from supervision.auth.passwords import policy_errors
from supervision.auth.sessions import end_all_sessions
from supervision.common import clock
from supervision.common.errors import Conflict, Forbidden, Invalid, NotFound
from supervision.common.permissions import ADMIN, ROLES
from supervision.org.models import Person

TOKEN_PREFIX = "sv_"
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
    *,
    acting_user: User | None = None,
) -> User:
    """Create a user with roles, optionally linked to the person with `staff_no`.

    Created on a page (`acting_user`, an administrator): discipline roles wait for a
    secretary's confirmation (auth.grants) and the password, set by the administrator, must
    be changed at the first login. From the command line (no `acting_user`) every role is
    given at once. Either way the secretaries are told of the roles given.
    """
    username = (username or "").strip()
    errors: dict[str, list[str]] = {}
    if not username or len(username) > 64:
        errors["username"] = [_("Username is required (at most 64 characters).")]
    if problems := policy_errors(password, username):
        errors["password"] = problems
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
    user = User(
        username=username,
        password_hash=hash_password(password),
        person=person,
        must_change_password=acting_user is not None,
        password_changed_at=clock.now(),
    )
    session.add(user)
    session.flush()
    changes = grants.apply_roles(session, user, roles, acting_user)
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
    grants.announce(session, user, changes, acting_user)
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


#: The furthest expiry date a token may be given (days from today).
TOKEN_MAX_DAYS = 366
#: A token's last-use time is written at most this often, so busy scripts cost no writes.
TOKEN_TOUCH_EVERY = timedelta(minutes=5)


def token_expiry(expires_on: date | None) -> datetime | None:
    """The instant a token chosen to expire on `expires_on` stops working: the end of that
    local day. The day must be after today and at most TOKEN_MAX_DAYS ahead."""
    if expires_on is None:
        return None
    today = clock.today()
    if expires_on <= today or expires_on > today + timedelta(days=TOKEN_MAX_DAYS):
        message = _(
            "Choose an expiry date after today and at most %(days)s days ahead (by %(last)s).",
            days=TOKEN_MAX_DAYS,
            last=(today + timedelta(days=TOKEN_MAX_DAYS)).isoformat(),
        )
        raise Invalid(message, {"expires_on": [message]})
    end = datetime.combine(expires_on + timedelta(days=1), time.min, tzinfo=clock.zone())
    return (end - timedelta(microseconds=1)).astimezone(UTC)


def issue_token(
    session: Session, user: User, name: str = "", expires_on: date | None = None
) -> str:
    """Create a personal API token and return it; only its hash is kept. With `expires_on`
    it works until the end of that local day (see token_expiry)."""
    expires_at = token_expiry(expires_on)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user=user,
        name=name[:100],
        token_hash=_digest(token),
        prefix=token[:10],
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    changes = {"user_id": [None, user.id], "name": [None, name]}
    if expires_at is not None:
        changes["expires_at"] = [None, expires_at.isoformat()]
    record(session, "create", "api_token", row.id, changes)
    return token


def token_state(row: ApiToken, now: datetime | None = None) -> str:
    """One of "revoked", "expired" or "valid"."""
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and row.expires_at <= (now or clock.now()):
        return "expired"
    return "valid"


def user_for_token(session: Session, token: str) -> User | None:
    """The enabled user owning a valid (unrevoked, unexpired) token, or None. Notes the
    token's use (at most every TOKEN_TOUCH_EVERY; the caller commits)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = session.scalar(
        sa.select(ApiToken).where(
            ApiToken.token_hash == _digest(token), ApiToken.revoked_at.is_(None)
        )
    )
    now = clock.now()
    if row is None or token_state(row, now) != "valid" or not row.user.is_enabled:
        return None
    if row.last_used_at is None or abs(now - row.last_used_at) >= TOKEN_TOUCH_EVERY:
        row.last_used_at = now
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
    disable their own account, so the system never locks its administrators out. On a
    page (`acting_user`) nobody changes their own roles or sets their own password here,
    discipline roles given wait for a secretary's confirmation (auth.grants), and a
    password set must be changed by the user at the next login.
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
    oneself = acting_user is not None and acting_user.id == user.id
    if oneself and roles is not None and set(roles) != set(user.roles):
        raise Forbidden(grants.own_roles_error(), {"roles": [grants.own_roles_error()]})
    if oneself and password:
        message = _("Change your own password on the page \u201cChange password\u201d.")
        raise Forbidden(message, {"password": [message]})
    if password:
        errors.update(_password_errors(user, password))
    if is_enabled is False and oneself:
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
    role_changes = grants.apply_roles(session, user, roles, acting_user) if roles else []
    user.person_id = person_id
    if is_enabled is not None:
        if is_enabled is False and user.is_enabled:
            end_all_sessions(user)  # re-enabling later must not revive the old sessions
        user.is_enabled = is_enabled
    session.flush()
    after = {
        "roles": sorted(user.roles),
        "person_id": user.person_id,
        "is_enabled": user.is_enabled,
    }
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changes:
        record(session, "update", "user", user.id, changes)
    if password:
        _set_password(session, user, password, forced=True)
    grants.announce(session, user, role_changes, acting_user)
    return user


def _password_errors(user: User, password: str) -> dict[str, list[str]]:
    """The policy's refusals of `password` as `user`'s new password ({} when none)."""
    problems = policy_errors(password, user.username)
    if not problems and check_password(user, password):
        problems = [_("The new password must differ from the current one.")]
    return {"password": problems} if problems else {}


def _set_password(session: Session, user: User, password: str, *, forced: bool) -> None:
    """Store a new password, end every session of the user and audit it (never the
    password). `forced`: set by an administrator, to be changed at the next login."""
    before = user.must_change_password
    user.password_hash = hash_password(password)
    user.must_change_password = forced
    user.password_changed_at = clock.now()
    end_all_sessions(user)
    session.flush()
    changes = {"password": ["(hidden)", "(set by an administrator)" if forced else "(changed)"]}
    if before != forced:
        changes["must_change_password"] = [before, forced]
    record(session, "update", "user", user.id, changes)


def set_password(session: Session, user: User, password: str) -> User:
    """An administrator's new password for `user` (`users password`): checked against the
    policy, to be changed at the next login; every session of the user ends."""
    if errors := _password_errors(user, password or ""):
        raise Invalid(_("Invalid password"), errors)
    _set_password(session, user, password, forced=True)
    return user


def change_password(session: Session, user: User, current_password: str, new_password: str) -> User:
    """The user's own change of password: the current one is required, the new one obeys
    the policy. Every session of the user ends (the caller re-stamps its own)."""
    if not check_password(user, current_password or ""):
        raise Invalid(
            _("The current password is wrong."),
            {"current_password": [_("The current password is wrong.")]},
        )
    errors = _password_errors(user, new_password or "")
    if errors:
        raise Invalid(_("Invalid password"), {"new_password": errors["password"]})
    _set_password(session, user, new_password, forced=False)
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
