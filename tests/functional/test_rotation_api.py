"""The rotation API over HTTP (SPEC §4, §7, §10): policy, eligibility, deferrals, holds, plans."""

import json
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.common import clock
from supervision.org.models import Assignment, OrgUnit, Person, Post
from supervision.rotation.models import RotationDeferral, RotationHold, RotationPlan
from tests import factories
from tests.conftest import csrf_from

API = "/api/v1/rotation"
SECRET = "涉嫌违纪正在初核-SECRET-7731"


@pytest.fixture
def org(db):
    """bureau > station > team. Sensitive posts: window (station), desk (team), armoury
    (station, sworn-only), licence (rotation_years 4). Holders since 2019-03-01: a police
    officer (cop) and an auxiliary (aux) at the window, a police officer near retirement at
    the desk, one in the licence post; a probationer at the window since 2023."""
    s = db.session
    bureau = factories.unit(s, "分局", kind="branch")
    station = factories.unit(s, "派出所", kind="station", parent=bureau)
    team = factories.unit(s, "社区中队", kind="team", parent=station)
    window = factories.post(
        s, station, "户籍窗口", code="WIN", is_sensitive=True, category="licensing"
    )
    desk = factories.post(s, team, "案管", code="DESK", is_sensitive=True, category="case_property")
    armoury = factories.post(
        s, station, "枪库", code="ARM", is_sensitive=True, sworn_only=True, category="equipment"
    )
    licence = factories.post(
        s, station, "车管", code="LIC", is_sensitive=True, rotation_years=4, category="licensing"
    )
    cop = factories.person(s, station, "民警甲", staff_no="P001")
    aux = factories.person(s, station, "辅警乙", personnel_type="auxiliary", staff_no="A001")
    old = factories.person(s, team, "老民警", staff_no="P002", retirement_date=date(2025, 6, 1))
    lic = factories.person(s, station, "车管民警", staff_no="P003")
    rookie = factories.person(
        s, station, "新警", staff_no="P004", probation_until=date(2024, 12, 31)
    )
    head = factories.person(s, station, "所长", staff_no="L001", leadership="department_head")
    start = date(2019, 3, 1)
    for who, where, since in (
        (cop, window, start),
        (aux, window, start),
        (old, desk, start),
        (lic, licence, start),
        (rookie, window, date(2023, 1, 1)),
    ):
        factories.assign(s, who, where, since)
    s.commit()
    return {
        k: v.id
        for k, v in dict(
            bureau=bureau,
            station=station,
            team=team,
            window=window,
            desk=desk,
            armoury=armoury,
            licence=licence,
            cop=cop,
            aux=aux,
            old=old,
            lic=lic,
            rookie=rookie,
            head=head,
        ).items()
    }


@pytest.fixture
def auth(db, org, make_user, token_for):
    """Bearer headers by role."""

    def person(key):
        return db.session.get(Person, org[key])

    return {
        "hr": token_for(make_user("hr", ["hr"])),
        "admin": token_for(make_user("admin", ["admin"])),
        "secretary": token_for(make_user("secretary", ["discipline_secretary"])),
        "member": token_for(make_user("member", ["discipline_member"])),
        "leader": token_for(make_user("leader", ["leader"], person=person("head"))),
        "staff": token_for(make_user("staff", ["staff"], person=person("cop"))),
    }


def _rows(client, headers, **query):
    resp = client.get(f"{API}/eligibility", headers=headers, query_string=query)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def _row(client, headers, person_id, as_of):
    rows = _rows(client, headers, person_id=person_id, as_of=as_of)
    assert len(rows) == 1, rows
    return rows[0]


def _plan(client, auth, org, effective="2024-05-01", to_post="desk", who="cop"):
    body = {
        "name": "2024年第一批轮岗",
        "items": [
            {
                "person_id": org[who],
                "from_post_id": org["window"],
                "to_post_id": org[to_post],
                "effective_date": effective,
            }
        ],
    }
    resp = client.post(f"{API}/plans", headers=auth["hr"], json=body)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _audit(db, object_type, action):
    return db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.object_type == object_type, AuditEntry.action == action
        )
    ).all()


