"""The rotation pages (SPEC §7): eligibility list with filters and counts, a person's tenure
timeline, plans from draft to execution, deferrals, holds, the policy; who may see what (a
hold's reason never reaches HR), inline validation that keeps the input, bounded queries."""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from supervision.common import clock
from supervision.extensions import db as _db
from supervision.org.models import Assignment, Person
from supervision.rotation import eligibility, plans, services
from supervision.rotation.models import (
    RotationDeferral,
    RotationHold,
    RotationPlan,
    RotationPlanItem,
)
from tests import factories as f
from tests.conftest import csrf_from

AS_OF = datetime(2025, 9, 20, 2, tzinfo=UTC)  # 2025-09-20 10:00 local
TODAY = date(2025, 9, 20)
SECRET = "涉嫌违规插手案件正在核查"


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(AS_OF):
        yield


@contextlib.contextmanager
def ctx(app):
    """An app context with a clean session (requests get their own contexts)."""
    with app.app_context():
        try:
            yield _db.session
        finally:
            _db.session.remove()


@pytest.fixture
def org(app):
    """Bureau > station > team, and traffic. Holders of sensitive posts on 2025-09-20:
    due: 甲 (team, since 2019), 丙 (auxiliary, traffic, 3 years passed); upcoming: 丁;
    not due: 乙; blocked: 戊 (a hold with a secret reason); deferred: 己; on probation: 庚."""
    with ctx(app) as s:
        bureau = f.unit(s, "东湖分局", kind="branch", code="DH")
        station = f.unit(s, "城关派出所", kind="station", parent=bureau, code="CG")
        team = f.unit(s, "社区中队", kind="team", parent=station, code="CG-T")
        traffic = f.unit(s, "交警大队", parent=bureau, code="JJ")
        registry = f.post(s, team, "户籍岗", code="T-REG", is_sensitive=True, category="licensing")
        accident = f.post(
            s, traffic, "事故处理岗", code="J-ACC", is_sensitive=True, category="traffic"
        )
        office = f.post(s, station, "综合岗", code="CG-OFF")
        sworn = f.post(
            s,
            station,
            "案件审核岗",
            code="CG-CASE",
            is_sensitive=True,
            sworn_only=True,
            category="law_enforcement",
        )
        people = {}
        for key, name, unit, ptype, post, start, extra in (
            ("a", "甲", team, "police", registry, date(2019, 3, 1), {}),
            ("b", "乙", team, "police", registry, date(2024, 1, 1), {}),
            ("c", "丙", traffic, "auxiliary", accident, date(2022, 6, 1), {}),
            ("d", "丁", team, "police", registry, date(2020, 12, 1), {}),
            ("e", "戊", traffic, "police", accident, date(2018, 1, 1), {}),
            ("g", "己", traffic, "police", accident, date(2018, 5, 1), {}),
            (
                "h",
                "庚",
                team,
                "police",
                registry,
                date(2019, 1, 1),
                {"probation_until": date(2025, 12, 31)},
            ),
        ):
            people[key] = f.person(
                s, unit, name, personnel_type=ptype, staff_no=f"R-{key.upper()}", **extra
            )
            f.assign(s, people[key], post, start=start)
        head = f.person(s, station, "李所长", staff_no="HEAD", leadership="department_head")
        s.flush()
        services.create_hold(s, {"person_id": people["e"].id, "reason": SECRET}, None)
        services.create_deferral(
            s,
            {
                "person_id": people["g"].id,
                "reason": "专项工作需要",
                "meeting_date": date(2025, 8, 1),
                "minutes_no": "〔2025〕9号",
                "expires_on": date(2026, 6, 30),
            },
            None,
        )
        f.user(s, "hr", ["hr"])
        f.user(s, "secretary", ["discipline_secretary"])
        f.user(s, "member", ["discipline_member"])
        f.user(s, "admin", ["admin"])
        f.user(s, "leader", ["leader"], person=head)
        f.user(s, "staff", ["staff"], person=people["b"])
        s.commit()
        return SimpleNamespace(
            bureau=bureau.id,
            station=station.id,
            team=team.id,
            traffic=traffic.id,
            registry=registry.id,
            accident=accident.id,
            office=office.id,
            sworn=sworn.id,
            **{k: p.id for k, p in people.items()},
        )


def _html(resp) -> str:
    return resp.get_data(as_text=True)


