"""Server-side session control (SPEC §4): ending every session of a user at once."""

from __future__ import annotations

from supervision.auth.models import User


def end_all_sessions(user: User) -> None:
    """End every session of `user` (every browser, this one included): each session carries
    the epoch it was opened in, and the loader refuses a session whose epoch is stale."""
    user.session_epoch = (user.session_epoch or 0) + 1