# ------------------------------------------------------------------ access


def test_login_is_required_and_leaders_and_staff_get_403_everywhere(client, auth):
    calls = [
        ("get", "/policy", None),
        ("put", "/policy", {"police_years": 6}),
        ("get", "/eligibility", None),
        ("get", "/deferrals", None),
        ("post", "/deferrals", {"person_id": 1}),
        ("get", "/deferrals/1", None),
        ("delete", "/deferrals/1", None),
        ("get", "/holds", None),
        ("post", "/holds", {"person_id": 1, "reason": "x"}),
        ("get", "/holds/1", None),
        ("delete", "/holds/1", None),
        ("get", "/plans", None),
        ("post", "/plans", {"name": "x"}),
        ("get", "/plans/1", None),
        ("patch", "/plans/1", {"name": "x"}),
        ("delete", "/plans/1", None),
        ("post", "/plans/1/submit", None),
        ("post", "/plans/1/approve", {}),
        ("post", "/plans/1/reject", {}),
        ("post", "/plans/1/execute", None),
    ]
    for method, path, body in calls:
        assert getattr(client, method)(API + path, json=body).status_code == 401, path
        for role in ("leader", "staff"):
            resp = getattr(client, method)(API + path, headers=auth[role], json=body)
            assert resp.status_code == 403, (role, method, path, resp.get_json())


def test_cookie_session_writes_need_the_csrf_header(client, org, make_user, login):
    make_user("hr2", ["hr"])
    login("hr2")
    body = {
        "person_id": org["cop"],
        "reason": "重点工作",
        "meeting_date": "2024-01-10",
        "minutes_no": "党委〔2024〕3号",
        "expires_on": "2024-06-30",
    }
    resp = client.post(f"{API}/deferrals", json=body)
    assert resp.status_code == 400 and "CSRF" in resp.get_json()["message"]
    token = csrf_from(client.get("/").get_data(as_text=True))
    assert (
        client.post(f"{API}/deferrals", json=body, headers={"X-CSRFToken": token}).status_code
        == 201
    )


# ------------------------------------------------------------------ eligibility


def test_the_spec_examples(client, org, auth):
    row = _row(client, auth["hr"], org["cop"], "2024-03-01")
    assert row == {
        "person_id": org["cop"],
        "post_id": org["window"],
        "tenure_start": "2019-03-01",
        "tenure_days": 1827,
        "threshold_years": 5,
        "due_on": "2024-03-01",
        "status": "due",
        "reasons": [],
        "person_name": "民警甲",
        "staff_no": "P001",
        "personnel_type": "police",
        "org_unit_id": org["station"],
        "post_name": row["post_name"],
        "post_code": "WIN",
        "post_category": "licensing",
    }
    assert row["post_name"].startswith("户籍窗口")
    assert _row(client, auth["hr"], org["cop"], "2024-02-29")["status"] == "upcoming"
    aux = _row(client, auth["member"], org["aux"], "2022-03-01")
    assert (aux["threshold_years"], aux["due_on"], aux["status"]) == (3, "2022-03-01", "due")
    assert _row(client, auth["member"], org["aux"], "2022-02-28")["status"] == "upcoming"
    assert _row(client, auth["admin"], org["cop"], "2023-01-01")["status"] == "not_due"


def test_near_retirement_and_probation_reasons(client, org, auth):
    old = _row(client, auth["hr"], org["old"], "2024-03-01")
    assert (old["status"], old["reasons"]) == ("deferred", ["near_retirement"])
    # The window opens 730 days before 2025-06-01; the day before, nothing is deferred.
    assert _row(client, auth["hr"], org["old"], "2023-06-02")["reasons"] == ["near_retirement"]
    before = _row(client, auth["hr"], org["old"], "2023-06-01")
    assert (before["status"], before["reasons"]) == ("not_due", [])
    rookie = _row(client, auth["hr"], org["rookie"], "2024-03-01")
    assert (rookie["status"], rookie["reasons"]) == ("not_due", ["probation"])


