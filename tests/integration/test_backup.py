"""`backup PATH` / `restore PATH` round-trip the whole database (SQLite or PostgreSQL); the
stored files and the archive's checks are in test_backup_archive.py."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.audit.services import verify
from supervision.backup import BackupError, find_pg_tool
from supervision.extensions import db as _db
from supervision.org import services as org
from supervision.org.models import Assignment, OrgUnit, Person
from tests import factories


def _counts(session) -> dict[str, int]:
    return {
        t.name: session.scalar(sa.select(sa.func.count()).select_from(t))
        for t in _db.metadata.sorted_tables
    }


def _seed(session):
    root = factories.unit(session, "分局", kind="branch", code="R")
    dept = factories.unit(session, "法制大队", parent=root, code="FZ")
    alice = factories.person(session, dept, name="王丽", staff_no="A1")
    bob = factories.person(session, dept, name="李强", staff_no="B1", personnel_type="auxiliary")
    post = factories.post(session, dept, name="案件审核岗", code="P1", is_sensitive=True)
    factories.assign(session, alice, post, start=date(2019, 3, 1), end=date(2022, 2, 28))
    factories.assign(session, bob, post, start=date(2021, 1, 1))
    factories.user(session, "secretary", ["discipline_secretary"], person=alice)
    session.commit()


def test_backup_then_restore_brings_back_the_original_data(app, db, stamped, tmp_path):
    _seed(db.session)
    before = _counts(db.session)
    names = db.session.scalars(sa.select(Person.name).order_by(Person.staff_no)).all()
    runner = app.test_cli_runner()
    target = tmp_path / "backup.tar"

    done = runner.invoke(args=["backup", str(target)])
    assert done.exit_code == 0, done.output
    assert target.is_file() and target.stat().st_size > 0
    assert str(target) in done.output
    db.session.remove()
    assert (
        db.session.scalar(sa.select(AuditEntry.action).order_by(AuditEntry.id.desc())) == "backup"
    )

    # Change the data: add, update and delete.
    dept = db.session.scalar(sa.select(OrgUnit).where(OrgUnit.code == "FZ"))
    factories.person(db.session, dept, name="新人", staff_no="C1")
    org.update_unit(db.session, dept, {"name": "改名大队"})
    org.delete_assignment(db.session, db.session.scalars(sa.select(Assignment)).first())
    db.session.commit()
    assert _counts(db.session)["people"] == before["people"] + 1

    done = runner.invoke(args=["restore", str(target)])
    assert done.exit_code == 0, done.output
    assert "Restored" in done.output
    db.session.remove()
    after = _counts(db.session)
    # The backup's own entry postdates the snapshot; the restore adds one entry of its own.
    assert after == {**before, "audit_entries": before["audit_entries"] + 1}
    assert db.session.scalars(sa.select(Person.name).order_by(Person.staff_no)).all() == names
    assert db.session.scalar(sa.select(OrgUnit.name).where(OrgUnit.code == "FZ")).startswith(
        "法制大队"
    )
    assert db.session.scalar(sa.select(Person).where(Person.staff_no == "C1")) is None
    starts = db.session.scalars(sa.select(Assignment.start_date).order_by(Assignment.start_date))
    assert starts.all() == [date(2019, 3, 1), date(2021, 1, 1)]
    last = db.session.scalar(sa.select(AuditEntry).order_by(AuditEntry.id.desc()))
    assert last.action == "restore"
    result = verify(db.session)
    assert result.ok and result.entries == after["audit_entries"]

    # The app keeps working on the restored database (pool, sequences).
    dept = db.session.scalar(sa.select(OrgUnit).where(OrgUnit.code == "FZ"))
    factories.person(db.session, dept, name="后来者", staff_no="D1")
    db.session.commit()
    assert app.test_client().get("/healthz").status_code == 200


def _magic_of_a_database_only_backup() -> bytes:
    if _db.engine.dialect.name == "sqlite":
        return b"PGDMP\x01\x0e\x00" + b"\x00" * 100
    return b"SQLite format 3\x00" + b"\x00" * 100


def test_restore_refuses_missing_invalid_and_damaged_files(app, db, stamped, tmp_path):
    _seed(db.session)
    before = _counts(db.session)
    runner = app.test_cli_runner()

    missing = runner.invoke(args=["restore", str(tmp_path / "nope.bin")])
    assert missing.exit_code == 1 and "No backup file" in missing.output

    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"this is not a database backup\n" * 10)
    result = runner.invoke(args=["restore", str(garbage)])
    assert result.exit_code == 1 and "not an archive made by `backup`" in result.output

    other = tmp_path / "other.bin"
    other.write_bytes(_magic_of_a_database_only_backup())
    result = runner.invoke(args=["restore", str(other)])
    assert result.exit_code == 1 and "database-only backup of an older version" in result.output

    good = tmp_path / "good.bin"
    assert runner.invoke(args=["backup", str(good)]).exit_code == 0
    damaged = tmp_path / "damaged.bin"
    content = good.read_bytes()
    damaged.write_bytes(content[: len(content) * 2 // 3])
    result = runner.invoke(args=["restore", str(damaged)])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error:")

    for r in (missing, result):
        assert "Traceback" not in r.output
    db.session.remove()
    assert _counts(db.session) == {**before, "audit_entries": before["audit_entries"] + 1}
    assert verify(db.session).ok


def test_backup_into_a_missing_directory_is_refused(app, db, tmp_path):
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "no" / "such.bin")])
    assert result.exit_code == 1
    assert "does not exist" in result.output


def test_postgresql_tools_older_than_the_server_are_not_used():
    with pytest.raises(BackupError) as err:
        find_pg_tool("pg_dump", 99)
    assert "postgresql-client-99" in err.value.message
