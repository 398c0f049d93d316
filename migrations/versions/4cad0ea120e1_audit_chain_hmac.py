"""Audit chain keyed with HMAC-SHA256 (SPEC §4): re-chain the existing entries once.

Revision ID: 4cad0ea120e1
Revises: b4b4c020ba97
Create Date: 2026-12-03 10:00:00

Before this revision each entry's hash was a plain SHA-256, which anyone able to write the
database could recompute after editing the log. Upgrading:
1. walks the existing chain in id order (in batches) and checks it the old, plain way:
   the links, each hash, and the head's counter; it notes where it first broke, if it did;
2. re-chains every entry with HMAC-SHA256 keyed with the audit key (AUDIT_KEY, else derived
   from SECRET_KEY: the same derivation as supervision.audit.services.audit_key), which is
   read from the running app's configuration and never written to the database;
3. sets audit_head.scheme = "hmac-sha256", rechained_at = now, and appends one entry
   (action "rechain", object type "audit") saying how many entries were re-chained and
   whether the old chain was intact, and if not where and why it broke: re-chaining
   therefore cannot silently launder a log that was tampered with before the upgrade.
An empty log only gets the scheme (no entry, so a new installation starts with none).

Downgrading does the same the other way: it checks the keyed chain, re-chains with plain
SHA-256, sets the scheme "sha256" and appends a "rechain" entry saying so.

The hashing is written out here, not imported, so that later changes to the app's code
cannot change what this revision does. It runs inside `flask db upgrade` (an app context,
which provides the key); without one it stops with a clear message.
"""

import hashlib
import hmac
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "4cad0ea120e1"
down_revision = "b4b4c020ba97"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
BATCH = 1000
#: Must equal supervision.audit.services.KEY_LABEL (the key derived from SECRET_KEY).
KEY_LABEL = b"supervision audit chain v1"

_entries = sa.table(
    "audit_entries",
    sa.column("id", sa.Integer),
    sa.column("at", sa.DateTime),
    sa.column("actor_user_id", sa.Integer),
    sa.column("actor_name", sa.String),
    sa.column("action", sa.String),
    sa.column("object_type", sa.String),
    sa.column("object_id", sa.String),
    sa.column("changes", sa.Text),
    sa.column("ip", sa.String),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)
_head = sa.table(
    "audit_head",
    sa.column("id", sa.Integer),
    sa.column("count", sa.Integer),
    sa.column("scheme", sa.String),
    sa.column("rechained_at", sa.DateTime),
)


def _key() -> bytes:
    """The audit key from the running app's configuration (never from the database)."""
    from flask import current_app, has_app_context

    if not has_app_context():
        raise RuntimeError(
            "Re-chaining the audit log needs the application's audit key: run this migration "
            "with `flask --app wsgi db upgrade` (or downgrade), with AUDIT_KEY or SECRET_KEY "
            "set as the application will use it."
        )
    config = current_app.config
    key = config.get("AUDIT_KEY")
    if key:
        return key.encode() if isinstance(key, str) else bytes(key)
    secret = config.get("SECRET_KEY")
    if not secret:
        raise RuntimeError("Re-chaining the audit log needs AUDIT_KEY or SECRET_KEY to be set.")
    secret = secret.encode() if isinstance(secret, str) else bytes(secret)
    return hmac.new(secret, KEY_LABEL, hashlib.sha256).digest()


def _payload(prev_hash: str, row) -> bytes:
    """The canonical JSON hashed for one entry (`at` is stored as naive UTC)."""
    at = row.at
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    data = [
        prev_hash,
        at.isoformat(timespec="microseconds"),
        row.actor_user_id,
        row.actor_name,
        row.action,
        row.object_type,
        row.object_id,
        row.changes,
        row.ip,
    ]
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def _plain(prev_hash: str, row) -> str:
    return hashlib.sha256(_payload(prev_hash, row)).hexdigest()


def _keyed(key: bytes):
    return lambda prev_hash, row: hmac.new(
        key, _payload(prev_hash, row), hashlib.sha256
    ).hexdigest()


def _rechain(old_scheme: str, new_scheme: str, old_hash, new_hash) -> None:
    """Check the chain with `old_hash`, re-chain it with `new_hash`, record the outcome."""
    conn = op.get_bind()
    head = conn.execute(sa.select(_head.c.count).where(_head.c.id == 1).with_for_update()).first()
    if head is None:
        conn.execute(sa.insert(_head).values(id=1, count=0, scheme=old_scheme))
    counted = head.count if head else 0

    old_prev = new_prev = GENESIS
    broken_at, reason = None, ""
    seen = last_id = 0
    update = (
        sa.update(_entries)
        .where(_entries.c.id == sa.bindparam("entry_id"))
        .values(prev_hash=sa.bindparam("new_prev"), hash=sa.bindparam("new_hash"))
    )
    while True:
        rows = conn.execute(
            sa.select(_entries).where(_entries.c.id > last_id).order_by(_entries.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        changes = []
        for row in rows:
            if broken_at is None:
                if row.prev_hash != old_prev:
                    broken_at, reason = row.id, "link to the previous entry is broken"
                elif old_hash(old_prev, row) != row.hash:
                    broken_at, reason = row.id, "entry content does not match its hash"
            old_prev = row.hash
            hashed = new_hash(new_prev, row)
            changes.append({"entry_id": row.id, "new_prev": new_prev, "new_hash": hashed})
            new_prev = hashed
            seen += 1
            last_id = row.id
        conn.execute(update, changes)

    now = datetime.now(UTC).replace(tzinfo=None)
    values = {"scheme": new_scheme}
    if not seen:
        conn.execute(sa.update(_head).where(_head.c.id == 1).values(**values))
        return
    if broken_at is None and seen != counted:
        broken_at = last_id + 1 if seen < counted else None
        reason = (
            "entries missing at the end"
            if seen < counted
            else "entries not counted by the chain head"
        )
    details = {
        "scheme": [old_scheme, new_scheme],
        "rechained": seen,
        "old_chain": "intact" if not reason else "broken",
    }
    if reason:
        details["old_chain_reason"] = reason
        if broken_at is not None:
            details["old_chain_first_broken_id"] = broken_at
    if seen != counted:
        details["head_count"] = [counted, seen + 1]
    entry = {
        "at": now,
        "actor_user_id": None,
        "actor_name": "migration",
        "action": "rechain",
        "object_type": "audit",
        "object_id": revision,
        "changes": json.dumps(details, ensure_ascii=False, sort_keys=True),
        "ip": "",
        "prev_hash": new_prev,
    }
    entry["hash"] = new_hash(new_prev, _Row(entry))
    conn.execute(sa.insert(_entries).values(**entry))
    # The head counts the entries now present (the old count's discrepancy, if any, is in the
    # rechain entry): from here on the keyed chain verifies, and says what it was before.
    conn.execute(
        sa.update(_head).where(_head.c.id == 1).values(count=seen + 1, rechained_at=now, **values)
    )


class _Row:
    """Attribute access to a dict, like a result row."""

    def __init__(self, data: dict):
        self.__dict__.update(data)


def upgrade():
    _rechain("sha256", "hmac-sha256", _plain, _keyed(_key()))


def downgrade():
    _rechain("hmac-sha256", "sha256", _keyed(_key()), _plain)
