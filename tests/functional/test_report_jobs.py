"""Report jobs over HTTP (issue 14): the reports page queues a job instead of making the
report in the request, the job page follows it, the runner makes the file, and only its
requester downloads it, with the report's grant and scope checked again; the API's
background path; failures shown to the requester without the admin's error text."""

from __future__ import annotations

import io
import re
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from supervision.audit.models import AuditEntry
from supervision.auth.models import UserRole
from supervision.reports import jobs, risk_inventory
from supervision.reports.models import ReportJob
from tests.conftest import csrf_from
from tests.functional import test_risk_reports

#: A branch with a station (an approved-then-edited point) and a traffic unit.
org = test_risk_reports.org
CHINESE_NAME = re.compile(r"filename\*=UTF-8''(\S+)")


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def _queue_from_the_page(client, unit_id, fmt="pdf"):
    """Fill the inventory form on the reports page and submit it (POST with its token)."""
    token = csrf_from(client.get("/reports").get_data(as_text=True))
    return client.post(
        "/reports/risk-inventory",
        data={"csrf_token": token, "org_unit_id": unit_id, "campaign_id": "", "format": fmt},
    )


def _actions(db, object_type):
    return [
        (e.action, e.actor_name)
        for e in db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.object_type == object_type)
            .order_by(AuditEntry.id)
        )
    ]


def test_the_form_queues_a_job_the_runner_makes_the_pdf_and_the_requester_downloads_it(
    client, db, org, make_user, login
):
    make_user("secretary", roles=("discipline_secretary",))
    login("secretary")
    resp = _queue_from_the_page(client, org["station"].id)
    assert resp.status_code == 303
    job = db.session.scalars(sa.select(ReportJob)).one()
    assert resp.headers["Location"].endswith(f"/reports/jobs/{job.id}")
    assert (job.status, job.kind, job.format, job.params) == (
        "queued",
        "risk-inventory",
        "pdf",
        {"org_unit_id": org["station"].id},
    )
    page = client.get(f"/reports/jobs/{job.id}").get_data(as_text=True)
    assert "js/report-job.js" in page and 'data-status="queued"' in page
    assert "等待生成" in page and org["station"].name in page
    status = client.get(f"/reports/jobs/{job.id}/status").get_json()
    assert (status["status"], status["progress"], "file_url" in status) == ("queued", 0, False)
    assert client.get(f"/reports/jobs/{job.id}/file").status_code == 409

    assert jobs.run_pending(db.session) == 1

    status = client.get(f"/reports/jobs/{job.id}/status").get_json()
    assert (status["status"], status["progress"], status["stage"]) == ("done", 100, "已生成")
    assert status["file_url"] == f"/reports/jobs/{job.id}/file"
    station = org["station"].name
    assert status["filename"].startswith(f"{station}廉政风险点排查清单-") and status["size"] > 0
    resp = client.get(status["file_url"])
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert "no-store" in resp.headers["Cache-Control"]
    name = CHINESE_NAME.search(resp.headers["Content-Disposition"])[1]
    assert unquote(name) == status["filename"]
    text = _pdf_text(resp.data)
    assert f"{station}廉政风险点排查清单" in text and "违规处置涉案财物（修订）" in text
    assert "序号" in text and "第1页" in text.replace("共", "")
    assert _actions(db, "report_job") == [("request", "secretary"), ("download", "secretary")]
    assert _actions(db, "report") == [("export", "secretary")]  # made by the runner, for her
    listing = client.get("/reports/jobs").get_data(as_text=True)
    assert f'id="report-job-{job.id}"' in listing and status["filename"] in listing


def test_a_bad_choice_is_answered_on_the_form_and_queues_nothing(client, db, org, make_user, login):
    make_user("secretary", roles=("discipline_secretary",))
    login("secretary")
    resp = _queue_from_the_page(client, "")
    assert resp.status_code == 422 and "请选择单位或排查" in resp.get_data(as_text=True)
    resp = _queue_from_the_page(client, 999999)
    assert resp.status_code == 422 and "is-invalid" in resp.get_data(as_text=True)
    token = csrf_from(client.get("/reports").get_data(as_text=True))
    resp = client.post(
        "/reports/talk-completion", data={"csrf_token": token, "period": "2025Q9", "format": "pdf"}
    )
    assert resp.status_code == 422 and 'value="2025Q9"' in resp.get_data(as_text=True)
    assert db.session.scalars(sa.select(ReportJob)).all() == []
    assert _actions(db, "report_job") == []


