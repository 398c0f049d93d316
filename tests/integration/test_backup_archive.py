"""The backup archive keeps every stored file (SPEC §11): attachments uploaded through the
app come back byte for byte after a restore onto an emptied database and file store;
every damaged or hostile archive is refused before anything changes. On SQLite or
PostgreSQL (TEST_DATABASE_URL)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import stat
import tarfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.audit.services import verify
from supervision.backup import archive
from supervision.extensions import db as _db
from supervision.integrity.models import IntegrityNote, IntegrityNoteAttachment
from supervision.talks.models import TalkAttachment
from tests import factories
from tests.conftest import csrf_from

#: Distinct, incompressible contents, so that a byte-for-byte comparison means something.
SIGNED_FORM = b"%PDF-1.7\n" + hashlib.sha512(b"signed form").digest() * 4000
EXPLANATION = b"\x89PNG\r\n\x1a\n" + hashlib.sha512(b"explanation").digest() * 3000
NOTE_FILE = b"%PDF-1.4\n" + hashlib.sha512(b"inquiry reply").digest() * 2000


@pytest.fixture
def store(app, tmp_path, monkeypatch):
    """The file store of this test (config TALK_ATTACHMENT_DIR)."""
    path = tmp_path / "files"
    monkeypatch.setitem(app.config, "TALK_ATTACHMENT_DIR", str(path))
    return path


@pytest.fixture
def org(db, make_user, token_for):
    """A station head (leader) and an officer, the secretary's token and a committee
    member's login for the integrity pages."""
    s = db.session
    bureau = factories.unit(s, "分局", kind="branch")
    station = factories.unit(s, "派出所", kind="station", parent=bureau)
    head = factories.person(s, station, "李所长", leadership="department_head")
    officer = factories.person(s, station, "张三")
    recorder = factories.person(s, station, "赵六")
    member = factories.person(s, bureau, "王委员")
    s.flush()
    station.head_person_id = head.id
    s.commit()
    make_user("member", ["discipline_member"], person=member)
    return {
        "head": head.id,
        "officer": officer.id,
        "recorder": recorder.id,
        "secretary": token_for(make_user("secretary", ["discipline_secretary"])),
    }