def test_filters_pagination_and_bad_input(client, org, auth):
    h = auth["secretary"]
    rows = _rows(client, h, as_of="2024-03-01")
    assert [r["status"] for r in rows] == ["deferred", "due", "due", "due", "not_due"]
    assert {r["person_id"] for r in _rows(client, h, as_of="2024-03-01", status="due")} == {
        org["cop"],
        org["aux"],
        org["lic"],
    }
    assert [
        r["person_id"] for r in _rows(client, h, as_of="2024-03-01", org_unit_id=org["team"])
    ] == [org["old"]]
    assert len(_rows(client, h, as_of="2024-03-01", org_unit_id=org["bureau"])) == 5
    assert [r["person_id"] for r in _rows(client, h, personnel_type="auxiliary")] == [org["aux"]]
    assert [r["person_id"] for r in _rows(client, h, post_category="case_property")] == [org["old"]]
    resp = client.get(
        f"{API}/eligibility",
        headers=h,
        query_string={"as_of": "2024-03-01", "page_size": 2, "page": 2},
    )
    assert json.loads(resp.headers["X-Pagination"])["total"] == 5
    assert json.loads(resp.headers["X-Pagination"])["total_pages"] == 3
    assert [r["status"] for r in resp.get_json()] == ["due", "due"]
    for bad in (
        {"status": "late"},
        {"post_category": "cooking"},
        {"personnel_type": "cadet"},
        {"as_of": "2024-02-30"},
        {"as_of": "1800-01-01"},
        {"page_size": 1001},
    ):
        resp = client.get(f"{API}/eligibility", headers=h, query_string=bad)
        assert resp.status_code == 422 and set(bad) <= set(resp.get_json()["errors"]), bad
    resp = client.get(f"{API}/eligibility", headers=h, query_string={"org_unit_id": 999999})
    assert resp.status_code == 404 and resp.get_json()["code"] == 404


def test_as_of_defaults_to_the_local_today(client, org, auth):
    with clock.frozen(datetime(2024, 2, 29, 15, 59, tzinfo=UTC)):  # 23:59 local, 29 Feb
        assert _rows(client, auth["hr"], person_id=org["cop"])[0]["status"] == "upcoming"
    with clock.frozen(datetime(2024, 2, 29, 16, 0, tzinfo=UTC)):  # 00:00 local, 1 March
        assert _rows(client, auth["hr"], person_id=org["cop"])[0]["status"] == "due"


# ------------------------------------------------------------------ policy


def test_policy_changes_thresholds_and_is_audited(client, db, org, auth):
    resp = client.get(f"{API}/policy", headers=auth["member"])
    assert resp.get_json() == {
        "police_years": 5,
        "auxiliary_years": 3,
        "leader_years": 10,
        "tenure_mode": "continuous",
        "gap_tolerance_days": 365,
        "upcoming_days": 180,
        "retirement_window_days": 730,
    }
    assert _row(client, auth["hr"], org["lic"], "2023-03-01")["status"] == "due"  # 4-year post
    resp = client.put(f"{API}/policy", headers=auth["hr"], json={"police_years": 6})
    assert resp.status_code == 200
    assert resp.get_json()["police_years"] == 6 and resp.get_json()["upcoming_days"] == 180
    row = _row(client, auth["hr"], org["cop"], "2024-03-01")
    assert (row["threshold_years"], row["due_on"], row["status"]) == (6, "2025-03-01", "not_due")
    lic = _row(client, auth["hr"], org["lic"], "2023-03-01")
    assert (lic["threshold_years"], lic["status"]) == (4, "due")  # the post's override wins
    [entry] = _audit(db, "settings", "update")
    assert entry.object_id == "rotation" and json.loads(entry.changes) == {"police_years": [5, 6]}
    assert (
        client.put(
            f"{API}/policy", headers=auth["admin"], json={"tenure_mode": "cumulative"}
        ).status_code
        == 200
    )
    assert (
        client.put(f"{API}/policy", headers=auth["secretary"], json={"police_years": 7}).status_code
        == 403
    )


