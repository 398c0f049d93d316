"""The obligations API over HTTP (SPEC §4, §6, §10): list, summary, waivers, rules."""

import json
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.common import clock
from supervision.obligations.models import ObligationWaiver, TalkConductor
from supervision.org.models import Person
from supervision.talks.models import Talk
from tests import factories

URL = "/api/v1/obligations"


@pytest.fixture
def org(db):
    """bureau (head: chief) > station (head: head) > team; traffic. Three holders of
    sensitive posts: two in the team (one with a Q3 talk), one in traffic."""
    s = db.session
    tree = factories.small_bureau(s)
    team_post = factories.post(s, tree["team"], "户籍岗", is_sensitive=True)
    traffic_post = factories.post(s, tree["traffic"], "事故处理岗", is_sensitive=True)
    a = factories.holder(s, team_post, "甲", date(2024, 1, 1))
    b = factories.holder(s, team_post, "乙", date(2024, 1, 1))
    c = factories.holder(s, traffic_post, "丙", date(2024, 1, 1))
    s.flush()
    s.add(
        Talk(
            type="integrity_reminder",
            status="final",
            interviewee_id=a.id,
            period="2025Q3",
            held_at=datetime(2025, 9, 10, 2, tzinfo=UTC),
        )
    )
    s.commit()
    return {k: v.id for k, v in dict(**tree, a=a, b=b, c=c).items()}


@pytest.fixture
def auth(db, org, make_user, token_for):
    """Bearer headers by role; the leader heads the station."""

    def person(key):
        return db.session.get(Person, org[key])

    return {
        "secretary": token_for(make_user("secretary", ["discipline_secretary"])),
        "member": token_for(make_user("member", ["discipline_member"])),
        "leader": token_for(make_user("leader", ["leader"], person=person("head"))),
        "hr": token_for(make_user("hr", ["hr"])),
        "admin": token_for(make_user("admin", ["admin"])),
        "staff": token_for(make_user("staff", ["staff"], person=person("a"))),
    }


def _get(client, headers, url=URL, **query):
    return client.get(url, headers=headers, query_string=query)


def test_the_list_needs_a_login_and_a_valid_period(client, auth):
    assert client.get(URL, query_string={"period": "2025Q3"}).status_code == 401
    resp = _get(client, auth["secretary"])
    assert resp.status_code == 422 and "period" in resp.get_json()["errors"]
    assert _get(client, auth["secretary"], period="2025Q5").get_json()["errors"]["period"]
    resp = _get(client, auth["secretary"], period="2025Q3", type="supervision")
    assert resp.status_code == 422 and "2025H2" in resp.get_json()["errors"]["period"][0]
    assert _get(client, auth["secretary"], period="2025Q3", type="admonishment").status_code == 422


def test_the_list_gives_the_public_fields_with_pagination(client, org, auth):
    resp = _get(client, auth["member"], period="2025Q3", as_of="2025-10-01", page_size=2)
    assert resp.status_code == 200
    assert json.loads(resp.headers["X-Pagination"])["total"] == 3
    first = resp.get_json()[0]
    assert first == {
        "person_id": org["a"],
        "type": "integrity_reminder",
        "period": "2025Q3",
        "due_date": "2025-09-30",
        "status": "done",
        "talk_id": first["talk_id"],
        "conductor_id": org["head"],
        "reason": None,
        "org_unit_id": org["team"],
    }
    assert first["talk_id"] is not None
    rows = _get(client, auth["member"], period="2025q3", as_of="2025-10-01").get_json()
    assert [(r["person_id"], r["status"]) for r in rows] == [
        (org["a"], "done"),
        (org["b"], "overdue"),
        (org["c"], "overdue"),
    ]
    assert {r["conductor_id"] for r in rows[1:]} == {org["head"], org["chief"]}


