"""The start page by role (issue 13): each role sees its own sections and nothing of the
others'; a person with several roles sees each section once; the figures are the engine's;
an empty bureau reads well; the number of statements does not grow with the data."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from supervision.common import clock
from supervision.reminders.models import MailMessage
from tests import factories

#: 2025-09-20 10:00 in Shanghai: quarter 2025Q3 under way, 2025Q2 ended and escalated.
NOW = datetime(2025, 9, 20, 2, 0, tzinfo=UTC)
SECTIONS = (
    "home-bureau",
    "home-leader",
    "home-to-sign",
    "home-rotation",
    "home-system",
    "home-org",
)


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


def _bureau(s, officers: int = 2, extra_units: int = 0):
    """The small bureau; `officers` people on a sensitive post of the station (the first
    one had a final integrity talk in 2025Q3), `extra_units` more departments with one
    officer each."""
    rows = factories.small_bureau(s)
    post = factories.post(s, rows["station"], "案件审核岗", code="CG-CASE", is_sensitive=True)
    people = [
        factories.holder(s, post, f"民警{i}", start=date(2019, 3, 1), staff_no=f"P{i:03d}")
        for i in range(officers)
    ]
    for i in range(extra_units):
        dept = factories.unit(s, f"部门{i}", parent=rows["bureau"], code=f"D{i:03d}")
        other = factories.post(s, dept, "财务岗", code=f"D{i:03d}-F", is_sensitive=True)
        factories.holder(s, other, f"会计{i}", start=date(2019, 3, 1), staff_no=f"F{i:03d}")
    s.flush()
    factories.final_talk(
        s, people[0], [rows["head"]], datetime(2025, 9, 10, 2, tzinfo=UTC), content="机密谈话内容"
    )
    s.commit()
    return rows, people


def _page(client, login, user) -> str:
    login(user, c=client)
    resp = client.get("/")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def _sections(html: str) -> list[str]:
    return re.findall(r'<section class="mb-4" id="(home-[a-z-]+)"', html)


def test_secretary_sees_the_bureau_figures_from_the_engine(app, db, make_user, login):
    rows, people = _bureau(db.session)
    make_user("sec", ["discipline_secretary"])
    html = _page(app.test_client(), login, "sec")
    assert _sections(html) == ["home-bureau"]
    station = re.search(rf'<tr data-unit="{rows["station"].id}" data-rate="([^"]*)"', html)
    assert station and float(station.group(1)) == 0.5
    assert re.search(r'data-label="派出所\d*" data-value="0.5"', html)  # the same unit's bar
    assert re.search(r'data-total-rate="0.5"', html)
    assert "2025Q3各单位廉政提醒谈话完成情况" in html
    trend = re.findall(r'<tr data-period="(\d{4}Q\d)"', html)
    assert trend == ["2024Q4", "2025Q1", "2025Q2", "2025Q3"]
    # 2025Q2 ended on 06-30: two officers owed a talk, none held, both escalated by now.
    overdue = re.search(
        r'data-type="integrity_reminder" data-overdue="(\d+)" data-escalated="(\d+)"', html
    )
    assert overdue.groups() == ("2", "2")
    assert "/obligations/?type=integrity_reminder&amp;period=2025Q2&amp;status=overdue" in html
    assert 'href="/admin/role-grants/"' in html
    assert "机密谈话内容" not in html
    assert "<script>" not in html and ' style="' not in html  # CSP: no inline script or style


def test_member_sees_the_figures_but_not_the_grants_link(app, db, make_user, login):
    _bureau(db.session)
    make_user("mem", ["discipline_member"])
    html = _page(app.test_client(), login, "mem")
    assert _sections(html) == ["home-bureau"]
    assert 'data-count="pending_grants"' in html
    assert 'href="/admin/role-grants/"' not in html


def test_leader_sees_what_they_owe_and_their_units(app, db, make_user, login):
    rows, people = _bureau(db.session, officers=3)
    make_user("head", ["leader"], person=rows["head"])
    html = _page(app.test_client(), login, "head")
    assert _sections(html) == ["home-leader", "home-to-sign"]
    # Two officers still owed in 2025Q3 (pending), and the three overdue in each of the
    # three quarters before (my talks looks back three quarters for make-up talks).
    assert re.search(r'data-count="owed">(\d+)<', html).group(1) == "11"
    assert re.search(r'data-count="owed_overdue">(\d+)<', html).group(1) == "9"
    assert "2025Q3我分管单位廉政提醒谈话完成情况" in html
    # The officers belong to the station itself, not to its team: a row of their own.
    own = re.search(rf'<tr data-unit="{rows["station"].id}" data-rate="([^"]*)"', html)
    assert own and abs(float(own.group(1)) - 1 / 3) < 1e-9
    assert re.search(r'data-label="派出所\d*（本级）"', html)
    assert "交警大队" not in html  # outside the station's scope
    assert "home-bureau" not in html and "chart-trend" not in html


def test_staff_sees_only_their_talks_to_sign(app, db, make_user, login):
    rows, people = _bureau(db.session)
    factories.draft_talk(db.session, people[1], [rows["head"]], location="所长办公室")
    db.session.commit()
    make_user("officer", ["staff"], person=people[1])
    html = _page(app.test_client(), login, "officer")
    assert _sections(html) == ["home-to-sign"]
    assert re.search(r'data-count="to_sign">(\d+)<', html).group(1) == "1"
    for bureau_figure in ("chart-completion", "data-total-rate", 'data-count="units"', "派出所"):
        assert bureau_figure not in html


def test_hr_sees_rotation_and_never_talk_contents(app, db, make_user, login):
    _bureau(db.session)
    make_user("hr", ["hr"])
    html = _page(app.test_client(), login, "hr")
    assert _sections(html) == ["home-rotation", "home-org"]
    # Both officers reached five years on 2024-03-01: due.
    assert (
        re.search(r'data-status="due">\s*<div class="display-6[^"]*">(\d+)<', html).group(1) == "2"
    )
    assert 'data-plan-status="draft"' in html
    assert "机密谈话内容" not in html and "chart-completion" not in html


def test_admin_sees_system_health(app, db, make_user, login):
    rows, people = _bureau(db.session)
    db.session.add(MailMessage(recipient_id=people[0].id, address="a@example.org", status="failed"))
    db.session.commit()
    make_user("root", ["admin"])
    html = _page(app.test_client(), login, "root")
    assert _sections(html) == ["home-system", "home-org"]
    assert re.search(r'data-count="failed_mail">(\d+)<', html).group(1) == "1"
    assert 'href="/admin/deliveries/?status=failed"' in html
    assert 'data-year="2025"' in html
    assert "data-calendar-fallback" in html  # the calendar warning stays (no calendar rows)
    assert "机密谈话内容" not in html


def test_several_roles_see_each_section_once(app, db, make_user, login):
    rows, people = _bureau(db.session)
    make_user(
        "many",
        ["discipline_secretary", "discipline_member", "leader", "staff", "hr"],
        person=rows["head"],
    )
    html = _page(app.test_client(), login, "many")
    found = _sections(html)
    assert found == ["home-bureau", "home-leader", "home-to-sign", "home-rotation", "home-org"]
    assert html.count('id="chart-completion"') == 1


def test_an_empty_bureau_reads_well(app, db, make_user, login):
    make_user("sec", ["discipline_secretary"])
    html = _page(app.test_client(), login, "sec")
    assert "尚无组织机构" in html
    assert "这些周期内尚无应谈人员" in html
    assert "当前没有进行中的风险排查" in html
    assert "没有逾期未完成的防控措施" in html


@pytest.mark.parametrize(
    "user,roles", [("sec", ["discipline_secretary", "leader"]), ("hr", ["hr"])]
)
def test_statements_do_not_grow_with_units_or_people(
    app, db, make_user, login, count_statements, user, roles
):
    rows, _people = _bureau(db.session, officers=2, extra_units=1)
    _bureau_more(db.session, rows, 1, prefix="A")  # every list non-empty: its loads run
    make_user(user, roles, person=rows["chief"])
    client = app.test_client()
    login(user, c=client)
    with count_statements() as small:
        assert client.get("/").status_code == 200
    _bureau_more(db.session, rows, 6)
    with count_statements() as large:
        assert client.get("/").status_code == 200
    assert len(large) == len(small), (len(small), len(large))
    assert len(large) <= 130


def _bureau_more(s, rows, n: int, prefix: str = "N") -> None:
    """n more departments, each with two officers on a sensitive post and a measure past due."""
    for i in range(n):
        code = f"{prefix}{i:03d}"
        dept = factories.unit(s, f"新部门{code}", parent=rows["bureau"], code=code)
        post = factories.post(s, dept, "采购岗", code=f"{code}-P", is_sensitive=True)
        for j in range(2):
            factories.holder(
                s, post, f"新人{code}{j}", start=date(2018, 1, 1), staff_no=f"{code}{j}"
            )
        factories.risk_point(s, dept, rows["chief"], post=post, due_on=date(2025, 1, 1))
    s.commit()


def test_the_bureau_heads_own_section_reuses_the_committees_count(
    app, db, make_user, login, monkeypatch
):
    """A secretary who also leads the whole bureau sees the same bars in both sections, and
    each period is counted once per page (their scope holds the bureau's whole subtree, which
    counts what the organisation does: issue 14's start page at province scale)."""
    from supervision.home import figures

    rows, _people = _bureau(db.session, officers=3, extra_units=2)
    make_user("both", ["discipline_secretary", "leader"], person=rows["chief"])
    counted = []
    summary = figures.engine.summary

    def spy(session, period, types, **kw):
        counted.append(str(period))
        return summary(session, period, types, **kw)

    monkeypatch.setattr(figures.engine, "summary", spy)
    html = _page(app.test_client(), login, "both")
    assert _sections(html)[:2] == ["home-bureau", "home-leader"]
    assert len(counted) == len(set(counted)), counted
    bureau, leader = (
        html[html.index(f'id="{s}"') : html.index("</section>", html.index(f'id="{s}"'))]
        for s in ("home-bureau", "home-leader")
    )
    rates = re.compile(r'<tr data-unit="(\d+)" data-rate="([^"]*)"')
    assert rates.findall(bureau) and rates.findall(leader) == rates.findall(bureau)