def test_invalid_policy_is_refused_by_field(client, db, org, auth):
    for body, field in (
        ({"police_years": 0}, "police_years"),
        ({"police_years": "5"}, "police_years"),
        ({"tenure_mode": "weekly"}, "tenure_mode"),
        ({"upcoming_days": 99999}, "upcoming_days"),
        ({"max_years": 3}, "max_years"),
    ):
        resp = client.put(f"{API}/policy", headers=auth["hr"], json=body)
        assert resp.status_code == 422 and field in resp.get_json()["errors"], body
    assert client.get(f"{API}/policy", headers=auth["hr"]).get_json()["police_years"] == 5
    assert _audit(db, "settings", "update") == []


# ------------------------------------------------------------------ deferrals


def _deferral_body(org, **changes):
    return {
        "person_id": org["cop"],
        "reason": "承担专项工作",
        "meeting_date": "2024-01-10",
        "minutes_no": "党委〔2024〕3号",
        "expires_on": "2024-06-30",
        **changes,
    }


def test_a_deferral_needs_the_committee_decision(client, db, org, auth):
    body = _deferral_body(org)
    del body["minutes_no"]
    resp = client.post(f"{API}/deferrals", headers=auth["hr"], json=body)
    assert resp.status_code == 422 and list(resp.get_json()["errors"]) == ["minutes_no"]
    resp = client.post(
        f"{API}/deferrals", headers=auth["hr"], json={"person_id": org["cop"], "reason": "x"}
    )
    assert set(resp.get_json()["errors"]) == {"meeting_date", "minutes_no", "expires_on"}
    resp = client.post(
        f"{API}/deferrals",
        headers=auth["hr"],
        json=_deferral_body(org, minutes_no="   ", expires_on="2023-12-31"),
    )
    assert resp.status_code == 422 and {"minutes_no", "expires_on"} <= set(
        resp.get_json()["errors"]
    )
    resp = client.post(
        f"{API}/deferrals", headers=auth["hr"], json=_deferral_body(org, person_id=999999)
    )
    assert resp.status_code == 422 and "person_id" in resp.get_json()["errors"]
    assert (
        client.post(
            f"{API}/deferrals", headers=auth["secretary"], json=_deferral_body(org)
        ).status_code
        == 403
    )
    assert db.session.scalar(sa.select(sa.func.count(RotationDeferral.id))) == 0
    assert _row(client, auth["hr"], org["cop"], "2024-03-01")["status"] == "due"


def test_a_deferral_in_force_then_expired_then_revoked(client, db, org, auth):
    with clock.frozen(datetime(2024, 3, 1, 4, tzinfo=UTC)):
        resp = client.post(f"{API}/deferrals", headers=auth["hr"], json=_deferral_body(org))
    assert resp.status_code == 201
    deferral = resp.get_json()
    assert deferral == {
        "id": deferral["id"],
        "person_id": org["cop"],
        "reason": "承担专项工作",
        "meeting_date": "2024-01-10",
        "minutes_no": "党委〔2024〕3号",
        "expires_on": "2024-06-30",
        "created_at": "2024-03-01T12:00:00+08:00",
        "revoked_at": None,
        "in_force": True,
    }
    row = _row(client, auth["hr"], org["cop"], "2024-03-01")
    assert (row["status"], row["reasons"]) == ("deferred", ["deferred"])
    assert _row(client, auth["hr"], org["cop"], "2024-06-30")["status"] == "deferred"
    assert _row(client, auth["hr"], org["cop"], "2024-07-01")["status"] == "due"
    assert len(_audit(db, "rotation_deferral", "create")) == 1

    url = f"{API}/deferrals"
    with clock.frozen(datetime(2024, 3, 1, 4, tzinfo=UTC)):
        assert [
            d["id"]
            for d in client.get(
                url, headers=auth["member"], query_string={"current": "true"}
            ).get_json()
        ] == [deferral["id"]]
        assert (
            client.get(url, headers=auth["hr"], query_string={"current": "false"}).get_json() == []
        )
        assert (
            client.delete(f"{url}/{deferral['id']}", headers=auth["secretary"]).status_code == 403
        )
        assert client.delete(f"{url}/{deferral['id']}", headers=auth["hr"]).status_code == 204
        resp = client.delete(f"{url}/{deferral['id']}", headers=auth["hr"])
        assert resp.status_code == 409
        again = client.get(f"{url}/{deferral['id']}", headers=auth["hr"]).get_json()
        assert again["in_force"] is False and again["revoked_at"].startswith("2024-03-01T12:00")
        assert [
            d["id"]
            for d in client.get(
                url, headers=auth["hr"], query_string={"current": "false", "person_id": org["cop"]}
            ).get_json()
        ] == [deferral["id"]]
    assert _row(client, auth["hr"], org["cop"], "2024-03-01")["status"] == "due"
    assert client.get(f"{url}/999999", headers=auth["hr"]).status_code == 404