def test_a_job_is_its_requesters_alone_and_a_lost_grant_stops_the_download(
    app, client, db, org, make_user, login
):
    secretary = make_user("secretary", roles=("discipline_secretary",))
    make_user("member", roles=("discipline_member",))
    login("secretary")
    job_id = int(
        _queue_from_the_page(client, org["station"].id).headers["Location"].rsplit("/")[-1]
    )
    jobs.run_pending(db.session)
    other = login("member", c=app.test_client())
    for path in ("", "/status", "/file"):
        assert other.get(f"/reports/jobs/{job_id}{path}").status_code == 404
    assert f"report-job-{job_id}" not in other.get("/reports/jobs").get_data(as_text=True)

    db.session.execute(sa.delete(UserRole).where(UserRole.user_id == secretary.id))
    db.session.add(UserRole(user_id=secretary.id, role="hr"))
    db.session.commit()
    assert client.get(f"/reports/jobs/{job_id}/file").status_code == 403
    assert ("download", "secretary") not in _actions(db, "report_job")


def test_a_unit_that_left_the_scope_is_not_downloaded(client, db, org, make_user, login, token_for):
    from tests import factories

    leader = make_user("leader", roles=("leader",), person=org["head"])
    headers = token_for(leader)
    body = {
        "kind": "risk-inventory",
        "format": "xlsx",
        "parameters": {"org_unit_id": org["station"].id},
    }
    resp = client.post("/api/v1/report-jobs", json=body, headers=headers)
    assert resp.status_code == 202, resp.get_json()
    jobs.run_pending(db.session)
    job_id = resp.get_json()["id"]
    assert client.get(f"/api/v1/report-jobs/{job_id}/file", headers=headers).status_code == 200
    # The leader moves to traffic and the station gets another head: not theirs any more.
    org["station"].head_person_id = factories.person(db.session, org["other"], "新所长").id
    org["head"].org_unit_id = org["other"].id
    db.session.commit()
    assert client.get(f"/api/v1/report-jobs/{job_id}/file", headers=headers).status_code == 404


def test_the_api_background_path(client, db, org, make_user, token_for):
    headers = token_for(make_user("secretary", roles=("discipline_secretary",)))
    body = {
        "kind": "risk-inventory",
        "format": "pdf",
        "parameters": {"campaign_id": org["campaign"].id, "as_of": "2026-07-01"},
    }
    resp = client.post("/api/v1/report-jobs", json=body, headers=headers)
    assert resp.status_code == 202
    job = resp.get_json()
    assert resp.headers["Location"].endswith(f"/api/v1/report-jobs/{job['id']}")
    assert (job["status"], job["parameters"]) == (
        "queued",
        {"campaign_id": org["campaign"].id, "as_of": "2026-07-01"},
    )
    assert client.get(f"/api/v1/report-jobs/{job['id']}/file", headers=headers).status_code == 409
    jobs.run_pending(db.session)
    job = client.get(f"/api/v1/report-jobs/{job['id']}", headers=headers).get_json()
    assert job["status"] == "done" and job["file_url"] == f"/api/v1/report-jobs/{job['id']}/file"
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+08:00$", job["finished_at"])
    resp = client.get(job["file_url"], headers=headers)
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert "违规处置涉案财物" in _pdf_text(resp.data)  # the approved (frozen) title

    bad = [
        ({"kind": "nonsense", "format": "pdf"}, 422),
        ({"kind": "risk-inventory", "format": "doc"}, 422),
        ({"kind": "risk-inventory", "format": "pdf"}, 422),  # neither unit nor campaign
        ({"kind": "risk-inventory", "format": "pdf", "parameters": {"org_unit_id": 99999}}, 404),
        ({"kind": "talk-completion", "format": "pdf", "parameters": {"period": "2025Q9"}}, 422),
    ]
    for payload, expected in bad:
        resp = client.post("/api/v1/report-jobs", json=payload, headers=headers)
        assert resp.status_code == expected, (payload, resp.get_json())
        assert resp.get_json()["code"]
    hr = token_for(make_user("hr", roles=("hr",)))
    body = {"kind": "risk-inventory", "format": "pdf", "parameters": {"org_unit_id": 1}}
    assert client.post("/api/v1/report-jobs", json=body, headers=hr).status_code == 403
    assert client.get(f"/api/v1/report-jobs/{job['id']}", headers=hr).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportJob)) == 1


