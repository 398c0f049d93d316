"""Caching and transport headers (SPEC §13): every page, API answer and file that may carry
confidential data says `Cache-Control: no-store`; static files keep their caching; HSTS is
sent in production only."""

import io
from datetime import datetime

import pytest

from supervision import create_app
from supervision.common import clock
from tests import factories

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


@pytest.fixture(autouse=True)
def store(app, tmp_path, monkeypatch):
    """Talk attachments in a directory of this test."""
    monkeypatch.setitem(app.config, "TALK_ATTACHMENT_DIR", str(tmp_path / "files"))


@pytest.fixture
def bureau(db):
    """A small bureau with a final talk (conducted by the chief about the station head) and
    a discipline secretary, who may read all of it."""
    s = db.session
    rows = factories.small_bureau(s)
    held = clock.now().replace(microsecond=0)
    held = min(held, datetime(2025, 9, 10, 9, 30, tzinfo=held.tzinfo))
    rows["talk"] = factories.final_talk(s, rows["head"], [rows["chief"]], held)
    rows["secretary"] = factories.user(s, "secretary", ["discipline_secretary"])
    rows["hr"] = factories.user(s, "hr", ["hr"])
    s.commit()
    return rows


def _no_store(resp) -> None:
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.headers["Cache-Control"] == "no-store"


def test_talk_page_api_answer_and_attachment_are_not_stored(client, login, bureau, token_for):
    talk_id = bureau["talk"].id
    headers = token_for(bureau["secretary"])
    _no_store(client.get(f"/api/v1/talks/{talk_id}", headers=headers))
    draft = client.post(
        "/api/v1/talks",
        headers=headers,
        json={
            "type": "supervision",
            "interviewee_id": bureau["head"].id,
            "held_at": "2025-09-10T09:30:00+08:00",
        },
    )
    assert draft.status_code == 201
    draft_id = draft.get_json()["id"]
    up = client.post(
        f"/api/v1/talks/{draft_id}/attachments",
        headers=headers,
        data={"kind": "other", "file": (io.BytesIO(PDF), "record.pdf")},
        content_type="multipart/form-data",
    )
    assert up.status_code == 201, up.get_json()
    attachment_id = up.get_json()["id"]
    download = client.get(f"/api/v1/talks/{draft_id}/attachments/{attachment_id}", headers=headers)
    _no_store(download)
    assert download.data == PDF
    _no_store(client.get(f"/api/v1/talks/{talk_id}/record.pdf", headers=headers))
    login("secretary")
    _no_store(client.get(f"/talks/{talk_id}"))


def test_reports_integrity_file_and_roster_export_are_not_stored(client, login, bureau, token_for):
    headers = token_for(bureau["secretary"])
    unit = bureau["station"].id
    for path in (
        f"/api/v1/reports/risk-inventory.pdf?org_unit_id={unit}",
        f"/api/v1/reports/risk-inventory.xlsx?org_unit_id={unit}",
        "/api/v1/reports/talk-completion.xlsx?period=2025Q3",
    ):
        _no_store(client.get(path, headers=headers))
    _no_store(client.get("/api/v1/exports/roster.xlsx", headers=token_for(bureau["hr"])))
    login("secretary")
    _no_store(client.get(f"/integrity/{bureau['chief'].id}.pdf"))


def test_error_answers_and_the_login_page_are_not_stored(client):
    assert client.get("/api/v1/talks").headers["Cache-Control"] == "no-store"  # 401
    assert client.get("/login").headers["Cache-Control"] == "no-store"


def test_static_files_keep_their_caching(client):
    for path in ("/static/favicon.svg", "/favicon.ico", "/api/v1/docs/static/swagger-ui.css"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        assert "no-store" not in resp.headers.get("Cache-Control", ""), path
        assert "Pragma" not in resp.headers, path


def test_hsts_only_in_production(client, tmp_path, monkeypatch):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    from config import ProductionConfig

    class Production(ProductionConfig):
        SECRET_KEY = "production-test-key-" + "x" * 32
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'prod.db'}"

    monkeypatch.setenv("SUPERVISION_INSTANCE", str(tmp_path / "instance"))
    prod = create_app(Production)
    resp = prod.test_client().get("/healthz", base_url="https://localhost")
    assert resp.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert resp.headers["Cache-Control"] == "no-store"
