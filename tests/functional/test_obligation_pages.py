"""The completion dashboard pages (SPEC §6): summary by unit, drill-down, people lists,
waivers, the obligation rules page, permissions and bounded queries."""

import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from supervision.common import clock
from supervision.common.periods import Period
from supervision.obligations import engine
from supervision.obligations.models import ObligationWaiver
from supervision.obligations.settings import get_obligation_settings
from supervision.org.models import Assignment, OrgUnit, Person
from supervision.talks.models import Talk
from tests import factories
from tests.conftest import csrf_from

URL = "/obligations/"
AS_OF = datetime(2025, 10, 1, 2, tzinfo=UTC)  # 2025-10-01 local: 2025Q3 is past due


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(AS_OF):
        yield


@pytest.fixture
def org(db):
    """bureau (head: chief) > station (head: head) > team; traffic. Holders of sensitive
    posts: a and b in the team (a with a Q3 talk), c in traffic."""
    s = db.session
    tree = factories.small_bureau(s)
    team_post = factories.post(s, tree["team"], "户籍岗", is_sensitive=True)
    traffic_post = factories.post(s, tree["traffic"], "事故处理岗", is_sensitive=True)
    a = factories.holder(s, team_post, "甲", date(2024, 1, 1))
    b = factories.holder(s, team_post, "乙", date(2024, 1, 1))
    c = factories.holder(s, traffic_post, "丙", date(2024, 1, 1))
    s.flush()
    talk = Talk(
        type="integrity_reminder",
        status="final",
        interviewee_id=a.id,
        period="2025Q3",
        held_at=datetime(2025, 9, 10, 2, tzinfo=UTC),
    )
    s.add(talk)
    s.commit()
    ids = dict(**tree, a=a, b=b, c=c, talk=talk, traffic_post=traffic_post)
    return {k: v.id for k, v in ids.items()}


@pytest.fixture
def users(db, org, make_user):
    """Users by role; the leader heads the station."""

    def person(key):
        return db.session.get(Person, org[key])

    make_user("secretary", ["discipline_secretary"])
    make_user("member", ["discipline_member"])
    make_user("leader", ["leader"], person=person("head"))
    make_user("hr", ["hr"])
    make_user("admin", ["admin"])
    make_user("staff", ["staff"], person=person("a"))


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def _row(html: str, key) -> str:
    m = re.search(rf'<tr[^>]*data-unit="{key}"[^>]*>(.*?)</tr>', html, re.S)
    assert m, f"no row {key}"
    return m.group(1)


def _cells(row_html: str) -> list[str]:
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row_html, re.S)
    return [re.sub(r"<[^>]+>|\s+", "", c) for c in cells]


def _engine_summary(db, org, unit_key, period="2025Q3", type_="integrity_reminder"):
    unit = db.session.get(OrgUnit, org[unit_key]) if unit_key else None
    return engine.summary(db.session, Period.parse(period), [type_], as_of=AS_OF.date(), unit=unit)


def _expected(row) -> list[str]:
    rate = row["completion_rate"]
    counts = [
        str(row[k])
        for k in ("required", "done", "done_late", "pending", "overdue", "waived", "not_required")
    ]
    return [*counts, "—" if rate is None else f"{round(rate * 100, 1)}%" * 2]


def test_the_dashboard_renders_in_chinese_and_matches_the_engine(client, db, org, users, login):
    login("member")
    assert "2025Q4" in _text(client.get(URL))  # the current quarter by default
    resp = client.get(URL, query_string={"period": "2025Q3"})
    html = _text(resp)
    assert resp.status_code == 200
    for word in (
        "完成率",
        "应谈",
        "已谈",
        "逾期完成",
        "逾期未谈",
        "待谈",
        "免谈",
        "不需谈话",
        "廉政提醒谈话",
        "2025Q3",
    ):
        assert word in html, word
    assert 'style="' not in html and "<progress" in html
    expected = _engine_summary(db, org, None)
    assert [u["org_unit_id"] for u in expected["units"]] == [org["bureau"]]
    assert _cells(_row(html, org["bureau"]))[:-1] == _expected(expected["units"][0])[:-1]
    assert "33.3%" in _row(html, org["bureau"])  # 1 done of 3 required
    html = _text(client.get(URL, query_string={"org_unit_id": org["bureau"], "period": "2025Q3"}))
    expected = _engine_summary(db, org, "bureau")
    for unit in expected["units"]:
        cells = _cells(_row(html, unit["org_unit_id"]))
        assert cells[:7] == _expected(unit)[:7], unit
    assert _cells(_row(html, org["station"]))[:3] == ["2", "1", "0"]
    assert _cells(_row(html, org["traffic"]))[:5] == ["1", "0", "0", "0", "1"]


