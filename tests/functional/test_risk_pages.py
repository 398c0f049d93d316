"""The risk inventory pages: inventory, point form with inline measures, workflow, heat map,
campaigns, settings, who may see what, and a bounded number of queries at 1,000 points."""

from __future__ import annotations

import contextlib
import re
from datetime import date
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.extensions import db as _db
from supervision.org import services as org_services
from supervision.risks import services
from supervision.risks.models import Measure, RiskApproval, RiskCampaign, RiskPoint
from supervision.risks.settings import get_risk_settings
from tests import factories as f
from tests.conftest import csrf_from


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
    """Bureau > station A (head 李所长, leader) and traffic unit B (head 赵队长, leader)."""
    with ctx(app) as s:
        root = f.unit(s, "东湖分局", kind="branch", code="ROOT")
        a = f.unit(s, "城关派出所", kind="station", parent=root, code="A")
        b = f.unit(s, "交警大队", parent=root, code="B")
        chief = f.person(s, root, name="王局长", staff_no="TM01", leadership="team_member")
        head_a = f.person(s, a, name="李所长", staff_no="HA01", leadership="department_head")
        cop = f.person(s, a, name="张民警", staff_no="PA02")
        head_b = f.person(s, b, name="赵队长", staff_no="HB01", leadership="department_head")
        org_services.update_unit(
            s, a, {"head_person_id": head_a.id, "supervising_leader_id": chief.id}
        )
        org_services.update_unit(s, b, {"head_person_id": head_b.id})
        case = f.post(s, a, name="案件审核岗", code="A-CASE", is_sensitive=True)
        registry = f.post(s, a, name="户籍岗", code="A-REG", is_sensitive=True)
        accident = f.post(s, b, name="事故处理岗", code="B-ACC", is_sensitive=True)
        f.user(s, "secretary", ["discipline_secretary"])
        f.user(s, "member", ["discipline_member"])
        f.user(s, "leader_a", ["leader"], person=head_a)
        f.user(s, "leader_b", ["leader"], person=head_b)
        f.user(s, "hr", ["hr"])
        f.user(s, "admin", ["admin"])
        f.user(s, "staff", ["staff"], person=cop)
        s.commit()
        return SimpleNamespace(
            root=root.id,
            a=a.id,
            b=b.id,
            chief=chief.id,
            head_a=head_a.id,
            cop=cop.id,
            head_b=head_b.id,
            case=case.id,
            registry=registry.id,
            accident=accident.id,
        )


def _point(app, unit_id, post_id, owner_id, title="违规处置涉案财物", **extra):
    with ctx(app) as s:
        point = f.risk_point(
            s, unit_id, owner_id, title, post=post_id, due_on=date(2020, 1, 1), **extra
        )
        s.commit()
        return point.id


def _html(resp) -> str:
    return resp.get_data(as_text=True)


def _client(app, login, username):
    return login(username, c=app.test_client())


def _post(client, url, data, page_url=None):
    token = csrf_from(_html(client.get(page_url or url)))
    return client.post(url, data={"csrf_token": token, **data})


def _count(app, model, *where) -> int:
    with ctx(app) as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


# ------------------------------------------------------------------ rendering


def test_pages_render_in_chinese(app, client, login, org):
    pid = _point(app, org.a, org.case, org.head_a)
    login("secretary")
    pages = {
        "/risks/": [
            "廉政风险点排查清单",
            "违规处置涉案财物",
            "岗位职责",
            "二级",
            "草稿",
            "双人保管",
            "风险等级",
            "城关派出所",
            "1 项逾期",
        ],
        f"/risks/?org_unit_id={org.a}": [f"risk-inventory.pdf?org_unit_id={org.a}", "案件审核岗"],
        "/risks/heat-map": ["风险热力图", "可能性"],
        "/risks/uncovered-posts": ["户籍岗", "事故处理岗"],
        "/risks/measures-past-due": ["双人保管", "2020-01-01", "违规处置涉案财物"],
        "/risks/campaigns": ["开启排查", "截止日期"],
        f"/risks/points/{pid}": [
            "违规处置涉案财物",
            "防控措施",
            "李所长",
            "部门负责人",
            "处理记录",
            "新建",
        ],
        f"/risks/points/new?org_unit_id={org.a}": [
            "新建廉政风险点",
            "风险类别",
            "思想道德",
            "外部环境",
            'value="HA01"',
            'value="TM01"',
            "添加措施",
        ],
        "/risks/points/new": ["廉政风险点属于哪个单位"],
    }
    for url, expected in pages.items():
        resp = client.get(url)
        assert resp.status_code == 200, url
        html = _html(resp)
        for text in expected:
            assert text in html, (url, text)
    # The sensitive post that has a point is not listed as uncovered.
    assert "案件审核岗" not in _html(client.get("/risks/uncovered-posts"))


