"""The unit filter of the list pages (issue 14): every unit while the scope is small; in a
large organisation the top two levels, the chosen unit's ancestors and its children, so
that a province's 2,001 units are not written into every list page."""

from __future__ import annotations

import re

import pytest

from supervision.org import queries
from tests import factories


@pytest.fixture
def tree(db):
    """分局 > 派出所 > 社区中队, 分局 > 交警大队, and three squads under the team."""
    rows = factories.small_bureau(db.session)
    squads = [factories.unit(db.session, f"警组{i}", parent=rows["team"]) for i in range(3)]
    db.session.commit()
    return {k: v.id for k, v in rows.items()} | {"squads": [s.id for s in squads]}


def _filter_options(html: str) -> list[int]:
    select = re.search(r'<select[^>]*name="org_unit_id".*?</select>', html, re.S).group(0)
    return [int(v) for v in re.findall(r'<option value="(\d+)"', select)]


@pytest.fixture
def viewer(request, app, make_user, login):
    """A client of whoever reads the page: the administrator, a secretary for risks, HR for
    rotation."""
    role = {"/risks/": "discipline_secretary", "/rotation/": "hr"}.get(
        request.getfixturevalue("path"), "admin"
    )
    make_user("viewer", [role])
    return login("viewer", c=app.test_client())


@pytest.mark.parametrize(
    "path", ["/org/people", "/org/posts", "/org/assignments", "/risks/", "/rotation/"]
)
def test_a_small_organisation_lists_every_unit(tree, viewer, path):
    html = viewer.get(path).get_data(as_text=True)
    every = [tree["bureau"], tree["station"], tree["team"], *tree["squads"], tree["traffic"]]
    assert sorted(_filter_options(html)) == sorted(every)
    assert "单位较多" not in html


@pytest.mark.parametrize(
    "path", ["/org/people", "/org/posts", "/org/assignments", "/risks/", "/rotation/"]
)
def test_a_large_organisation_lists_two_levels_and_opens_the_chosen_unit(
    tree, viewer, monkeypatch, path
):
    monkeypatch.setattr(queries, "FILTER_ALL_UNITS", 4)
    html = viewer.get(path).get_data(as_text=True)
    assert _filter_options(html) == [tree["bureau"], tree["station"], tree["traffic"]]
    assert "单位较多，只列出前两级" in html

    # Choosing the station lists its team; choosing the team lists its squads and keeps
    # the path down to it, and the choice stays selected.
    html = viewer.get(f"{path}?org_unit_id={tree['station']}").get_data(as_text=True)
    assert tree["team"] in _filter_options(html)
    assert not set(tree["squads"]) & set(_filter_options(html))
    html = viewer.get(f"{path}?org_unit_id={tree['team']}").get_data(as_text=True)
    options = _filter_options(html)
    assert set(tree["squads"]) <= set(options)
    assert (
        options.index(tree["station"])
        < options.index(tree["team"])
        < options.index(tree["squads"][0])
    )
    assert re.search(rf'<option value="{tree["team"]}"[^>]*selected', html)


def test_a_leader_sees_only_units_in_scope(db, tree, make_user, login, monkeypatch):
    monkeypatch.setattr(queries, "FILTER_ALL_UNITS", 2)
    from supervision.org.models import Person

    head = db.session.get(Person, tree["head"])
    make_user("head", ["leader"], person=head)
    html = login("head").get(f"/org/people?org_unit_id={tree['team']}").get_data(as_text=True)
    options = _filter_options(html)
    assert tree["bureau"] not in options and tree["traffic"] not in options
    assert {tree["station"], tree["team"], *tree["squads"]} == set(options)