def test_period_and_type_selectors(client, org, users, login):
    login("secretary")
    html = _text(client.get(URL, query_string={"period": "2025Q3"}))
    assert "period=2025Q2" in html and "period=2025Q4" in html
    html = _text(client.get(URL, query_string={"type": "supervision"}))
    assert "关键少数日常提醒谈话" in html and "2025H2" in html
    html = _text(client.get(URL, query_string={"type": "heart_to_heart", "period": "2025"}))
    assert "谈心谈话" in html and "period=2024" in html
    resp = client.get(URL, query_string={"type": "supervision", "period": "2025Q3"})
    assert resp.status_code == 422
    assert client.get(URL, query_string={"period": "2025Q9"}).status_code == 422


def test_drill_down_to_children_and_people(client, org, users, login):
    login("secretary")
    html = _text(client.get(URL, query_string={"org_unit_id": org["station"], "period": "2025Q3"}))
    assert re.search(rf'data-unit="{org["team"]}"', html) and "社区中队" in html
    assert f"org_unit_id={org['bureau']}" in html  # breadcrumbs
    html = _text(
        client.get(
            URL,
            query_string={"org_unit_id": org["bureau"], "period": "2025Q3", "status": "overdue"},
        )
    )
    people = set(map(int, re.findall(r'data-person="(\d+)"', html)))
    assert people == {org["b"], org["c"]}
    assert "所长" in html and "局长" in html  # conductors of b and c
    assert "2025-09-30" in html and "逾期未谈" in html
    html = _text(client.get(URL, query_string={"period": "2025Q3", "status": "done"}))
    assert set(map(int, re.findall(r'data-person="(\d+)"', html))) == {org["a"]}
    assert f'href="/talks/{org["talk"]}"' in html
    assert client.get(URL, query_string={"org_unit_id": 999999}).status_code == 404


