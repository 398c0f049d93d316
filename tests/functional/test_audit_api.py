"""GET /api/v1/audit and /api/v1/audit/verify: roles, filters, pagination, login auditing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from supervision.audit import services as audit
from supervision.audit.models import AuditEntry
from supervision.common import clock
from supervision.org import services as org
from tests import factories
from tests.conftest import csrf_from


def _entries(db, **where) -> list[AuditEntry]:
    db.session.expire_all()
    stmt = sa.select(AuditEntry).filter_by(**where).order_by(AuditEntry.id)
    return db.session.scalars(stmt).all()


@pytest.fixture
def admin_headers(make_user, token_for):
    return token_for(make_user("root", roles=("admin",)))


@pytest.mark.parametrize("path", ["/api/v1/audit", "/api/v1/audit/verify"])
def test_anonymous_gets_401(client, path):
    assert client.get(path).status_code == 401


@pytest.mark.parametrize("role", ["hr", "leader", "discipline_member", "staff"])
@pytest.mark.parametrize("path", ["/api/v1/audit", "/api/v1/audit/verify"])
def test_other_roles_get_403(make_user, token_for, client, role, path):
    headers = token_for(make_user(f"u_{role}", roles=(role,)))
    assert client.get(path, headers=headers).status_code == 403


def test_secretary_reads_the_log_with_before_and_after(db, make_user, token_for, client):
    headers = token_for(make_user("sec", roles=("discipline_secretary",)))
    unit = factories.unit(db.session, name="治安大队")
    db.session.commit()
    old_name = unit.name
    org.update_unit(db.session, unit, {"name": "治安支队"})
    db.session.commit()

    resp = client.get(f"/api/v1/audit?object=org_unit&object_id={unit.id}", headers=headers)
    assert resp.status_code == 200
    body = resp.get_json()
    assert [e["action"] for e in body] == ["update", "create"]  # newest first
    newest = body[0]
    assert newest["changes"] == {"name": [old_name, "治安支队"]}
    assert newest["object_type"] == "org_unit" and newest["object_id"] == str(unit.id)
    assert newest["prev_hash"] == body[1]["hash"]
    assert datetime.fromisoformat(newest["at"]).utcoffset().total_seconds() == 8 * 3600
    assert set(newest) == {
        "id",
        "at",
        "actor_user_id",
        "actor_name",
        "action",
        "object_type",
        "object_id",
        "changes",
        "ip",
        "hash",
        "prev_hash",
    }


def test_filters_by_action_actor_and_local_dates(db, make_user, client, admin_headers):
    clerk = make_user("clerk", roles=("hr",))
    for instant, oid in (
        (datetime(2025, 6, 30, 15, 30, tzinfo=UTC), "june"),  # 23:30 local, 30 June
        (datetime(2025, 6, 30, 16, 10, tzinfo=UTC), "july"),
    ):  # 00:10 local, 1 July
        with clock.frozen(instant):
            audit.record(
                db.session, "approve", "thing", oid, actor_user_id=clerk.id, actor_name="clerk"
            )
            db.session.commit()

    def ids(query):
        resp = client.get(f"/api/v1/audit?{query}", headers=admin_headers)
        assert resp.status_code == 200, resp.get_json()
        return [e["object_id"] for e in resp.get_json()]

    assert ids("action=approve") == ["july", "june"]
    assert ids("actor=clerk&object=thing") == ["july", "june"]
    assert ids("actor=root&object=thing") == []
    assert ids("object=thing&since=2025-07-01") == ["july"]
    assert ids("object=thing&until=2025-06-30") == ["june"]
    assert ids("object=thing&since=2025-06-30&until=2025-06-30") == ["june"]


def test_bad_filters_are_422(client, admin_headers):
    resp = client.get("/api/v1/audit?since=2025-07-02&until=2025-07-01", headers=admin_headers)
    assert resp.status_code == 422
    assert "until" in resp.get_json()["errors"]
    resp = client.get("/api/v1/audit?since=yesterday", headers=admin_headers)
    assert resp.status_code == 422
    assert "since" in resp.get_json()["errors"]


def test_pagination_header(db, client, admin_headers):
    for i in range(5):
        audit.record(db.session, "update", "thing", i)
    db.session.commit()
    resp = client.get("/api/v1/audit?object=thing&page=2&page_size=2", headers=admin_headers)
    assert resp.status_code == 200
    meta = json.loads(resp.headers["X-Pagination"])
    assert (meta["total"], meta["total_pages"], meta["page"]) == (5, 3, 2)
    assert [e["object_id"] for e in resp.get_json()] == ["2", "1"]


def test_talk_contents_are_masked_for_admin_but_not_for_secretary(
    db, make_user, token_for, client, admin_headers
):
    audit.record(
        db.session,
        "update",
        "talk",
        3,
        {"content": [None, "谈话内容"], "location": [None, "会议室"]},
    )
    db.session.commit()
    as_admin = client.get("/api/v1/audit?object=talk", headers=admin_headers).get_json()[0][
        "changes"
    ]
    assert as_admin == {"content": [None, audit.REDACTED], "location": [None, "会议室"]}
    secretary = token_for(make_user("sec", roles=("discipline_secretary",)))
    as_secretary = client.get("/api/v1/audit?object=talk", headers=secretary).get_json()[0][
        "changes"
    ]
    assert as_secretary["content"] == [None, "谈话内容"]


def test_verify_endpoint_reports_ok_then_the_broken_entry(db, client, admin_headers):
    for i in range(3):
        audit.record(db.session, "update", "thing", i)
    db.session.commit()
    total = len(_entries(db))
    assert client.get("/api/v1/audit/verify", headers=admin_headers).get_json() == {
        "ok": True,
        "entries": total,
    }

    victim = _entries(db, object_type="thing")[1]
    db.session.execute(
        sa.text("UPDATE audit_entries SET object_id = 'x' WHERE id = :id"), {"id": victim.id}
    )
    db.session.commit()
    body = client.get("/api/v1/audit/verify", headers=admin_headers).get_json()
    assert body["ok"] is False
    assert body["first_broken_id"] == victim.id


def _cut_tail(db, n: int) -> None:
    """Delete the last `n` entries and lower the head's counter to match (an intact but
    shorter chain)."""
    ids = [e.id for e in _entries(db)][-n:]
    db.session.execute(sa.delete(AuditEntry).where(AuditEntry.id.in_(ids)))
    db.session.execute(sa.text("UPDATE audit_head SET count = count - :n WHERE id = 1"), {"n": n})
    db.session.commit()


def test_verify_endpoint_checks_anchors(db, client, admin_headers):
    for i in range(4):
        audit.record(db.session, "update", "thing", i)
    db.session.commit()
    first = _entries(db)[0]
    anchor_id, anchor_hash = audit.head(db.session)
    total = len(_entries(db))
    url = "/api/v1/audit/verify"
    single = client.get(f"{url}?anchor={anchor_id}:{anchor_hash}", headers=admin_headers)
    assert single.get_json() == {"ok": True, "entries": total}
    several = client.get(
        f"{url}?anchor={first.id}:{first.hash}&anchor={anchor_id}:{anchor_hash.upper()}",
        headers=admin_headers,
    )
    assert several.get_json() == {"ok": True, "entries": total}

    _cut_tail(db, 2)
    assert client.get(url, headers=admin_headers).get_json()["ok"] is True
    body = client.get(f"{url}?anchor={anchor_id}:{anchor_hash}", headers=admin_headers).get_json()
    assert body == {
        "ok": False,
        "entries": total - 2,
        "first_broken_id": anchor_id,
        "reason": "anchored entry is missing",
    }


@pytest.mark.parametrize("anchor", ["abc", "1:xyz", "0:" + "a" * 64, "1:" + "a" * 65])
def test_a_malformed_anchor_is_422(client, admin_headers, anchor):
    resp = client.get(f"/api/v1/audit/verify?anchor={anchor}", headers=admin_headers)
    assert resp.status_code == 422
    assert "ID:HASH" in json.dumps(resp.get_json())


def test_the_anchor_parameter_is_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    params = spec["paths"]["/api/v1/audit/verify"]["get"]["parameters"]
    [anchor] = [p for p in params if p["name"] == "anchor"]
    assert anchor["in"] == "query" and anchor["schema"]["type"] == "array"
    assert anchor["explode"] is True  # ?anchor=A&anchor=B
    assert "ID:HASH" in anchor["description"]
    assert anchor["schema"]["items"]["pattern"] == "^[1-9][0-9]*:[0-9a-fA-F]{64}$"


def test_login_and_failed_login_are_audited(db, make_user, client):
    user = make_user("alice", roles=("staff",))
    page = client.get("/login").get_data(as_text=True)
    resp = client.post(
        "/login",
        data={"username": "alice", "password": "wrong password!", "csrf_token": csrf_from(page)},
    )
    assert resp.status_code == 200  # the form again, with an error
    failed = _entries(db, action="login_failed")
    assert len(failed) == 1
    assert json.loads(failed[0].changes) == {"username": [None, "alice"]}
    assert failed[0].actor_user_id is None and failed[0].ip == "127.0.0.1"

    resp = client.post(
        "/login",
        data={
            "username": "alice",
            "password": factories.PASSWORD,
            "csrf_token": csrf_from(resp.get_data(as_text=True)),
        },
    )
    assert resp.status_code == 302
    ok = _entries(db, action="login")
    assert [(e.actor_user_id, e.actor_name, e.object_id) for e in ok] == [
        (user.id, "alice", str(user.id))
    ]
    assert audit.verify(db.session).ok
