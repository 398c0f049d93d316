"""Recording and verifying the hash-chained audit log.

Services call `record()` while they work; the entries are chained and inserted just before
the transaction commits (`before_commit`), after taking the row lock on `audit_head`, so
concurrent app servers append one after another and a rolled-back request leaves no entry.

Each entry's hash is an HMAC-SHA256 keyed with the audit key (`audit_key()`: AUDIT_KEY, or
one derived from SECRET_KEY), which is never stored in the database (SPEC §4): whoever can
write the database but not read the key cannot recompute the chain after editing, deleting
or reordering entries. Cutting entries off the end leaves a shorter valid chain; the daily
anchors (`head()`, logged by the scheduler and sent in the secretaries' digest) and
`verify(anchors=...)` detect that.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from sqlalchemy.orm import Session, scoped_session

from supervision.audit.models import AuditEntry, AuditHead
from supervision.common import clock

GENESIS = "0" * 64
#: The chaining scheme this code writes and verifies (audit_head.scheme).
SCHEME = "hmac-sha256"
#: What the audit key is derived under from SECRET_KEY when AUDIT_KEY is not set. The
#: re-chaining migration repeats this derivation: change both or neither.
KEY_LABEL = b"supervision audit chain v1"
log = logging.getLogger("supervision.audit")
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


def audit_key(config=None) -> bytes:
    """The HMAC key of the chain: AUDIT_KEY if set, else HMAC-SHA256(SECRET_KEY, KEY_LABEL).

    It lives in the configuration (environment), never in the database."""
    config = current_app.config if config is None else config
    key = config.get("AUDIT_KEY")
    if key:
        return key.encode() if isinstance(key, str) else bytes(key)
    secret = config.get("SECRET_KEY")
    if not secret:
        raise RuntimeError("The audit chain needs AUDIT_KEY or SECRET_KEY to be set.")
    secret = secret.encode() if isinstance(secret, str) else bytes(secret)
    return hmac.new(secret, KEY_LABEL, hashlib.sha256).digest()


def entry_hash(prev_hash: str, e: dict[str, Any] | AuditEntry, key: bytes | None = None) -> str:
    """HMAC-SHA256 (keyed with `key`, default `audit_key()`) over the previous hash and the
    entry's fields (canonical JSON)."""
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
    return hmac.new(key or audit_key(), data.encode(), hashlib.sha256).hexdigest()


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
    key = audit_key()
    for item in pending:
        item.pop(_TX, None)
        h = entry_hash(prev, item, key)
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


Anchor = tuple[int, str]
_ANCHOR = re.compile(r"([1-9][0-9]{0,17}):([0-9a-fA-F]{64})")


def parse_anchor(text: str) -> Anchor:
    """ "ID:HASH" (an entry id and its 64-hex-digit hash) as (id, hash); ValueError if not."""
    match = _ANCHOR.fullmatch((text or "").strip())
    if not match:
        raise ValueError(f"not an anchor ID:HASH (an entry id, a colon, 64 hex digits): {text!r}")
    return int(match[1]), match[2].lower()


def head(session: Session) -> Anchor | None:
    """The chain's last entry as (id, hash), an anchor to keep outside the database; None
    while the log is empty."""
    row = session.execute(
        sa.select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    return (row.id, row.hash) if row else None


def format_anchor(anchor: Anchor) -> str:
    """An anchor as written in the log, the digest and `audit verify --anchor`: "ID:HASH"."""
    return f"{anchor[0]}:{anchor[1]}"


def log_anchor(session: Session) -> tuple[Anchor | None, VerifyResult]:
    """Verify the chain and write its head to the log (logger "supervision.audit") as
    `audit anchor: ID:HASH`, a copy outside the database; a broken chain is logged as an
    error too. Harmless to repeat: it changes nothing."""
    result = verify(session)
    anchor = head(session)
    if anchor is not None:
        log.info("audit anchor: %s", format_anchor(anchor))
    if not result.ok:
        log.error("audit chain BROKEN at entry %s: %s", result.first_broken_id, result.reason)
    return anchor, result


def verify(session: Session, anchors=(), batch: int = 5000) -> VerifyResult:
    """Walk the chain in id order; report the first entry whose link or content is broken.

    The head's counter is read before and after the walk: appends that commit meanwhile
    (other app servers) are not mistaken for damage, while entries removed from the end, or
    rows added without going through the head, are reported. `anchors` are (id, hash) pairs
    recorded earlier: an anchored entry that is gone or whose hash differs is reported too
    (a cut-off tail with a matching counter passes every other check).
    """
    expected = {int(i): h.lower() for i, h in anchors}
    scheme = session.scalar(sa.select(AuditHead.scheme).where(AuditHead.id == 1))
    if scheme not in (None, SCHEME):
        first = session.scalar(sa.select(sa.func.min(AuditEntry.id)))
        return VerifyResult(False, 0, first or 1, "chain is not keyed with the audit key")
    key = audit_key()
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
            gone = sorted(i for i in expected if last_id < i < e.id)
            if gone:
                return VerifyResult(False, count, gone[0], "anchored entry is missing")
            if e.prev_hash != prev:
                return VerifyResult(False, count, e.id, "link to the previous entry is broken")
            if entry_hash(prev, e, key) != e.hash:
                return VerifyResult(False, count, e.id, "entry content does not match its hash")
            if e.id in expected and expected[e.id] != e.hash:
                return VerifyResult(False, count, e.id, "entry differs from its anchor")
            prev = e.hash
            count += 1
            last_id = e.id
    gone = sorted(i for i in expected if i > last_id)
    if gone:
        return VerifyResult(False, count, gone[0], "anchored entry is missing")
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