def _upload_talk_files(client, org) -> list[str]:
    """A talk with a signed paper form and a written explanation, through the API."""
    headers = org["secretary"]
    talk = client.post(
        "/api/v1/talks",
        headers=headers,
        json={
            "type": "integrity_reminder",
            "held_at": "2025-09-10T09:30:00+08:00",
            "location": "谈话室",
            "interviewee_id": org["officer"],
            "interviewer_ids": [org["head"]],
            "recorder_id": org["recorder"],
            "content": "提醒严守廉洁纪律",
            "response": "坚决遵守",
        },
    )
    assert talk.status_code == 201, talk.get_json()
    urls = []
    for kind, data, name in (
        ("signed_form", SIGNED_FORM, "签字谈话记录.pdf"),
        ("written_explanation", EXPLANATION, "书面说明.png"),
    ):
        resp = client.post(
            f"/api/v1/talks/{talk.get_json()['id']}/attachments",
            headers=headers,
            data={"kind": kind, "file": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )
        assert resp.status_code == 201, resp.get_json()
        urls.append(f"/api/v1/talks/{talk.get_json()['id']}/attachments/{resp.get_json()['id']}")
    return urls


def _upload_note_file(client, db, org, login) -> str:
    """An integrity-file note with an attachment, through the pages (CSRF and all)."""
    login("member", c=client)
    page = client.get(f"/integrity/{org['head']}").get_data(as_text=True)
    form = {
        "kind": "inquiry",
        "title": "关于群众来信反映问题的函询",
        "noted_on": "2025-05-06",
        "body": "已书面说明情况",
        "csrf_token": csrf_from(page),
    }
    assert client.post(f"/integrity/{org['head']}/notes", data=form).status_code == 302
    note = db.session.scalar(sa.select(IntegrityNote))
    url = f"/integrity/{org['head']}/notes/{note.id}/attachments"
    resp = client.post(
        url,
        data={"csrf_token": csrf_from(page), "file": (io.BytesIO(NOTE_FILE), "函询回复.pdf")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    return f"{url}/{db.session.scalar(sa.select(IntegrityNoteAttachment.id))}"


def _wipe_database() -> None:
    """An empty database, as on a new machine: SQLite's file is deleted, PostgreSQL's
    schema emptied (no tables, no Alembic mark)."""
    _db.session.remove()
    _db.engine.dispose()
    if _db.engine.dialect.name == "sqlite":
        Path(_db.engine.url.database).unlink()
    else:
        with _db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        _db.engine.dispose()


def test_attachments_come_back_byte_for_byte_after_a_restore_onto_an_empty_machine(
    app, db, stamped, store, org, login, tmp_path, monkeypatch
):
    client = app.test_client()
    talk_urls = _upload_talk_files(client, org)
    note_url = _upload_note_file(client, db, org, login)
    # An orphan (an upload whose request failed after writing its file) is not backed up.
    orphan = store / "00" / ("00" + "f" * 62)
    orphan.parent.mkdir()
    orphan.write_bytes(b"orphan")
    target = tmp_path / "backup.tar"

    done = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert done.exit_code == 0, done.output
    assert "3 stored files" in done.output and "WARNING" not in done.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # confidential

    with tarfile.open(target) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
        contents = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isreg()}
    assert names[0] == "manifest.json"
    assert manifest["database_kind"] == db.engine.dialect.name
    assert manifest["schema_revision"] == stamped
    assert manifest["app_version"] and manifest["created_at"][:2] == "20"
    assert manifest["missing_files"] == []
    for entry in manifest["members"]:
        data = contents[entry["name"]]
        assert (len(data), hashlib.sha256(data).hexdigest()) == (entry["size"], entry["sha256"])
    stored = {n.rsplit("/", 1)[1] for n in names if n.startswith("files/")}
    assert stored == {hashlib.sha256(d).hexdigest() for d in (SIGNED_FORM, EXPLANATION, NOTE_FILE)}

    # A new machine: an empty database and no file store at all (another folder).
    _wipe_database()
    shutil.rmtree(store)
    new_store = tmp_path / "elsewhere" / "files"
    monkeypatch.setitem(app.config, "TALK_ATTACHMENT_DIR", str(new_store))

    done = app.test_cli_runner().invoke(args=["restore", str(target)])
    assert done.exit_code == 0, done.output
    assert "3 stored files" in done.output
    assert not list((tmp_path / "elsewhere").glob(".supervision-restore-*"))  # staging gone

    client = app.test_client()
    for url, data in zip(talk_urls, (SIGNED_FORM, EXPLANATION), strict=True):
        got = client.get(url, headers=org["secretary"])
        assert got.status_code == 200 and got.data == data
    login("member", c=client)
    got = client.get(note_url)
    assert got.status_code == 200 and got.data == NOTE_FILE
    restored = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "restore"))
    assert [json.loads(e.changes)["files"] for e in restored] == [[None, 3]]
    assert verify(db.session).ok


def test_a_referenced_file_missing_from_the_store_is_reported_and_listed(
    app, db, stamped, store, org, tmp_path
):
    _upload_talk_files(app.test_client(), org)
    lost = db.session.scalars(sa.select(TalkAttachment.sha256).order_by(TalkAttachment.id)).first()
    (store / lost[:2] / lost).unlink()
    target = tmp_path / "backup.tgz"
    done = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert done.exit_code == 0, done.output
    assert "1 stored files" in done.output and f"WARNING: stored file {lost}" in done.stderr
    with tarfile.open(target, "r:gz") as tar:  # .tgz: gzip-compressed
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert manifest["missing_files"] == [{"sha256": lost, "problem": "missing"}]


def test_a_database_not_made_by_db_upgrade_is_not_backed_up(app, db, tmp_path):
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b.tar")])
    assert result.exit_code == 1 and "no schema revision" in result.output
    assert not list(tmp_path.iterdir())  # no partial archive, no work folder


# ------------------------------------------------------------------ refusals


def _rewrite(src: Path, dst: Path, edit) -> Path:
    """A copy of the archive whose members (TarInfo, bytes) went through `edit`."""
    with tarfile.open(src) as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]
    with tarfile.open(dst, "w") as out:
        for info, data in edit(members):
            info.size = len(data) if info.isreg() else 0
            out.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return dst


def _with_manifest(change):
    def edit(members):
        for info, data in members:
            if info.name == "manifest.json":
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest).encode()
            yield info, data

    return edit


def _flip_last_byte_of(prefix):
    def edit(members):
        for info, data in members:
            if info.name.startswith(prefix):
                data = data[:-1] + bytes([data[-1] ^ 1])
            yield info, data

    return edit