# ------------------------------------------------------------------ holds


def test_holds_block_and_hr_never_sees_the_reason(client, db, org, auth):
    plan = _plan(client, auth, org)  # drafted before the hold
    resp = client.post(
        f"{API}/holds", headers=auth["secretary"], json={"person_id": org["cop"], "reason": SECRET}
    )
    assert resp.status_code == 201
    hold = resp.get_json()
    assert set(hold) == {"id", "person_id", "reason", "created_at", "released_at"}
    assert (hold["reason"], hold["released_at"]) == (SECRET, None)
    assert (
        client.post(
            f"{API}/holds", headers=auth["member"], json={"person_id": org["cop"], "reason": "再次"}
        ).status_code
        == 409
    )

    seen = []
    resp = client.get(
        f"{API}/eligibility",
        headers=auth["hr"],
        query_string={"person_id": org["cop"], "as_of": "2024-03-01"},
    )
    seen.append(resp.get_data(as_text=True))
    row = resp.get_json()[0]
    assert (row["status"], row["reasons"]) == ("blocked", ["under_review"])
    resp = client.get(f"{API}/plans/{plan['id']}", headers=auth["hr"])
    seen.append(resp.get_data(as_text=True))
    [problem] = resp.get_json()["items"][0]["problems"]
    assert (problem["field"], problem["code"]) == ("person_id", "under_review")
    resp = client.post(f"{API}/plans/{plan['id']}/submit", headers=auth["hr"])
    seen.append(resp.get_data(as_text=True))
    assert resp.status_code == 422 and resp.get_json()["errors"]["items"]["0"]["person_id"]
    resp = client.post(
        f"{API}/plans",
        headers=auth["hr"],
        json={"name": "二", "items": [{"person_id": org["cop"], "from_post_id": org["window"]}]},
    )
    seen.append(resp.get_data(as_text=True))
    assert resp.status_code == 422
    for path in ("/holds", f"/holds/{hold['id']}", "/plans", "/deferrals"):
        resp = client.get(API + path, headers=auth["hr"])
        seen.append(resp.get_data(as_text=True))
        assert resp.status_code == (403 if "holds" in path else 200), path
    assert client.delete(f"{API}/holds/{hold['id']}", headers=auth["hr"]).status_code == 403
    assert client.get("/api/v1/audit", headers=auth["hr"]).status_code == 403
    assert all(SECRET not in text for text in seen)

    listed = client.get(
        f"{API}/holds", headers=auth["member"], query_string={"current": "true"}
    ).get_json()
    assert [(h["id"], h["reason"]) for h in listed] == [(hold["id"], SECRET)]
    assert client.delete(f"{API}/holds/{hold['id']}", headers=auth["member"]).status_code == 204
    assert client.delete(f"{API}/holds/{hold['id']}", headers=auth["member"]).status_code == 409
    released = client.get(f"{API}/holds/{hold['id']}", headers=auth["secretary"]).get_json()
    assert released["released_at"] is not None
    assert (
        client.get(
            f"{API}/holds", headers=auth["member"], query_string={"current": "true"}
        ).get_json()
        == []
    )
    assert _row(client, auth["hr"], org["cop"], "2024-03-01")["status"] == "due"
    assert {
        e.action
        for e in db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.object_type == "rotation_hold")
        )
    } == {"create", "release"}


