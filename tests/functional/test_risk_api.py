"""The risk API: points, measures, workflow, campaigns and settings over HTTP (SPEC §4, §5, §10)."""

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.common import clock
from supervision.org.models import Person
from supervision.risks.models import Measure, RiskApproval, RiskPoint
from tests import factories
from tests.conftest import csrf_from

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 2026-03-01 10:00 in Asia/Shanghai


@pytest.fixture
def org(db):
    """bureau > (station > team), traffic; a head for the station and for traffic; a
    sensitive post in the station, its team and traffic; a plain post in the station."""
    s = db.session
    tree = factories.small_bureau(s, chief_heads_bureau=False)
    station, traffic = tree["station"], tree["traffic"]
    traffic_head = factories.person(s, traffic, "大队长", leadership="department_head")
    s.flush()
    traffic.head_person_id = traffic_head.id
    case = factories.post(s, station, "案件审核岗", is_sensitive=True)
    desk = factories.post(s, station, "内勤岗")
    team_post = factories.post(s, tree["team"], "户籍岗", is_sensitive=True)
    accident = factories.post(s, traffic, "事故处理岗", is_sensitive=True)
    s.commit()
    return {
        k: v.id
        for k, v in dict(
            **tree,
            traffic_head=traffic_head,
            case=case,
            desk=desk,
            team_post=team_post,
            accident=accident,
        ).items()
    }


@pytest.fixture
def auth(db, org, make_user, token_for):
    """Bearer headers by role; `leader` heads the station, `other_leader` the traffic unit."""
    people = {k: db.session.get(Person, org[k]) for k in ("head", "traffic_head", "chief")}
    return {
        "secretary": token_for(make_user("secretary", ["discipline_secretary"])),
        "member": token_for(make_user("member", ["discipline_member"])),
        "leader": token_for(make_user("leader", ["leader"], person=people["head"])),
        "other_leader": token_for(make_user("leader2", ["leader"], person=people["traffic_head"])),
        "hr": token_for(make_user("hr", ["hr"])),
        "admin": token_for(make_user("admin", ["admin"])),
        "staff": token_for(make_user("staff", ["staff"], person=people["chief"])),
    }


def _body(org, **extra):
    body = {
        "org_unit_id": org["station"],
        "post_id": org["case"],
        "title": "违规处置涉案财物",
        "manifestation": "私自截留、挪用涉案财物",
        "category": "duty",
        "likelihood": 3,
        "impact": 4,
        "responsible_leader_id": org["chief"],
        "department_owner_id": org["head"],
        "measures": [
            {
                "description": "涉案财物集中管理，双人保管",
                "owner_id": org["head"],
                "due_on": "2026-06-30",
            }
        ],
    }
    body.update(extra)
    return body


