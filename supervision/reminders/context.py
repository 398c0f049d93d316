"""The signed-in user's inbox (SPEC §8): the query of their notifications, read receipts,
and the navbar's unread count.

A user's inbox holds the notifications whose recipient is the user's person; a user without
a person has an empty inbox. The unread count is a Jinja global computed on first use and
cached for the request: one indexed COUNT (recipients, read_at) per page, none on pages
that do not show the navbar.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, g
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from supervision.audit.services import record
from supervision.common import clock
from supervision.common.errors import NotFound
from supervision.extensions import db
from supervision.reminders.models import Notification

#: Above this the badge shows "99+".
BADGE_MAX = 99


def inbox_select(
    person_id: int | None, *, unread: bool | None = None, unread_first: bool = False
) -> sa.Select:
    """The notifications of `person_id`, newest first (unread ones first if asked);
    `unread` True/False keeps only unread/read ones."""
    stmt = sa.select(Notification)
    if person_id is None:
        return stmt.where(sa.false())
    stmt = stmt.where(Notification.recipient_id == person_id)
    if unread is True:
        stmt = stmt.where(Notification.read_at.is_(None))
    elif unread is False:
        stmt = stmt.where(Notification.read_at.is_not(None))
    order = [Notification.created_at.desc(), Notification.id.desc()]
    if unread_first:
        order.insert(0, sa.case((Notification.read_at.is_(None), 0), else_=1))
    return stmt.order_by(*order)


def get_own(session: Session, person_id: int | None, notification_id: int) -> Notification:
    """One of the person's notifications; NotFound for anyone else's (existence does not leak)."""
    found = None
    if person_id is not None:
        found = session.scalar(
            sa.select(Notification).where(
                Notification.id == notification_id, Notification.recipient_id == person_id
            )
        )
    if found is None:
        raise NotFound(_("No %(what)s with id %(id)s.", what=_("notification"), id=notification_id))
    return found


def mark_read(session: Session, notification: Notification) -> Notification:
    """Mark a notification read; the first reading time is the receipt and is kept."""
    if notification.read_at is None:
        notification.read_at = clock.now()
        session.flush()
        record(
            session,
            "read",
            "notification",
            notification.id,
            {"read_at": [None, notification.read_at.isoformat()]},
        )
    return notification


def mark_all_read(session: Session, person_id: int | None) -> int:
    """Mark every unread notification of the person read (one statement); how many."""
    if person_id is None:
        return 0
    now = clock.now()
    count = (
        session.execute(
            sa.update(Notification)
            .where(Notification.recipient_id == person_id, Notification.read_at.is_(None))
            .values(read_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )
    if count:
        record(
            session,
            "read_all",
            "notification",
            "",
            {"recipient_id": [None, person_id], "read": [0, count]},
        )
    return count


def count_unread(session: Session, person_id: int | None) -> int:
    """How many unread notifications the person has."""
    if person_id is None:
        return 0
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.recipient_id == person_id, Notification.read_at.is_(None))
        )
        or 0
    )


def unread_count() -> int:
    """The signed-in user's unread count, queried at most once per request (0 when anonymous)."""
    if "unread_notifications" not in g:
        try:
            if not current_user.is_authenticated:
                return 0
            g.unread_notifications = count_unread(db.session, current_user.person_id)
        except sa.exc.SQLAlchemyError:
            # An error page rendered after a failed statement must still render: no badge.
            return 0
    return g.unread_notifications


def badge_text(count: int) -> str:
    """The badge's text: the count, or "99+" beyond BADGE_MAX."""
    return f"{BADGE_MAX}+" if count > BADGE_MAX else str(count)


def safe_link(link: str | None) -> str | None:
    """`link` when it is a path on this site ("/..."), else None: a notification never sends
    the browser elsewhere (no scheme, no host, no "//" or "/\\" that browsers read as a host)."""
    if not link or not link.startswith("/") or link.startswith(("//", "/\\")):
        return None
    if "\\" in link or any(ord(c) < 32 for c in link):
        return None
    parts = urlsplit(link)
    if parts.scheme or parts.netloc:
        return None
    return link


def register(app: Flask) -> None:
    """Install the Jinja globals `unread_notifications()`, `unread_badge()` and
    `reminder_window()`, and
    subscribe the secretaries' notices of role changes (account_notices)."""
    from supervision.reminders import account_notices
    from supervision.reminders.window import reminder_window

    app.jinja_env.globals["unread_notifications"] = unread_count
    app.jinja_env.globals["unread_badge"] = badge_text
    # "My talks" explains which overdue periods get no reminder (SPEC §8, issue 13).
    app.jinja_env.globals["reminder_window"] = reminder_window
    account_notices.connect()
