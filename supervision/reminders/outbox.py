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
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from supervision.audit.services import record
from supervision.common import clock
from supervision.common.batches import ids_in
from supervision.common.errors import Conflict, NotFound
from supervision.org.models import OrgUnit, Person
from supervision.org.paths import below_top
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


#: The uniqueness key of a notification (its constraint: two sweeps racing insert it once).
KEY = ("recipient_id", "object_type", "object_ref", "period", "step")
_RETURNED = ("id", "recipient_id", "email_status", "email_to", "created_at")


def insert_new(session: Session, rows: list[dict]) -> Inserted:
    """Insert notification rows, skipping any the unique constraint refuses (a racing run
    got there first), and queue one message per recipient for those inserted with an
    e-mail; the e-mail status of each row inserted.

    On PostgreSQL the rows are streamed with COPY into a temporary table, then moved with
    one `INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING`: no statement grows with
    the rows, so the server parses nothing per batch (a 1,000-row VALUES statement per
    batch cost most of a first sweep at 100,000 people) and no parameter limit applies. On
    SQLite (in process, nothing to parse twice) one executemany with "on conflict do
    nothing" and RETURNING. Either way RETURNING lists only the rows inserted."""
    if not rows:
        return Inserted()
    _add_units(session, rows)
    table = Notification.__table__
    if _dialect(session) == "postgresql":
        conflict = f"ON CONFLICT ({', '.join(KEY)}) DO NOTHING"
        inserted = _copy_insert(session, table, rows, _RETURNED, conflict)
    else:
        stmt = (
            sqlite.insert(Notification)
            .on_conflict_do_nothing(index_elements=list(KEY))
            .returning(*(table.c[c] for c in _RETURNED))
        )
        inserted = session.connection().execute(stmt, rows).all()
    result = Inserted(row.email_status for row in inserted)
    result.messages = queue_messages(session, inserted)
    return result


#: Kinds of notification about no unit (grouped by step alone in the inbox): digests and
#: account notices.
UNITLESS = ("", "user")


def kind_of(object_type: str, type_: str | None) -> str:
    """The inbox's kind of a notification: the talk type for obligations, else the object
    type."""
    return (type_ or "") if object_type == "obligation" else object_type


def _unit_bound(row: dict) -> bool:
    """Whether a notification row is about a person in a unit (not a digest or notice)."""
    return bool(row.get("person_id")) and (
        kind_of(row["object_type"] or "", row.get("type")) not in UNITLESS
    )


def _add_units(session: Session, rows: list[dict]) -> None:
    """Set each row's `unit_id` (the inbox's group unit) from its person's unit: the people's
    units, then those units' paths (two key lookups, in batches)."""
    people = {r["person_id"] for r in rows if _unit_bound(r)}
    units = {}
    if people:
        own = dict(ids_in(session, sa.select(Person.id, Person.org_unit_id), Person.id, people))
        paths = ids_in(session, sa.select(OrgUnit.id, OrgUnit.path), OrgUnit.id, own.values())
        tops = {uid: below_top(path) for uid, path in paths}
        units = {pid: tops.get(uid) for pid, uid in own.items()}
    for r in rows:
        r["unit_id"] = units.get(r["person_id"]) if _unit_bound(r) else None


