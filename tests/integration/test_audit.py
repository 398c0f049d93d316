"""The audit log on a real database: chaining at commit, rollbacks, tamper detection by
someone who can write the database but has not the audit key (an edited entry, a cut-off
tail, a swapped pair, each with the chain recomputed), anchors, the CLI."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from supervision.audit import services as audit
from supervision.audit.models import AuditEntry, AuditHead
from supervision.common import clock
from supervision.org import services as org
from tests import factories


def _entries(db) -> list[AuditEntry]:
    db.session.expire_all()
    return db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()


def _head(db) -> int:
    return db.session.scalar(sa.select(AuditHead.count).where(AuditHead.id == 1))


def plain_hash(prev_hash: str, e: AuditEntry) -> str:
    """What the chain was before the key (and what a forger without the key can compute):
    plain SHA-256 over the same canonical JSON as the keyed hash."""
    at = e.at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    payload = [prev_hash, at, e.actor_user_id, e.actor_name, e.action, e.object_type]
    payload += [e.object_id, e.changes, e.ip]
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()


def forge_plain_chain(db, from_id: int) -> None:
    """A forger's repair: recompute every link from `from_id` on with plain SHA-256."""
    prev = audit.GENESIS
    for e in _entries(db):
        if e.id >= from_id:
            e.prev_hash = prev
            e.hash = plain_hash(prev, e)
        prev = e.hash
    db.session.commit()


def _five_entries(db) -> list[int]:
    """Five committed entries, in two transactions; returns their ids in chain order."""
    for i in range(3):
        audit.record(db.session, "update", "thing", i, {"n": [i, i + 1]})
    db.session.commit()
    for i in range(3, 5):
        audit.record(db.session, "update", "thing", i, {"n": [i, i + 1]})
    db.session.commit()
    return [e.id for e in _entries(db)]


def test_org_writes_are_chained_with_before_and_after(db):
    unit = factories.unit(db.session, name="刑侦大队")
    db.session.commit()
    old_name = unit.name
    org.update_unit(db.session, unit, {"name": "刑侦支队"})
    db.session.commit()

    created, updated = _entries(db)
    assert (created.action, created.object_type, created.object_id) == (
        "create",
        "org_unit",
        str(unit.id),
    )
    assert json.loads(created.changes)["name"] == [None, old_name]
    assert updated.action == "update"
    assert json.loads(updated.changes) == {"name": [old_name, "刑侦支队"]}
    assert created.actor_name == "cli"  # written outside a request
    assert created.prev_hash == audit.GENESIS
    assert updated.prev_hash == created.hash
    assert updated.hash == audit.entry_hash(created.hash, updated)
    assert _head(db) == 2
    assert audit.verify(db.session).as_dict() == {"ok": True, "entries": 2}


def test_a_rolled_back_transaction_leaves_no_entry(db):
    factories.unit(db.session, name="撤销单位")
    db.session.rollback()
    kept = factories.unit(db.session, name="保留单位")
    db.session.commit()

    entries = _entries(db)
    assert [(e.object_type, e.object_id) for e in entries] == [("org_unit", str(kept.id))]
    assert _head(db) == 1
    assert audit.verify(db.session).ok


def test_a_rolled_back_savepoint_drops_only_its_own_entries(db):
    outer = factories.unit(db.session, name="外层")
    try:
        with db.session.begin_nested():
            factories.unit(db.session, name="内层")
            raise RuntimeError("give up the savepoint")
    except RuntimeError:
        pass
    with db.session.begin_nested():
        released = factories.unit(db.session, name="保存点")
    db.session.commit()

    names = [json.loads(e.changes)["name"][1] for e in _entries(db)]
    assert names == [outer.name, released.name]
    assert not any(n.startswith("内层") for n in names)
    assert audit.verify(db.session).as_dict() == {"ok": True, "entries": 2}


