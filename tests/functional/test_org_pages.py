"""The org pages: units tree, people, posts and assignments (browse, search, create, edit)."""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.common import clock
from supervision.extensions import db as _db
from supervision.org import services
from supervision.org.forms import duration
from supervision.org.models import Assignment, OrgUnit, Person, Post
from tests import factories as f
from tests.conftest import csrf_from

# The data is built and checked in app contexts of its own, so that each request gets a fresh
# application context (and so a fresh login and scope), as in production.


@contextlib.contextmanager
def ctx(app):
    """An app context with a clean session."""
    with app.app_context():
        try:
            yield _db.session
        finally:
            _db.session.remove()


@pytest.fixture
def org(app):
    """A small bureau: ROOT > A (> A1), ROOT > B; people, posts, assignments and users."""
    with ctx(app) as s:
        root = f.unit(s, "公安分局", kind="branch", code="ROOT")
        a = f.unit(s, "刑侦大队", parent=root, code="A")
        a1 = f.unit(s, "一中队", kind="team", parent=a, code="A1")
        b = f.unit(s, "城关派出所", kind="station", parent=root, code="B")
        chief = f.person(s, root, name="王局长", staff_no="TM01", leadership="team_member")
        head_a = f.person(s, a, name="李队长", staff_no="HA01", leadership="department_head")
        zhang = f.person(s, a1, name="张三", staff_no="PA101", birth_date=date(1985, 5, 1))
        zhao = f.person(s, b, name="赵六", staff_no="PB01", personnel_type="auxiliary")
        services.update_unit(s, a, {"head_person_id": head_a.id, "supervising_leader_id": chief.id})
        review = f.post(
            s, a, name="案件审核岗", code="POST-A", is_sensitive=True, category="law_enforcement"
        )
        patrol = f.post(s, a1, name="巡逻岗", code="POST-A1")
        registry = f.post(
            s,
            b,
            name="户籍岗",
            code="POST-B",
            is_sensitive=True,
            sworn_only=True,
            category="licensing",
        )
        f.assign(s, zhang, patrol, start=date(2015, 1, 1), end=date(2019, 2, 28))
        current = f.assign(s, zhang, review, start=date(2019, 3, 1))
        f.user(s, "hr", ["hr"])
        f.user(s, "leader_a", ["leader"], person=head_a)
        f.user(s, "staff", ["staff"], person=zhao)
        s.commit()
        return SimpleNamespace(
            root=root.id,
            a=a.id,
            a1=a1.id,
            b=b.id,
            chief=chief.id,
            head_a=head_a.id,
            zhang=zhang.id,
            zhao=zhao.id,
            review=review.id,
            patrol=patrol.id,
            registry=registry.id,
            current=current.id,
        )


def _html(resp) -> str:
    return resp.get_data(as_text=True)


def _count(app, model) -> int:
    with ctx(app) as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model))


def _audits(app) -> int:
    return _count(app, AuditEntry)


def _post_form(client, url, data, page_url=None):
    """POST `data` to `url` with the CSRF token of the GET page."""
    token = csrf_from(_html(client.get(page_url or url)))
    return client.post(url, data={"csrf_token": token, **data})


# ------------------------------------------------------------------ rendering


def test_every_page_renders_in_chinese_with_data(client, login, org):
    login("hr")
    pages = {
        "/org/units": ["组织机构", "刑侦大队", "一中队", "李队长", "王局长"],
        f"/org/units/{org.a}": [
            "刑侦大队",
            "公安分局",
            "一中队",
            "案件审核岗",
            "李队长",
            "下级单位",
        ],
        "/org/people": ["人员", "张三", "赵六", "辅警", "案件审核岗"],
        f"/org/people/{org.zhang}": [
            "张三",
            "任职经历",
            "案件审核岗",
            "巡逻岗",
            "1985-05-01",
            "李队长",
        ],
        "/org/posts": ["岗位", "案件审核岗", "户籍岗", "行政许可"],
        f"/org/posts/{org.review}": ["案件审核岗", "张三", "2019-03-01", "执法办案"],
        "/org/assignments": ["任职记录", "张三", "案件审核岗", "2015-01-01"],
        "/org/units/new": ["新建单位", "上级单位"],
        f"/org/units/{org.a}/edit": ["编辑单位", 'value="A"'],
        "/org/people/new": ["新建人员", "工号"],
        f"/org/people/{org.zhang}/edit": ['value="PA101"', 'value="1985-05-01"'],
        "/org/posts/new": ["新建岗位"],
        f"/org/posts/{org.review}/edit": ["保留岗位", 'value="POST-A"'],
        f"/org/assignments/new?person_id={org.zhang}": ['value="PA101"'],
        f"/org/assignments/{org.current}/edit": ['value="POST-A"', 'value="2019-03-01"'],
        f"/org/assignments/{org.current}/end": ["结束任职"],
    }
    for url, expected in pages.items():
        resp = client.get(url)
        assert resp.status_code == 200, url
        html = _html(resp)
        for text in expected:
            assert text in html, (url, text)


