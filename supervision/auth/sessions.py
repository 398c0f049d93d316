"""Server-side session control (SPEC §4): ending every session of a user at once, and the
idle and absolute timeouts.

The session cookie is signed but kept by the browser, so a copy of it would stay valid for
ever. Each session therefore carries the user's `session_epoch` when it was opened, its login
time and the time it was last seen; the user loader (auth/loaders.py) refuses it when the
epoch is stale (logout, password change, disabled account: end_all_sessions), when it was
idle longer than SESSION_IDLE_MINUTES or is older than SESSION_MAX_HOURS.
"""

from __future__ import annotations

from flask import current_app, session

from supervision.auth.models import User
from supervision.common import clock

#: Session keys (short: they travel in every request's cookie).
EPOCH, LOGIN_AT, SEEN_AT = "_epoch", "_login_at", "_seen_at"
#: The last-seen time is rewritten (a new cookie) at most this often.
SEEN_RESOLUTION_SECONDS = 60
#: Why a session was refused (see `refusal`).
ENDED, TIMED_OUT = "ended", "timed_out"


def end_all_sessions(user: User) -> None:
    """End every session of `user` (every browser, this one included): each session carries
    the epoch it was opened in, and the loader refuses a session whose epoch is stale."""
    user.session_epoch = (user.session_epoch or 0) + 1


def stamp(user: User) -> None:
    """Mark this browser's session as belonging to `user`'s current epoch, seen now.

    Called at login, and after end_all_sessions() when this browser should stay signed in
    (a password change): the login time is kept if the session has one, so re-stamping
    never extends the absolute limit.
    """
    now = clock.now().timestamp()
    session[EPOCH] = user.session_epoch or 0
    session.setdefault(LOGIN_AT, now)
    session[SEEN_AT] = now


def refusal(user: User) -> str | None:
    """Why the current session may not act as `user` any more (ENDED or TIMED_OUT), or None
    when it may; a session that may is marked as seen now (at most once a minute)."""
    if session.get(EPOCH) != (user.session_epoch or 0):
        return ENDED
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if not isinstance(login_at, int | float) or not isinstance(seen_at, int | float):
        return ENDED
    now = clock.now().timestamp()
    config = current_app.config
    if now - seen_at > float(config["SESSION_IDLE_MINUTES"]) * 60:
        return TIMED_OUT
    if now - login_at > float(config["SESSION_MAX_HOURS"]) * 3600:
        return TIMED_OUT
    if now - seen_at >= SEEN_RESOLUTION_SECONDS:
        session[SEEN_AT] = now
    return None


def forget() -> None:
    """Drop the login from this browser's session (other keys, like the language, stay)."""
    for key in (EPOCH, LOGIN_AT, SEEN_AT, "_user_id", "_fresh", "_id", "_remember_seconds"):
        session.pop(key, None)