def test_a_hold_needs_a_reason_and_a_known_person(client, db, org, auth):
    resp = client.post(f"{API}/holds", headers=auth["secretary"], json={"person_id": org["cop"]})
    assert resp.status_code == 422 and list(resp.get_json()["errors"]) == ["reason"]
    resp = client.post(
        f"{API}/holds", headers=auth["secretary"], json={"person_id": 999999, "reason": "x"}
    )
    assert resp.status_code == 422 and "person_id" in resp.get_json()["errors"]
    assert (
        client.post(
            f"{API}/holds", headers=auth["hr"], json={"person_id": org["cop"], "reason": "x"}
        ).status_code
        == 403
    )
    assert db.session.scalar(sa.select(sa.func.count(RotationHold.id))) == 0


# ------------------------------------------------------------------ plans


def test_plan_items_are_checked_one_by_one(client, db, org, auth):
    client.post(
        f"{API}/holds", headers=auth["secretary"], json={"person_id": org["lic"], "reason": SECRET}
    )
    items = [
        {
            "person_id": org["rookie"],
            "from_post_id": org["window"],
            "to_post_id": org["desk"],
            "effective_date": "2024-05-01",
        },
        {
            "person_id": org["lic"],
            "from_post_id": org["licence"],
            "to_post_id": org["desk"],
            "effective_date": "2024-05-01",
        },
        {
            "person_id": org["aux"],
            "from_post_id": org["window"],
            "to_post_id": org["armoury"],
            "effective_date": "2024-05-01",
        },
        {
            "person_id": org["cop"],
            "from_post_id": org["window"],
            "to_post_id": org["desk"],
            "effective_date": "2024-05-01",
        },
        {
            "person_id": org["cop"],
            "from_post_id": org["window"],
            "to_post_id": org["armoury"],
            "effective_date": "2024-05-01",
        },
    ]
    resp = client.post(f"{API}/plans", headers=auth["hr"], json={"name": "批次", "items": items})
    assert resp.status_code == 422
    errors = resp.get_json()["errors"]["items"]
    assert set(errors) == {"0", "1", "2", "4"}
    assert list(errors["0"]) == ["person_id"] and "2024-12-31" in errors["0"]["person_id"][0]
    assert list(errors["1"]) == ["person_id"] and SECRET not in json.dumps(
        errors, ensure_ascii=False
    )
    assert list(errors["2"]) == ["to_post_id"]
    assert list(errors["4"]) == ["person_id"]
    assert db.session.scalar(sa.select(sa.func.count(RotationPlan.id))) == 0
    resp = client.post(
        f"{API}/plans",
        headers=auth["hr"],
        json={
            "name": "批次",
            "items": [
                {
                    "person_id": org["cop"],
                    "from_post_id": 999999,
                    "effective_date": "0001-01-01",
                    "extra": 1,
                }
            ],
        },
    )
    assert resp.status_code == 422
    assert set(resp.get_json()["errors"]["items"]["0"]) == {"effective_date", "extra"}
    resp = client.post(f"{API}/plans", headers=auth["hr"], json={"items": []})
    assert resp.status_code == 422 and "name" in resp.get_json()["errors"]