def test_pages_switch_to_english(client, login, org):
    login("hr")
    client.get("/lang/en?next=/org/people")
    html = _html(client.get("/org/people"))
    assert "Staff number" in html and "Auxiliary police" in html and "工号" not in html


@pytest.mark.parametrize(
    ("start", "end", "today", "expected"),
    [
        (date(2019, 3, 1), None, date(2024, 3, 1), (5, 0, 1827)),
        (date(2019, 3, 1), None, date(2024, 2, 29), (4, 11, 1826)),
        (date(2015, 1, 1), date(2019, 2, 28), date(2025, 1, 1), (4, 2, 1520)),
        (date(2020, 2, 29), None, date(2021, 2, 28), (1, 0, 365)),
        (date(2025, 1, 31), date(2025, 12, 31), date(2025, 6, 30), (0, 5, 150)),
        (date(2026, 1, 1), None, date(2025, 6, 30), None),
    ],
)
def test_duration_in_post(start, end, today, expected):
    assert duration(start, end, today) == expected


def test_unit_tree_nests_sub_units_and_counts_people_and_posts(client, login, org):
    login("hr")
    html = _html(client.get("/org/units"))
    a_item = html[html.index(f'data-unit-id="{org.a}"') : html.index(f'data-unit-id="{org.b}"')]
    assert "一中队" in a_item  # A1 is nested inside A's list item, B comes after
    # A itself: 1 person, 1 post; with A1: 2 people, 2 posts.
    assert re.search(r"人员 1 / 2</span>", a_item)
    assert re.search(r"岗位 1 / 2</span>", a_item)
    assert "<details open>" in html


def test_unit_search_shows_matches_with_their_ancestry(client, login, org):
    login("hr")
    html = _html(client.get("/org/units?q=一中"))
    matches = html[html.index('id="unit-matches"') :]
    assert "一中队" in matches and "公安分局" in matches and "刑侦大队" in matches
    assert "城关派出所" not in matches
    assert "没有" in _html(client.get("/org/units?q=不存在的单位"))


def test_people_filters_by_subtree_type_leadership_and_activity(client, login, org):
    login("hr")
    html = _html(client.get(f"/org/people?org_unit_id={org.a}"))
    assert "张三" in html and "李队长" in html and "赵六" not in html
    html = _html(client.get("/org/people?personnel_type=auxiliary"))
    assert "赵六" in html and "张三" not in html
    html = _html(client.get("/org/people?leadership=team_member"))
    assert "王局长" in html and "李队长" not in html
    html = _html(client.get("/org/people?q=PA1"))
    assert "张三" in html and "赵六" not in html
    assert "张三" not in _html(client.get("/org/people?active=0"))


def test_posts_and_assignments_filters(client, login, org):
    login("hr")
    html = _html(client.get("/org/posts?sensitive=1"))
    assert "案件审核岗" in html and "巡逻岗" not in html
    html = _html(client.get("/org/posts?category=licensing"))
    assert "户籍岗" in html and "案件审核岗" not in html
    table = _html(client.get("/org/assignments?current=1")).split('id="assignments"')[1]
    assert "案件审核岗" in table and "巡逻岗" not in table
    table = _html(client.get(f"/org/assignments?org_unit_id={org.a1}")).split('id="assignments"')[1]
    assert "巡逻岗" in table and "案件审核岗" not in table
    assert "没有" in _html(client.get("/org/assignments?sensitive=1&q=赵六"))


# ------------------------------------------------------------------ units: write


