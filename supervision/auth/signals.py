"""Signals the account services send, for the layers above auth to act on.

auth sits below reminders in the layers, so it cannot create notifications itself: it
announces each role change and the reminders package, which subscribes at app creation,
tells the discipline secretaries (SPEC §4: every role change notifies them).
"""

from __future__ import annotations

from dataclasses import dataclass

from blinker import Namespace

_signals = Namespace()

#: Sent once per service call that changed roles or grants, inside the transaction that
#: made the change (receivers write with the same session, so a rollback undoes both):
#: ``role_changed.send(session, user=User, changes=[RoleChange, ...], actor=User | None)``;
#: `actor` None means the command line.
role_changed = _signals.signal("role-changed")

#: The kinds of change: a role given at once, a grant made pending, confirmed, rejected or
#: withdrawn, and a role taken away.
CHANGE_KINDS = ("granted", "pending", "confirmed", "rejected", "withdrawn", "removed")


@dataclass(frozen=True)
class RoleChange:
    """One change of one role of a user; `grant_id` names the pending grant it concerns,
    `grantor` who made that grant (a username, "" when none)."""

    kind: str
    role: str
    grant_id: int | None = None
    grantor: str = ""