def _create(client, headers, org, **extra):
    resp = client.post("/api/v1/risk-points", headers=headers, json=_body(org, **extra))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _count(db, model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# ------------------------------------------------------------------ access


def test_no_credentials_is_401(client):
    for path in (
        "/api/v1/risk-points",
        "/api/v1/risk-points/1",
        "/api/v1/risk-campaigns",
        "/api/v1/risk-campaigns/1/units",
        "/api/v1/risks/settings",
    ):
        resp = client.get(path)
        assert resp.status_code == 401 and resp.get_json()["code"] == 401, path
    assert client.post("/api/v1/risk-points", json={}).status_code == 401


def test_roles_without_inventories_get_403_whatever_the_id(client, auth, org):
    point = _create(client, auth["secretary"], org)
    for role in ("hr", "admin", "staff"):
        h = auth[role]
        assert client.get("/api/v1/risk-points", headers=h).status_code == 403, role
        # An existing and a missing point answer alike: nothing leaks.
        assert client.get(f"/api/v1/risk-points/{point['id']}", headers=h).status_code == 403
        assert client.get("/api/v1/risk-points/999999", headers=h).status_code == 403
        assert client.post("/api/v1/risk-points", headers=h, json=_body(org)).status_code == 403
        assert (
            client.patch(
                f"/api/v1/risk-points/{point['id']}", headers=h, json={"title": "x"}
            ).status_code
            == 403
        )
        assert (
            client.post(f"/api/v1/risk-points/{point['id']}/submit", headers=h).status_code == 403
        )
        assert client.get("/api/v1/risk-campaigns", headers=h).status_code == 403
        assert (
            client.post(
                "/api/v1/risk-campaigns",
                headers=h,
                json={"name": "x", "year": 2026, "deadline": "2026-12-31"},
            ).status_code
            == 403
        )
    assert (
        client.get(f"/api/v1/risk-points/{point['id']}", headers=auth["secretary"]).get_json()[
            "title"
        ]
        == "违规处置涉案财物"
    )


def test_cookie_session_writes_need_the_csrf_token(client, login, make_user, org):
    make_user("sec", ["discipline_secretary"])
    login("sec")
    assert client.post("/api/v1/risk-points", json=_body(org)).status_code == 400
    token = csrf_from(client.get("/").get_data(as_text=True))
    resp = client.post("/api/v1/risk-points", json=_body(org), headers={"X-CSRFToken": token})
    assert resp.status_code == 201, resp.get_json()
    assert client.get("/api/v1/risk-points").status_code == 200


# ------------------------------------------------------------------ create, read, validate


def test_create_returns_every_field_and_is_audited(client, auth, org, db):
    with clock.frozen(NOW):
        p = _create(
            client,
            auth["secretary"],
            org,
            last_reviewed_on="2026-01-10",
            manifestation="私自截留\n挪用\t涉案财物",
        )
    assert {
        k: p[k]
        for k in (
            "org_unit_id",
            "post_id",
            "category",
            "likelihood",
            "impact",
            "score",
            "level",
            "status",
            "version",
            "campaign_id",
            "return_comment",
            "responsible_leader_id",
            "department_owner_id",
        )
    } == {
        "org_unit_id": org["station"],
        "post_id": org["case"],
        "category": "duty",
        "likelihood": 3,
        "impact": 4,
        "score": 12,
        "level": "medium",
        "status": "draft",
        "version": 1,
        "campaign_id": None,
        "return_comment": "",
        "responsible_leader_id": org["chief"],
        "department_owner_id": org["head"],
    }
    assert p["manifestation"] == "私自截留\n挪用\t涉案财物"
    assert p["last_reviewed_on"] == "2026-01-10" and p["review_due_on"] == "2027-01-10"
    assert p["created_at"] == "2026-03-01T10:00:00+08:00" and p["updated_at"].endswith("+08:00")
    [m] = p["measures"]
    assert set(m) == {"id", "description", "owner_id", "due_on", "status", "done_on"}
    assert (m["owner_id"], m["due_on"], m["status"], m["done_on"]) == (
        org["head"],
        "2026-06-30",
        "open",
        None,
    )
    got = client.get(f"/api/v1/risk-points/{p['id']}", headers=auth["member"])
    assert got.status_code == 200 and got.get_json() == p
    entry = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.object_type == "risk_point", AuditEntry.object_id == str(p["id"])
        )
    ).one()
    assert entry.action == "create" and entry.actor_name == "secretary"
    assert client.get("/api/v1/risk-points/999999", headers=auth["member"]).status_code == 404
    assert client.get("/api/v1/risk-points/99999999999", headers=auth["member"]).status_code == 404


@pytest.mark.parametrize(
    "change,field",
    [
        ({"title": None}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "违规\x07处置"}, "title"),
        ({"manifestation": "截留\x1b"}, "manifestation"),
        ({"category": "weather"}, "category"),
        ({"likelihood": 6}, "likelihood"),
        ({"impact": 0}, "impact"),
        ({"likelihood": "3"}, "likelihood"),
        ({"likelihood": 3.5}, "likelihood"),
        ({"org_unit_id": 999999}, "org_unit_id"),
        ({"org_unit_id": 2**31}, "org_unit_id"),
        ({"post_id": "ACCIDENT"}, "post_id"),
        ({"responsible_leader_id": 999999}, "responsible_leader_id"),
        ({"last_reviewed_on": "2099-01-01"}, "last_reviewed_on"),
        ({"last_reviewed_on": "2026-02-30"}, "last_reviewed_on"),
        ({"colour": "red"}, "colour"),
        ({"status": "approved"}, "status"),
        ({"measures": [{"description": ""}]}, "measures"),
        ({"measures": [{"description": "x", "status": "maybe"}]}, "measures"),
        ({"measures": [{"description": "x\x0c"}]}, "measures"),
        ({"measures": [{"description": "x", "owner_id": 999999}]}, "measures"),
        ({"measures": [{"id": 1, "description": "x"}]}, "measures"),
    ],
)
def test_bad_input_is_422_by_field_and_writes_nothing(client, auth, org, db, change, field):
    if change.get("post_id") == "ACCIDENT":
        change = {"post_id": org["accident"]}  # a post of another unit
    resp = client.post("/api/v1/risk-points", headers=auth["secretary"], json=_body(org, **change))
    assert resp.status_code == 422, resp.get_json()
    assert field in resp.get_json()["errors"]
    assert _count(db, RiskPoint) == 0 and _count(db, Measure) == 0