def test_create_and_edit_a_unit_through_the_form(client, login, org, app):
    login("hr")
    resp = _post_form(
        client,
        "/org/units/new",
        {
            "code": "C",
            "name": "治安大队",
            "kind": "department",
            "parent_id": str(org.root),
            "head_staff_no": "",
            "supervising_leader_id": str(org.chief),
        },
    )
    assert resp.status_code == 302
    with ctx(app) as s:
        unit = s.scalar(sa.select(OrgUnit).where(OrgUnit.code == "C"))
        assert unit.parent_id == org.root and unit.supervising_leader_id == org.chief
        unit_id = unit.id
    resp = _post_form(
        client,
        f"/org/units/{unit_id}/edit",
        {
            "code": "C",
            "name": "治安管理大队",
            "kind": "department",
            "parent_id": str(org.a),
            "head_staff_no": "HA01",
            "supervising_leader_id": "",
        },
    )
    assert resp.status_code == 302
    with ctx(app) as s:
        unit = s.get(OrgUnit, unit_id)
        assert (unit.name, unit.parent_id, unit.head_person_id) == (
            "治安管理大队",
            org.a,
            org.head_a,
        )
        assert unit.path.startswith(s.get(OrgUnit, org.a).path)


def test_moving_a_unit_under_its_own_sub_unit_shows_the_error_and_keeps_input(
    client, login, org, app
):
    login("hr")
    before = _audits(app)
    with ctx(app) as s:
        name = s.get(OrgUnit, org.a).name
    resp = _post_form(
        client,
        f"/org/units/{org.a}/edit",
        {
            "code": "A",
            "name": "刑侦大队（改）",
            "kind": "department",
            "parent_id": str(org.a1),
            "head_staff_no": "NOBODY",
            "supervising_leader_id": "",
        },
    )
    assert resp.status_code == 422
    html = _html(resp)
    assert "不能移到自身或其下级单位之下" in html
    assert "没有此工号的人员" in html  # unknown head staff number, next to its field
    assert 'value="刑侦大队（改）"' in html and 'value="NOBODY"' in html
    assert html.count("is-invalid") >= 1
    with ctx(app) as s:
        assert (s.get(OrgUnit, org.a).name, s.get(OrgUnit, org.a).parent_id) == (name, org.root)
    assert _audits(app) == before