def test_a_draft_can_be_edited_and_deleted_and_must_be_complete_to_submit(client, db, org, auth):
    resp = client.post(
        f"{API}/plans",
        headers=auth["hr"],
        json={"name": "草稿", "items": [{"person_id": org["cop"], "from_post_id": org["window"]}]},
    )
    assert resp.status_code == 201
    plan = resp.get_json()
    assert plan["status"] == "draft" and plan["items"][0]["problems"] == []
    assert plan["items"][0]["person_name"] == "民警甲" and plan["items"][0]["to_post_id"] is None
    resp = client.post(f"{API}/plans/{plan['id']}/submit", headers=auth["hr"])
    assert resp.status_code == 422
    assert set(resp.get_json()["errors"]["items"]["0"]) == {"to_post_id", "effective_date"}
    url = f"{API}/plans/{plan['id']}"
    resp = client.patch(
        url,
        headers=auth["hr"],
        json={
            "items": [
                {
                    "person_id": org["cop"],
                    "from_post_id": org["window"],
                    "to_post_id": org["window"],
                    "effective_date": "2024-05-01",
                }
            ]
        },
    )
    assert resp.status_code == 422 and "to_post_id" in resp.get_json()["errors"]["items"]["0"]
    resp = client.patch(
        url,
        headers=auth["hr"],
        json={
            "name": "改名",
            "items": [
                {
                    "person_id": org["aux"],
                    "from_post_id": org["window"],
                    "to_post_id": org["desk"],
                    "effective_date": "2024-05-01",
                }
            ],
        },
    )
    assert resp.status_code == 200
    assert (resp.get_json()["name"], [i["person_id"] for i in resp.get_json()["items"]]) == (
        "改名",
        [org["aux"]],
    )
    assert client.patch(url, headers=auth["hr"], json={"name": " "}).status_code == 422
    listed = client.get(f"{API}/plans", headers=auth["admin"], query_string={"status": "draft"})
    assert json.loads(listed.headers["X-Pagination"])["total"] == 1
    assert [p["name"] for p in listed.get_json()] == ["改名"]
    assert "problems" not in listed.get_json()[0]["items"][0]
    assert (
        client.get(
            f"{API}/plans", headers=auth["hr"], query_string={"status": "approved"}
        ).get_json()
        == []
    )
    assert (
        client.get(f"{API}/plans", headers=auth["hr"], query_string={"status": "done"}).status_code
        == 422
    )
    assert client.delete(url, headers=auth["secretary"]).status_code == 403
    assert client.delete(url, headers=auth["hr"]).status_code == 204
    assert client.get(url, headers=auth["hr"]).status_code == 404
    assert _audit(db, "rotation_plan", "delete")


def test_the_whole_flow_moves_the_person(client, db, org, auth):
    plan = _plan(client, auth, org)
    url = f"{API}/plans/{plan['id']}"
    assert plan["status"] == "draft" and plan["items"][0]["problems"] == []
    assert (
        client.post(
            f"{url}/approve",
            headers=auth["secretary"],
            json={"meeting_date": "2024-04-10", "minutes_no": "党委〔2024〕9号"},
        ).status_code
        == 409
    )
    resp = client.post(f"{url}/submit", headers=auth["hr"])
    assert resp.status_code == 200 and resp.get_json()["submitted_at"] is not None
    assert client.patch(url, headers=auth["hr"], json={"name": "晚了"}).status_code == 409
    assert client.delete(url, headers=auth["hr"]).status_code == 409
    resp = client.post(
        f"{url}/approve", headers=auth["secretary"], json={"meeting_date": "2024-04-10"}
    )
    assert resp.status_code == 422 and list(resp.get_json()["errors"]) == ["minutes_no"]
    assert client.get(url, headers=auth["hr"]).get_json()["status"] == "submitted"
    assert (
        client.post(
            f"{url}/approve",
            headers=auth["hr"],
            json={"meeting_date": "2024-04-10", "minutes_no": "党委〔2024〕9号"},
        ).status_code
        == 403
    )
    assert client.post(f"{url}/execute", headers=auth["hr"]).status_code == 409
    resp = client.post(
        f"{url}/approve",
        headers=auth["secretary"],
        json={"meeting_date": "2024-04-10", "minutes_no": "党委〔2024〕9号", "comment": "同意"},
    )
    assert resp.status_code == 200
    approved = resp.get_json()
    assert (
        approved["status"],
        approved["meeting_date"],
        approved["minutes_no"],
        approved["decision_comment"],
    ) == ("approved", "2024-04-10", "党委〔2024〕9号", "同意")
    assert _row(client, auth["hr"], org["cop"], "2024-04-15")["status"] == "planned"
    assert client.post(f"{url}/execute", headers=auth["secretary"]).status_code == 403

    resp = client.post(f"{url}/execute", headers=auth["hr"])
    assert resp.status_code == 200
    done = resp.get_json()
    assert done["status"] == "executed" and done["executed_at"] is not None
    item = done["items"][0]
    assert item["problems"] == []
    old = db.session.get(Assignment, item["closed_assignment_id"])
    new = db.session.get(Assignment, item["opened_assignment_id"])
    assert (old.post_id, old.start_date, old.end_date) == (
        org["window"],
        date(2019, 3, 1),
        date(2024, 4, 30),
    )
    assert (new.person_id, new.post_id, new.start_date, new.end_date) == (
        org["cop"],
        org["desk"],
        date(2024, 5, 1),
        None,
    )
    row = _row(client, auth["hr"], org["cop"], "2024-05-01")
    assert (row["post_id"], row["tenure_start"], row["tenure_days"], row["status"]) == (
        org["desk"],
        "2024-05-01",
        0,
        "not_due",
    )
    assert _row(client, auth["hr"], org["cop"], "2024-04-30")["post_id"] == org["window"]
    assert client.post(f"{url}/execute", headers=auth["hr"]).status_code == 409
    assert {
        e.action
        for e in db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.object_type == "rotation_plan")
        )
    } >= {"create", "submit", "approve", "execute"}


