"""Notices of role changes to the discipline secretaries (SPEC §4): every grant, pending
grant, confirmation, rejection, withdrawal and removal of a role reaches them in the inbox
and by e-mail (queued in the notifications' outbox, sent by the scheduler's deliverer).

The account services (auth, a lower layer) announce changes with the `role_changed`
signal; `connect()` subscribes `notify` once at app creation. The notices are written with
the session of the change, so a change rolled back leaves no notice.

Each notice is unique per (recipient, user, period, step "account"); the period is a
string unique to the change (the time to the second and a random part), so that a second
change of the same user is never refused by the uniqueness constraint.
"""

from __future__ import annotations

import secrets

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from supervision.auth.grants import PENDING_GRANTS_PATH
from supervision.auth.labels import ROLE_LABELS
from supervision.auth.models import User
from supervision.auth.queries import people_holding
from supervision.auth.signals import RoleChange, role_changed
from supervision.common import clock
from supervision.common.permissions import holders
from supervision.reminders.outbox import insert_new, outbox_fields
from supervision.reminders.settings import get_reminder_settings
from supervision.reminders.sweep import addresses
from supervision.reminders.texts import MAX_SUBJECT


def connect() -> None:
    """Subscribe to the account services' role changes (idempotent)."""
    role_changed.connect(notify, weak=False)


def _who(user: User | None) -> str:
    if user is None:
        return _("the command line")
    if user.person is not None:
        return f"{user.username}（{user.person.name}）"
    return user.username


def _line(change: RoleChange, actor: str, whom: str) -> str:
    values = {
        "actor": actor,
        "user": whom,
        "role": str(ROLE_LABELS.get(change.role, change.role)),
        "grantor": change.grantor or "—",
    }
    return {
        "granted": _("%(actor)s granted the role %(role)s to %(user)s.", **values),
        "pending": _(
            "%(actor)s granted the role %(role)s to %(user)s. It takes effect only when "
            "another discipline secretary confirms it.",
            **values,
        ),
        "confirmed": _(
            "%(actor)s confirmed the role %(role)s of %(user)s (granted by %(grantor)s); "
            "it is in effect now.",
            **values,
        ),
        "rejected": _(
            "%(actor)s rejected the grant of the role %(role)s to %(user)s (granted by "
            "%(grantor)s).",
            **values,
        ),
        "withdrawn": _(
            "%(actor)s withdrew the pending grant of the role %(role)s to %(user)s (granted "
            "by %(grantor)s).",
            **values,
        ),
        "removed": _("%(actor)s removed the role %(role)s from %(user)s.", **values),
    }[change.kind]


def compose(user: User, changes: list[RoleChange], actor: User | None) -> tuple[str, str]:
    """(subject, body) of the notice of `changes` to `user`'s roles."""
    whom = _who(user)
    waiting = any(c.kind == "pending" for c in changes)
    if waiting:
        subject = _("Role grant awaiting confirmation: %(user)s", user=whom)
    else:
        subject = _("Roles of the account %(user)s changed", user=whom)
    lines = [_line(c, _who(actor), whom) for c in changes]
    if waiting:
        lines.append(_("Confirm or reject it on the page of pending role grants."))
    return subject[:MAX_SUBJECT], "\n".join(lines)


def notify(session: Session, *, user: User, changes: list[RoleChange], actor=None, **_extra):
    """Write one notice of `changes` for each discipline secretary (with an e-mail queued
    for those with an address); how many were written."""
    recipients = people_holding(session, holders("reminders.receive_account"))
    if not recipients or not changes:
        return 0
    now = clock.now()
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject, body = compose(user, changes, actor)
    emails = addresses(session, recipients, get_reminder_settings(session))
    period = clock.local(now).strftime("%y%m%d%H%M%S") + secrets.token_hex(2)
    rows = [
        {
            "recipient_id": person_id,
            "step": "account",
            "object_type": "user",
            "object_ref": str(user.id),
            "period": period,
            "person_id": user.person_id,
            "type": None,
            "due_on": None,
            "on": now,
            "subject": subject,
            "body": body,
            "link": PENDING_GRANTS_PATH,
            "created_at": now,
            **outbox_fields(emails.get(person_id)),
        }
        for person_id in recipients
    ]
    return len(insert_new(session, rows))