def test_nav_links_to_the_inventory_for_risk_roles_only(app, login, org):
    assert 'href="/risks/"' in _html(_client(app, login, "leader_a").get("/"))
    assert 'href="/risks/"' not in _html(_client(app, login, "hr").get("/"))


# ------------------------------------------------------------------ form


def _form_data(**extra):
    data = {
        "post_id": "",
        "title": "",
        "manifestation": "",
        "category": "duty",
        "likelihood": "3",
        "impact": "4",
        "responsible_leader_staff_no": "",
        "department_owner_staff_no": "",
        "last_reviewed_on": "",
    }
    for i in range(3):
        data.update(
            {
                f"measures-{i}-id": "",
                f"measures-{i}-description": "",
                f"measures-{i}-owner_staff_no": "",
                f"measures-{i}-due_on": "",
                f"measures-{i}-status": "open",
            }
        )
    data.update(extra)
    return data


def test_create_with_inline_measure_errors_then_success(app, client, login, org):
    login("leader_a")
    url = f"/risks/points/new?org_unit_id={org.a}"
    bad = _form_data(
        **{
            "post_id": str(org.case),
            "manifestation": "私自截留涉案财物",
            "department_owner_staff_no": "NOPE",
            "measures-0-description": "涉案财物集中管理",
            "measures-0-owner_staff_no": "ZZZ9",
            "measures-2-owner_staff_no": "PA02",  # a row with an owner but no description
        }
    )
    resp = _post(client, url, bad)
    assert resp.status_code == 422
    html = _html(resp)
    assert _count(app, RiskPoint) == 0 and _count(app, Measure) == 0
    # Errors next to their inputs; input kept.
    assert re.search(r'id="title"[^>]*is-invalid|is-invalid[^>]*id="title"', html)
    assert "此项为必填项" in html and "没有此工号的人员" in html
    assert re.search(r">\s*涉案财物集中管理</textarea>", html)
    assert re.search(r">\s*私自截留涉案财物</textarea>", html)
    row0 = html[html.index('data-index="0"') : html.index('data-index="1"')]
    assert "没有此工号的人员" in row0 and 'value="ZZZ9"' in row0
    row2 = html[html.index('data-index="2"') : html.index('id="measure-template"')]
    assert "此项为必填项" in row2 and 'value="PA02"' in row2

    good = dict(
        bad,
        title="违规处置涉案财物",
        department_owner_staff_no="HA01",
        **{
            "measures-0-owner_staff_no": "PA02",
            "measures-2-description": "每月盘点",
            "measures-2-due_on": "2030-06-30",
            "measures-5-description": "JS 追加的措施",
        },
    )
    resp = _post(client, url, good)
    assert resp.status_code == 302
    with ctx(app) as s:
        point = s.scalar(sa.select(RiskPoint))
        assert (point.title, point.post_id, point.status) == ("违规处置涉案财物", org.case, "draft")
        assert point.department_owner_id == org.head_a
        assert [(m.description, m.owner_id, m.due_on) for m in point.measures] == [
            ("涉案财物集中管理", org.cop, None),
            ("每月盘点", org.cop, date(2030, 6, 30)),
            ("JS 追加的措施", None, None),
        ]
        assert resp.headers["Location"].endswith(f"/risks/points/{point.id}")
        assert (
            s.scalar(
                sa.select(sa.func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.object_type == "risk_point", AuditEntry.action == "create")
            )
            == 1
        )


