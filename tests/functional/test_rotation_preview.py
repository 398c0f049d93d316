"""The rotation what-if (issue 13, SPEC §10 `POST /rotation/policy/preview`): on a small
bureau, lowering the police threshold from 5 to 4 years moves two people from not due to
due and one to upcoming, in the units they belong to; nothing is written; bad input is 422
as for the save; roles without the grant get 403. The policy page shows the same."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.common import clock
from supervision.common.periods import anniversary
from supervision.settings.models import Setting
from tests import factories
from tests.conftest import csrf_from


def _start(years: int, days: int) -> date:
    """The start date whose `years` anniversary falls `days` days from today."""
    today = clock.today()
    start = today - timedelta(days=366 * years)
    while anniversary(start, years) > today + timedelta(days=days):
        start -= timedelta(days=1)
    while anniversary(start, years) < today + timedelta(days=days):
        start += timedelta(days=1)
    return start


@pytest.fixture
def org(db, make_user, token_for):
    """Station: A (police, 4 years reached 30 days ago), B (police, 4 years in 60 days).
    Traffic: C (police, long due), D (auxiliary, 2 years in), E (police, 4 years reached
    100 days ago). The chief leads nobody here; users for each role with tokens."""
    s = db.session
    rows = factories.small_bureau(s)
    station = factories.post(s, rows["station"], "户籍岗", is_sensitive=True)
    accident = factories.post(s, rows["traffic"], "事故处理岗", is_sensitive=True)
    people = {
        "A": factories.holder(s, station, "甲民警", start=_start(4, -30)),
        "B": factories.holder(s, station, "乙民警", start=_start(4, 60)),
        "C": factories.holder(s, accident, "丙民警", start=_start(6, -10)),
        "D": factories.holder(
            s, accident, "丁辅警", start=_start(2, -5), personnel_type="auxiliary"
        ),
        "E": factories.holder(s, accident, "戊民警", start=_start(4, -100)),
    }
    s.commit()
    users = {
        role: make_user(role, (role,), person=rows["chief"] if role == "leader" else None)
        for role in ("admin", "hr", "discipline_member", "leader", "staff")
    }
    return {
        "people": {k: p.id for k, p in people.items()},
        "station": rows["station"].id,
        "traffic": rows["traffic"].id,
        "auth": {r: token_for(u) for r, u in users.items()},
    }


def _writes(db) -> tuple[int, int]:
    s = db.session
    s.expire_all()
    return (
        s.scalar(sa.select(sa.func.count()).select_from(Setting)),
        s.scalar(sa.select(sa.func.count()).select_from(AuditEntry)),
    )


def test_preview_counts_changes_by_unit_and_writes_nothing(client, db, org):
    before = _writes(db)
    resp = client.post(
        "/api/v1/rotation/policy/preview", json={"police_years": 4}, headers=org["auth"]["hr"]
    )
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["as_of"] == clock.today().isoformat()
    assert body["current"]["police_years"] == 5 and body["proposed"]["police_years"] == 4
    assert body["total"] == 5 and body["changed_total"] == 3 and body["truncated"] is False
    assert sorted((c["from"], c["to"], c["count"]) for c in body["changes"]) == [
        ("not_due", "due", 2),
        ("not_due", "upcoming", 1),
    ]
    units = {u["org_unit_id"]: u for u in body["units"]}
    assert set(units) == {org["station"], org["traffic"]}
    station, traffic = units[org["station"]], units[org["traffic"]]
    assert (station["due_before"], station["due_after"], station["changed"]) == (0, 1, 2)
    assert (station["upcoming_before"], station["upcoming_after"]) == (0, 1)
    assert (traffic["due_before"], traffic["due_after"], traffic["changed"]) == (1, 2, 1)
    people = {p["person_id"]: p for p in body["people"]}
    ids = org["people"]
    assert set(people) == {ids["A"], ids["B"], ids["E"]}
    assert (people[ids["B"]]["status_before"], people[ids["B"]]["status_after"]) == (
        "not_due",
        "upcoming",
    )
    assert people[ids["A"]]["threshold_after"] == 4
    assert _writes(db) == before
    policy = client.get("/api/v1/rotation/policy", headers=org["auth"]["hr"]).get_json()
    assert policy["police_years"] == 5


def test_preview_as_of_another_day_and_without_changes(client, org):
    auth = org["auth"]["discipline_member"]
    body = client.post("/api/v1/rotation/policy/preview", json={}, headers=auth).get_json()
    assert body["changed_total"] == 0 and body["changes"] == [] and body["people"] == []
    later = (clock.today() + timedelta(days=400)).isoformat()
    body = client.post(
        f"/api/v1/rotation/policy/preview?as_of={later}",
        json={"upcoming_days": 0},
        headers=auth,
    ).get_json()
    assert body["as_of"] == later
    assert all(c["from"] == "upcoming" for c in body["changes"])


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"police_years": 0}, "police_years"),
        ({"police_years": "four"}, "police_years"),
        ({"tenure_mode": "sometimes"}, "tenure_mode"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_bad_input_is_422_as_for_the_save_and_writes_nothing(client, db, org, payload, field):
    before = _writes(db)
    resp = client.post(
        "/api/v1/rotation/policy/preview", json=payload, headers=org["auth"]["admin"]
    )
    assert resp.status_code == 422
    body = resp.get_json()
    assert field in str(body["errors"])
    saved = client.put("/api/v1/rotation/policy", json=payload, headers=org["auth"]["admin"])
    assert saved.status_code == 422  # the save refuses the same input
    assert _writes(db) == before


@pytest.mark.parametrize("role", ["leader", "staff"])
def test_roles_without_the_grant_get_403(client, org, role):
    resp = client.post(
        "/api/v1/rotation/policy/preview", json={"police_years": 4}, headers=org["auth"][role]
    )
    assert resp.status_code == 403


def _form(**changes) -> dict:
    return {
        "police_years": "5",
        "auxiliary_years": "3",
        "leader_years": "10",
        "tenure_mode": "continuous",
        "gap_tolerance_days": "365",
        "upcoming_days": "180",
        "retirement_window_days": "730",
        **changes,
    }


def test_policy_page_previews_before_saving(client, db, org, login):
    login("hr")
    page = client.get("/rotation/policy").get_data(as_text=True)
    assert page.index('id="preview-button"') < page.index('id="save-button"')
    assert 'formaction="/rotation/policy/preview"' in page
    before = _writes(db)
    resp = client.post(
        "/rotation/policy/preview", data={**_form(police_years="4"), "csrf_token": csrf_from(page)}
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    effect = html[html.index('id="policy-effect"') : html.index('id="save-button"')]
    assert "将有 3 人状态发生变化" in effect
    assert re.search(r'data-from="not_due" data-to="due">.*?<td class="text-end">2</td>', effect)
    assert "派出所" in effect and "交警大队" in effect
    assert "甲民警" in effect and "乙民警" in effect and "戊民警" in effect
    assert "丙民警" not in effect and "丁辅警" not in effect
    assert re.search(r'id="police_years"[^>]*value="4"', html)  # the input is kept
    assert 'action="/rotation/policy"' in html  # the save still saves
    assert _writes(db) == before


def test_policy_page_preview_shows_errors_as_the_save(client, db, org, login):
    login("hr")
    token = csrf_from(client.get("/rotation/policy").get_data(as_text=True))
    before = _writes(db)
    resp = client.post(
        "/rotation/policy/preview", data={**_form(police_years="0"), "csrf_token": token}
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert re.search(r'id="police_years"[^>]*is-invalid|is-invalid[^>]*id="police_years"', html)
    assert 'id="policy-effect"' not in html
    assert _writes(db) == before


def test_committee_previews_but_cannot_save(client, org, login):
    login("discipline_member")
    page = client.get("/rotation/policy").get_data(as_text=True)
    assert 'id="preview-button"' in page and 'id="save-button"' not in page
    resp = client.post(
        "/rotation/policy/preview", data={**_form(police_years="4"), "csrf_token": csrf_from(page)}
    )
    assert resp.status_code == 200 and 'id="policy-effect"' in resp.get_data(as_text=True)
    resp = client.post(
        "/rotation/policy", data={**_form(police_years="4"), "csrf_token": csrf_from(page)}
    )
    assert resp.status_code == 403