def test_a_failed_job_tells_the_requester_and_keeps_the_error_for_the_admin(
    client, db, org, make_user, token_for, monkeypatch
):
    headers = token_for(make_user("secretary", roles=("discipline_secretary",)))
    body = {
        "kind": "risk-inventory",
        "format": "pdf",
        "parameters": {"org_unit_id": org["station"].id},
    }
    first = client.post("/api/v1/report-jobs", json=body, headers=headers).get_json()["id"]

    def broken(*args, **kwargs):
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(risk_inventory, "render_pdf", broken)
    assert jobs.run_pending(db.session) == 1
    job = client.get(f"/api/v1/report-jobs/{first}", headers=headers).get_json()
    assert job["status"] == "failed" and "无法生成" in job["message"]
    assert (
        f"({first})" in job["message"].replace("（", "(").replace("）", ")")
        or str(first) in job["message"]
    )
    assert "exploded" not in str(job)
    stored = db.session.get(ReportJob, first)
    assert "RuntimeError: renderer exploded" in stored.error and stored.sha256 is None
    assert client.get(f"/api/v1/report-jobs/{first}/file", headers=headers).status_code == 409

    # A unit deleted between the request and the run: the service's own message.
    monkeypatch.undo()
    second = client.post("/api/v1/report-jobs", json=body, headers=headers).get_json()["id"]
    db.session.get(ReportJob, second).parameters = '{"org_unit_id": 99999}'
    db.session.commit()
    jobs.run_pending(db.session)
    job = client.get(f"/api/v1/report-jobs/{second}", headers=headers).get_json()
    assert job["status"] == "failed" and "99999" in job["message"]


@pytest.mark.parametrize(
    "kind,fmt,parameters,expected",
    [
        ("talk-completion", "xlsx", {"period": "2025Q3"}, "谈话完成情况通报"),
        ("rotation-candidates", "pdf", {}, "轮岗交流人选名单"),
        ("rotation-completion", "xlsx", {"period": "2025"}, "应轮尽轮"),
    ],
)
def test_every_report_of_the_page_runs_as_a_job(
    client, db, org, make_user, token_for, kind, fmt, parameters, expected
):
    headers = token_for(make_user("secretary", roles=("discipline_secretary",)))
    body = {"kind": kind, "format": fmt, "parameters": parameters}
    job_id = client.post("/api/v1/report-jobs", json=body, headers=headers).get_json()["id"]
    jobs.run_pending(db.session)
    job = client.get(f"/api/v1/report-jobs/{job_id}", headers=headers).get_json()
    assert job["status"] == "done", job
    assert expected in job["filename"] and job["filename"].endswith(f".{fmt}")
    resp = client.get(job["file_url"], headers=headers)
    assert resp.status_code == 200 and len(resp.data) == job["size"]


def test_the_direct_addresses_keep_answering_the_file_or_queue_it_when_asked(
    client, db, org, make_user, token_for
):
    headers = token_for(make_user("secretary", roles=("discipline_secretary",)))
    url = f"/api/v1/reports/risk-inventory.xlsx?org_unit_id={org['station'].id}"
    resp = client.get(url, headers=headers)
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")  # SPEC §10
    assert db.session.scalars(sa.select(ReportJob)).all() == []

    resp = client.get(url, headers={**headers, "Prefer": "respond-async, wait=0"})
    assert resp.status_code == 202 and resp.headers["Preference-Applied"] == "respond-async"
    job = resp.get_json()
    assert resp.headers["Location"].endswith(f"/api/v1/report-jobs/{job['id']}")
    assert (job["kind"], job["format"], job["status"]) == ("risk-inventory", "xlsx", "queued")
    resp = client.get(
        "/api/v1/reports/talk-completion.pdf?period=2025Q9",
        headers={**headers, "Prefer": "respond-async"},
    )
    assert resp.status_code == 422  # checked as the direct download is: nothing queued
    jobs.run_pending(db.session)
    resp = client.get(f"/api/v1/report-jobs/{job['id']}/file", headers=headers)
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")


def test_the_api_documents_the_background_path(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"/report-jobs", "/report-jobs/{job_id}", "/report-jobs/{job_id}/file"} <= set(
        p.removeprefix("/api/v1") for p in spec["paths"]
    )
    direct = next(v for k, v in spec["paths"].items() if k.endswith("risk-inventory.pdf"))
    assert "respond-async" in direct["get"]["responses"]["202"]["description"]
    docs = client.get("/api/v1/docs").get_data(as_text=True)
    assert 'id="report-jobs-api"' in docs and "POST /api/v1/report-jobs" in docs


def test_asking_again_is_the_same_job_and_one_user_cannot_fill_the_queue(
    client, db, org, make_user, token_for
):
    headers = token_for(make_user("secretary", roles=("discipline_secretary",)))

    def ask(as_of: str, fmt: str = "pdf"):
        body = {
            "kind": "risk-inventory",
            "format": fmt,
            "parameters": {"org_unit_id": org["station"].id, "as_of": as_of},
        }
        return client.post("/api/v1/report-jobs", json=body, headers=headers)

    first = ask("2026-01-01").get_json()["id"]
    assert ask("2026-01-01").get_json()["id"] == first  # a second click: the same job
    assert ask("2026-01-01", "xlsx").get_json()["id"] != first
    for day in range(2, 5):
        assert ask(f"2026-01-0{day}").status_code == 202
    refused = ask("2026-01-09")
    assert refused.status_code == 409 and "5" in refused.get_json()["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportJob)) == 5
    jobs.run_pending(db.session)
    assert ask("2026-01-09").status_code == 202  # the queue has room again