def test_a_rejected_plan_cannot_be_executed(client, db, org, auth):
    plan = _plan(client, auth, org)
    url = f"{API}/plans/{plan['id']}"
    assert (
        client.post(
            f"{url}/reject", headers=auth["secretary"], json={"comment": "不同意"}
        ).status_code
        == 409
    )  # still a draft
    client.post(f"{url}/submit", headers=auth["hr"])
    resp = client.post(f"{url}/reject", headers=auth["secretary"], json={})
    assert resp.status_code == 422 and "comment" in resp.get_json()["errors"]
    resp = client.post(f"{url}/reject", headers=auth["secretary"], json={"comment": "  "})
    assert resp.status_code == 422 and "comment" in resp.get_json()["errors"]
    resp = client.post(
        f"{url}/reject",
        headers=auth["secretary"],
        json={
            "comment": "人选需调整",
            "meeting_date": "2024-04-10",
            "minutes_no": "党委〔2024〕9号",
        },
    )
    assert resp.status_code == 200
    assert (resp.get_json()["status"], resp.get_json()["decision_comment"]) == (
        "rejected",
        "人选需调整",
    )
    assert client.post(f"{url}/execute", headers=auth["hr"]).status_code == 409
    assert (
        client.post(
            f"{url}/approve",
            headers=auth["secretary"],
            json={"meeting_date": "2024-04-10", "minutes_no": "9"},
        ).status_code
        == 409
    )
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 5
    assert client.post(f"{API}/plans/999999/submit", headers=auth["hr"]).status_code == 404


def test_query_counts_do_not_grow_with_the_data(client, db, org, auth, count_statements):
    statements: list[str] = []  # those of the last measure, shown when the counts differ

    def measure(url, **query):
        with count_statements() as seen:
            resp = client.get(url, headers=auth["hr"], query_string=query)
        statements[:] = seen
        assert resp.status_code == 200, resp.get_json()
        return len(statements)

    def grow(n):
        s = db.session
        unit, window = s.get(OrgUnit, org["station"]), s.get(Post, org["window"])
        people = [factories.person(s, unit, "批量") for _ in range(n)]
        for who in people:
            factories.assign(s, who, window, date(2019, 3, 1))
        s.commit()
        resp = client.post(
            f"{API}/plans",
            headers=auth["hr"],
            json={
                "name": "批量",
                "items": [
                    {
                        "person_id": p.id,
                        "from_post_id": window.id,
                        "to_post_id": org["desk"],
                        "effective_date": "2024-05-01",
                    }
                    for p in people
                ],
            },
        )
        assert resp.status_code == 201
        return resp.get_json()["id"]

    small = grow(3)
    counts_small = (
        measure(f"{API}/eligibility", as_of="2024-03-01", page_size=1000),
        measure(f"{API}/plans/{small}"),
        measure(f"{API}/plans"),
    )
    large = grow(40)
    counts_large = (
        measure(f"{API}/eligibility", as_of="2024-03-01", page_size=1000),
        measure(f"{API}/plans/{large}"),
        measure(f"{API}/plans"),
    )
    assert counts_small == counts_large, statements
    assert max(counts_large) <= 12