def test_a_session_closed_without_commit_does_not_leak_entries(db):
    with Session(db.engine) as other:
        other.execute(sa.text("SELECT 1"))
        audit.record(other, "update", "thing", "lost", {"n": [1, 2]})
        other.close()
        audit.record(other, "update", "thing", "kept", {"n": [2, 3]})
        other.commit()
    assert [e.object_id for e in _entries(db)] == ["kept"]


def test_verify_reports_an_edited_entry(db):
    ids = _five_entries(db)
    assert audit.verify(db.session).as_dict() == {"ok": True, "entries": 5}
    db.session.execute(
        sa.text("UPDATE audit_entries SET changes = :c WHERE id = :id"),
        {"c": '{"n": [2, 99]}', "id": ids[2]},
    )
    db.session.commit()

    result = audit.verify(db.session)
    assert (result.ok, result.first_broken_id, result.entries) == (False, ids[2], 2)
    assert "hash" in result.reason


def test_verify_reports_a_rehashed_entry_at_the_next_link(db):
    ids = _five_entries(db)
    victim = db.session.get(AuditEntry, ids[1])
    victim.changes = '{"n": [1, 500]}'
    victim.hash = audit.entry_hash(victim.prev_hash, victim)  # a forger recomputes this one hash
    db.session.commit()

    result = audit.verify(db.session)
    assert (result.ok, result.first_broken_id) == (False, ids[2])


def test_verify_reports_the_entry_after_a_deleted_one(db):
    ids = _five_entries(db)
    db.session.execute(sa.text("DELETE FROM audit_entries WHERE id = :id"), {"id": ids[2]})
    db.session.commit()

    result = audit.verify(db.session)
    assert (result.ok, result.first_broken_id, result.entries) == (False, ids[3], 2)
    assert "link" in result.reason


def test_verify_detects_a_deleted_last_entry(db):
    ids = _five_entries(db)
    db.session.execute(sa.text("DELETE FROM audit_entries WHERE id = :id"), {"id": ids[-1]})
    db.session.commit()

    result = audit.verify(db.session)
    assert (result.ok, result.entries, result.first_broken_id) == (False, 4, ids[-1])
    assert "missing" in result.reason


def test_verify_detects_a_row_added_behind_the_applications_back(db):
    ids = _five_entries(db)
    last = db.session.get(AuditEntry, ids[-1])
    forged = {
        "at": clock.now(),
        "actor_user_id": None,
        "actor_name": "x",
        "action": "delete",
        "object_type": "thing",
        "object_id": "9",
        "changes": "{}",
        "ip": "",
    }
    db.session.add(
        AuditEntry(prev_hash=last.hash, hash=audit.entry_hash(last.hash, forged), **forged)
    )
    db.session.commit()
    forged_id = _entries(db)[-1].id

    result = audit.verify(db.session)
    assert (result.ok, result.first_broken_id, result.entries) == (False, forged_id, 6)


def test_verify_keeps_the_callers_objects_attached(db):
    unit = factories.unit(db.session)
    db.session.commit()
    assert audit.verify(db.session).ok
    assert unit in db.session
    assert unit.name.startswith("单位")


def test_two_sessions_appending_in_turn_keep_one_chain(db):
    with Session(db.engine) as one, Session(db.engine) as two:
        audit.record(one, "update", "thing", "a1")
        audit.record(two, "update", "thing", "b1")  # queued before `one` commits
        one.commit()
        two.commit()
        audit.record(one, "update", "thing", "a2")
        one.commit()
        audit.record(two, "update", "thing", "b2")
        two.commit()

    entries = _entries(db)
    assert [e.object_id for e in entries] == ["a1", "b1", "a2", "b2"]
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert audit.verify(db.session).as_dict() == {"ok": True, "entries": 4}