def test_edit_updates_deletes_and_adds_measures(app, client, login, org):
    pid = _point(app, org.a, org.case, org.head_a)
    login("leader_a")
    url = f"/risks/points/{pid}/edit"
    page = _html(client.get(url))
    assert re.search(r">\s*双人保管</textarea>", page) and 'value="HA01"' in page
    mid = int(re.search(r'name="measures-0-id" type="hidden" value="(\d+)"', page).group(1))
    data = _form_data(
        **{
            "post_id": str(org.case),
            "title": "违规处置涉案财物（修订）",
            "measures-0-id": str(mid),
            "measures-0-description": "双人保管",
            "measures-0-delete": "y",
            "measures-1-description": "视频监控全覆盖",
            "measures-1-status": "done",
        }
    )
    resp = _post(client, url, data)
    assert resp.status_code == 302
    with ctx(app) as s:
        point = s.get(RiskPoint, pid)
        assert point.title == "违规处置涉案财物（修订）"
        assert [(m.description, m.status) for m in point.measures] == [("视频监控全覆盖", "done")]
        assert point.measures[0].done_on is not None


def test_post_of_another_unit_is_refused(app, client, login, org):
    login("secretary")
    resp = _post(
        client,
        f"/risks/points/new?org_unit_id={org.a}",
        _form_data(post_id=str(org.accident), title="x"),
    )
    # The post select only offers unit A's posts.
    assert resp.status_code == 422 and _count(app, RiskPoint) == 0


# ------------------------------------------------------------------ workflow


def test_submit_return_fix_resubmit_approve(app, login, org):
    with ctx(app) as s:
        campaign = services.open_campaign(
            s, {"name": "2026年排查", "year": 2026, "deadline": date(2026, 12, 31)}
        )
        s.commit()
        cid = campaign.id
    pid = _point(app, org.a, org.case, org.head_a)
    head, sec = _client(app, login, "leader_a"), _client(app, login, "secretary")
    point_url = f"/risks/points/{pid}"

    assert _post(head, f"{point_url}/submit", {}, point_url).status_code == 302
    assert (
        _count(app, RiskPoint, RiskPoint.status == "submitted", RiskPoint.campaign_id == cid) == 1
    )
    # The leader cannot review; the edit page refuses a submitted point.
    assert _post(head, f"{point_url}/approve", {}, point_url).status_code == 403
    assert _post(head, f"{point_url}/return", {"comment": "x"}, point_url).status_code == 403
    assert head.get(f"{point_url}/edit").status_code == 409

    campaign_html = _html(sec.get(f"/risks/campaigns/{cid}"))
    assert "违规处置涉案财物" in campaign_html and "已提交" in campaign_html
    # Returning needs a comment.
    resp = _post(sec, f"{point_url}/return", {"comment": "  "}, point_url)
    assert resp.status_code == 422 and "此项为必填项" in _html(resp)
    assert _count(app, RiskPoint, RiskPoint.status == "returned") == 0
    assert (
        _post(sec, f"{point_url}/return", {"comment": "措施不具体，请补充"}, point_url).status_code
        == 302
    )
    html = _html(head.get(point_url))
    assert 'id="return-comment"' in html and "措施不具体，请补充" in html
    assert "已退回" in _html(sec.get(f"/risks/campaigns/{cid}"))

    assert _post(head, f"{point_url}/submit", {}, point_url).status_code == 302
    # Submitting twice is a conflict shown on the page.
    resp = _post(head, f"{point_url}/submit", {}, point_url)
    assert resp.status_code == 409 and 'id="point-error"' in _html(resp)
    assert _post(sec, f"{point_url}/approve", {}, point_url).status_code == 302
    with ctx(app) as s:
        point = s.get(RiskPoint, pid)
        assert point.status == "approved" and point.return_comment == ""
        assert s.scalar(sa.select(sa.func.count()).select_from(RiskApproval)) == 1
    html = _html(sec.get(point_url))
    assert "处理记录" in html and "措施不具体，请补充" in html  # the history keeps the comment
    assert "已通过" in _html(sec.get(f"/risks/campaigns/{cid}"))


