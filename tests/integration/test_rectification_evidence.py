"""Evidence of rectification measures (SPEC §14): files checked by their content (PDF, JPEG,
PNG, DOCX, XLSX), links only to records the caller may read, removal, the audit; and the
stored files known to the backup and to the orphan cleanup."""

from __future__ import annotations

import io
import os
import tarfile
import time
import zipfile
from datetime import date

import pytest
import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.backup import files
from supervision.common import storage
from supervision.common.errors import Conflict, Invalid
from supervision.rectification import evidence, services
from supervision.rectification.models import MeasureEvidence
from tests import factories

PDF = b"%PDF-1.4\n" + b"evidence " * 50


def office(part: str) -> bytes:
    """A minimal Office package holding `part` (word/document.xml or xl/workbook.xml)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr(part, "<x/>")
    return buffer.getvalue()


@pytest.fixture
def store(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "TALK_ATTACHMENT_DIR", str(tmp_path / "files"))
    monkeypatch.setitem(app.config, "SUPERVISION_FAKE_NOW", "2025-09-20T10:00:00+08:00")
    return tmp_path / "files"


@pytest.fixture
def measure(db, store):
    s = db.session
    rows = factories.small_bureau(s)
    inspection = services.create_inspection(
        s,
        {
            "name": "巡察",
            "inspector": "巡察组",
            "org_unit_id": rows["bureau"].id,
            "feedback_on": date(2025, 6, 1),
        },
    )
    finding = services.create_finding(s, inspection, {"category": "类", "title": "问题"})
    measure = services.create_measure(s, finding, {"description": "措施"})
    s.commit()
    return measure


def test_files_are_typed_by_their_content(db, measure):
    s = db.session
    docx = evidence.add_file(s, measure, "整改报告.docx", office("word/document.xml"))
    xlsx = evidence.add_file(s, measure, "台账.bin", office("xl/workbook.xml"))
    pdf = evidence.add_file(s, measure, "通报.pdf", PDF, note="通报原件")
    assert docx.content_type == storage.DOCX and docx.filename == "整改报告.docx"
    assert xlsx.content_type == storage.XLSX and xlsx.filename == "台账.xlsx"
    assert (pdf.content_type, pdf.note) == ("application/pdf", "通报原件")
    s.commit()
    before = s.scalar(sa.select(sa.func.count()).select_from(MeasureEvidence))
    for name, data in (
        ("伪装.pdf", b"MZ not a pdf"),
        ("压缩包.docx", office("other/thing.xml")),
        ("坏.xlsx", b"PK\x03\x04broken"),
        ("空.pdf", b""),
    ):
        with pytest.raises(Invalid) as raised:
            evidence.add_file(s, measure, name, data)
        assert "file" in raised.value.errors
        s.rollback()
    assert s.scalar(sa.select(sa.func.count()).select_from(MeasureEvidence)) == before
    evidence.remove(s, measure, pdf)
    s.commit()
    actions = s.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.object_type == "rectification_measure")
    ).all()
    assert actions.count("attach") == 3 and actions.count("detach") == 1


def test_links_only_to_records_the_caller_may_read(db, measure, make_user):
    s = db.session
    rows_unit = factories.unit(s, "刑警大队")
    officer = factories.person(s, rows_unit, "李四")
    other = factories.person(s, rows_unit, "王五")
    talk = factories.draft_talk(s, officer, [other])
    s.commit()
    secretary = make_user("secretary", ["discipline_secretary"])
    leader = make_user("leader", ["leader"], person=factories.person(s, rows_unit, "赵六"))
    link = evidence.add_link(s, measure, secretary, "talk", talk.id)
    assert (link.kind, link.object_type, link.object_id) == ("link", "talk", talk.id)
    with pytest.raises(Conflict):
        evidence.add_link(s, measure, secretary, "talk", talk.id)
    s.commit()
    before = s.scalar(sa.select(sa.func.count()).select_from(MeasureEvidence))
    for user, object_type, object_id, field in (
        (leader, "talk", talk.id, "object_id"),  # a talk the leader takes no part in
        (secretary, "talk", 999999, "object_id"),
        (secretary, "person", officer.id, "object_type"),
        (leader, "rotation_plan", 1, "object_id"),  # leaders read no rotation plans
    ):
        with pytest.raises(Invalid) as raised:
            evidence.add_link(s, measure, user, object_type, object_id)
        assert field in raised.value.errors
        s.rollback()
    assert s.scalar(sa.select(sa.func.count()).select_from(MeasureEvidence)) == before


def _age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_evidence_files_are_kept_by_the_cleanup_and_backed_up(
    app, db, stamped, store, measure, tmp_path
):
    s = db.session
    kept = evidence.add_file(s, measure, "报告.docx", office("word/document.xml"))
    s.commit()
    orphan = storage.path_for(storage.store(PDF + b"orphan"))
    for path in (storage.path_for(kept.sha256), orphan):
        _age(path, 3 * 24 * 3600)
    assert MeasureEvidence.__table__ in files.file_tables()
    result = files.clean_orphans()
    assert result.removed == 1 and not orphan.exists()
    assert storage.path_for(kept.sha256).exists()

    target = tmp_path / "backup.tar"
    done = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert done.exit_code == 0, done.output
    with tarfile.open(target) as tar:
        stored = {n.rsplit("/", 1)[1] for n in tar.getnames() if n.startswith("files/")}
    assert stored == {kept.sha256}
