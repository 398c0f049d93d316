"""The org API: status codes, error format, pagination, scope and CSRF (SPEC §3, §4, §10)."""

import json

import pytest
import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.org.models import OrgUnit, Person
from tests import factories
from tests.conftest import csrf_from


@pytest.fixture
def hr(make_user, token_for):
    return token_for(make_user("hr", ["hr"]))


@pytest.fixture
def tree(db):
    """bureau > (A > A1), B; a person in each of A, A1 and B; a sworn-only post in A."""
    s = db.session
    bureau = factories.unit(s, "分局", kind="branch", code="ROOT")
    a = factories.unit(s, "刑侦大队", parent=bureau, code="A")
    a1 = factories.unit(s, "一中队", kind="team", parent=a, code="A1")
    b = factories.unit(s, "治安大队", parent=bureau, code="B")
    head_a = factories.person(s, a, "王队长", staff_no="PA", leadership="department_head")
    in_a1 = factories.person(s, a1, "李警官", staff_no="PA1")
    in_b = factories.person(s, b, "赵警官", staff_no="PB")
    aux = factories.person(s, a, "钱辅警", staff_no="XA", personnel_type="auxiliary")
    s.flush()
    a.head_person_id = head_a.id
    sworn = factories.post(s, a, "案件审核", code="CASE", sworn_only=True, is_sensitive=True)
    plain = factories.post(s, a, "内勤", code="DESK")
    s.commit()
    return {
        k: v.id
        for k, v in dict(
            bureau=bureau,
            a=a,
            a1=a1,
            b=b,
            head_a=head_a,
            in_a1=in_a1,
            in_b=in_b,
            aux=aux,
            sworn=sworn,
            plain=plain,
        ).items()
    }


def test_no_credentials_is_401_json(client):
    resp = client.get("/api/v1/people")
    assert resp.status_code == 401
    body = resp.get_json()
    assert body["code"] == 401 and body["message"]


def test_bad_token_is_401(client):
    resp = client.get("/api/v1/people", headers={"Authorization": "Bearer sv_not-a-token"})
    assert resp.status_code == 401


def test_create_unit_and_audit_before_after(client, hr, tree, db):
    resp = client.post(
        "/api/v1/org-units",
        headers=hr,
        json={"code": "C", "name": "交警大队", "kind": "department", "parent_id": tree["bureau"]},
    )
    assert resp.status_code == 201, resp.get_json()
    unit = resp.get_json()
    assert unit["path"] == f"{tree['bureau']}/{unit['id']}/" and unit["depth"] == 1
    entry = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.object_type == "org_unit", AuditEntry.object_id == str(unit["id"])
        )
    ).one()
    assert entry.action == "create" and entry.actor_name == "hr"
    assert json.loads(entry.changes)["name"] == [None, "交警大队"]


def test_validation_errors_are_422_by_field(client, hr):
    resp = client.post("/api/v1/org-units", headers=hr, json={"code": "", "kind": "castle"})
    assert resp.status_code == 422
    errors = resp.get_json()["errors"]
    assert {"kind", "name", "code"} <= set(errors)


def test_unknown_field_and_malformed_json_are_4xx(client, hr):
    resp = client.post(
        "/api/v1/org-units",
        headers=hr,
        json={"code": "X", "name": "x", "kind": "team", "colour": "red"},
    )
    assert resp.status_code == 422 and "colour" in resp.get_json()["errors"]
    resp = client.post(
        "/api/v1/org-units", headers={**hr, "Content-Type": "application/json"}, data="{not json"
    )
    assert resp.status_code in (400, 422)
    assert resp.get_json()["code"] in (400, 422)


def test_duplicate_code_is_409(client, hr, tree):
    resp = client.post(
        "/api/v1/org-units", headers=hr, json={"code": "A", "name": "重复", "kind": "team"}
    )
    assert resp.status_code == 409
    assert resp.get_json()["code"] == 409


def test_reference_to_missing_parent_is_422(client, hr):
    resp = client.post(
        "/api/v1/org-units",
        headers=hr,
        json={"code": "Z", "name": "z", "kind": "team", "parent_id": 9999},
    )
    assert resp.status_code == 422 and "parent_id" in resp.get_json()["errors"]


def test_moving_a_unit_reroots_its_subtree(client, hr, tree, db):
    resp = client.patch(f"/api/v1/org-units/{tree['a']}", headers=hr, json={"parent_id": tree["b"]})
    assert resp.status_code == 200, resp.get_json()
    a1 = db.session.get(OrgUnit, tree["a1"])
    assert a1.path == f"{tree['bureau']}/{tree['b']}/{tree['a']}/{tree['a1']}/" and a1.depth == 3


