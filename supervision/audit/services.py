"""Recording and verifying the hash-chained audit log.

Services call `record()` while they work; the entries are chained and inserted just before
the transaction commits (`before_commit`), after taking the row lock on `audit_head`, so
concurrent app servers append one after another and a rolled-back request leaves no entry.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy.orm import Session, scoped_session

from supervision.audit.models import AuditEntry, AuditHead
from supervision.common import clock

GENESIS = "0" * 64
_PENDING = "audit_pending"
#: Key of a queued entry naming the savepoint it was recorded in (None: the outer transaction).
_TX = "_tx"


def _plain(value: Any) -> Any:
    """A JSON-safe form of a column value."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(obj: Any, fields: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """The named attributes of `obj` as JSON-safe values."""
    return {f: _plain(getattr(obj, f)) for f in fields}


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, list]:
    """{field: [before, after]} for every field that differs (a create has before None)."""
    before = before or {}
    after = after or {}
    keys = list(dict.fromkeys([*before, *after]))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def _current_actor() -> tuple[int | None, str, str]:
    if not has_request_context():
        return None, "cli", ""
    from flask_login import current_user

    ip = request.remote_addr or ""
    if current_user and current_user.is_authenticated:
        return current_user.id, current_user.username, ip
    return None, "", ip


def record(
    session: Session,
    action: str,
    object_type: str = "",
    object_id: Any = "",
    changes: dict | None = None,
    *,
    actor_user_id: int | None = None,
    actor_name: str | None = None,
) -> None:
    """Queue an audit entry; it is chained and written when the session commits."""
    uid, name, ip = _current_actor()
    if actor_name is not None:
        uid, name = actor_user_id, actor_name
    real = session() if isinstance(session, scoped_session) else session
    tx = real.get_nested_transaction()
    session.info.setdefault(_PENDING, []).append(
        {
            _TX: tx,
            "at": clock.now(),
            "actor_user_id": uid,
            "actor_name": name or "",
            "action": action,
            "object_type": object_type,
            "object_id": "" if object_id is None else str(object_id),
            "changes": json.dumps(changes or {}, ensure_ascii=False, sort_keys=True, default=str),
            "ip": ip,
        }
    )


def entry_hash(prev_hash: str, e: dict[str, Any] | AuditEntry) -> str:
    """SHA-256 over the previous hash and the entry's fields (canonical JSON)."""
    get = e.get if isinstance(e, dict) else lambda k: getattr(e, k)
    at = get("at")
    payload = [
        prev_hash,
        at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds"),
        get("actor_user_id"),
        get("actor_name"),
        get("action"),
        get("object_type"),
        get("object_id"),
        get("changes"),
        get("ip"),
    ]
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()


def flush_pending(session: Session) -> None:
    """Chain and insert the queued entries (called from before_commit)."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    bumped = session.execute(
        sa.update(AuditHead).where(AuditHead.id == 1).values(count=AuditHead.count + len(pending))
    ).rowcount
    if not bumped:
        session.add(AuditHead(id=1, count=len(pending)))
        session.flush()
    prev = session.scalar(sa.select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    prev = prev or GENESIS
    for item in pending:
        item.pop(_TX, None)
        h = entry_hash(prev, item)
        session.add(AuditEntry(prev_hash=prev, hash=h, **item))
        prev = h
    session.flush()


def discard_pending(session: Session, transaction=None) -> None:
    """Forget queued entries whose writes were rolled back.

    Rolling back a savepoint forgets only what was recorded inside it (or inside savepoints
    nested in it); ending the outer transaction without a commit forgets everything.
    """
    if transaction is None or not transaction.nested:
        session.info.pop(_PENDING, None)
        return
    pending = session.info.get(_PENDING)
    if pending:
        pending[:] = [item for item in pending if not _inside(item.get(_TX), transaction)]


def _inside(tx, savepoint) -> bool:
    while tx is not None:
        if tx is savepoint:
            return True
        tx = tx.parent
    return False


def _on_transaction_end(session: Session, transaction) -> None:
    # A root transaction closed without commit (session.close()) loses its writes: drop their
    # entries too, so they cannot leak into the next transaction of a reused session.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of `verify()`."""

    ok: bool
    entries: int
    first_broken_id: int | None = None
    reason: str = ""

    def as_dict(self) -> dict:
        if self.ok:
            return {"ok": True, "entries": self.entries}
        return {
            "ok": False,
            "entries": self.entries,
            "first_broken_id": self.first_broken_id,
            "reason": self.reason,
        }


#: The columns verify() reads (plain rows, so the caller's session keeps its objects).
_CHAIN_COLUMNS = (
    AuditEntry.id,
    AuditEntry.at,
    AuditEntry.actor_user_id,
    AuditEntry.actor_name,
    AuditEntry.action,
    AuditEntry.object_type,
    AuditEntry.object_id,
    AuditEntry.changes,
    AuditEntry.ip,
    AuditEntry.prev_hash,
    AuditEntry.hash,
)


