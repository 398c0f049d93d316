"""Stored files that no row refers to are removed after a grace period, by `files
clean-orphans` and the daily scheduled job; referenced, young and reused files stay."""

from __future__ import annotations

import logging
import os
import threading
import time

import pytest

from supervision import scheduler
from supervision.backup import files
from supervision.common import storage
from supervision.integrity.models import IntegrityNoteAttachment
from supervision.rectification.models import MeasureEvidence
from supervision.talks.models import TalkAttachment
from tests import factories

PDF = b"%PDF-1.4\n"
DAY = 24 * 3600


@pytest.fixture
def store(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "TALK_ATTACHMENT_DIR", str(tmp_path / "files"))
    return tmp_path / "files"


def _age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.fixture
def layout(db, store):
    """A referenced old file, an old orphan, a young orphan, an old and a young temporary."""
    from supervision.talks import services as talks

    s = db.session
    unit = factories.unit(s, "派出所", kind="station")
    talk = factories.draft_talk(
        s, factories.person(s, unit, "张三"), [factories.person(s, unit, "李四")]
    )
    talks.add_attachment(s, talk, "other", "a.pdf", PDF + b"kept")
    s.commit()
    kept = storage.path_for(storage.store(PDF + b"kept"))
    old = storage.path_for(storage.store(PDF + b"old orphan"))
    young = storage.path_for(storage.store(PDF + b"young orphan"))
    stale_tmp = kept.parent / (storage.TEMP_PREFIX + "crashed")
    stale_tmp.write_bytes(b"half")
    fresh_tmp = kept.parent / (storage.TEMP_PREFIX + "writing")
    fresh_tmp.write_bytes(b"half")
    for path in (kept, old, stale_tmp):
        _age(path, 3 * DAY)
    _age(young, 1800)
    return {"kept": kept, "old": old, "young": young, "stale": stale_tmp, "fresh": fresh_tmp}


def test_the_tables_of_stored_files_are_found_from_the_schema():
    assert {t.name for t in files.file_tables()} == {
        TalkAttachment.__tablename__,
        IntegrityNoteAttachment.__tablename__,
        MeasureEvidence.__tablename__,  # rectification evidence (SPEC §14)
        "report_jobs",  # the files of finished reports, while they are kept
    }


def test_clean_orphans_removes_only_old_unreferenced_files(app, db, layout):
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["files", "clean-orphans", "--dry-run"])
    assert dry.exit_code == 0 and "Would remove 2 orphaned files" in dry.output
    assert all(p.exists() for p in layout.values())

    done = runner.invoke(args=["files", "clean-orphans"])
    assert done.exit_code == 0, done.output
    assert "Removed 2 orphaned files" in done.output and "1 referenced" in done.output
    assert {k for k, p in layout.items() if p.exists()} == {"kept", "young", "fresh"}

    again = runner.invoke(args=["files", "clean-orphans", "--grace-hours", "0.5"])
    assert again.exit_code == 2  # at least an hour: an upload may be in progress
    done = runner.invoke(args=["files", "clean-orphans", "--grace-hours", "1"])
    assert "Removed 0 orphaned files" in done.output  # the young one is half an hour old


def test_an_upload_reusing_an_old_orphan_keeps_it(app, db, layout):
    storage.store(PDF + b"old orphan")  # the same content uploaded again: the file is reused
    files.clean_orphans()
    assert layout["old"].exists()


def test_the_daily_job_cleans_up_and_logs(app, db, layout, monkeypatch, caplog):
    monkeypatch.setattr(scheduler, "_app", app)
    spec = {s.id: s for s in scheduler.job_specs({})}["orphan_files"]
    assert (spec.trigger, spec.trigger_args, spec.at_start) == (
        "cron",
        {"hour": 4, "minute": 15},
        False,
    )
    with caplog.at_level(logging.INFO, logger="supervision.scheduler"):
        spec.func()
    assert "stored files cleanup: 2 orphaned files removed" in caplog.text
    assert not layout["old"].exists() and layout["kept"].exists()


def test_the_cleanup_waits_for_a_backup_in_progress(app, db, layout):
    finished = threading.Event()

    def clean():
        with app.app_context():
            files.clean_orphans()
        finished.set()

    with storage.lock(exclusive=False):  # what a backup holds while it copies files
        worker = threading.Thread(target=clean)
        worker.start()
        assert not finished.wait(0.5)
        assert layout["old"].exists()
    worker.join(10)
    assert finished.is_set() and not layout["old"].exists()