def test_filters_by_status_person_unit_and_as_of(client, org, auth):
    h = auth["secretary"]
    rows = _get(client, h, period="2025Q3", as_of="2025-09-30", status="pending").get_json()
    assert {r["person_id"] for r in rows} == {org["b"], org["c"]}
    rows = _get(client, h, period="2025Q3", person_id=org["c"]).get_json()
    assert [r["person_id"] for r in rows] == [org["c"]]
    rows = _get(client, h, period="2025Q3", org_unit_id=org["station"]).get_json()
    assert {r["person_id"] for r in rows} == {org["a"], org["b"]}
    assert _get(client, h, period="2025Q3", org_unit_id=999999).status_code == 404


def test_the_default_as_of_is_today(client, org, auth):
    with clock.frozen(datetime(2025, 9, 30, 15, 59, tzinfo=UTC)):  # 23:59 local on the due date
        rows = _get(client, auth["secretary"], period="2025Q3", person_id=org["b"]).get_json()
    assert rows[0]["status"] == "pending"
    with clock.frozen(datetime(2025, 9, 30, 16, 0, tzinfo=UTC)):  # 00:00 local the day after
        rows = _get(client, auth["secretary"], period="2025Q3", person_id=org["b"]).get_json()
    assert rows[0]["status"] == "overdue"


def test_without_a_type_every_type_of_the_period_kind_is_listed(client, org, auth):
    rows = _get(client, auth["secretary"], period="2025H2", as_of="2025-08-01").get_json()
    assert {(r["person_id"], r["type"]) for r in rows} == {
        (org["chief"], "supervision"),
        (org["head"], "supervision"),
    }
    rows = _get(client, auth["secretary"], period="2025", as_of="2025-08-01").get_json()
    assert {r["type"] for r in rows} == {"heart_to_heart"}


def test_a_leader_sees_their_scope_and_what_they_conduct(client, db, org, auth):
    rows = _get(client, auth["leader"], period="2025Q3").get_json()
    assert {r["person_id"] for r in rows} == {org["a"], org["b"]}
    assert (
        _get(client, auth["leader"], period="2025Q3", org_unit_id=org["traffic"]).status_code == 404
    )
    assert _get(client, auth["leader"], period="2025Q3", person_id=org["c"]).get_json() == []
    db.session.add(
        TalkConductor(person_id=org["chief"], type="supervision", conductor_id=org["head"])
    )
    db.session.commit()
    rows = _get(client, auth["leader"], period="2025H2").get_json()
    assert {(r["person_id"], r["conductor_id"]) for r in rows} == {
        (org["chief"], org["head"]),
        (org["head"], None),
    }


def test_other_roles_get_403(client, auth):
    for role in ("hr", "admin", "staff"):
        assert _get(client, auth[role], period="2025Q3").status_code == 403, role
        assert _get(client, auth[role], f"{URL}/summary", period="2025Q3").status_code == 403, role


def test_the_summary_by_child_unit(client, org, auth):
    resp = _get(
        client,
        auth["secretary"],
        f"{URL}/summary",
        period="2025Q3",
        org_unit_id=org["bureau"],
        as_of="2025-10-01",
    )
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["total"]["org_unit_id"] == org["bureau"]
    assert (body["total"]["required"], body["total"]["done"]) == (3, 1)
    assert body["total"]["completion_rate"] == pytest.approx(1 / 3)
    units = {u["org_unit_id"]: u for u in body["units"]}
    assert set(units) == {org["station"], org["traffic"]}
    assert units[org["station"]]["completion_rate"] == 0.5
    assert units[org["traffic"]]["completion_rate"] == 0.0
    assert set(units[org["traffic"]]) == {
        "org_unit_id",
        "org_unit_name",
        "required",
        "pending",
        "done",
        "done_late",
        "overdue",
        "waived",
        "not_required",
        "completion_rate",
    }
    empty = _get(
        client, auth["secretary"], f"{URL}/summary", period="2025Q3", org_unit_id=org["team"]
    ).get_json()
    assert empty["units"] == [] and empty["total"]["required"] == 2
    leader = _get(client, auth["leader"], f"{URL}/summary", period="2025Q3").get_json()
    assert [u["org_unit_id"] for u in leader["units"]] == [org["station"]]
    assert leader["total"]["org_unit_id"] is None and leader["total"]["required"] == 2
    assert _get(client, auth["secretary"], f"{URL}/summary").status_code == 422