def test_a_second_writer_waits_for_the_first_to_commit(app, db):
    errors: list[BaseException] = []
    with Session(db.engine) as one, Session(db.engine) as two:
        audit.record(one, "update", "thing", "first")
        audit.record(two, "update", "thing", "second")
        audit.flush_pending(one)  # `one` now holds the head's lock, uncommitted

        def commit_two():
            try:
                with app.app_context():  # the chain's key comes from the app's configuration
                    two.commit()
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)

        waiter = threading.Thread(target=commit_two)
        waiter.start()
        waiter.join(0.3)
        assert waiter.is_alive(), "the second writer did not wait for the head's lock"
        one.commit()
        waiter.join(15)
    assert not errors
    entries = _entries(db)
    assert [e.object_id for e in entries] == ["first", "second"]
    assert entries[1].prev_hash == entries[0].hash
    assert audit.verify(db.session).ok


def test_entries_select_filters_by_local_date_and_actor(db, make_user):
    user = make_user("auditor", roles=("admin",))
    evening = datetime(2025, 6, 30, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai, 30 June
    after_midnight = datetime(2025, 6, 30, 16, 10, tzinfo=UTC)  # 00:10 in Shanghai, 1 July
    for instant, oid in ((evening, "june"), (after_midnight, "july")):
        with clock.frozen(instant):
            audit.record(
                db.session, "update", "thing", oid, actor_user_id=user.id, actor_name="auditor"
            )
            db.session.commit()

    def ids(**filters):
        return [
            e.object_id for e in db.session.scalars(audit.entries_select(db.session, **filters))
        ]

    assert ids(object_type="thing", since=date(2025, 7, 1)) == ["july"]
    assert ids(object_type="thing", until=date(2025, 6, 30)) == ["june"]
    assert ids(object_type="thing", since=date(1, 1, 1), until=date(9999, 12, 31)) == [
        "july",
        "june",
    ]
    assert ids(actor="auditor", action="update") == ["july", "june"]
    assert ids(actor="nobody") == []
    # A renamed account keeps its history; a name without an account matches the recorded name.
    user.username = "auditor2"
    db.session.commit()
    assert ids(actor="auditor2", object_type="thing") == ["july", "june"]
    assert ids(actor="cli", action="create", object_type="user") == [str(user.id)]


def test_confidential_talk_fields_are_masked_for_other_roles(db):
    audit.record(
        db.session, "update", "talk", 7, {"content": ["旧内容", "新内容"], "location": ["A", "B"]}
    )
    db.session.commit()
    entry = _entries(db)[0]
    assert audit.parsed_changes(entry)["content"] == [audit.REDACTED, audit.REDACTED]
    assert audit.parsed_changes(entry)["location"] == ["A", "B"]
    assert audit.parsed_changes(entry, confidential_ok=True)["content"] == ["旧内容", "新内容"]


def test_cli_verify_exit_status(app, db):
    ids = _five_entries(db)
    runner = app.test_cli_runner()
    intact = runner.invoke(args=["audit", "verify"])
    assert intact.exit_code == 0, intact.output
    assert "5" in intact.output

    db.session.execute(
        sa.text("UPDATE audit_entries SET action = 'read' WHERE id = :id"), {"id": ids[3]}
    )
    db.session.commit()
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1, broken.output
    assert str(ids[3]) in broken.output


# --- the keyed chain (SPEC §4): forgeries that a plain SHA-256 chain would accept ----------


def test_the_hash_is_an_hmac_keyed_with_the_audit_key(app, db, monkeypatch):
    ids = _five_entries(db)
    first = _entries(db)[0]
    derived = hmac.new(b"test-secret-key", audit.KEY_LABEL, hashlib.sha256).digest()
    assert audit.audit_key() == derived  # no AUDIT_KEY: derived from SECRET_KEY
    assert first.hash != plain_hash(audit.GENESIS, first)
    assert first.hash == audit.entry_hash(audit.GENESIS, first, derived)
    monkeypatch.setitem(app.config, "AUDIT_KEY", "a key kept outside the database")
    assert audit.audit_key() == b"a key kept outside the database"
    assert len(ids) == 5


def test_an_edited_entry_with_the_plain_chain_recomputed_is_detected(db):
    ids = _five_entries(db)
    victim = db.session.get(AuditEntry, ids[2])
    victim.changes = '{"n": [2, 99]}'
    db.session.commit()
    forge_plain_chain(db, ids[2])  # every link from the victim on is consistent again

    result = audit.verify(db.session)
    assert (result.ok, result.first_broken_id, result.entries) == (False, ids[2], 2)
    assert result.reason == "entry content does not match its hash"


def test_a_cut_off_tail_with_the_counter_adjusted_is_detected_by_the_anchor(app, db):
    ids = _five_entries(db)
    anchor = audit.head(db.session)
    assert anchor == (ids[-1], _entries(db)[-1].hash)
    db.session.execute(sa.text("DELETE FROM audit_entries WHERE id >= :id"), {"id": ids[3]})
    db.session.execute(sa.text("UPDATE audit_head SET count = count - 2 WHERE id = 1"))
    db.session.commit()

    # The chain that is left is consistent: without an anchor nothing tells.
    assert audit.verify(db.session).as_dict() == {"ok": True, "entries": 3}
    result = audit.verify(db.session, [anchor])
    assert (result.ok, result.first_broken_id, result.entries) == (False, ids[-1], 3)
    assert result.reason == "anchored entry is missing"

    runner = app.test_cli_runner()
    cut = runner.invoke(args=["audit", "verify", "--anchor", f"{anchor[0]}:{anchor[1]}"])
    assert cut.exit_code == 1, cut.output
    assert f"BROKEN at entry {ids[-1]}" in cut.output
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_a_tail_cut_and_refilled_is_detected_by_the_anchor(db):
    ids = _five_entries(db)
    anchor = audit.head(db.session)
    db.session.execute(sa.text("DELETE FROM audit_entries WHERE id >= :id"), {"id": ids[3]})
    db.session.execute(sa.text("UPDATE audit_head SET count = count - 2 WHERE id = 1"))
    db.session.commit()
    for i in range(4):  # the application goes on writing (SQLite may reuse the ids)
        audit.record(db.session, "update", "thing", f"new{i}")
    db.session.commit()

    assert audit.verify(db.session).ok
    result = audit.verify(db.session, [anchor])
    assert (result.ok, result.first_broken_id) == (False, anchor[0])
    assert result.reason in {"anchored entry is missing", "entry differs from its anchor"}


def test_a_swapped_pair_with_the_plain_chain_recomputed_is_detected(db):
    ids = _five_entries(db)
    one, two = db.session.get(AuditEntry, ids[1]), db.session.get(AuditEntry, ids[2])
    fields = ("at", "actor_user_id", "actor_name", "action", "object_type", "object_id")
    for name in (*fields, "changes", "ip"):
        a, b = getattr(one, name), getattr(two, name)
        setattr(one, name, b)
        setattr(two, name, a)
    db.session.commit()
    assert [e.object_id for e in _entries(db)] == ["0", "2", "1", "3", "4"]
    forge_plain_chain(db, ids[1])

    result = audit.verify(db.session)
    assert (result.ok, result.first_broken_id, result.entries) == (False, ids[1], 1)


def test_a_wrong_audit_key_breaks_the_chain_at_the_first_entry(app, db, monkeypatch):
    ids = _five_entries(db)
    monkeypatch.setitem(app.config, "AUDIT_KEY", "not the key the log was written with")
    result = audit.verify(db.session)
    assert (result.ok, result.first_broken_id, result.entries) == (False, ids[0], 0)
    assert result.reason == "entry content does not match its hash"


def test_an_explicit_audit_key_chains_and_verifies(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "AUDIT_KEY", "k" * 40)
    ids = _five_entries(db)
    assert audit.verify(db.session).as_dict() == {"ok": True, "entries": 5}
    monkeypatch.setitem(app.config, "AUDIT_KEY", None)  # back to the one from SECRET_KEY
    assert audit.verify(db.session).first_broken_id == ids[0]


def test_an_intact_log_verifies_with_and_without_anchors(db):
    ids = _five_entries(db)
    entries = _entries(db)
    early, late = (ids[1], entries[1].hash), audit.head(db.session)
    assert audit.verify(db.session).as_dict() == {"ok": True, "entries": 5}
    assert audit.verify(db.session, [early, late]).as_dict() == {"ok": True, "entries": 5}
    # An anchor that names an existing entry with another hash: a rewritten log.
    wrong = (ids[2], entries[3].hash)
    result = audit.verify(db.session, [early, wrong])
    assert (result.ok, result.first_broken_id, result.entries) == (False, ids[2], 2)
    assert result.reason == "entry differs from its anchor"


def test_a_head_still_on_the_plain_scheme_is_reported(db):
    ids = _five_entries(db)
    db.session.execute(sa.text("UPDATE audit_head SET scheme = 'sha256' WHERE id = 1"))
    db.session.commit()
    result = audit.verify(db.session)
    assert (result.ok, result.first_broken_id) == (False, ids[0])
    assert result.reason == "chain is not keyed with the audit key"


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("12:" + "ab" * 32, (12, "ab" * 32)),
        (" 7:" + "AB" * 32 + " ", (7, "ab" * 32)),
    ],
)
def test_parse_anchor_accepts_id_colon_hash(text, parsed):
    assert audit.parse_anchor(text) == parsed