def test_missing_required_fields_are_all_reported(client, auth):
    resp = client.post("/api/v1/risk-points", headers=auth["secretary"], json={})
    assert resp.status_code == 422
    assert {"org_unit_id", "title", "category", "likelihood", "impact"} <= set(
        resp.get_json()["errors"]
    )
    resp = client.post(
        "/api/v1/risk-points",
        headers={**auth["secretary"], "Content-Type": "application/json"},
        data="{not json",
    )
    assert resp.status_code in (400, 422)


@pytest.mark.parametrize("field", ["title", "manifestation"])
def test_half_a_surrogate_pair_is_refused_not_a_database_error(client, auth, org, db, field):
    body = json.dumps(_body(org, **{field: "SURROGATE"})).replace("SURROGATE", "a\\ud800b")
    resp = client.post(
        "/api/v1/risk-points",
        data=body,
        headers={**auth["secretary"], "Content-Type": "application/json"},
    )
    # Refused for the whole API before any view runs (supervision/common/input.py).
    assert resp.status_code == 400 and "surrogate" in resp.get_json()["message"]
    assert _count(db, RiskPoint) == 0


# ------------------------------------------------------------------ workflow


def test_workflow_through_http(client, auth, org, db):
    sec, leader = auth["secretary"], auth["leader"]
    campaign = client.post(
        "/api/v1/risk-campaigns",
        headers=sec,
        json={"name": "2026年廉政风险排查", "year": 2026, "deadline": "2026-06-30"},
    ).get_json()
    p = _create(
        client, leader, org, measures=[{"description": "每月盘点"}, {"description": "双人保管"}]
    )
    url = f"/api/v1/risk-points/{p['id']}"

    resp = client.post(f"{url}/submit", headers=leader)  # no body: the open campaign
    assert resp.status_code == 200
    assert (resp.get_json()["status"], resp.get_json()["campaign_id"]) == (
        "submitted",
        campaign["id"],
    )
    assert client.patch(url, headers=leader, json={"title": "改"}).status_code == 409
    assert client.post(f"{url}/submit", headers=leader).status_code == 409
    # Scope first (404 for another unit's leader), then role (403 for the point's own leader).
    assert client.post(f"{url}/approve", headers=auth["other_leader"]).status_code == 404
    assert client.get(url, headers=auth["other_leader"]).status_code == 404
    assert client.post(f"{url}/approve", headers=leader).status_code == 403
    assert client.post(f"{url}/return", headers=leader, json={"comment": "x"}).status_code == 403

    assert client.post(f"{url}/return", headers=sec, json={}).status_code == 422
    resp = client.post(f"{url}/return", headers=sec, json={"comment": "   "})
    assert resp.status_code == 422 and "comment" in resp.get_json()["errors"]
    resp = client.post(f"{url}/return", headers=sec, json={"comment": "防控措施不具体"})
    assert resp.status_code == 200
    assert (resp.get_json()["status"], resp.get_json()["return_comment"]) == (
        "returned",
        "防控措施不具体",
    )
    assert client.post(f"{url}/return", headers=sec, json={"comment": "again"}).status_code == 409

    ids = [m["id"] for m in resp.get_json()["measures"]]
    resp = client.patch(
        url,
        headers=leader,
        json={
            "manifestation": "补充表现形式",
            "measures": [{"id": ids[0], "description": "每周盘点并登记台账"}],
        },
    )
    assert resp.status_code == 200, resp.get_json()
    assert [m["description"] for m in resp.get_json()["measures"]] == ["每周盘点并登记台账"]
    assert client.post(f"{url}/submit", headers=leader, json={}).status_code == 200

    with clock.frozen(NOW):
        resp = client.post(
            f"{url}/approve", headers=auth["member"], json={"campaign_id": campaign["id"]}
        )
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == "approved" and body["return_comment"] == ""
    assert body["last_reviewed_on"] == "2026-03-01" and body["review_due_on"] == "2027-03-01"
    assert client.post(f"{url}/approve", headers=sec).status_code == 409
    frozen = db.session.scalars(sa.select(RiskApproval)).one()
    assert frozen.campaign_id == campaign["id"]
    assert json.loads(frozen.data)["manifestation"] == "补充表现形式"

    units = client.get(f"/api/v1/risk-campaigns/{campaign['id']}/units", headers=sec).get_json()
    assert {u["org_unit_id"]: u["state"] for u in units}[org["station"]] == "approved"

    # Editing the approved point makes the next draft version.
    resp = client.patch(url, headers=leader, json={"impact": 5})
    assert (resp.get_json()["status"], resp.get_json()["version"]) == ("draft", 2)
    actions = db.session.scalars(
        sa.select(AuditEntry.action)
        .where(AuditEntry.object_type == "risk_point")
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["create", "submit", "return", "update", "submit", "approve", "update"]


def test_submit_and_approve_name_campaigns(client, auth, org):
    sec = auth["secretary"]
    first = client.post(
        "/api/v1/risk-campaigns",
        headers=sec,
        json={"name": "一", "year": 2026, "deadline": "2026-06-30"},
    ).get_json()
    p = _create(client, sec, org)
    url = f"/api/v1/risk-points/{p['id']}"
    resp = client.post(f"{url}/submit", headers=sec, json={"campaign_id": 999999})
    assert resp.status_code == 422 and "campaign_id" in resp.get_json()["errors"]
    assert client.post(f"{url}/submit", headers=sec, json={"campaign_id": 0}).status_code == 422
    assert client.post(f"{url}/submit", headers=sec, json={"other": 1}).status_code == 422
    assert (
        client.post(f"/api/v1/risk-campaigns/{first['id']}/close", headers=sec).status_code == 200
    )
    resp = client.post(f"{url}/submit", headers=sec, json={"campaign_id": first["id"]})
    assert resp.status_code == 409
    second = client.post(
        "/api/v1/risk-campaigns",
        headers=sec,
        json={"name": "二", "year": 2026, "deadline": "2026-12-31"},
    ).get_json()
    assert client.post(f"{url}/submit", headers=sec).get_json()["campaign_id"] == second["id"]
    # Approving in another campaign than the one submitted to is a conflict.
    assert (
        client.post(f"{url}/approve", headers=sec, json={"campaign_id": first["id"]}).status_code
        == 409
    )
    assert client.get(url, headers=sec).get_json()["status"] == "submitted"


def test_retire(client, auth, org):
    sec = auth["secretary"]
    p = _create(client, auth["leader"], org)
    url = f"/api/v1/risk-points/{p['id']}"
    assert client.post(f"{url}/retire", headers=auth["leader"]).status_code == 403
    assert client.post(f"{url}/retire", headers=auth["other_leader"]).status_code == 404
    client.post(f"{url}/submit", headers=sec)
    assert client.post(f"{url}/retire", headers=sec).status_code == 409
    client.post(f"{url}/approve", headers=sec)
    resp = client.post(f"{url}/retire", headers=sec)
    assert resp.status_code == 200 and resp.get_json()["status"] == "retired"
    assert client.get("/api/v1/risk-points", headers=sec).get_json() == []
    assert [
        x["id"] for x in client.get("/api/v1/risk-points?status=retired", headers=sec).get_json()
    ] == [p["id"]]
    assert client.get(url, headers=auth["leader"]).status_code == 200
    assert client.patch(url, headers=sec, json={"title": "x"}).status_code == 409


# ------------------------------------------------------------------ leaders' scope


def test_leader_places_points_only_in_their_scope(client, auth, org, db):
    leader, sec = auth["leader"], auth["secretary"]
    # The station's subtree (its team included) is the leader's; traffic is not.
    _create(client, leader, org, org_unit_id=org["team"], post_id=org["team_post"])
    outside = client.post(
        "/api/v1/risk-points",
        headers=leader,
        json=_body(org, org_unit_id=org["traffic"], post_id=None),
    )
    missing = client.post(
        "/api/v1/risk-points", headers=sec, json=_body(org, org_unit_id=999999, post_id=None)
    )
    assert outside.status_code == missing.status_code == 422
    # Worded exactly as for a unit that does not exist.
    assert outside.get_json()["errors"]["org_unit_id"][0].replace(
        str(org["traffic"]), "N"
    ) == missing.get_json()["errors"]["org_unit_id"][0].replace("999999", "N")
    resp = client.post(
        "/api/v1/risk-points", headers=leader, json=_body(org, post_id=org["accident"])
    )
    assert resp.status_code == 422 and "post_id" in resp.get_json()["errors"]

    mine = _create(client, leader, org)
    theirs = _create(client, sec, org, org_unit_id=org["traffic"], post_id=org["accident"])
    resp = client.patch(
        f"/api/v1/risk-points/{mine['id']}",
        headers=leader,
        json={"org_unit_id": org["traffic"], "post_id": org["accident"]},
    )
    assert resp.status_code == 422 and {"org_unit_id", "post_id"} <= set(resp.get_json()["errors"])
    assert db.session.get(RiskPoint, mine["id"]).org_unit_id == org["station"]
    assert (
        client.patch(
            f"/api/v1/risk-points/{theirs['id']}", headers=leader, json={"title": "x"}
        ).status_code
        == 404
    )
    assert (
        client.post(f"/api/v1/risk-points/{theirs['id']}/submit", headers=leader).status_code == 404
    )

    listed = {
        p["org_unit_id"] for p in client.get("/api/v1/risk-points", headers=leader).get_json()
    }
    assert listed == {org["station"], org["team"]}
    other = client.get("/api/v1/risk-points", headers=auth["other_leader"]).get_json()
    assert [p["id"] for p in other] == [theirs["id"]]
    assert len(client.get("/api/v1/risk-points", headers=auth["member"]).get_json()) == 3


# ------------------------------------------------------------------ levels and settings


def test_levels_at_the_edges_and_after_changing_settings(client, auth, org):
    sec, admin = auth["secretary"], auth["admin"]
    made = {
        (lk, im): _create(client, sec, org, likelihood=lk, impact=im, title=f"{lk}x{im}")["id"]
        for lk, im in ((2, 3), (2, 4), (3, 4), (3, 5), (5, 5))
    }

    def levels():
        rows = client.get("/api/v1/risk-points", headers=sec).get_json()
        return {(r["likelihood"], r["impact"]): r["level"] for r in rows}

    assert levels() == {
        (2, 3): "low",
        (2, 4): "medium",
        (3, 4): "medium",
        (3, 5): "high",
        (5, 5): "high",
    }
    high = client.get("/api/v1/risk-points?level=high", headers=sec).get_json()
    assert [r["id"] for r in high] == [made[(3, 5)], made[(5, 5)]]

    resp = client.put(
        "/api/v1/risks/settings", headers=admin, json={"high_min_score": 12, "medium_min_score": 7}
    )
    assert resp.status_code == 200
    assert resp.get_json() == {
        "high_min_score": 12,
        "medium_min_score": 7,
        "review_days": 365,
        "high_review_days": 180,
    }
    assert levels() == {
        (2, 3): "low",
        (2, 4): "medium",
        (3, 4): "high",
        (3, 5): "high",
        (5, 5): "high",
    }
    assert len(client.get("/api/v1/risk-points?level=high", headers=sec).get_json()) == 3
    one = client.get(f"/api/v1/risk-points/{made[(3, 4)]}", headers=sec).get_json()
    assert one["level"] == "high" and one["score"] == 12
    # Ordered by level within the unit: high first.
    assert [r["level"] for r in client.get("/api/v1/risk-points", headers=sec).get_json()] == [
        "high",
        "high",
        "high",
        "medium",
        "low",
    ]


def test_settings_permissions_and_validation(client, auth):
    url = "/api/v1/risks/settings"
    defaults = {
        "high_min_score": 15,
        "medium_min_score": 8,
        "review_days": 365,
        "high_review_days": 180,
    }
    for role in ("admin", "secretary", "member", "leader"):
        resp = client.get(url, headers=auth[role])
        assert resp.status_code == 200 and resp.get_json() == defaults, role
    for role in ("hr", "staff"):
        assert client.get(url, headers=auth[role]).status_code == 403
    for role in ("secretary", "leader", "hr"):
        assert client.put(url, headers=auth[role], json={"review_days": 300}).status_code == 403
    for bad in (
        {"medium_min_score": 15},
        {"high_min_score": 26},
        {"review_days": 0},
        {"high_review_days": "180"},
        {"review_days": True},
        {"colour": 1},
    ):
        resp = client.put(url, headers=auth["admin"], json=bad)
        assert resp.status_code == 422 and resp.get_json()["errors"], bad
    assert client.get(url, headers=auth["admin"]).get_json() == defaults
    resp = client.put(url, headers=auth["admin"], json={"high_review_days": 90})
    assert resp.status_code == 200 and resp.get_json() == {**defaults, "high_review_days": 90}
    # A PUT that sends no field is refused (SPEC §10), and changes nothing.
    resp = client.put(url, headers=auth["admin"], json={})
    assert resp.status_code == 422
    assert client.get(url, headers=auth["admin"]).get_json() == {
        **defaults,
        "high_review_days": 90,
    }


# ------------------------------------------------------------------ lists


def test_filters(client, auth, org):
    sec = auth["secretary"]
    a = _create(client, sec, org, category="duty", likelihood=5, impact=5, title="收受财物")
    b = _create(
        client,
        sec,
        org,
        category="process",
        post_id=org["desk"],
        likelihood=1,
        impact=2,
        manifestation="违规出具证明",
    )
    c = _create(
        client,
        sec,
        org,
        org_unit_id=org["team"],
        post_id=org["team_post"],
        category="ideology",
        likelihood=2,
        impact=4,
    )
    d = _create(client, sec, org, org_unit_id=org["traffic"], post_id=None, category="external")
    client.post(f"/api/v1/risk-points/{b['id']}/submit", headers=sec)

    def ids(query):
        resp = client.get(f"/api/v1/risk-points?{query}", headers=sec)
        assert resp.status_code == 200, (query, resp.get_json())
        return {r["id"] for r in resp.get_json()}

    assert ids(f"org_unit_id={org['station']}") == {a["id"], b["id"], c["id"]}
    assert ids(f"org_unit_id={org['team']}") == {c["id"]}
    assert ids(f"post_id={org['desk']}") == {b["id"]}
    assert ids("category=external") == {d["id"]}
    assert ids("status=submitted") == {b["id"]}
    assert ids("status=draft") == {a["id"], c["id"], d["id"]}
    assert ids("level=low") == {b["id"]}
    assert ids("level=medium") == {c["id"], d["id"]}
    assert ids("likelihood=5&impact=5") == {a["id"]}
    assert ids("q=证明") == {b["id"]}
    assert ids("q=%25") == set()
    assert ids("level=high&category=duty") == {a["id"]}
    for bad in (
        "level=extreme",
        "category=x",
        "status=lost",
        "likelihood=9",
        "post_id=0",
        "org_unit_id=abc",
        "page_size=1001",
        "page=0",
    ):
        assert client.get(f"/api/v1/risk-points?{bad}", headers=sec).status_code == 422, bad


def test_pagination_header(client, auth, org):
    sec = auth["secretary"]
    for i in range(7):
        _create(client, sec, org, title=f"风险{i}")
    resp = client.get("/api/v1/risk-points?page=2&page_size=3", headers=sec)
    assert resp.status_code == 200 and len(resp.get_json()) == 3
    meta = json.loads(resp.headers["X-Pagination"])
    assert (meta["total"], meta["total_pages"], meta["page"]) == (7, 3, 2)
    assert client.get("/api/v1/risk-points?page=9&page_size=3", headers=sec).get_json() == []


# ------------------------------------------------------------------ measures


def test_measures_are_replaced_as_a_whole(client, auth, org, db):
    sec = auth["secretary"]
    p = _create(client, sec, org, measures=[{"description": "一"}, {"description": "二"}])
    url = f"/api/v1/risk-points/{p['id']}"
    first, second = p["measures"]
    with clock.frozen(NOW):
        resp = client.patch(
            url,
            headers=sec,
            json={
                "measures": [
                    {"id": first["id"], "description": "一（修订）", "status": "done"},
                    {"description": "三", "owner_id": org["head"], "due_on": "2026-09-30"},
                ]
            },
        )
    assert resp.status_code == 200, resp.get_json()
    kept, new = resp.get_json()["measures"]
    assert (kept["id"], kept["description"], kept["status"], kept["done_on"]) == (
        first["id"],
        "一（修订）",
        "done",
        "2026-03-01",
    )
    assert new["id"] not in (first["id"], second["id"]) and new["due_on"] == "2026-09-30"
    assert db.session.get(Measure, second["id"]) is None

    # Without `measures` they stay; an id listed without other fields keeps its values.
    assert len(client.patch(url, headers=sec, json={"title": "新"}).get_json()["measures"]) == 2
    resp = client.patch(
        url, headers=sec, json={"measures": [{"id": kept["id"], "description": "一"}]}
    )
    assert resp.get_json()["measures"][0]["status"] == "done"

    other = _create(client, sec, org, title="另一个")
    for bad in (
        [{"id": other["measures"][0]["id"], "description": "偷"}],
        [{"id": kept["id"], "description": "a"}, {"id": kept["id"], "description": "b"}],
        [{"description": "x", "done_on": "2026-01-01"}],
        [{"id": kept["id"]}],
    ):
        resp = client.patch(url, headers=sec, json={"measures": bad})
        assert resp.status_code == 422 and "measures" in resp.get_json()["errors"], bad
    assert (
        client.get(f"/api/v1/risk-points/{other['id']}", headers=sec).get_json()["measures"]
        == other["measures"]
    )

    resp = client.patch(url, headers=sec, json={"measures": []})
    assert resp.get_json()["measures"] == []
    assert _count(db, Measure) == 1


# ------------------------------------------------------------------ campaigns


def test_campaign_endpoints(client, auth, org):
    sec, leader = auth["secretary"], auth["leader"]
    body = {"name": "2026年度排查", "year": 2026, "deadline": "2026-06-30"}
    assert client.post("/api/v1/risk-campaigns", headers=leader, json=body).status_code == 403
    resp = client.post("/api/v1/risk-campaigns", headers=sec, json=body)
    assert resp.status_code == 201
    c = resp.get_json()
    assert (c["status"], c["closed_at"], c["deadline"]) == ("open", None, "2026-06-30")
    assert client.post("/api/v1/risk-campaigns", headers=sec, json=body).status_code == 409
    for bad in (
        {},
        {**body, "year": 1999},
        {**body, "year": "2026"},
        {**body, "name": ""},
        {**body, "deadline": "2026-13-01"},
        {**body, "status": "closed"},
    ):
        resp = client.post("/api/v1/risk-campaigns", headers=sec, json=bad)
        assert resp.status_code == 422, bad

    listed = client.get("/api/v1/risk-campaigns", headers=leader)
    assert listed.status_code == 200 and [x["id"] for x in listed.get_json()] == [c["id"]]
    assert client.get(f"/api/v1/risk-campaigns/{c['id']}", headers=leader).get_json() == c
    assert client.get("/api/v1/risk-campaigns/999999", headers=sec).status_code == 404
    assert client.get("/api/v1/risk-campaigns?status=closed", headers=sec).get_json() == []

    assert client.post(f"/api/v1/risk-campaigns/{c['id']}/close", headers=leader).status_code == 403
    assert client.post("/api/v1/risk-campaigns/999999/close", headers=sec).status_code == 404
    resp = client.post(f"/api/v1/risk-campaigns/{c['id']}/close", headers=sec)
    assert resp.status_code == 200
    assert resp.get_json()["status"] == "closed" and resp.get_json()["closed_at"].endswith("+08:00")
    assert client.post(f"/api/v1/risk-campaigns/{c['id']}/close", headers=sec).status_code == 409
    assert client.post("/api/v1/risk-campaigns", headers=sec, json=body).status_code == 201


def test_campaign_unit_states(client, auth, org):
    sec, leader = auth["secretary"], auth["leader"]
    c = client.post(
        "/api/v1/risk-campaigns",
        headers=sec,
        json={"name": "排查", "year": 2026, "deadline": "2026-06-30"},
    ).get_json()
    url = f"/api/v1/risk-campaigns/{c['id']}/units"
    station = [_create(client, leader, org, title=f"所{i}")["id"] for i in range(2)]
    team = _create(client, leader, org, org_unit_id=org["team"], post_id=org["team_post"])["id"]
    _create(client, sec, org, org_unit_id=org["traffic"], post_id=org["accident"])

    def states(headers=sec, query=""):
        resp = client.get(url + query, headers=headers)
        assert resp.status_code == 200
        return {u["org_unit_id"]: u["state"] for u in resp.get_json()}

    # The bureau has no sensitive post: not listed.
    assert states() == {
        org["station"]: "not_started",
        org["team"]: "not_started",
        org["traffic"]: "not_started",
    }
    for pid in (*station, team):
        client.post(f"/api/v1/risk-points/{pid}/submit", headers=leader)
    client.post(f"/api/v1/risk-points/{station[0]}/return", headers=sec, json={"comment": "补充"})
    client.post(f"/api/v1/risk-points/{station[1]}/approve", headers=sec)
    client.post(f"/api/v1/risk-points/{team}/approve", headers=sec)
    assert states() == {
        org["station"]: "returned",
        org["team"]: "approved",
        org["traffic"]: "not_started",
    }
    rows = {u["org_unit_id"]: u for u in client.get(url, headers=sec).get_json()}
    assert rows[org["station"]]["counts"] == {
        "current": 2,
        "submitted": 0,
        "approved": 1,
        "returned": 1,
        "draft": 0,
    }
    assert rows[org["traffic"]]["counts"]["draft"] == 1 and rows[org["team"]]["org_unit_name"]
    client.post(f"/api/v1/risk-points/{station[0]}/submit", headers=leader)
    assert states()[org["station"]] == "submitted"

    assert states(leader) == {org["station"]: "submitted", org["team"]: "approved"}
    assert states(query="?state=approved") == {org["team"]: "approved"}
    assert client.get(url + "?state=lost", headers=sec).status_code == 422
    resp = client.get(url + "?page_size=1", headers=sec)
    assert len(resp.get_json()) == 1 and json.loads(resp.headers["X-Pagination"])["total"] == 3
    assert client.get("/api/v1/risk-campaigns/999999/units", headers=sec).status_code == 404
    assert client.get(url, headers=auth["hr"]).status_code == 403


# ------------------------------------------------------------------ scale and documentation


def _bulk_points(db, org, n):
    s = db.session
    start = (s.scalar(sa.select(sa.func.max(RiskPoint.id))) or 0) + 1
    now = clock.now()
    s.execute(
        sa.insert(RiskPoint),
        [
            {
                "id": start + i,
                "org_unit_id": org["station"] if i % 2 else org["team"],
                "post_id": None,
                "title": f"风险{start + i}",
                "manifestation": "",
                "category": "duty",
                "likelihood": i % 5 + 1,
                "impact": (i // 5) % 5 + 1,
                "status": "draft",
                "return_comment": "",
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(n)
        ],
    )
    s.execute(
        sa.insert(Measure),
        [
            {
                "risk_point_id": start + i,
                "description": "措施",
                "owner_id": org["head"],
                "status": "open",
            }
            for i in range(n)
        ],
    )
    s.commit()


def test_list_query_count_does_not_grow_with_the_data(client, auth, org, db, count_statements):
    statements: list[str] = []  # those of the last listing, shown when the counts differ

    def listing():
        with count_statements() as seen:
            resp = client.get("/api/v1/risk-points?page_size=1000", headers=auth["member"])
        statements[:] = seen
        assert resp.status_code == 200
        return len(resp.get_json()), len(statements)

    _bulk_points(db, org, 100)
    listing()  # the token's first use also notes its last-use time (a few writes, once)
    rows_100, queries_100 = listing()
    _bulk_points(db, org, 900)
    rows_1000, queries_1000 = listing()
    assert (rows_100, rows_1000) == (100, 1000)
    assert queries_1000 == queries_100 <= 12, statements


def test_openapi_lists_the_risk_paths(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    expected = {
        "/api/v1/risk-points": {"get", "post"},
        "/api/v1/risk-points/{point_id}": {"get", "patch"},
        "/api/v1/risk-points/{point_id}/submit": {"post"},
        "/api/v1/risk-points/{point_id}/approve": {"post"},
        "/api/v1/risk-points/{point_id}/return": {"post"},
        "/api/v1/risk-campaigns": {"get", "post"},
        "/api/v1/risk-campaigns/{campaign_id}/units": {"get"},
        "/api/v1/risk-campaigns/{campaign_id}/close": {"post"},
        "/api/v1/risks/settings": {"get", "put"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
    point = spec["components"]["schemas"]["RiskPoint"]["properties"]
    assert {"level", "score", "measures", "review_due_on", "campaign_id"} <= set(point)
