"""The migration that keys the audit chain (revision 4cad0ea120e1, SPEC §4), run for real with
`flask db upgrade` in a subprocess on a new database of the suite's kind: a plain SHA-256
chain written at revision b4b4c020ba97 is checked, re-chained with the HMAC key and
recorded; a chain tampered with before the upgrade is re-chained too, but the record says
where it was broken; downgrading restores the plain chain."""

from __future__ import annotations

import concurrent.futures
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from supervision.audit import services as audit
from supervision.audit.models import AuditEntry, AuditHead
from tests.integration.test_migrations import empty_database

ROOT = Path(__file__).resolve().parents[2]
BEFORE = "b4b4c020ba97"
REVISION = "4cad0ea120e1"
KEY = "audit key of the migration test"


def flask_db(url: str, *args: str) -> None:
    """`flask db ARGS` in a subprocess, with the test's audit key."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SUPERVISION_ENV": "development",
        "AUDIT_KEY": KEY,
    }
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def plain_hash(prev_hash: str, e: dict) -> str:
    """The chain's hash before the key: plain SHA-256 over the canonical JSON."""
    at = e["at"].astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    payload = [prev_hash, at, e["actor_user_id"], e["actor_name"], e["action"]]
    payload += [e["object_type"], e["object_id"], e["changes"], e["ip"]]
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()


def write_plain_chain(engine, n: int = 4) -> list[dict]:
    """`n` entries chained the old way (ids 1 to n from the new database's sequence), and
    the head counting them."""
    start = datetime(2025, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)
    rows, prev = [], audit.GENESIS
    for i in range(n):
        row = {
            "at": start + timedelta(minutes=i),
            "actor_user_id": None if i % 2 else i + 1,
            "actor_name": "管理员" if i % 2 else "cli",
            "action": "update",
            "object_type": "person",
            "object_id": str(i),
            "changes": json.dumps({"name": [f"张{i}", f"李{i}"]}, ensure_ascii=False),
            "ip": "10.0.0.1",
            "prev_hash": prev,
        }
        row["hash"] = prev = plain_hash(prev, row)
        rows.append(row)
    with engine.begin() as conn:
        conn.execute(AuditEntry.__table__.insert(), rows)
        conn.execute(sa.text("UPDATE audit_head SET count = :n WHERE id = 1"), {"n": n})
    return rows


def chain(engine) -> tuple[list[AuditEntry], AuditHead]:
    with Session(engine) as s:
        entries = s.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
        head = s.get(AuditHead, 1)
        s.expunge_all()
    return entries, head


def verify(app, engine, monkeypatch, anchors=()) -> audit.VerifyResult:
    """verify() of the app, with the key the migration used, on the migrated database."""
    monkeypatch.setitem(app.config, "AUDIT_KEY", KEY)
    with app.app_context(), Session(engine) as s:
        return audit.verify(s, anchors)


@pytest.fixture(scope="module")
def before_key(tmp_path_factory):
    """A database migrated up to the revision before the key, once for the module."""
    with empty_database(tmp_path_factory.mktemp("rechain")) as url:
        flask_db(url, "upgrade", BEFORE)
        yield url


@pytest.fixture
def old_database(app, before_key, tmp_path):
    """An engine on a new copy of the database at the revision before the key."""
    with empty_database(tmp_path, template=before_key) as url:
        engine = sa.create_engine(url)
        try:
            yield url, engine
        finally:
            engine.dispose()