def test_delete_unit_asks_for_confirmation_and_refuses_a_non_empty_unit(client, login, org, app):
    login("hr")
    html = _html(client.get(f"/org/units/{org.a1}"))
    form = re.search(rf'<form[^>]*action="/org/units/{org.a1}/delete"[^>]*>', html, re.S).group(0)
    assert re.search(r'data-confirm="[^"]+"', form)
    resp = client.post(f"/org/units/{org.a1}/delete", data={"csrf_token": csrf_from(html)})
    assert resp.status_code == 409
    assert "该单位仍有" in _html(resp) and "请先移走或删除" in _html(resp)
    assert _count(app, OrgUnit) == 4
    resp = _post_form(
        client,
        "/org/units/new",
        {"code": "EMPTY", "name": "临时单位", "kind": "other", "parent_id": str(org.b)},
    )
    empty_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    resp = _post_form(
        client, f"/org/units/{empty_id}/delete", {}, page_url=f"/org/units/{empty_id}"
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/org/units/{org.b}")
    assert _count(app, OrgUnit) == 4


# ------------------------------------------------------------------ people, posts, assignments


def test_hr_creates_a_person_and_assigns_a_post(client, login, org, app):
    login("hr")
    resp = _post_form(
        client,
        "/org/people/new",
        {
            "staff_no": "N001",
            "name": "钱七",
            "personnel_type": "police",
            "org_unit_id": str(org.b),
            "leadership": "none",
            "birth_date": "1990-02-03",
            "hire_date": "2012-07-01",
            "retirement_date": "",
            "probation_until": "",
            "email": "qian@example.cn",
            "is_active": "y",
        },
    )
    assert resp.status_code == 302
    person_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    resp = _post_form(
        client,
        f"/org/assignments/new?person_id={person_id}",
        {
            "staff_no": "N001",
            "post_code": "POST-B",
            "start_date": "2024-01-01",
            "end_date": "",
        },
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/org/people/{person_id}")
    html = _html(client.get(f"/org/people/{person_id}"))
    history = html[html.index('id="post-history"') :]
    assert "户籍岗" in history and "2024-01-01" in history and "table-success current" in history
    with ctx(app) as s:
        p = s.get(Person, person_id)
        assert (p.email, p.birth_date, p.org_unit_id) == (
            "qian@example.cn",
            date(1990, 2, 3),
            org.b,
        )
        assert (
            s.scalar(sa.select(Assignment.post_id).where(Assignment.person_id == person_id))
            == org.registry
        )


def test_person_form_errors_are_inline_with_input_kept_and_nothing_written(client, login, org, app):
    login("hr")
    people, audits = _count(app, Person), _audits(app)
    data = {
        "staff_no": "N002",
        "name": "孙八",
        "personnel_type": "police",
        "org_unit_id": str(org.b),
        "leadership": "none",
        "birth_date": "1990-01-01",
        "hire_date": "1980-01-01",
        "email": "not-an-email",
        "is_active": "y",
    }
    resp = _post_form(client, "/org/people/new", data)
    assert resp.status_code == 422
    html = _html(resp)
    assert "入职日期早于出生日期" in html and "电子邮箱地址无效" in html
    assert (
        'value="孙八"' in html and 'value="1980-01-01"' in html and 'value="not-an-email"' in html
    )
    resp = _post_form(
        client,
        "/org/people/new",
        {**data, "staff_no": "PA101", "hire_date": "2010-01-01", "email": ""},
    )
    assert resp.status_code == 409
    field = re.search(r'id="staff_no"[^>]*>\s*<div class="invalid-feedback">([^<]+)', _html(resp))
    assert field and field.group(1) == "已被使用。"
    resp = _post_form(client, "/org/people/new", {**data, "birth_date": "1990-13-45"})
    assert resp.status_code == 422 and 'value="1990-13-45"' in _html(resp)
    assert (_count(app, Person), _audits(app)) == (people, audits)


def test_assignment_overlap_and_sworn_only_errors_are_shown_on_the_form(client, login, org, app):
    login("hr")
    before = (_count(app, Assignment), _audits(app))
    resp = _post_form(
        client,
        "/org/assignments/new",
        {"staff_no": "PA101", "post_code": "POST-A", "start_date": "2020-01-01", "end_date": ""},
    )
    assert resp.status_code == 409
    assert re.search(
        r'id="start_date"[^>]*>\s*<div class="invalid-feedback">与同一岗位的已有任职时间重叠',
        _html(resp),
    )
    resp = _post_form(
        client,
        "/org/assignments/new",
        {"staff_no": "PB01", "post_code": "POST-B", "start_date": "2020-01-01", "end_date": ""},
    )
    assert resp.status_code == 422
    html = _html(resp)
    assert "辅警不得担任" in html and 'value="PB01"' in html and 'value="POST-B"' in html
    resp = _post_form(
        client,
        "/org/assignments/new",
        {"staff_no": "X9", "post_code": "NOPE", "start_date": "", "end_date": ""},
    )
    html = _html(resp)
    assert resp.status_code == 422 and "没有此工号的人员" in html and "没有此代码的岗位" in html
    assert (_count(app, Assignment), _audits(app)) == before


def test_end_assignment_defaults_to_today_and_delete_asks_first(client, login, org, app):
    login("hr")
    with clock.frozen(datetime(2025, 7, 1, 4, tzinfo=UTC)):
        page = _html(client.get(f"/org/assignments/{org.current}/end"))
        assert 'value="2025-07-01"' in page
        resp = client.post(
            f"/org/assignments/{org.current}/end",
            data={"csrf_token": csrf_from(page), "end_date": "2025-07-01"},
        )
    assert resp.status_code == 302
    with ctx(app) as s:
        assert s.get(Assignment, org.current).end_date == date(2025, 7, 1)
    resp = _post_form(client, f"/org/assignments/{org.current}/end", {"end_date": "2010-01-01"})
    assert resp.status_code == 422 and "结束日期早于开始日期" in _html(resp)
    edit = _html(client.get(f"/org/assignments/{org.current}/edit"))
    delete_form = (
        rf'action="/org/assignments/{org.current}/delete"\s+class="mt-4"\s+data-confirm="[^"]+"'
    )
    assert re.search(delete_form, edit)
    resp = client.post(
        f"/org/assignments/{org.current}/delete", data={"csrf_token": csrf_from(edit)}
    )
    assert resp.status_code == 302
    with ctx(app) as s:
        assert s.get(Assignment, org.current) is None


def test_renaming_a_post_keeps_its_identity(client, login, org, app):
    login("hr")
    page = _html(client.get(f"/org/posts/{org.review}/edit"))
    assert "保留岗位" in page  # the help text says a rename keeps the post and tenure
    resp = client.post(
        f"/org/posts/{org.review}/edit",
        data={
            "csrf_token": csrf_from(page),
            "code": "POST-A2",
            "name": "执法监督岗",
            "org_unit_id": str(org.a),
            "category": "law_enforcement",
            "is_sensitive": "y",
            "rotation_years": "4",
        },
    )
    assert resp.status_code == 302
    with ctx(app) as s:
        post = s.get(Post, org.review)
        assert (post.name, post.code, post.rotation_years) == ("执法监督岗", "POST-A2", 4)
        assert s.get(Assignment, org.current).post_id == org.review
    resp = _post_form(
        client,
        f"/org/posts/{org.review}/edit",
        {
            "code": "POST-A2",
            "name": "执法监督岗",
            "org_unit_id": str(org.a),
            "category": "other",
            "rotation_years": "99",
        },
    )
    assert resp.status_code == 422 and "1 到 50" in _html(resp)


# ------------------------------------------------------------------ roles and scope


def test_leader_sees_only_their_scope(client, login, org):
    login("leader_a")
    for url in (
        f"/org/people/{org.zhao}",
        f"/org/units/{org.b}",
        f"/org/posts/{org.registry}",
        f"/org/units/{org.root}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/org/people/{org.zhang}").status_code == 200
    for url in (
        "/org/units",
        "/org/people",
        "/org/posts",
        "/org/assignments",
        "/org/units?q=派出所",
    ):
        html = _html(client.get(url))
        assert "城关派出所" not in html and "赵六" not in html and "户籍岗" not in html, url
    html = _html(client.get("/org/units"))
    assert "刑侦大队" in html and "一中队" in html and "新建单位" not in html
    assert client.get("/org/units/new").status_code == 403
    page = _html(client.get("/org/units"))
    resp = client.post(
        f"/org/people/{org.zhang}/edit", data={"csrf_token": csrf_from(page), "name": "X"}
    )
    assert resp.status_code == 403


def test_staff_gets_403_and_anonymous_is_sent_to_login(client, login, org):
    for url in ("/org/units", "/org/people"):
        assert client.get(url).status_code == 302
    login("staff")
    for url in (
        "/org/units",
        "/org/people",
        "/org/posts",
        "/org/assignments",
        f"/org/people/{org.zhao}",
    ):
        assert client.get(url).status_code == 403, url


# ------------------------------------------------------------------ bounded queries


def _grow(app, n_units: int, people_per_unit: int) -> None:
    """Add units under ROOT, each with people who hold a post."""
    with ctx(app) as s:
        root = s.scalar(sa.select(OrgUnit).where(OrgUnit.code == "ROOT"))
        for i in range(n_units):
            unit = f.unit(s, "科", parent=root, code=f"G{n_units}-{i}")
            services.update_unit(s, unit, {"head_person_id": None})
            post = Post(
                org_unit_id=unit.id, name=f"岗{i}", code=f"GP{n_units}-{i}", category="other"
            )
            s.add(post)
            s.flush()
            for j in range(people_per_unit):
                p = Person(
                    staff_no=f"G{n_units}-{i}-{j}",
                    name=f"人{j}",
                    personnel_type="police",
                    org_unit_id=unit.id,
                    leadership="none",
                )
                s.add(p)
                s.flush()
                s.add(Assignment(person_id=p.id, post_id=post.id, start_date=date(2020, 1, 1)))
        s.commit()


def _statements(count_statements, client, url) -> int:
    with count_statements() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_people_list_and_unit_tree_run_a_bounded_number_of_queries(
    client, login, org, app, count_statements
):
    login("hr")
    _grow(app, 5, 4)
    small = {
        url: _statements(count_statements, client, url)
        for url in ("/org/people", "/org/units", "/org/posts", "/org/assignments")
    }
    _grow(app, 50, 4)  # 55 more units, 220 more people
    large = {url: _statements(count_statements, client, url) for url in small}
    assert large == small
    assert max(small.values()) <= 15
    html = _html(client.get("/org/people?page=2"))
    rows = html.split('id="people"')[1].split("<tbody>")[1].split("</tbody>")[0].count("<tr")
    assert rows == 50 and "共 224 条" in html  # 4 + 5×4 + 50×4 people, 50 a page