def test_moving_a_unit_under_its_descendant_is_refused(client, hr, tree, db):
    resp = client.patch(
        f"/api/v1/org-units/{tree['a']}", headers=hr, json={"parent_id": tree["a1"]}
    )
    assert resp.status_code == 422 and "parent_id" in resp.get_json()["errors"]
    assert db.session.get(OrgUnit, tree["a"]).parent_id == tree["bureau"]


def test_delete_unit_only_when_empty(client, hr, tree):
    assert client.delete(f"/api/v1/org-units/{tree['b']}", headers=hr).status_code == 409
    resp = client.post(
        "/api/v1/org-units", headers=hr, json={"code": "E", "name": "空", "kind": "other"}
    )
    empty = resp.get_json()["id"]
    assert client.delete(f"/api/v1/org-units/{empty}", headers=hr).status_code == 204
    assert client.get(f"/api/v1/org-units/{empty}", headers=hr).status_code == 404


def test_people_pagination_header(client, hr, tree, db):
    for i in range(7):
        factories.person(db.session, db.session.get(OrgUnit, tree["b"]), f"人员{i}")
    db.session.commit()
    resp = client.get("/api/v1/people?page=2&page_size=5", headers=hr)
    assert resp.status_code == 200
    meta = json.loads(resp.headers["X-Pagination"])
    assert meta["total"] == 11 and meta["total_pages"] == 3 and meta["page"] == 2
    assert len(resp.get_json()) == 5
    assert client.get("/api/v1/people?page_size=1001", headers=hr).status_code == 422
    assert client.get("/api/v1/people?page=0", headers=hr).status_code == 422


def test_people_filters_by_subtree_and_search(client, hr, tree):
    resp = client.get(f"/api/v1/people?org_unit_id={tree['a']}", headers=hr)
    assert {p["staff_no"] for p in resp.get_json()} == {"PA", "PA1", "XA"}
    resp = client.get("/api/v1/people?q=赵", headers=hr)
    assert [p["staff_no"] for p in resp.get_json()] == ["PB"]
    resp = client.get("/api/v1/people?q=%25", headers=hr)  # a literal % matches nothing
    assert resp.get_json() == []


def test_leader_sees_only_their_scope(client, make_user, token_for, tree, db):
    head = db.session.get(Person, tree["head_a"])
    leader = token_for(make_user("leader", ["leader"], person=head))
    resp = client.get("/api/v1/people", headers=leader)
    assert {p["staff_no"] for p in resp.get_json()} == {"PA", "PA1", "XA"}
    assert client.get(f"/api/v1/people/{tree['in_b']}", headers=leader).status_code == 404
    assert client.get(f"/api/v1/people/{tree['in_a1']}", headers=leader).status_code == 200
    assert client.get(f"/api/v1/org-units/{tree['b']}", headers=leader).status_code == 404
    # Leaders read but do not write org data.
    resp = client.patch(f"/api/v1/people/{tree['in_a1']}", headers=leader, json={"name": "改名"})
    assert resp.status_code == 403
    # Out of scope stays 404 even for a write.
    resp = client.patch(f"/api/v1/people/{tree['in_b']}", headers=leader, json={"name": "改名"})
    assert resp.status_code == 404


def test_staff_sees_only_themselves(client, make_user, token_for, tree, db):
    me = db.session.get(Person, tree["in_b"])
    staff = token_for(make_user("staff", ["staff"], person=me))
    assert [p["staff_no"] for p in client.get("/api/v1/people", headers=staff).get_json()] == ["PB"]
    assert client.get("/api/v1/org-units", headers=staff).get_json() == []
    assert client.get(f"/api/v1/people/{tree['in_a1']}", headers=staff).status_code == 404


def test_assignment_overlap_is_409_and_adjacent_is_fine(client, hr, tree):
    body = {
        "person_id": tree["head_a"],
        "post_id": tree["plain"],
        "start_date": "2020-01-01",
        "end_date": "2021-12-31",
    }
    assert client.post("/api/v1/assignments", headers=hr, json=body).status_code == 201
    clash = {**body, "start_date": "2021-12-31", "end_date": None}
    resp = client.post("/api/v1/assignments", headers=hr, json=clash)
    assert resp.status_code == 409 and resp.get_json()["code"] == 409
    nxt = {**body, "start_date": "2022-01-01", "end_date": None}
    assert client.post("/api/v1/assignments", headers=hr, json=nxt).status_code == 201
    # Holding another post at the same time is allowed.
    other = {**body, "post_id": tree["sworn"], "start_date": "2020-06-01", "end_date": None}
    assert client.post("/api/v1/assignments", headers=hr, json=other).status_code == 201


