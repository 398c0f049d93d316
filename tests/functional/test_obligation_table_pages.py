"""The obligation pages and API read the maintained table (issue 14) and answer exactly what
the engine answers without it; the dashboard and the summary take the same statements
whatever the number of people."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from supervision.common import clock
from supervision.common.periods import Period
from supervision.obligations import table
from supervision.obligations.models import ObligationTableState, TalkConductor
from supervision.obligations.settings import get_obligation_settings, update_obligation_settings
from supervision.org.models import Assignment, Person
from supervision.talks.models import Talk
from tests import factories

NOW = datetime(2025, 10, 1, 2, tzinfo=UTC)  # 2025-10-01 local: 2025Q3 is past due


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def org(db, make_user):
    """The small bureau; holders of sensitive posts in the team and traffic (one with a
    talk, one waived late), a committee member assigned to the station head's supervision
    talks, the chief as party secretary; users for each role that reads obligations."""
    s = db.session
    tree = factories.small_bureau(s)
    team_post = factories.post(s, tree["team"], "户籍岗", is_sensitive=True)
    traffic_post = factories.post(s, tree["traffic"], "事故处理岗", is_sensitive=True)
    a = factories.holder(s, team_post, "甲", date(2024, 1, 1))
    factories.holder(s, team_post, "乙", date(2025, 9, 15))
    c = factories.holder(s, traffic_post, "丙", date(2024, 1, 1))
    d = factories.holder(s, team_post, "丁", date(2024, 1, 1), leadership="department_head")
    member = factories.person(s, tree["bureau"], "委员")
    secretary = factories.person(s, tree["bureau"], "书记")
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
    s.add(TalkConductor(person_id=tree["head"].id, type="supervision", conductor_id=member.id))
    s.add(TalkConductor(person_id=d.id, type="supervision", conductor_id=member.id))
    s.commit()
    update_obligation_settings(s, {"party_secretary_staff_no": tree["chief"].staff_no})
    s.commit()
    make_user("secretary", ["discipline_secretary"], person=s.get(Person, secretary.id))
    make_user("leader", ["leader"], person=s.get(Person, tree["head"].id))
    make_user("chief", ["leader"], person=s.get(Person, tree["chief"].id))
    make_user("member", ["discipline_member"], person=s.get(Person, member.id))
    return {**{k: v.id for k, v in tree.items()}, "a": a.id, "c": c.id, "post": traffic_post.id}


def _pages(org) -> list[str]:
    return [
        "/obligations/",
        f"/obligations/?org_unit_id={org['station']}",
        "/obligations/?period=2025Q3",
        "/obligations/?period=2025Q3&status=required",
        "/obligations/?period=2025Q3&status=overdue",
        "/obligations/?type=supervision&status=pending",
        "/obligations/?type=heart_to_heart&status=pending",
        "/talks/mine",
    ]


API = [
    "/api/v1/obligations?period=2025Q3",
    "/api/v1/obligations?period=2025Q4",
    "/api/v1/obligations?period=2025H2",
    "/api/v1/obligations?period=2025",
    "/api/v1/obligations?period=2025Q2&status=overdue",
    "/api/v1/obligations/summary?period=2025Q3",
    "/api/v1/obligations/summary?period=2025H2&type=supervision",
]


def _scrub(text: str) -> str:
    # The CSRF tokens are signed with the wall clock: they differ from one login to another.
    text = re.sub(r'name="csrf-token" content="[^"]*"', "", text)
    return re.sub(r'name="csrf_token"[^>]*value="[^"]*"', "", text)


def _answers(app, login, token_for, db, org) -> dict:
    out = {}
    for name in ("secretary", "leader", "chief", "member"):
        client = login(name, c=app.test_client())
        for url in _pages(org):
            resp = client.get(url)
            out[(name, url)] = (resp.status_code, _scrub(resp.get_data(as_text=True)))
        from supervision.auth.models import User

        headers = token_for(db.session.scalar(sa.select(User).where(User.username == name)))
        for url in API:
            resp = client.get(url, headers=headers)
            out[(name, url)] = (resp.status_code, resp.get_json())
    return out


def test_pages_answer_from_the_table_what_the_engine_answers(app, db, org, login, token_for):
    s = db.session
    settings = get_obligation_settings(s)
    today = clock.today()
    assert table.read(s, [("integrity_reminder", Period.parse("2025Q3"))], today, settings)
    from_table = _answers(app, login, token_for, db, org)
    s.execute(sa.delete(ObligationTableState))  # the readers fall back to the engine
    s.commit()
    assert table.read(s, [("integrity_reminder", Period.parse("2025Q3"))], today, settings) is None
    from_engine = _answers(app, login, token_for, db, org)
    assert all(status == 200 for status, _body in from_table.values())
    assert "丙" in from_table[("secretary", "/obligations/?period=2025Q3&status=overdue")][1]
    # What each reads is there: the make-ups of traffic, the talks each is to hold.
    assert "丁" in from_table[("member", "/talks/mine")][1]
    assert "乙" in from_table[("leader", "/talks/mine")][1]
    assert from_table == from_engine


def _grow(db, org, start: int, n: int) -> None:
    """n more holders of the traffic post (ORM writes: the table follows)."""
    s = db.session
    for i in range(start, start + n):
        p = Person(
            staff_no=f"G{i:05d}",
            name=f"批量{i}",
            personnel_type="police",
            org_unit_id=org["traffic"],
            leadership="department_head" if i % 7 == 0 else "none",
        )
        s.add(p)
        s.flush()
        s.add(Assignment(person_id=p.id, post_id=org["post"], start_date=date(2024, 1, 1)))
    s.commit()


def test_the_dashboard_and_the_summary_take_the_same_statements_at_two_sizes(
    app, db, org, login, token_for, count_statements
):
    from supervision.auth.models import User

    client = login("secretary", c=app.test_client())
    headers = token_for(db.session.scalar(sa.select(User).where(User.username == "secretary")))
    urls = [
        ("/obligations/", {}),
        ("/obligations/?period=2025Q3", {}),
        (f"/obligations/?period=2025Q3&org_unit_id={org['bureau']}", {}),
        ("/api/v1/obligations/summary?period=2025Q4", headers),
        ("/api/v1/obligations/summary?period=2025H2&type=supervision", headers),
    ]

    def measure() -> list[int]:
        out = []
        for url, h in urls:
            client.get(url, headers=h)  # warm up
            with count_statements() as statements:
                assert client.get(url, headers=h).status_code == 200
            out.append(len(statements))
        return out

    _grow(db, org, 0, 5)
    small = measure()
    _grow(db, org, 5, 60)
    large = measure()
    assert small == large
    body = client.get("/api/v1/obligations/summary?period=2025Q4", headers=headers).get_json()
    assert body["total"]["pending"] >= 65