def _drop_first(prefix):
    def edit(members):
        dropped = False
        for info, data in members:
            if info.name.startswith(prefix) and not dropped:
                dropped = True
                continue
            yield info, data

    return edit


def _add(info: tarfile.TarInfo, data: bytes = b""):
    def edit(members):
        yield from members
        yield info, data

    return edit


def _named(name: str, **attrs) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    for key, value in attrs.items():
        setattr(info, key, value)
    return info


def _set_kind(manifest):
    manifest["database_kind"] = "postgresql" if manifest["database_kind"] == "sqlite" else "sqlite"


REFUSALS = {
    "tampered file": (_flip_last_byte_of("files/"), "does not match the manifest"),
    "tampered database": (_flip_last_byte_of("database/"), "does not match the manifest"),
    "missing file": (_drop_first("files/"), "missing from the archive"),
    "missing manifest": (_drop_first("manifest.json"), "has no manifest.json"),
    "traversal": (_add(_named("files/../../evil.sh"), b"x"), "not one `backup` writes"),
    "absolute": (_add(_named("/etc/cron.d/evil"), b"x"), "not one `backup` writes"),
    "symlink": (
        _add(_named("files/ab/" + "ab" * 32, type=tarfile.SYMTYPE, linkname="/etc/passwd")),
        "is a link",
    ),
    "extra member": (_add(_named("files/ab/" + "ab" * 32), b"x"), "not in its manifest"),
    "unknown revision": (
        _with_manifest(lambda m: m.update(schema_revision="ffffffffffff")),
        "unknown to this version",
    ),
    "other database kind": (_with_manifest(_set_kind), "is not supported"),
    "future format": (
        _with_manifest(lambda m: m.update(format_version=2)),
        "format version 2",
    ),
}


def _state(store: Path) -> tuple:
    """What a refused restore must leave as it was: every row and every stored file."""
    _db.session.remove()
    rows = {
        t.name: _db.session.execute(sa.select(t).order_by(*t.primary_key.columns)).all()
        for t in _db.metadata.sorted_tables
    }
    files = {p.relative_to(store): p.read_bytes() for p in store.rglob("*") if p.is_file()}
    return rows, files


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_bad_archive_is_refused_before_anything_changes(
    app, db, stamped, store, org, tmp_path, case
):
    _upload_talk_files(app.test_client(), org)
    runner = app.test_cli_runner()
    good = tmp_path / "good.tar"
    assert runner.invoke(args=["backup", str(good)]).exit_code == 0
    # Changes after the backup, which a restore would undo.
    factories.unit(db.session, "备份后新建的单位")
    db.session.commit()
    (store / "0a").mkdir()
    (store / "0a" / ("0a" * 32)).write_bytes(b"written after the backup")
    before = _state(store)
    edit, message = REFUSALS[case]

    result = runner.invoke(args=["restore", str(_rewrite(good, tmp_path / "bad.tar", edit))])

    assert result.exit_code == 1, result.output
    assert message in result.output and result.output.startswith("Error:")
    assert "Traceback" not in result.output
    assert _state(store) == before
    assert not list(tmp_path.glob(".supervision-restore-*"))
    assert not (tmp_path / "evil.sh").exists() and not (store.parent / "evil.sh").exists()


def test_a_restore_whose_database_step_fails_takes_its_new_files_back(
    app, db, stamped, store, org, tmp_path, monkeypatch
):
    from supervision.backup import restore

    _upload_talk_files(app.test_client(), org)
    target = tmp_path / "b.tar"
    assert app.test_cli_runner().invoke(args=["backup", str(target)]).exit_code == 0
    shutil.rmtree(store)

    def fail(_checked):
        raise archive.BackupError("Restore failed, the database is unchanged: simulated.")

    monkeypatch.setattr(restore, "_restore_database", fail)
    result = app.test_cli_runner().invoke(args=["restore", str(target)])
    assert result.exit_code == 1 and "simulated" in result.output
    assert [p for p in store.rglob("*") if p.is_file() and p.name != ".lock"] == []


def test_archive_members_are_written_and_read_in_one_pass_even_compressed(
    app, db, stamped, store, org, tmp_path
):
    _upload_talk_files(app.test_client(), org)
    target = tmp_path / "b.tar.gz"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    assert target.read_bytes()[:2] == b"\x1f\x8b"
    done = runner.invoke(args=["restore", str(target)])
    assert done.exit_code == 0, done.output
    assert "2 stored files" in done.output
    assert os.path.exists(store)