def test_auxiliary_in_sworn_only_post_is_422(client, hr, tree, db):
    resp = client.post(
        "/api/v1/assignments",
        headers=hr,
        json={"person_id": tree["aux"], "post_id": tree["sworn"], "start_date": "2024-01-01"},
    )
    assert resp.status_code == 422 and "post_id" in resp.get_json()["errors"]
    assert client.get(f"/api/v1/assignments?person_id={tree['aux']}", headers=hr).get_json() == []


def test_assignment_end_before_start_is_422(client, hr, tree):
    resp = client.post(
        "/api/v1/assignments",
        headers=hr,
        json={
            "person_id": tree["head_a"],
            "post_id": tree["plain"],
            "start_date": "2024-01-01",
            "end_date": "2023-01-01",
        },
    )
    assert resp.status_code == 422 and "end_date" in resp.get_json()["errors"]
    resp = client.post(
        "/api/v1/assignments",
        headers=hr,
        json={"person_id": tree["head_a"], "post_id": tree["plain"], "start_date": "2024-02-30"},
    )
    assert resp.status_code == 422 and "start_date" in resp.get_json()["errors"]


def test_patch_and_delete_assignment(client, hr, tree):
    a = client.post(
        "/api/v1/assignments",
        headers=hr,
        json={"person_id": tree["head_a"], "post_id": tree["plain"], "start_date": "2020-01-01"},
    ).get_json()
    resp = client.patch(
        f"/api/v1/assignments/{a['id']}", headers=hr, json={"end_date": "2024-06-30"}
    )
    assert resp.status_code == 200 and resp.get_json()["end_date"] == "2024-06-30"
    resp = client.patch(
        f"/api/v1/assignments/{a['id']}", headers=hr, json={"end_date": "2019-01-01"}
    )
    assert resp.status_code == 422
    assert client.delete(f"/api/v1/assignments/{a['id']}", headers=hr).status_code == 204
    assert client.get(f"/api/v1/assignments/{a['id']}", headers=hr).status_code == 404


def test_renaming_a_post_keeps_its_identity(client, hr, tree):
    client.post(
        "/api/v1/assignments",
        headers=hr,
        json={"person_id": tree["head_a"], "post_id": tree["sworn"], "start_date": "2019-03-01"},
    )
    resp = client.patch(
        f"/api/v1/posts/{tree['sworn']}",
        headers=hr,
        json={"name": "案件审核岗（更名）", "code": "CASE2"},
    )
    assert resp.status_code == 200 and resp.get_json()["id"] == tree["sworn"]
    history = client.get(f"/api/v1/assignments?post_id={tree['sworn']}", headers=hr).get_json()
    assert [h["start_date"] for h in history] == ["2019-03-01"]


def test_making_a_post_sworn_only_while_an_auxiliary_holds_it_is_refused(client, hr, tree):
    client.post(
        "/api/v1/assignments",
        headers=hr,
        json={"person_id": tree["aux"], "post_id": tree["plain"], "start_date": "2024-01-01"},
    )
    resp = client.patch(f"/api/v1/posts/{tree['plain']}", headers=hr, json={"sworn_only": True})
    assert resp.status_code == 422 and "sworn_only" in resp.get_json()["errors"]


def test_cookie_session_writes_need_the_csrf_header(client, make_user, login):
    make_user("hr2", ["hr"])
    login("hr2")
    body = {"code": "S", "name": "会话单位", "kind": "other"}
    resp = client.post("/api/v1/org-units", json=body)
    assert resp.status_code == 400 and "CSRF" in resp.get_json()["message"]
    token = csrf_from(client.get("/").get_data(as_text=True))
    resp = client.post("/api/v1/org-units", json=body, headers={"X-CSRFToken": token})
    assert resp.status_code == 201


def test_person_validation(client, hr, tree):
    base = {"staff_no": "N1", "name": "新人", "personnel_type": "police", "org_unit_id": tree["a"]}
    bad = {**base, "email": "not-an-email", "birth_date": "1990-01-01", "hire_date": "1980-01-01"}
    resp = client.post("/api/v1/people", headers=hr, json=bad)
    assert resp.status_code == 422
    assert {"email", "hire_date"} <= set(resp.get_json()["errors"])
    resp = client.post("/api/v1/people", headers=hr, json={**base, "personnel_type": "soldier"})
    assert resp.status_code == 422
    assert client.post("/api/v1/people", headers=hr, json=base).status_code == 201
    assert client.post("/api/v1/people", headers=hr, json=base).status_code == 409