def _as(app, login, username):
    return login(username, c=app.test_client())


def _post(client, url, data, page_url=None):
    token = csrf_from(_html(client.get(page_url or url)))
    return client.post(url, data={"csrf_token": token, **data})


def _rows(html: str) -> list[str]:
    """The person ids of the eligibility table's rows, in order."""
    return re.findall(r'<tr data-person="(\d+)" data-post', html)


def _statuses(html: str) -> dict[str, str]:
    body = html.split('id="eligibility"', 1)[1]
    return dict(re.findall(r'<tr data-person="(\d+)".*?data-status="(\w+)"', body, re.S))


# ------------------------------------------------------------------ eligibility list


def test_the_list_shows_every_holder_with_status_counts_and_reasons(app, org, login):
    c = _as(app, login, "hr")
    resp = c.get("/rotation/")
    html = _html(resp)
    assert resp.status_code == 200
    for word in (
        "轮岗资格",
        "资格名单",
        "轮岗计划",
        "应轮",
        "试用期",
        "纪委暂不同意转任",
        "暂缓轮岗",
    ):
        assert word in html, word
    statuses = _statuses(html)
    assert statuses == {
        str(org.a): "due",
        str(org.c): "due",
        str(org.d): "upcoming",
        str(org.b): "not_due",
        str(org.e): "blocked",
        str(org.g): "deferred",
        str(org.h): "due",
    }
    chips = dict(re.findall(r'data-chip="(\w+)"[^>]*>[^<]*<span[^>]*>(\d+)</span>', html))
    assert chips == {
        "blocked": "1",
        "planned": "0",
        "deferred": "1",
        "due": "3",
        "upcoming": "1",
        "not_due": "1",
    }
    # The engine's order: most urgent first.
    with ctx(app) as s:
        expected = [str(r.person_id) for r in eligibility.compute(s, TODAY)]
    assert _rows(html) == expected
    row_a = html.split(f'<tr data-person="{org.a}"', 1)[1].split("</tr>", 1)[0]
    assert "2019-03-01" in row_a and "2024-03-01" in row_a and "6.6" in row_a
    row_h = html.split(f'<tr data-person="{org.h}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-reason="probation"' in row_h
    row_e = html.split(f'<tr data-person="{org.e}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-reason="under_review"' in row_e and "纪委暂不同意转任" in row_e
    assert f'href="/rotation/people/{org.a}"' in html
    assert SECRET not in html


def test_filters_status_unit_category_type_and_date(app, org, login):
    c = _as(app, login, "member")
    html = _html(c.get("/rotation/?status=due"))
    assert sorted(_rows(html)) == sorted([str(org.a), str(org.c), str(org.h)])
    assert 'class="nav-link py-1 active" data-chip="due"' in html
    html = _html(c.get(f"/rotation/?org_unit_id={org.traffic}"))
    assert sorted(_rows(html)) == sorted([str(org.c), str(org.e), str(org.g)])
    html = _html(c.get(f"/rotation/?org_unit_id={org.station}"))  # the station's subtree
    assert sorted(_rows(html)) == sorted([str(org.a), str(org.b), str(org.d), str(org.h)])
    html = _html(c.get("/rotation/?post_category=traffic&personnel_type=auxiliary"))
    assert _rows(html) == [str(org.c)]
    # In 2022 甲 was still upcoming... not even that: due on 2024-03-01.
    html = _html(c.get("/rotation/?as_of=2023-06-01&status=due"))
    assert str(org.a) not in _rows(html)
    assert _statuses(_html(c.get("/rotation/?as_of=2023-12-01")))[str(org.a)] == "upcoming"
    html = _html(c.get("/rotation/?as_of=2025-13-40"))
    assert "is-invalid" in html and len(_rows(html)) == 7
    assert c.get("/rotation/?org_unit_id=999999").status_code == 404
    html = _html(c.get("/rotation/?status=planned"))
    assert _rows(html) == [] and 'id="eligibility-empty"' in html


def test_the_empty_list(app, login, make_user):
    make_user("hr", ["hr"])
    c = _as(app, login, "hr")
    html = _html(c.get("/rotation/"))
    assert 'id="eligibility-empty"' in html and 'id="add-to-plan"' not in html


def test_pages_are_for_rotation_readers_only(app, org, login):
    with ctx(app) as s:
        plan = plans.create_plan(s, {"name": "计划", "items": []}, None)
        deferral = s.scalar(sa.select(RotationDeferral.id))
        hold = s.scalar(sa.select(RotationHold.id))
        s.commit()
        plan_id = plan.id
    pages = [
        "/rotation/",
        f"/rotation/people/{org.a}",
        "/rotation/plans",
        f"/rotation/plans/{plan_id}",
        "/rotation/deferrals",
        "/rotation/policy",
        "/rotation/holds",
    ]
    for username in ("leader", "staff"):
        c = _as(app, login, username)
        for url in pages + [
            f"/rotation/plans/{plan_id}/delete",
            "/rotation/deferrals/new",
            f"/rotation/deferrals/{deferral}/revoke",
            "/rotation/holds/new",
            f"/rotation/holds/{hold}/release",
            "/rotation/posts.json",
        ]:
            assert c.get(url).status_code == 403, (username, url)
        assert "/rotation/" not in _html(c.get("/"))  # no nav link either
    anonymous = app.test_client()
    assert anonymous.get("/rotation/").status_code in (302, 401)
    hr = _as(app, login, "hr")
    assert hr.get("/rotation/holds").status_code == 403
    assert hr.get("/rotation/holds/new").status_code == 403
    assert hr.get(f"/rotation/holds/{hold}/release").status_code == 403
    home = _html(hr.get("/"))
    assert 'href="/rotation/"' in home and 'href="/reports' in home
    for username in ("admin", "member", "secretary"):
        c = _as(app, login, username)
        for url in pages[:-1]:
            assert c.get(url).status_code == 200, (username, url)
    member = _as(app, login, "member")
    assert _post(member, "/rotation/plans", {"name": "x"}).status_code == 403
    assert (
        _post(member, f"/rotation/plans/{plan_id}/approve", {}, "/rotation/policy").status_code
        == 403
    )
    assert _post(member, "/rotation/deferrals/new", {}, "/rotation/policy").status_code == 403
    assert _post(member, "/rotation/policy", {"police_years": "6"}).status_code == 403
    assert member.get("/rotation/holds").status_code == 200


# ------------------------------------------------------------------ the hold's reason


def test_hr_never_sees_a_hold_reason(app, org, login):
    with ctx(app) as s:
        plan = plans.create_plan(
            s,
            {"name": "含受审查人员", "items": [{"person_id": org.g, "from_post_id": org.accident}]},
            None,
        )
        s.commit()
        plan_id = plan.id
        s.execute(
            sa.insert(RotationPlanItem).values(
                plan_id=plan_id, position=1, person_id=org.e, from_post_id=org.accident
            )
        )
        s.commit()
    hr = _as(app, login, "hr")
    person = _html(hr.get(f"/rotation/people/{org.e}"))
    assert 'id="blocked"' in person and "纪委暂不同意转任" in person
    assert 'id="hold-history"' not in person
    urls = [
        "/rotation/",
        "/rotation/?status=blocked",
        f"/rotation/people/{org.e}",
        "/rotation/plans",
        "/rotation/deferrals?show=all",
        f"/rotation/plans/{plan_id}",
        "/rotation/policy",
    ]
    admin = _as(app, login, "admin")
    for url in urls:
        assert SECRET not in _html(hr.get(url)), url
        assert SECRET not in _html(admin.get(url)), url
    # The plan names the problem (blocked) without the reason.
    assert 'data-problem="under_review"' in _html(hr.get(f"/rotation/plans/{plan_id}"))
    assert admin.get("/rotation/holds").status_code == 403
    # Flagging the blocked person answers why not, without the reason.
    resp = _post(
        hr,
        "/rotation/",
        {"candidate": f"{org.e}:{org.accident}", "plan_id": "", "new_plan_name": "第三季度"},
    )
    assert resp.status_code == 422 and SECRET not in _html(resp)
    secretary = _as(app, login, "secretary")
    person = _html(secretary.get(f"/rotation/people/{org.e}"))
    assert SECRET in person and 'id="hold-history"' in person
    assert SECRET in _html(secretary.get("/rotation/holds"))


# ------------------------------------------------------------------ a person's timeline


def test_the_timeline_shows_stints_gaps_and_the_computed_tenure(app, org, login):
    with ctx(app) as s:
        a = s.get(Person, org.a)
        old = s.scalar(sa.select(Assignment).where(Assignment.person_id == a.id))
        old.end_date = date(2020, 6, 30)
        # A gap of 99 days (under the 365-day tolerance) then back; and a long-ago stint in
        # traffic with a gap over the tolerance.
        f.assign(s, a, s.get(type(old.post), org.registry), start=date(2020, 10, 8))
        f.assign(
            s,
            a,
            s.get(type(old.post), org.accident),
            start=date(2010, 1, 1),
            end=date(2011, 12, 31),
        )
        f.assign(
            s, a, s.get(type(old.post), org.accident), start=date(2013, 6, 1), end=date(2014, 1, 31)
        )
        f.assign(
            s, a, s.get(type(old.post), org.office), start=date(2015, 1, 1), end=date(2018, 12, 31)
        )
        services.create_deferral(
            s,
            {
                "person_id": a.id,
                "reason": "旧的决定",
                "meeting_date": date(2024, 1, 1),
                "minutes_no": "〔2024〕1号",
                "expires_on": date(2024, 12, 31),
            },
            None,
        )
        s.commit()
    c = _as(app, login, "hr")
    html = _html(c.get(f"/rotation/people/{org.a}"))
    registry = html.split(f'id="tenure-{org.registry}"', 1)[1].split("</section>", 1)[0]
    assert '<dd class="col-6 col-md-3 col-lg-2 tenure-start">2019-03-01</dd>' in registry
    assert "2024-03-01" in registry and 'data-status="due"' in registry
    assert "99" in registry and "2020-07-01" in registry and "2020-10-07" in registry
    assert "the tenure starts again" not in registry and "重新计算" not in registry
    traffic = html.split(f'id="tenure-{org.accident}"', 1)[1].split("</section>", 1)[0]
    assert "table-light gap" in traffic and "重新计算" in traffic and "not-held" in traffic
    assert f'id="tenure-{org.office}"' not in html  # not sensitive: only in the list below
    assignments = html.split('id="assignments"', 1)[1].split("</table>", 1)[0]
    starts = re.findall(r'<td class="start">([\d-]+)</td>', assignments)
    assert starts == sorted(starts) and len(starts) == 5
    deferrals = html.split('id="deferrals"', 1)[1].split("</table>", 1)[0]
    assert "〔2024〕1号" in deferrals and 'data-state="expired"' in deferrals
    assert _html(c.get(f"/rotation/people/{org.g}")).count('data-state="in_force"') == 1
    assert c.get("/rotation/people/999999").status_code == 404


# ------------------------------------------------------------------ plans


def _new_plan_from_list(client, org, *candidates, name="2025年第三季度轮岗交流计划"):
    return _post(
        client,
        "/rotation/?status=due",
        {
            "candidate": [f"{pid}:{post}" for pid, post in candidates],
            "plan_id": "",
            "new_plan_name": name,
        },
    )


def test_flagging_candidates_creates_a_plan_or_keeps_the_input(app, org, login):
    hr = _as(app, login, "hr")
    resp = _new_plan_from_list(hr, org, (org.a, org.registry), name="")
    html = _html(resp)
    assert resp.status_code == 422 and 'id="candidates-errors"' in html
    assert re.search(rf'value="{org.a}:{org.registry}"[^>]*checked', html)
    assert not re.search(rf'value="{org.c}:{org.accident}"[^>]*checked', html)
    # The ticks are kept across requests (issue 13) until added or cleared: clear them.
    assert _post(hr, "/rotation/", {"view": ["filter", "clear"]}).status_code == 303
    resp = _post(hr, "/rotation/", {"plan_id": "", "new_plan_name": "空计划"})
    assert resp.status_code == 422 and 'value="空计划"' in _html(resp)
    assert _html(resp).count("<tr data-person=") == 7  # the list is still shown
    resp = _new_plan_from_list(
        hr, org, (org.a, org.registry), (org.c, org.accident), (org.a, org.registry)
    )
    assert resp.status_code == 302
    plan_url = resp.headers["Location"]
    with ctx(app) as s:
        plan = s.scalar(sa.select(RotationPlan))
        assert plan.name == "2025年第三季度轮岗交流计划" and plan.status == "draft"
        assert [(i.person_id, i.from_post_id) for i in plan.items] == [
            (org.a, org.registry),
            (org.c, org.accident),
        ]
        plan_id = plan.id
    assert plan_url.endswith(f"/rotation/plans/{plan_id}")
    # Into the existing draft: people already there are skipped.
    resp = _post(
        hr,
        "/rotation/",
        {
            "candidate": [f"{org.a}:{org.registry}", f"{org.d}:{org.registry}"],
            "plan_id": str(plan_id),
            "new_plan_name": "",
        },
    )
    assert resp.status_code == 302
    with ctx(app) as s:
        assert [i.person_id for i in s.get(RotationPlan, plan_id).items] == [org.a, org.c, org.d]
    assert re.search(
        rf'<tr data-plan="{plan_id}">.*?<td>3</td>', _html(hr.get("/rotation/plans")), re.S
    )


def _draft(app, org, *people):
    with ctx(app) as s:
        plan = f.rotation_plan(s, people, name="草稿计划")
        s.commit()
        return plan.id


def test_the_editor_validates_codes_and_dates_and_keeps_the_input(app, org, login):
    plan_id = _draft(app, org, (org.a, org.registry), (org.c, org.accident))
    hr = _as(app, login, "hr")
    url = f"/rotation/plans/{plan_id}"
    html = _html(hr.get(url))
    assert 'id="plan-editor"' in html and '<datalist id="post-options"' in html
    assert 'value="CG-OFF"' in html
    resp = _post(
        hr,
        url,
        {
            "name": "草稿计划",
            "items-0-person_id": str(org.a),
            "items-0-to_post_code": "NOPE",
            "items-0-effective_date": "2025-10-01",
            "items-1-person_id": str(org.c),
            "items-1-to_post_code": "CG-CASE",
            "items-1-effective_date": "",
            "action": "submit",
        },
    )
    html = _html(resp)
    assert resp.status_code == 422
    assert 'value="NOPE"' in html and 'value="2025-10-01"' in html
    assert re.search(
        r'id="items-0-to_post_code"[^>]*>\s*<div class="invalid-feedback">[^<]+</div>', html
    )
    with ctx(app) as s:
        plan = s.get(RotationPlan, plan_id)
        assert plan.status == "draft" and plan.items[0].to_post_id is None
    # Saving a valid destination for 甲 and the sworn-only post for the auxiliary 丙.
    resp = _post(
        hr,
        url,
        {
            "name": "第三季度计划",
            "items-0-person_id": str(org.a),
            "items-0-to_post_code": "CG-OFF",
            "items-0-effective_date": "2025-10-01",
            "items-1-person_id": str(org.c),
            "items-1-to_post_code": "CG-CASE",
            "items-1-effective_date": "2025-10-01",
            "action": "save",
        },
    )
    assert resp.status_code == 422  # 丙 is auxiliary: sworn-only post refused on save
    assert "CG-CASE" in _html(resp)
    resp = _post(
        hr,
        url,
        {
            "name": "第三季度计划",
            "items-0-person_id": str(org.a),
            "items-0-to_post_code": "CG-OFF",
            "items-0-effective_date": "2025-10-01",
            "items-1-person_id": str(org.c),
            "items-1-to_post_code": "",
            "items-1-effective_date": "",
            "action": "save",
        },
    )
    assert resp.status_code == 302
    # Submitting with 丙's destination missing: the date and post are asked for inline.
    resp = _post(
        hr,
        url,
        {
            "name": "第三季度计划",
            "items-0-person_id": str(org.a),
            "items-0-to_post_code": "CG-OFF",
            "items-0-effective_date": "2025-10-01",
            "items-1-person_id": str(org.c),
            "items-1-to_post_code": "",
            "items-1-effective_date": "",
            "action": "submit",
        },
    )
    html = _html(resp)
    assert resp.status_code == 422
    assert re.search(r'id="items-1-effective_date"[^>]*>\s*<div class="invalid-feedback">', html)
    with ctx(app) as s:
        plan = s.get(RotationPlan, plan_id)
        assert plan.name == "第三季度计划" and plan.status == "draft"
        assert plan.items[0].to_post.code == "CG-OFF" and plan.items[0].effective_date == date(
            2025, 10, 1
        )


def test_problems_show_inline_and_people_come_and_go(app, org, login):
    plan_id = _draft(app, org, (org.a, org.registry))
    with ctx(app) as s:
        services.create_hold(s, {"person_id": org.a, "reason": SECRET}, None)
        s.commit()
    hr = _as(app, login, "hr")
    url = f"/rotation/plans/{plan_id}"
    html = _html(hr.get(url))
    assert 'data-problem="under_review"' in html and SECRET not in html
    # Adding 庚 (on probation) is refused with the reason next to the staff number.
    resp = _post(hr, f"{url}/add", {"staff_no": "R-H", "from_post_code": "T-REG"}, url)
    html = _html(resp)
    assert resp.status_code == 422 and 'value="R-H"' in html
    assert re.search(r'id="staff_no"[^>]*>\s*<div class="invalid-feedback">', html)
    resp = _post(hr, f"{url}/add", {"staff_no": "NOBODY", "from_post_code": "T-REG"}, url)
    assert resp.status_code == 422 and "NOBODY" in _html(resp)
    resp = _post(hr, f"{url}/remove", {"person_id": str(org.a)}, url)
    assert resp.status_code == 302
    resp = _post(hr, f"{url}/add", {"staff_no": "R-D", "from_post_code": "T-REG"}, url)
    assert resp.status_code == 302
    with ctx(app) as s:
        assert [i.person_id for i in s.get(RotationPlan, plan_id).items] == [org.d]
    html = _html(hr.get(url))
    assert "data-problem" not in html


def test_delete_a_draft_after_confirmation(app, org, login):
    plan_id = _draft(app, org, (org.a, org.registry))
    hr = _as(app, login, "hr")
    page = hr.get(f"/rotation/plans/{plan_id}/delete")
    assert page.status_code == 200 and 'id="confirm"' in _html(page)
    with ctx(app) as s:
        assert s.get(RotationPlan, plan_id) is not None  # GET changes nothing
    resp = _post(hr, f"/rotation/plans/{plan_id}/delete", {})
    assert resp.status_code == 302
    with ctx(app) as s:
        assert s.get(RotationPlan, plan_id) is None
    assert hr.get(f"/rotation/plans/{plan_id}").status_code == 404


def _submitted(app, org):
    with ctx(app) as s:
        plan = f.rotation_plan(
            s,
            [(org.a, org.registry, org.office, date(2025, 10, 1))],
            name="待批计划",
            status="submitted",
        )
        s.commit()
        return plan.id


def test_the_secretary_approves_with_meeting_and_minutes_then_hr_executes(app, org, login):
    plan_id = _submitted(app, org)
    url = f"/rotation/plans/{plan_id}"
    hr = _as(app, login, "hr")
    assert 'id="approve-form"' not in _html(hr.get(url)) and 'id="awaiting"' in _html(hr.get(url))
    assert (
        _post(
            hr, f"{url}/approve", {"meeting_date": "2025-09-25", "minutes_no": "1"}, url
        ).status_code
        == 403
    )
    # A submitted plan is no longer edited: 409, said on the page, nothing changed.
    resp = _post(
        hr,
        url,
        {
            "name": "改名",
            "items-0-person_id": str(org.a),
            "items-0-to_post_code": "J-ACC",
            "items-0-effective_date": "2025-11-01",
            "action": "save",
        },
    )
    assert resp.status_code == 409 and 'class="alert alert-warning"' in _html(resp)
    with ctx(app) as s:
        assert s.get(RotationPlan, plan_id).name == "待批计划"
    sec = _as(app, login, "secretary")
    assert 'id="approve-form"' in _html(sec.get(url)) and 'id="plan-editor"' not in _html(
        sec.get(url)
    )
    resp = _post(
        sec,
        f"{url}/approve",
        {"meeting_date": "2025-09-25", "minutes_no": "", "comment": "同意"},
        url,
    )
    html = _html(resp)
    assert resp.status_code == 422 and 'value="2025-09-25"' in html and "同意" in html
    assert re.search(r'id="minutes_no"[^>]*>\s*<div class="invalid-feedback">', html)
    resp = _post(sec, f"{url}/reject", {"comment": ""}, url)
    assert resp.status_code == 422
    resp = _post(
        sec,
        f"{url}/approve",
        {"meeting_date": "2025-09-25", "minutes_no": "〔2025〕12号", "comment": "同意"},
        url,
    )
    assert resp.status_code == 302
    html = _html(sec.get(url))
    assert "〔2025〕12号" in html and "2025-09-25" in html and 'data-plan-status="approved"' in html
    # Planned now on the list.
    assert _statuses(_html(hr.get("/rotation/")))[str(org.a)] == "planned"
    # HR carries it out from the confirmation page.
    page = _html(hr.get(f"{url}/execute"))
    assert (
        '<td class="last-day">2025-09-30</td>' in page
        and '<td class="first-day">2025-10-01</td>' in page
    )
    with ctx(app) as s:
        assert s.get(RotationPlan, plan_id).status == "approved"
    assert _post(sec, f"{url}/execute", {}, url).status_code == 403
    resp = _post(hr, f"{url}/execute", {})
    assert resp.status_code == 302
    with ctx(app) as s:
        moves = s.scalars(
            sa.select(Assignment)
            .where(Assignment.person_id == org.a)
            .order_by(Assignment.start_date)
        ).all()
        assert [(m.post_id, m.start_date, m.end_date) for m in moves] == [
            (org.registry, date(2019, 3, 1), date(2025, 9, 30)),
            (org.office, date(2025, 10, 1), None),
        ]
    html = _html(hr.get(url))
    assert '<td class="closed">2019-03-01 至 2025-09-30</td>' in html
    assert "2025-10-01" in html.split('<td class="opened">', 1)[1][:60]
    resp = _post(hr, f"{url}/execute", {}, url)  # twice: refused, nothing changes
    assert resp.status_code == 409


def test_rejection_needs_a_reason(app, org, login):
    plan_id = _submitted(app, org)
    sec = _as(app, login, "secretary")
    url = f"/rotation/plans/{plan_id}"
    resp = _post(sec, f"{url}/reject", {"comment": "人选需进一步研究"}, url)
    assert resp.status_code == 302
    html = _html(sec.get(url))
    assert 'data-plan-status="rejected"' in html and "人选需进一步研究" in html
    assert 'id="approve-form"' not in html


# ------------------------------------------------------------------ deferrals and holds


def test_deferrals_need_the_committee_decision_and_can_be_revoked(app, org, login):
    hr = _as(app, login, "hr")
    html = _html(hr.get(f"/rotation/deferrals/new?person_id={org.a}"))
    assert 'value="R-A"' in html
    resp = _post(
        hr,
        "/rotation/deferrals/new",
        {
            "staff_no": "R-A",
            "reason": "  ",
            "meeting_date": "",
            "minutes_no": "",
            "expires_on": "2026-13-01",
        },
    )
    html = _html(resp)
    assert resp.status_code == 422 and 'value="R-A"' in html and 'value="2026-13-01"' in html
    for field in ("reason", "meeting_date", "minutes_no", "expires_on"):
        assert re.search(
            rf'id="{field}"[^>]*>\s*(</textarea>)?\s*<div class="invalid-feedback">', html
        ), field
    resp = _post(
        hr,
        "/rotation/deferrals/new",
        {
            "staff_no": "NOBODY",
            "reason": "工作需要",
            "meeting_date": "2025-09-01",
            "minutes_no": "〔2025〕10号",
            "expires_on": "2026-03-31",
        },
    )
    assert resp.status_code == 422 and "工作需要" in _html(resp)
    resp = _post(
        hr,
        "/rotation/deferrals/new",
        {
            "staff_no": "R-A",
            "reason": "工作需要",
            "meeting_date": "2025-09-01",
            "minutes_no": "〔2025〕10号",
            "expires_on": "2026-03-31",
        },
    )
    assert resp.status_code == 302
    assert _statuses(_html(hr.get("/rotation/")))[str(org.a)] == "deferred"
    with ctx(app) as s:
        deferral_id = s.scalar(
            sa.select(RotationDeferral.id).where(RotationDeferral.person_id == org.a)
        )
    listing = _html(hr.get("/rotation/deferrals"))
    assert "〔2025〕10号" in listing and "〔2025〕9号" in listing
    page = hr.get(f"/rotation/deferrals/{deferral_id}/revoke")
    assert page.status_code == 200 and "〔2025〕10号" in _html(page)
    assert _post(hr, f"/rotation/deferrals/{deferral_id}/revoke", {}).status_code == 302
    assert "〔2025〕10号" not in _html(hr.get("/rotation/deferrals"))
    assert "〔2025〕10号" in _html(hr.get("/rotation/deferrals?show=all"))
    assert (
        _post(
            hr, f"/rotation/deferrals/{deferral_id}/revoke", {}, "/rotation/deferrals"
        ).status_code
        == 409
    )
    assert _statuses(_html(hr.get("/rotation/")))[str(org.a)] == "due"


def test_holds_placed_and_released_by_the_committee(app, org, login):
    member = _as(app, login, "member")
    resp = _post(member, "/rotation/holds/new", {"staff_no": "R-A", "reason": ""})
    assert resp.status_code == 422 and 'value="R-A"' in _html(resp)
    resp = _post(member, "/rotation/holds/new", {"staff_no": "R-E", "reason": "再次"})
    assert resp.status_code == 409 and "再次" in _html(resp)
    resp = _post(member, "/rotation/holds/new", {"staff_no": "R-A", "reason": "信访举报核查中"})
    assert resp.status_code == 302
    assert _statuses(_html(member.get("/rotation/")))[str(org.a)] == "blocked"
    with ctx(app) as s:
        hold_id = s.scalar(sa.select(RotationHold.id).where(RotationHold.person_id == org.a))
    page = _html(member.get(f"/rotation/holds/{hold_id}/release"))
    assert "信访举报核查中" in page and 'id="confirm"' in page
    assert _post(member, f"/rotation/holds/{hold_id}/release", {}).status_code == 302
    assert "信访举报核查中" not in _html(member.get("/rotation/holds"))
    assert "信访举报核查中" in _html(member.get("/rotation/holds?show=all"))
    assert _statuses(_html(member.get("/rotation/")))[str(org.a)] == "due"


# ------------------------------------------------------------------ policy


def test_the_policy_page(app, org, login):
    member = _as(app, login, "member")
    html = _html(member.get("/rotation/policy"))
    # The committee may try a change (预览影响, issue 13) but not save it.
    assert 'id="preview-button"' in html and 'id="save-button"' not in html
    assert re.search(r'id="police_years"[^>]*value="5"|value="5"[^>]*id="police_years"', html)
    hr = _as(app, login, "hr")
    data = {
        "police_years": "0",
        "auxiliary_years": "3",
        "leader_years": "10",
        "tenure_mode": "continuous",
        "gap_tolerance_days": "abc",
        "upcoming_days": "180",
        "retirement_window_days": "730",
    }
    resp = _post(hr, "/rotation/policy", data)
    html = _html(resp)
    assert resp.status_code == 422 and 'value="abc"' in html and 'value="0"' in html
    for field in ("police_years", "gap_tolerance_days"):
        assert re.search(rf'id="{field}"[^>]*>\s*<div class="invalid-feedback">', html), field
    resp = _post(hr, "/rotation/policy", {**data, "police_years": "6", "gap_tolerance_days": "365"})
    assert resp.status_code == 302
    assert re.search(r'id="police_years"[^>]*value="6"', _html(member.get("/rotation/policy")))
    assert 'value="6"' in _html(_as(app, login, "admin").get("/rotation/policy"))


# ------------------------------------------------------------------ bounded queries


def _bulk(app, org, start, count):
    with ctx(app) as s:
        s.execute(
            sa.insert(Person),
            [
                {
                    "staff_no": f"BULK{i:06d}",
                    "name": f"民警{i}",
                    "personnel_type": "police",
                    "org_unit_id": org.team,
                    "leadership": "none",
                    "is_active": True,
                }
                for i in range(start, start + count)
            ],
        )
        ids = s.scalars(
            sa.select(Person.id).where(
                Person.staff_no.like("BULK%"), Person.staff_no >= f"BULK{start:06d}"
            )
        ).all()
        s.execute(
            sa.insert(Assignment),
            [
                {"person_id": pid, "post_id": org.registry, "start_date": date(2018, 1, 1)}
                for pid in ids
            ],
        )
        s.commit()


def _statements(count_statements, client, url) -> int:
    with count_statements() as statements:
        resp = client.get(url)
    assert resp.status_code == 200, url
    return len(statements)


def test_list_queries_are_bounded(app, org, login, count_statements):
    hr = _as(app, login, "hr")
    urls = [
        "/rotation/",
        f"/rotation/?status=due&org_unit_id={org.station}&page=2",
        "/rotation/plans",
        "/rotation/deferrals?show=all",
    ]
    _bulk(app, org, 0, 60)
    for url in urls:
        hr.get(url)
    small = [_statements(count_statements, hr, url) for url in urls]
    _bulk(app, org, 60, 600)
    large = [_statements(count_statements, hr, url) for url in urls]
    assert small == large
    assert len(_rows(_html(hr.get("/rotation/?status=due&page=2")))) == 50