def test_only_the_committee_retires_and_retired_points_leave_the_inventory(app, login, org):
    pid = _point(app, org.a, org.case, org.head_a)
    head = _client(app, login, "leader_a")
    assert f"/risks/points/{pid}/retire" not in _html(head.get(f"/risks/points/{pid}"))
    assert _post(head, f"/risks/points/{pid}/retire", {}, f"/risks/points/{pid}").status_code == 403
    sec = _client(app, login, "secretary")
    assert _post(sec, f"/risks/points/{pid}/retire", {}, f"/risks/points/{pid}").status_code == 302
    assert "违规处置涉案财物" not in _html(sec.get("/risks/"))
    assert "违规处置涉案财物" in _html(sec.get("/risks/?status=retired"))


# ------------------------------------------------------------------ permissions and scope


def test_roles_and_scope(app, login, org):
    pa = _point(app, org.a, org.case, org.head_a, title="派出所风险点")
    pb = _point(app, org.b, org.accident, org.head_b, title="交警风险点")
    for name in ("hr", "admin", "staff"):
        c = _client(app, login, name)
        for url in (
            "/risks/",
            "/risks/heat-map",
            f"/risks/points/{pa}",
            "/risks/campaigns",
            "/risks/uncovered-posts",
            "/risks/measures-past-due",
        ):
            assert c.get(url).status_code == 403, (name, url)
    assert _client(app, login, "admin").get("/risks/settings").status_code == 200
    assert _client(app, login, "secretary").get("/risks/settings").status_code == 403

    b = _client(app, login, "leader_b")
    html = _html(b.get("/risks/"))
    assert "交警风险点" in html and "派出所风险点" not in html
    assert b.get(f"/risks/points/{pa}").status_code == 404
    assert b.get(f"/risks/points/{pa}/edit").status_code == 404
    assert _post(b, f"/risks/points/{pa}/submit", {}, f"/risks/points/{pb}").status_code == 404
    assert b.get(f"/risks/points/new?org_unit_id={org.a}").status_code == 404
    assert b.get(f"/risks/?org_unit_id={org.a}").status_code == 404
    assert "城关派出所" not in _html(b.get("/risks/points/new"))
    assert _count(app, RiskPoint, RiskPoint.status == "draft") == 2

    member = _client(app, login, "member")
    html = _html(member.get("/risks/"))
    assert "交警风险点" in html and "派出所风险点" in html
    # Without the CSRF token a write is refused.
    assert member.post(f"/risks/points/{pa}/submit").status_code == 400


# ------------------------------------------------------------------ heat map, lists


def test_heat_map_counts_and_links(app, client, login, org):
    for lk, im in ((5, 5), (5, 5), (1, 2)):
        _point(app, org.a, org.case, org.head_a, likelihood=lk, impact=im, title=f"风险{lk}{im}")
    _point(app, org.b, org.accident, org.head_b, likelihood=5, impact=5, title="交警风险")
    login("secretary")
    html = _html(client.get(f"/risks/heat-map?org_unit_id={org.a}"))
    cell = re.search(
        r'data-likelihood="5" data-impact="5">\s*<a href="([^"]+)"[^>]*>(\d+)</a>', html
    )
    assert cell.group(2) == "2"
    assert 'class="risk-cell risk-high" data-likelihood="5" data-impact="5"' in html
    assert 'class="risk-cell risk-low" data-likelihood="1" data-impact="2"' in html
    listed = _html(client.get(cell.group(1).replace("&amp;", "&")))
    assert (
        len(re.findall(r'href="/risks/points/\d+"', listed)) == 2
        and "风险12" not in listed
        and "交警风险" not in listed
    )
    whole = _html(client.get("/risks/heat-map"))
    assert re.search(r'data-likelihood="5" data-impact="5">\s*<a [^>]*>3</a>', whole)


def test_settings_change_levels_and_validate(app, client, login, org):
    login("admin")
    page = "/risks/settings"
    resp = _post(
        client,
        page,
        {
            "high_min_score": "8",
            "medium_min_score": "8",
            "review_days": "365",
            "high_review_days": "180",
        },
    )
    assert resp.status_code == 422 and "二级分值" in _html(resp) and 'value="8"' in _html(resp)
    resp = _post(
        client,
        page,
        {
            "high_min_score": "abc",
            "medium_min_score": "4",
            "review_days": "365",
            "high_review_days": "180",
        },
    )
    assert resp.status_code == 422
    resp = _post(
        client,
        page,
        {
            "high_min_score": "12",
            "medium_min_score": "4",
            "review_days": "365",
            "high_review_days": "90",
        },
    )
    assert resp.status_code == 302
    with ctx(app) as s:
        assert get_risk_settings(s).high_min_score == 12
    sec = _client(app, login, "secretary")
    html = _html(sec.get("/risks/heat-map"))
    assert 'class="risk-cell risk-high risk-empty" data-likelihood="3" data-impact="4"' in html