@sa.event.listens_for(Notification, "before_insert")
def _unit_of_one(mapper, connection, target: Notification) -> None:
    """A notification added through the ORM (the app inserts them with insert_new) gets its
    group unit too."""
    fields = {"person_id": target.person_id, "object_type": target.object_type, "type": target.type}
    if target.unit_id is None and _unit_bound(fields):
        stmt = sa.select(OrgUnit.path).join(Person, Person.org_unit_id == OrgUnit.id)
        path = connection.scalar(stmt.where(Person.id == target.person_id))
        target.unit_id = below_top(path) if path else None


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _copy_insert(
    session: Session, table: sa.Table, rows: list[dict], returning: tuple, suffix: str = ""
) -> list:
    """PostgreSQL: insert `rows` into `table` through COPY into a temporary table and one
    INSERT ... SELECT (`suffix`: its ON CONFLICT clause); the `returning` columns of the
    rows inserted. The columns are those of the first row and the Python-side defaults of
    the others (as an executemany of SQLAlchemy would fill them)."""
    given = [c.name for c in table.columns if c.name in rows[0]]
    defaults = {
        c.name: c.default.arg(None) if c.default.is_callable else c.default.arg
        for c in table.columns
        if c.name not in rows[0] and c.default is not None and not c.primary_key
    }
    columns = given + list(defaults)
    dialect = session.get_bind().dialect
    processors = [table.c[c].type.bind_processor(dialect) for c in columns]
    names = ", ".join(f'"{c}"' for c in columns)
    scratch = f"new_{table.name}"
    session.execute(
        sa.text(
            f"CREATE TEMPORARY TABLE {scratch} ON COMMIT DROP AS "
            f"SELECT {names} FROM {table.name} WITH NO DATA"
        )
    )
    driver = session.connection().connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(f"COPY {scratch} ({names}) FROM STDIN") as copy:
        for row in rows:
            values = (row[c] if c in row else defaults[c] for c in columns)
            copy.write_row([p(v) if p else v for p, v in zip(processors, values, strict=True)])
    stmt = sa.text(
        f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {scratch} {suffix} "
        f"RETURNING {', '.join(returning)}"
    ).columns(*(table.c[c] for c in returning))
    inserted = session.execute(stmt).all()
    session.execute(sa.text(f"DROP TABLE {scratch}"))
    return inserted


def _int_array(values) -> str:
    """A PostgreSQL integer array literal ("{1,2,3}"), to bind as one text parameter."""
    return "{" + ",".join(str(int(v)) for v in values) + "}"


def queue_messages(session: Session, inserted) -> int:
    """One queued message per recipient (and address) for the queued notifications among
    `inserted` (rows with id, recipient_id, email_status, email_to, created_at); the number
    of messages. A handful of statements whatever the number of notifications: the
    messages are inserted in bulk with their ids returned, then the notifications point at
    theirs (on PostgreSQL one UPDATE ... FROM unnest of two arrays)."""
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
            {
                "recipient_id": recipient_id,
                "address": address,
                "status": "queued",
                "count": len(members),
                "created_at": created,
                "next_at": created,
                "attempts": 0,
                "error": "",
            }
        )
    ids = _insert_messages(session, messages)
    links = [(row.id, ids[key]) for key, members in groups.items() for row in members]
    if _dialect(session) == "postgresql":
        session.execute(
            sa.text(
                "UPDATE notifications SET message_id = m.message_id "
                "FROM unnest(CAST(:ids AS INTEGER[]), CAST(:message_ids AS INTEGER[])) "
                "AS m(id, message_id) WHERE notifications.id = m.id"
            ),
            {
                "ids": _int_array(i for i, _m in links),
                "message_ids": _int_array(m for _i, m in links),
            },
        )
    else:
        session.execute(
            sa.update(Notification.__table__)
            .where(Notification.__table__.c.id == sa.bindparam("nid"))
            .values(message_id=sa.bindparam("mid")),
            [{"nid": i, "mid": m} for i, m in links],
        )
    return len(messages)


def _insert_messages(session: Session, messages: list[dict]) -> dict[tuple[int, str], int]:
    """Insert message rows; {(recipient, address): id} (a pair is unique in one batch)."""
    table = MailMessage.__table__
    returning = ("id", "recipient_id", "address")
    if _dialect(session) == "postgresql":
        rows = _copy_insert(session, table, messages, returning)
    else:
        stmt = sa.insert(table).returning(*(table.c[c] for c in returning))
        rows = session.connection().execute(stmt, messages).all()
    return {(recipient_id, address): mid for mid, recipient_id, address in rows}


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