def _head_count(session: Session) -> int:
    return session.scalar(sa.select(AuditHead.count).where(AuditHead.id == 1)) or 0


def verify(session: Session, batch: int = 5000) -> VerifyResult:
    """Walk the chain in id order; report the first entry whose link or content is broken.

    The head's counter is read before and after the walk: appends that commit meanwhile
    (other app servers) are not mistaken for damage, while entries removed from the end, or
    rows added without going through the head, are reported.
    """
    counted_before = _head_count(session)
    prev = GENESIS
    count = 0
    last_id = 0
    while True:
        rows = session.execute(
            sa.select(*_CHAIN_COLUMNS)
            .where(AuditEntry.id > last_id)
            .order_by(AuditEntry.id)
            .limit(batch)
        ).all()
        if not rows:
            break
        for e in rows:
            if e.prev_hash != prev:
                return VerifyResult(False, count, e.id, "link to the previous entry is broken")
            if entry_hash(prev, e) != e.hash:
                return VerifyResult(False, count, e.id, "entry content does not match its hash")
            prev = e.hash
            count += 1
            last_id = e.id
    if count < counted_before:
        # Entries removed from the end leave an intact chain; the head's counter tells.
        return VerifyResult(False, count, last_id + 1 if count else 1, "entries missing at the end")
    counted_after = _head_count(session)
    if count > counted_after:
        extra = session.scalar(
            sa.select(AuditEntry.id).order_by(AuditEntry.id).offset(counted_after).limit(1)
        )
        return VerifyResult(False, count, extra, "entries not counted by the chain head")
    return VerifyResult(True, count)


#: Fields whose values are confidential (SPEC §4: talk contents); the audit log shows them only
#: to holders of `audit.read_confidential`; everyone else sees that they changed, not how.
CONFIDENTIAL_FIELDS = {
    "talk": frozenset({"content", "response"}),
    "rotation_hold": frozenset({"reason"}),
}
REDACTED = "***"


def parsed_changes(entry: AuditEntry, confidential_ok: bool = False) -> dict[str, Any]:
    """The entry's `changes` as a dict, confidential values masked unless `confidential_ok`."""
    try:
        changes = json.loads(entry.changes or "{}")
    except ValueError:
        return {"_unparsed": entry.changes}
    if not isinstance(changes, dict):
        return {"_unparsed": changes}
    hidden = CONFIDENTIAL_FIELDS.get(entry.object_type, frozenset())
    if not confidential_ok and hidden:
        for name in hidden & changes.keys():
            value = changes[name]
            masked = (
                [None if v is None else REDACTED for v in value] if _is_pair(value) else REDACTED
            )
            changes[name] = masked
    return changes


def _is_pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2


#: The accounts, named at the table level: the log stores user ids and names, and auth
#: (which records into the log) sits above audit, so audit never imports its models.
_USERS = sa.table("users", sa.column("id"), sa.column("username"))


def entries_select(
    session: Session,
    *,
    object_type: str | None = None,
    object_id: Any = None,
    action: str | None = None,
    actor: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> sa.Select:
    """SELECT of the entries matching the filters, newest first; `since`/`until` are local dates.

    `actor` is a username: the entries of the account that has it now (under any earlier
    name too), or else entries recorded under that name (a deleted account, "cli").
    """
    stmt = sa.select(AuditEntry).order_by(AuditEntry.id.desc())
    if object_type:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    if object_id not in (None, ""):
        stmt = stmt.where(AuditEntry.object_id == str(object_id))
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if actor:
        uid = session.scalar(sa.select(_USERS.c.id).where(_USERS.c.username == actor))
        stmt = stmt.where(
            AuditEntry.actor_user_id == uid if uid else AuditEntry.actor_name == actor
        )
    # Bounds at the ends of the calendar mean "no bound" (and would overflow in UTC).
    if since and since > date.min + timedelta(days=1):
        stmt = stmt.where(AuditEntry.at >= _local_midnight(since))
    if until and until < date.max - timedelta(days=1):
        stmt = stmt.where(AuditEntry.at < _local_midnight(until + timedelta(days=1)))
    return stmt


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=clock.zone())


def install(session_class: type[Session]) -> None:
    """Hook the pending-entry flush into every session's commit and rollback."""
    if getattr(session_class, "_audit_installed", False):
        return
    sa.event.listen(session_class, "before_commit", flush_pending)
    sa.event.listen(session_class, "after_soft_rollback", discard_pending)
    sa.event.listen(session_class, "after_transaction_end", _on_transaction_end)
    session_class._audit_installed = True
