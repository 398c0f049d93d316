"""Recording and verifying the hash-chained audit log.

Services call `record()` while they work; the entries are chained and inserted just before
the transaction commits (`before_commit`), after taking the row lock on `audit_head`, so
concurrent app servers append one after another and a rolled-back request leaves no entry.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy.orm import Session

from supervision.audit.models import AuditEntry, AuditHead
from supervision.common import clock

GENESIS = "0" * 64
_PENDING = "audit_pending"


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
    session.info.setdefault(_PENDING, []).append(
        {
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
        h = entry_hash(prev, item)
        session.add(AuditEntry(prev_hash=prev, hash=h, **item))
        prev = h
    session.flush()


def discard_pending(session: Session) -> None:
    """Forget queued entries when the transaction rolls back."""
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


def verify(session: Session, batch: int = 5000) -> VerifyResult:
    """Walk the chain in id order; report the first entry whose link or content is broken."""
    prev = GENESIS
    count = 0
    last_id = 0
    while True:
        rows = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
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
        session.expunge_all()
    expected = session.scalar(sa.select(AuditHead.count).where(AuditHead.id == 1)) or 0
    if expected != count:
        # Entries removed from the end leave an intact chain; the head's counter tells.
        return VerifyResult(False, count, last_id + 1 if count else 1, "entries missing at the end")
    return VerifyResult(True, count)


def install(session_class: type[Session]) -> None:
    """Hook the pending-entry flush into every session's commit and rollback."""
    if getattr(session_class, "_audit_installed", False):
        return
    sa.event.listen(session_class, "before_commit", flush_pending)
    sa.event.listen(session_class, "after_soft_rollback", lambda s, prev: discard_pending(s))
    session_class._audit_installed = True