def test_a_waiver_moves_the_person_out_of_the_denominator(client, db, org, users, login):
    login("secretary")
    query = {"period": "2025Q3", "org_unit_id": org["bureau"], "status": "overdue"}
    page = _text(client.get(URL, query_string=query))
    assert "data-confirm" in page and 'name="reason"' in page
    form = {
        "csrf_token": csrf_from(page),
        "person_id": org["c"],
        "type": "integrity_reminder",
        "period": "2025Q3",
        "next": f"/obligations/?period=2025Q3&org_unit_id={org['bureau']}",
    }
    resp = client.post("/obligations/waive", data={**form, "reason": "  "})
    assert resp.status_code == 422 and "is-invalid" in _text(resp)
    assert db.session.scalar(sa.select(sa.func.count(ObligationWaiver.id))) == 0
    resp = client.post("/obligations/waive", data={**form, "reason": "长期病假"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(form["next"][13:])
    waiver = db.session.scalars(sa.select(ObligationWaiver)).one()
    assert (waiver.person_id, waiver.reason) == (org["c"], "长期病假")
    html = _text(client.get(URL, query_string={"org_unit_id": org["bureau"], "period": "2025Q3"}))
    assert _cells(_row(html, org["traffic"]))[:6] == ["0", "0", "0", "0", "0", "1"]
    assert _cells(_row(html, "total"))[:6] == ["2", "1", "0", "0", "1", "1"]
    resp = client.post("/obligations/waive", data={**form, "reason": "再次"})
    assert resp.status_code == 409 and "该谈话任务已被免除" in _text(resp)
    assert client.post(
        "/obligations/waive", data={**form, "reason": "x", "csrf_token": "bad"}
    ).status_code in (400, 422)
    assert db.session.scalar(sa.select(sa.func.count(ObligationWaiver.id))) == 1


def test_the_waive_page_keeps_input_and_needs_a_known_person(client, org, users, login):
    login("member")
    resp = client.get(
        "/obligations/waive",
        query_string={"person_id": org["b"], "type": "integrity_reminder", "period": "2025Q3"},
    )
    assert resp.status_code == 200 and "乙" in _text(resp) and "data-confirm" in _text(resp)
    for bad in (999999, 10**12, "x"):
        assert client.get("/obligations/waive", query_string={"person_id": bad}).status_code == 404
    form = {
        "csrf_token": csrf_from(_text(resp)),
        "person_id": org["b"],
        "type": "integrity_reminder",
        "period": "2025H2",
        "reason": "调离",
    }
    resp = client.post("/obligations/waive", data=form)
    assert resp.status_code == 422 and "调离" in _text(resp)


def test_roles(client, org, users, login):
    for name in ("hr", "admin", "staff"):
        c = client.application.test_client()
        login(name, c=c)
        assert c.get(URL).status_code == 403, name
        assert c.get("/obligations/waive", query_string={"person_id": org["b"]}).status_code == 403
    c = client.application.test_client()
    login("leader", c=c)
    html = _text(c.get(URL, query_string={"period": "2025Q3"}))
    assert re.search(rf'data-unit="{org["station"]}"', html)
    assert not re.search(rf'data-unit="{org["traffic"]}"', html)
    html = _text(c.get(URL, query_string={"status": "overdue", "period": "2025Q3"}))
    assert set(map(int, re.findall(r'data-person="(\d+)"', html))) == {org["b"]}
    assert 'name="reason"' not in html
    assert c.get(URL, query_string={"org_unit_id": org["traffic"]}).status_code == 404
    assert c.get("/obligations/waive", query_string={"person_id": org["b"]}).status_code == 403
    assert c.get("/obligations/rules").status_code == 403
    assert client.get(URL).status_code in (302, 401)


def test_the_rules_page(client, db, org, users, login):
    login("admin")
    page = client.get("/obligations/rules")
    assert page.status_code == 200 and "30" in _text(page)
    data = {
        "csrf_token": csrf_from(_text(page)),
        "min_days_in_period": "200",
        "integrity_reminder_conductor": "responsible_head",
        "supervision_conductor": "committee",
        "heart_to_heart_conductor": "party_secretary",
        "party_secretary_staff_no": "NOBODY",
    }
    resp = client.post("/obligations/rules", data=data)
    assert resp.status_code == 422 and "NOBODY" in _text(resp) and "is-invalid" in _text(resp)
    assert get_obligation_settings(db.session)["integrity_reminder"]["min_days_in_period"] == 30
    staff_no = db.session.get(Person, org["chief"]).staff_no
    resp = client.post(
        "/obligations/rules",
        data={**data, "min_days_in_period": "60", "party_secretary_staff_no": staff_no},
    )
    assert resp.status_code == 302
    saved = get_obligation_settings(db.session)
    assert saved["integrity_reminder"]["min_days_in_period"] == 60
    assert saved["party_secretary_staff_no"] == staff_no
    c = client.application.test_client()
    login("member", c=c)
    assert c.get("/obligations/rules").status_code == 403


def _bulk_people(app, db, org, start, n):
    s = db.session
    s.execute(
        sa.insert(Person),
        [
            {
                "staff_no": f"B{start + i:06d}",
                "name": f"批量{i}",
                "personnel_type": "police",
                "org_unit_id": org["traffic"],
                "leadership": "none",
                "is_active": True,
            }
            for i in range(n)
        ],
    )
    ids = s.scalars(
        sa.select(Person.id).where(Person.staff_no.like("B%")).order_by(Person.id.desc()).limit(n)
    ).all()
    s.execute(
        sa.insert(Assignment),
        [
            {"person_id": pid, "post_id": org["traffic_post"], "start_date": date(2024, 1, 1)}
            for pid in ids
        ],
    )
    s.commit()


def _statements(count_statements, client, url) -> int:
    with count_statements() as statements:
        resp = client.get(url)
    assert resp.status_code == 200, url
    return len(statements)


def test_dashboard_queries_are_bounded(app, client, db, org, users, login, count_statements):
    _bulk_people(app, db, org, 0, 200)
    login("secretary")
    urls = [
        f"{URL}?period=2025Q3",
        f"{URL}?period=2025Q3&org_unit_id={org['bureau']}",
        f"{URL}?period=2025Q3&org_unit_id={org['bureau']}&status=overdue&page=2",
    ]
    for url in urls:
        client.get(url)  # warm up
    small = [_statements(count_statements, client, url) for url in urls]
    _bulk_people(app, db, org, 200, 1800)
    large = [_statements(count_statements, client, url) for url in urls]
    assert small == large
    html = _text(client.get(urls[1]))
    assert _cells(_row(html, org["traffic"]))[:5] == ["2001", "0", "0", "0", "2001"]