def test_openapi_and_docs_pages(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    resp = client.get("/api/v1/docs")
    assert resp.status_code == 200 and b"swagger-ui-bundle.js" in resp.data
    assert client.get("/api/v1/docs/static/swagger-ui-bundle.js").status_code == 200
    assert client.get("/api/v1/docs/static/../../../etc/passwd").status_code == 404


def test_current_filter_means_held_today(client, hr, tree, app):
    app.config["SUPERVISION_FAKE_NOW"] = "2025-06-15T10:00:00+08:00"
    try:
        rows = [
            (tree["plain"], "2020-01-01", None),  # held
            (tree["sworn"], "2020-01-01", "2025-06-15"),  # held: today is its last day
            (tree["sworn"], "2025-07-01", None),
        ]  # not started yet
        for post, start, end in rows:
            resp = client.post(
                "/api/v1/assignments",
                headers=hr,
                json={
                    "person_id": tree["head_a"],
                    "post_id": post,
                    "start_date": start,
                    "end_date": end,
                },
            )
            assert resp.status_code == 201, resp.get_json()
        url = f"/api/v1/assignments?person_id={tree['head_a']}&current="
        held = client.get(url + "true", headers=hr).get_json()
        assert sorted((a["post_id"], a["start_date"]) for a in held) == sorted(
            [(tree["plain"], "2020-01-01"), (tree["sworn"], "2020-01-01")]
        )
        other = client.get(url + "false", headers=hr).get_json()
        assert [(a["post_id"], a["start_date"]) for a in other] == [(tree["sworn"], "2025-07-01")]
    finally:
        app.config["SUPERVISION_FAKE_NOW"] = None


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/assignments/87393447300303887007744",
        "/api/v1/people?org_unit_id=99999999999999999999",
        "/api/v1/assignments?person_id=-5",
    ],
)
def test_huge_or_negative_numbers_are_4xx(client, hr, url):
    """Found by fuzzing: numbers past the database's integers used to overflow (500)."""
    resp = client.get(url, headers=hr)
    assert 400 <= resp.status_code < 500, resp.get_data(as_text=True)


def test_a_page_far_past_the_end_is_empty(client, hr, tree):
    resp = client.get("/api/v1/org-units?page=317675099438790148096", headers=hr)
    assert resp.status_code == 200 and resp.get_json() == []
    assert json.loads(resp.headers["X-Pagination"])["total"] == 4


def test_control_characters_are_refused_and_never_break_the_export(client, hr, tree, db):
    resp = client.post(
        "/api/v1/posts",
        headers=hr,
        json={"code": "CTL", "name": "bad\\x07name", "org_unit_id": tree["a"]},
    )
    assert resp.status_code == 201  # a literal backslash sequence is just text
    resp = client.post(
        "/api/v1/posts",
        headers=hr,
        json={"code": "CTL2", "name": "bad\x07name", "org_unit_id": tree["a"]},
    )
    assert resp.status_code == 422 and "name" in resp.get_json()["errors"]
    # Data that bypassed the services (an old import, SQL) still exports.
    db.session.execute(
        sa.text("UPDATE people SET name = 'x' || char(7) WHERE staff_no = 'PB'")
        if db.engine.dialect.name == "sqlite"
        else sa.text("UPDATE people SET name = 'x' || chr(7) WHERE staff_no = 'PB'")
    )
    db.session.commit()
    resp = client.get("/api/v1/exports/roster.xlsx", headers=hr)
    assert resp.status_code == 200


@pytest.mark.parametrize(
    "method,url,kwargs",
    [
        ("get", "/api/v1/posts?q=a%00b", {}),
        ("post", "/api/v1/org-units", {"json": {"code": "N", "name": "a\u0000b", "kind": "team"}}),
        ("get", "/org/people?q=%00", {}),
    ],
)
def test_nul_characters_are_refused_with_400(client, hr, method, url, kwargs, db):
    """Found by fuzzing on PostgreSQL, which cannot store NUL in text (it was a 500)."""
    resp = getattr(client, method)(url, headers=hr, **kwargs)
    assert resp.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OrgUnit)) == 0


def test_lone_surrogates_in_json_are_refused_with_400(client, hr, db):
    """Valid JSON, but no database can store half a surrogate pair (it was a 500)."""
    body = '{"code": "X", "name": "a\\udc00", "kind": "team"}'
    resp = client.post(
        "/api/v1/org-units", data=body, headers={**hr, "Content-Type": "application/json"}
    )
    assert resp.status_code == 400
    ok = '{"code": "Y", "name": "\\ud83d\\ude00 ok", "kind": "team"}'  # a full pair is fine
    resp = client.post(
        "/api/v1/org-units", data=ok, headers={**hr, "Content-Type": "application/json"}
    )
    assert resp.status_code == 201 and resp.get_json()["name"] == "\U0001f600 ok"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OrgUnit)) == 1