@pytest.mark.parametrize(
    "text", ["", "12", "12:", "0:" + "a" * 64, "-1:" + "a" * 64, "1:" + "a" * 63, "1:" + "g" * 64]
)
def test_parse_anchor_refuses_anything_else(text):
    with pytest.raises(ValueError):
        audit.parse_anchor(text)


def test_head_of_an_empty_log_is_none(db):
    assert audit.head(db.session) is None


def test_log_anchor_writes_the_head_outside_the_database(db, caplog):
    ids = _five_entries(db)
    with caplog.at_level(logging.INFO, logger="supervision.audit"):
        anchor, result = audit.log_anchor(db.session)
    assert result.ok and anchor[0] == ids[-1]
    assert f"audit anchor: {ids[-1]}:{anchor[1]}" in caplog.messages
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

    db.session.execute(
        sa.text("UPDATE audit_entries SET action = 'read' WHERE id = :id"), {"id": ids[1]}
    )
    db.session.commit()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="supervision.audit"):
        audit.log_anchor(db.session)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == [
        f"audit chain BROKEN at entry {ids[1]}: entry content does not match its hash"
    ]


def test_cli_verify_with_anchors(app, db):
    ids = _five_entries(db)
    entries = _entries(db)
    runner = app.test_cli_runner()
    both = runner.invoke(
        args=[
            "audit",
            "verify",
            "--anchor",
            f"{ids[0]}:{entries[0].hash}",
            "--anchor",
            f"{ids[-1]}:{entries[-1].hash.upper()}",
        ]
    )
    assert both.exit_code == 0, both.output
    assert "5 entries, 2 anchor(s) matched" in both.output
    wrong = runner.invoke(args=["audit", "verify", "--anchor", f"{ids[1]}:{entries[0].hash}"])
    assert wrong.exit_code == 1, wrong.output
    assert f"BROKEN at entry {ids[1]}" in wrong.output


@pytest.mark.parametrize(
    "value", ["nonsense", "5", "0:" + "a" * 64, "5:" + "a" * 10, "x:" + "a" * 64]
)
def test_cli_refuses_a_malformed_anchor_with_a_usage_error(app, db, value):
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--anchor", value])
    assert result.exit_code == 2, result.output
    assert "is not an anchor: expected ID:HASH" in result.output
    assert "Traceback" not in result.output
