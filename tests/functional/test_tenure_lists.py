"""The eligibility list `/rotation/` and `GET /api/v1/rotation/eligibility` read today's rows
from the maintained tenure table (issue 14): the same number of SQL statements at two sizes,
no stint history read, the total from a COUNT and the page from OFFSET/LIMIT, and the same
rows as the engine."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from supervision.common import clock
from supervision.extensions import db as _db
from supervision.org.models import OrgUnit, Post
from supervision.rotation import engine
from supervision.rotation.settings import get_rotation_settings
from tests import factories

NOW = datetime(2025, 6, 16, 2, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def org(db, frozen):
    s = db.session
    rows = factories.small_bureau(s)
    station = rows["station"]
    posts = [
        factories.post(s, station, "户籍岗", is_sensitive=True).id,
        factories.post(s, station, "所长", is_leadership=True).id,
    ]
    s.commit()
    return {"station": station.id, "posts": posts}


def _grow(app, org, start: int, stop: int) -> None:
    """People `start`..`stop`, each holding a sensitive post since a different day (due,
    upcoming and not yet due ones), written through the services."""
    with app.app_context():
        s = _db.session
        station = s.get(OrgUnit, org["station"])
        for i in range(start, stop):
            post = factories.post(s, station, f"岗{i}", is_sensitive=True)
            factories.holder(
                s,
                s.get(Post, post.id),
                f"民警{i}",
                start=date(2019, 1, 1) + timedelta(days=9 * i),
                org_unit=station,
                staff_no=f"T{i:05d}",
            )
        s.commit()


@pytest.fixture
def hr(app, org, make_user, login, token_for):
    user = make_user("hr", ["hr"])
    with app.app_context():
        headers = token_for(user)
    return login("hr", c=app.test_client()), headers


def _count(count_statements, call):
    with count_statements() as statements:
        resp = call()
    assert resp.status_code == 200
    return statements


URLS = ["/rotation/", "/rotation/?status=due&page=2", "/rotation/?post_category=other"]
API = [
    "/api/v1/rotation/eligibility",
    "/api/v1/rotation/eligibility?personnel_type=police&page=2&page_size=3",
]


def test_statements_do_not_grow_and_no_history_is_read(app, org, hr, count_statements, frozen):
    client, headers = hr
    _grow(app, org, 0, 8)
    for url in URLS:
        client.get(url)
    small = [len(_count(count_statements, lambda u=u: client.get(u))) for u in URLS]
    small += [
        len(_count(count_statements, lambda u=u: client.get(u, headers=headers))) for u in API
    ]
    _grow(app, org, 8, 120)
    statements = [_count(count_statements, lambda u=u: client.get(u)) for u in URLS]
    statements += [
        _count(count_statements, lambda u=u: client.get(u, headers=headers)) for u in API
    ]
    assert [len(s) for s in statements] == small
    for found in statements:
        text = "\n".join(found).lower()
        assert "from assignments" not in text, "the list reads the table, not the stints"
        assert "tenure_rows" in text
        assert any("limit" in s.lower() for s in found if "tenure_rows" in s.lower())


def test_pages_and_totals_equal_the_engine(app, org, hr, frozen):
    client, headers = hr
    _grow(app, org, 0, 75)
    with app.app_context():
        s = _db.session
        rows = engine.compute(s, NOW.date(), None, engine.Filters(), get_rotation_settings(s))
    due = [r for r in rows if r.status == "due"]
    assert len(due) > 50
    resp = client.get(
        "/api/v1/rotation/eligibility?status=due&page=2&page_size=20", headers=headers
    )
    assert json.loads(resp.headers["X-Pagination"])["total"] == len(due)
    assert [(r["person_id"], r["post_id"]) for r in resp.get_json()] == [
        (r.person_id, r.post_id) for r in due[20:40]
    ]
    assert [r["tenure_days"] for r in resp.get_json()] == [r.tenure_days for r in due[20:40]]
    html = client.get("/rotation/?status=due&page=2").get_data(as_text=True)
    shown = re.findall(r'name="shown" value="(\d+):(\d+)"', html)
    assert [(int(p), int(q)) for p, q in shown] == [(r.person_id, r.post_id) for r in due[50:]]
    past = client.get("/api/v1/rotation/eligibility?page=99", headers=headers)
    assert past.status_code == 200 and past.get_json() == []