def test_campaign_open_validate_conflict_close(app, client, login, org):
    login("member")
    resp = _post(client, "/risks/campaigns", {"name": "", "year": "1999", "deadline": ""})
    assert resp.status_code == 422 and _count(app, RiskCampaign) == 0
    resp = _post(
        client, "/risks/campaigns", {"name": "2026年排查", "year": "2026", "deadline": "2026-11-30"}
    )
    assert resp.status_code == 302
    resp = _post(
        client, "/risks/campaigns", {"name": "另一个", "year": "2026", "deadline": "2026-11-30"}
    )
    assert resp.status_code == 409 and "请先结束" in _html(resp)
    with ctx(app) as s:
        cid = s.scalar(sa.select(RiskCampaign.id))
    html = _html(client.get(f"/risks/campaigns/{cid}"))
    assert f"risk-inventory.pdf?campaign_id={cid}" in html
    assert "城关派出所" in html and "交警大队" in html and "未开始" in html
    resp = _post(client, f"/risks/campaigns/{cid}/close", {}, f"/risks/campaigns/{cid}")
    assert resp.status_code == 302
    assert _count(app, RiskCampaign, RiskCampaign.status == "closed") == 1
    leader = _client(app, login, "leader_a")
    assert "开启排查" not in _html(leader.get("/risks/campaigns"))
    assert (
        _post(
            leader,
            "/risks/campaigns",
            {"name": "x", "year": "2026", "deadline": "2026-11-30"},
            "/risks/campaigns",
        ).status_code
        == 403
    )


# ------------------------------------------------------------------ bounded queries


def _bulk_points(app, unit_id, post_id, person_id, n, start):
    with ctx(app) as s:
        s.execute(
            sa.insert(RiskPoint),
            [
                {
                    "org_unit_id": unit_id,
                    "post_id": post_id,
                    "title": f"批量风险点{start + i}",
                    "manifestation": "",
                    "category": "process",
                    "likelihood": 1 + i % 5,
                    "impact": 1 + (i // 5) % 5,
                    "department_owner_id": person_id,
                    "responsible_leader_id": person_id,
                    "status": "draft",
                    "version": 1,
                    "return_comment": "",
                }
                for i in range(n)
            ],
        )
        ids = s.scalars(sa.select(RiskPoint.id).order_by(RiskPoint.id.desc()).limit(n)).all()
        s.execute(
            sa.insert(Measure),
            [
                {
                    "risk_point_id": pid,
                    "description": f"措施{k}",
                    "owner_id": person_id,
                    "due_on": date(2030, 1, 1),
                    "status": "open",
                }
                for pid in ids
                for k in range(2)
            ],
        )
        s.commit()


def _statements(count_statements, client, url) -> int:
    with count_statements() as statements:
        resp = client.get(url)
    assert resp.status_code == 200, url
    return len(statements)


def test_inventory_and_heat_map_queries_are_bounded(app, client, login, org, count_statements):
    with app.app_context():
        _bulk_points(app, org.a, org.case, org.head_a, 100, 0)
    login("leader_a")
    urls = [
        f"/risks/?org_unit_id={org.a}",
        f"/risks/heat-map?org_unit_id={org.a}",
        f"/risks/?org_unit_id={org.a}&page=2&level=low",
    ]
    for url in urls:
        client.get(url)  # warm up
    at_100 = [_statements(count_statements, client, url) for url in urls]
    with app.app_context():
        _bulk_points(app, org.a, org.case, org.head_a, 900, 100)
    assert _count(app, RiskPoint) == 1000
    at_1000 = [_statements(count_statements, client, url) for url in urls]
    assert at_100 == at_1000
    assert max(at_1000) <= 20
    html = _html(client.get(f"/risks/heat-map?org_unit_id={org.a}"))
    assert "现有廉政风险点 1000 个" in html