def test_waivers_are_created_by_the_discipline_roles(client, db, org, auth):
    body = {
        "person_id": org["b"],
        "type": "integrity_reminder",
        "period": "2025Q3",
        "reason": "长期病假",
    }
    assert client.post(f"{URL}/waivers", headers=auth["leader"], json=body).status_code == 403
    resp = client.post(f"{URL}/waivers", headers=auth["member"], json=body)
    assert resp.status_code == 201, resp.get_json()
    waiver = resp.get_json()
    assert {k: waiver[k] for k in body} == body and waiver["id"]
    assert client.post(f"{URL}/waivers", headers=auth["secretary"], json=body).status_code == 409
    rows = _get(client, auth["secretary"], period="2025Q3", person_id=org["b"]).get_json()
    assert (rows[0]["status"], rows[0]["reason"]) == ("waived", "长期病假")
    listed = _get(client, auth["secretary"], f"{URL}/waivers", period="2025q3").get_json()
    assert [w["id"] for w in listed] == [waiver["id"]]
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.object_type == "obligation_waiver")
        )
        == 1
    )


def test_bad_waivers_are_422_and_write_nothing(client, db, org, auth):
    h = auth["secretary"]
    for body, field in (
        (
            {"person_id": org["b"], "type": "supervision", "period": "2025Q3", "reason": "x"},
            "period",
        ),
        (
            {"person_id": 999999, "type": "integrity_reminder", "period": "2025Q3", "reason": "x"},
            "person_id",
        ),
        (
            {"person_id": org["b"], "type": "integrity_reminder", "period": "2025Q3", "reason": ""},
            "reason",
        ),
        (
            {"person_id": org["b"], "type": "integrity_reminder", "period": "bad", "reason": "x"},
            "period",
        ),
        ({"person_id": org["b"], "type": "integrity_reminder", "reason": "x"}, "period"),
    ):
        resp = client.post(f"{URL}/waivers", headers=h, json=body)
        assert resp.status_code == 422 and field in resp.get_json()["errors"], (
            body,
            resp.get_json(),
        )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ObligationWaiver)) == 0


def test_rules_are_read_and_changed_by_the_right_roles(client, org, auth):
    resp = _get(client, auth["leader"], f"{URL}/rules")
    assert resp.status_code == 200
    rules = resp.get_json()
    assert rules["integrity_reminder"] == {
        "frequency": "quarter",
        "min_days_in_period": 30,
        "conductor": "responsible_head",
    }
    assert rules["supervision"]["conductor"] == "committee"
    assert rules["party_secretary_staff_no"] == ""
    assert _get(client, auth["staff"], f"{URL}/rules").status_code == 403
    assert client.put(f"{URL}/rules", headers=auth["member"], json={}).status_code == 403
    # What GET returns can be PUT back unchanged.
    assert client.put(f"{URL}/rules", headers=auth["admin"], json=rules).get_json() == rules
    resp = client.put(
        f"{URL}/rules",
        headers=auth["secretary"],
        json={"integrity_reminder": {"min_days_in_period": 10}},
    )
    assert resp.status_code == 200
    assert resp.get_json()["integrity_reminder"]["min_days_in_period"] == 10
    assert resp.get_json()["integrity_reminder"]["conductor"] == "responsible_head"


def test_bad_rules_are_422_and_change_nothing(client, org, auth):
    h = auth["admin"]
    for body in (
        {"integrity_reminder": {"min_days_in_period": 200}},
        {"supervision": {"frequency": "quarter"}},
        {"heart_to_heart": {"leadership": ["none"]}},
        {"party_secretary_staff_no": "NOBODY"},
        {"supervision": {"extra": 1}},
        {"integrity_reminder": {"min_days_in_period": "30"}},
    ):
        assert client.put(f"{URL}/rules", headers=h, json=body).status_code == 422, body
    rules = _get(client, h, f"{URL}/rules").get_json()
    assert rules["integrity_reminder"]["min_days_in_period"] == 30
    assert rules["supervision"]["frequency"] == "half"
