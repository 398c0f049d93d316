"""Eligibility ticks survive paging and filtering (issue 13, item 8): HR ticks people on one
page, turns the page, filters, comes back, and finds the ticks kept; unticking a row of a
page drops only that row; the plan gets exactly the ticked people, and the ticks are then
cleared. No script: the pages, chips and filter are buttons of the candidates form."""

import re
from datetime import date

import pytest
import sqlalchemy as sa

from supervision.rotation.models import RotationPlan
from tests import factories
from tests.conftest import csrf_from


@pytest.fixture
def org(db, make_user):
    """55 people due in the station's 户籍岗 (two pages of 50), two not due in traffic."""
    s = db.session
    rows = factories.small_bureau(s)
    post = factories.post(s, rows["station"], "户籍岗", is_sensitive=True)
    for i in range(55):
        factories.holder(s, post, f"民警{i:02d}", start=date(2015, 1, 1))
    other = factories.post(s, rows["traffic"], "事故岗", is_sensitive=True)
    factories.holder(s, other, "新民警", start=date(2025, 1, 1))
    s.commit()
    make_user("hr", ("hr",))
    make_user("mem", ("discipline_member",))


def _keys(html: str) -> list[str]:
    return re.findall(r'name="shown" value="(\d+:\d+)"', html)


def _ticked(html: str) -> set[str]:
    return set(re.findall(r'name="candidate" value="(\d+:\d+)"[^>]*checked', html))


def _post(client, html: str, **data):
    return client.post("/rotation/", data={"csrf_token": csrf_from(html), "view": "filter", **data})


def test_ticks_survive_paging_and_filtering_until_added(client, db, org, login):
    login("hr")
    page1 = client.get("/rotation/").get_data(as_text=True)
    first = _keys(page1)
    assert len(first) == 50 and 'id="button-pager"' in page1
    resp = _post(client, page1, shown=first, candidate=first[:2], goto="2")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/rotation/?page=2")
    page2 = client.get(resp.headers["Location"]).get_data(as_text=True)
    second = _keys(page2)
    assert len(second) == 6 and not set(second) & set(first)
    assert "已勾选 2 人" in page2 and "民警00" in page2
    # Tick one on page 2 and filter by status: both pages' ticks are kept.
    resp = _post(client, page2, shown=second, candidate=second[0], set_status="due")
    assert resp.headers["Location"].endswith("/rotation/?status=due")
    due = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert _ticked(due) == set(first[:2])
    assert "已勾选 3 人" in due
    # Untick the second of page 1 and go to page 2: only that tick is dropped.
    resp = _post(client, due, shown=_keys(due), candidate=first[0], status="due", goto="2")
    back = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert _ticked(back) == {second[0]} and "已勾选 2 人" in back
    # Add to a new plan from page 2: the ticks of both pages go in, then are cleared.
    resp = client.post(
        "/rotation/?status=due&page=2",
        data={
            "csrf_token": csrf_from(back),
            "view": ["filter", "add"],
            "shown": _keys(back),
            "candidate": second[0],
            "plan_id": "",
            "new_plan_name": "跨页勾选计划",
        },
    )
    assert resp.status_code == 302
    plan = db.session.scalar(sa.select(RotationPlan).where(RotationPlan.name == "跨页勾选计划"))
    got = {f"{i.person_id}:{i.from_post_id}" for i in plan.items}
    assert got == {first[0], second[0]}
    after = client.get("/rotation/").get_data(as_text=True)
    assert 'id="ticked"' not in after and not _ticked(after)


def test_clearing_the_ticks(client, org, login):
    login("hr")
    page1 = client.get("/rotation/").get_data(as_text=True)
    _post(client, page1, shown=_keys(page1), candidate=_keys(page1)[:3])
    page1 = client.get("/rotation/").get_data(as_text=True)
    assert len(_ticked(page1)) == 3
    resp = client.post(
        "/rotation/", data={"csrf_token": csrf_from(page1), "view": ["filter", "clear"]}
    )
    assert resp.status_code == 303
    assert not _ticked(client.get("/rotation/").get_data(as_text=True))


def test_readers_without_plans_page_with_links(client, org, login):
    login("mem")
    html = client.get("/rotation/").get_data(as_text=True)
    assert 'id="button-pager"' not in html and 'href="/rotation/?page=2"' in html
    assert 'name="candidate"' not in html
