"""The e-mail outbox (SPEC §8): one message per recipient and sweep.

Why a message row of its own (`MailMessage`) rather than grouping queued notifications at
delivery time: the group must stay the same from the first attempt to the last. A message
fixed when the sweep writes its notifications is claimed, retried with backoff, marked
failed and retried by an admin as a whole; a resend after a crash carries the same
notifications and the same Message-ID; and a later sweep's notifications never slip into
an earlier sweep's retry (they get their own message). Grouping at delivery time would
regroup whatever happens to be queued at each run, so a retried e-mail could grow, and the
attempts and errors would have to be copied onto every notification of the group.

Each call of `insert_new` (one sweep, one digest run, one account change) is one batch:
the notifications it inserts with a queued e-mail get one message per recipient, in the
same transaction. Their `email_status` follows the message's state (see delivery.py).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from supervision.audit.services import record
from supervision.common import clock
from supervision.common.errors import Conflict, NotFound
from supervision.reminders.models import MailMessage, Notification

#: Message states that still wait for the deliverer.
PENDING = ("queued", "sending")


def outbox_fields(address: str | None) -> dict:
    """The e-mail fields of a new notification: queued when there is an address."""
    return {"email_status": "queued" if address else "none", "email_to": address or None}


class Inserted(list):
    """The e-mail status of each notification inserted, and `messages`, the number of
    e-mail messages queued for them."""

    messages: int = 0


def insert_new(session: Session, rows: list[dict]) -> Inserted:
    """Insert notification rows, skipping any the unique constraint refuses (a racing run
    got there first), and queue one message per recipient for those inserted with an
    e-mail; the e-mail status of each row inserted. One statement executed over all rows
    (SQLAlchemy batches them into multi-row INSERTs with RETURNING, which lists only the
    rows inserted)."""
    if not rows:
        return Inserted()
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(Notification)
        .on_conflict_do_nothing(
            index_elements=["recipient_id", "object_type", "object_ref", "period", "step"]
        )
        .returning(
            Notification.id,
            Notification.recipient_id,
            Notification.email_status,
            Notification.email_to,
            Notification.created_at,
        )
    )
    inserted = session.connection().execute(stmt, rows).all()
    result = Inserted(row.email_status for row in inserted)
    result.messages = queue_messages(session, inserted)
    return result


def queue_messages(session: Session, inserted) -> int:
    """One queued message per recipient (and address) for the queued notifications among
    `inserted` (rows with id, recipient_id, email_status, email_to, created_at); the number
    of messages. A handful of statements whatever the number of notifications."""
    groups: dict[tuple[int, str], list] = defaultdict(list)
    for row in inserted:
        if row.email_status == "queued" and row.email_to:
            groups[(row.recipient_id, row.email_to)].append(row)
    if not groups:
        return 0
    messages = []
    for (recipient_id, address), members in groups.items():
        created = min(r.created_at for r in members)
        messages.append(
            MailMessage(
                recipient_id=recipient_id,
                address=address,
                status="queued",
                count=len(members),
                created_at=created,
                next_at=created,
                attempts=0,
                error="",
            )
        )
    session.add_all(messages)
    session.flush()
    links = [
        {"id": row.id, "message_id": message.id}
        for message, members in zip(messages, groups.values(), strict=True)
        for row in members
    ]
    session.execute(sa.update(Notification), links)
    return len(messages)


def set_status(session: Session, message_id: int, status: str) -> None:
    """Give the notifications of a message the message's state."""
    session.execute(
        sa.update(Notification)
        .where(Notification.message_id == message_id)
        .values(email_status=status)
        .execution_options(synchronize_session=False)
    )


def counts(session: Session) -> dict[str, int]:
    """Number of messages per state that needs watching (queued, sending, failed)."""
    rows = session.execute(
        sa.select(MailMessage.status, sa.func.count())
        .where(MailMessage.status.in_((*PENDING, "failed")))
        .group_by(MailMessage.status)
    ).all()
    return {"queued": 0, "sending": 0, "failed": 0, **dict(rows)}


def retry(session: Session, message_id: int, now: datetime | None = None) -> MailMessage:
    """Queue a failed message again, due now (its attempts are kept: one more failure is
    final again). 404 if unknown, 409 unless it failed. The caller commits."""
    message = session.get(MailMessage, message_id)
    if message is None:
        raise NotFound(_("No such e-mail."))
    if message.status != "failed":
        raise Conflict(_("Only a failed delivery can be retried."))
    message.status = "queued"
    message.next_at = now or clock.now()
    message.claimed_until = None
    session.flush()
    set_status(session, message.id, "queued")
    record(session, "retry", "mail_message", message.id, {"status": ["failed", "queued"]})
    return message


def retry_all_failed(session: Session, now: datetime | None = None) -> int:
    """Queue every failed message again, due now; the number queued. The caller commits."""
    failed = sa.select(MailMessage.id).where(MailMessage.status == "failed")
    session.execute(
        sa.update(Notification)
        .where(Notification.message_id.in_(failed))
        .values(email_status="queued")
        .execution_options(synchronize_session=False)
    )
    done = session.execute(
        sa.update(MailMessage)
        .where(MailMessage.status == "failed")
        .values(status="queued", next_at=now or clock.now(), claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    count = done.rowcount or 0
    if count:
        record(
            session,
            "retry",
            "mail_message",
            "",
            {"status": ["failed", "queued"], "count": [0, count]},
        )
    session.flush()
    return count