def test_upgrade_rechains_an_intact_plain_chain_and_says_so(app, old_database, monkeypatch):
    url, engine = old_database
    rows = write_plain_chain(engine)
    flask_db(url, "upgrade")

    entries, head = chain(engine)
    assert [e.object_id for e in entries[:4]] == ["0", "1", "2", "3"]
    assert [e.hash for e in entries[:4]] != [r["hash"] for r in rows]
    assert verify(app, engine, monkeypatch).as_dict() == {"ok": True, "entries": 5}
    rechain = entries[-1]
    assert (rechain.action, rechain.object_type, rechain.object_id) == (
        "rechain",
        "audit",
        REVISION,
    )
    assert json.loads(rechain.changes) == {
        "old_chain": "intact",
        "rechained": 4,
        "scheme": ["sha256", "hmac-sha256"],
    }
    assert (head.count, head.scheme) == (5, "hmac-sha256")
    assert abs(head.rechained_at - datetime.now(UTC)) < timedelta(minutes=5)
    # Another key does not verify: the key is not in the database.
    monkeypatch.setitem(app.config, "AUDIT_KEY", "another key")
    with app.app_context(), Session(engine) as s:
        assert audit.verify(s).first_broken_id == 1

    # Downgrading restores the plain chain (and records that too); upgrading again re-keys.
    flask_db(url, "downgrade", BEFORE)
    entries, head = chain(engine)
    assert head.scheme == "sha256" and head.count == 6
    prev = audit.GENESIS
    for e in entries:
        as_dict = {c: getattr(e, c) for c in rows[0] if c not in ("prev_hash", "hash")}
        assert (e.prev_hash, e.hash) == (prev, plain_hash(prev, as_dict))
        prev = e.hash
    assert json.loads(entries[-1].changes)["scheme"] == ["hmac-sha256", "sha256"]
    assert json.loads(entries[-1].changes)["old_chain"] == "intact"
    flask_db(url, "upgrade")
    assert verify(app, engine, monkeypatch).as_dict() == {"ok": True, "entries": 7}


def test_a_chain_tampered_before_the_upgrade_is_rechained_but_recorded(
    app, old_database, monkeypatch
):
    url, engine = old_database
    write_plain_chain(engine, 5)
    with engine.begin() as conn:  # an edit without recomputing the hash, and a cut tail
        conn.execute(sa.text("UPDATE audit_entries SET changes = '{}' WHERE id = 2"))
        conn.execute(sa.text("DELETE FROM audit_entries WHERE id = 5"))
    flask_db(url, "upgrade")

    entries, head = chain(engine)
    assert verify(app, engine, monkeypatch).ok
    details = json.loads(entries[-1].changes)
    assert details == {
        "head_count": [5, 5],
        "old_chain": "broken",
        "old_chain_first_broken_id": 2,
        "old_chain_reason": "entry content does not match its hash",
        "rechained": 4,
        "scheme": ["sha256", "hmac-sha256"],
    }
    assert head.count == 5


def test_a_cut_tail_before_the_upgrade_is_recorded(app, old_database, monkeypatch):
    url, engine = old_database
    write_plain_chain(engine, 5)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_entries WHERE id >= 4"))
    flask_db(url, "upgrade")

    entries, _head = chain(engine)
    details = json.loads(entries[-1].changes)
    assert details["old_chain"] == "broken"
    assert details["old_chain_reason"] == "entries missing at the end"
    assert (details["old_chain_first_broken_id"], details["head_count"]) == (4, [5, 4])
    assert verify(app, engine, monkeypatch).as_dict() == {"ok": True, "entries": 4}


def test_an_empty_log_only_gets_the_scheme(app, old_database):
    url, engine = old_database
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT scheme FROM audit_head")).scalar() == "sha256"
    flask_db(url, "upgrade")
    entries, head = chain(engine)
    assert entries == []
    assert (head.count, head.scheme, head.rechained_at) == (0, "hmac-sha256", None)


def test_without_an_app_context_the_migration_says_what_to_do():
    path = ROOT / "migrations" / "versions" / f"{REVISION}_audit_chain_hmac.py"
    spec = importlib.util.spec_from_file_location("rechain_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # A new thread starts without the test's app context.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        with pytest.raises(RuntimeError, match="flask --app wsgi db upgrade"):
            pool.submit(module._key).result()
