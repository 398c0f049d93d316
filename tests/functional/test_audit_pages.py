"""The audit pages: roles, Chinese rendering, before → after, filters, detail, chain check."""

from __future__ import annotations

import re

import sqlalchemy as sa

from supervision.audit import services as audit
from supervision.audit.models import AuditEntry
from supervision.org import services as org
from tests import factories


def _renamed_unit(db):
    unit = factories.unit(db.session, name="交警大队")
    db.session.commit()
    old = unit.name
    org.update_unit(db.session, unit, {"name": "交警支队"})
    db.session.commit()
    return unit, old


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def test_anonymous_is_sent_to_login(client):
    resp = client.get("/admin/audit")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]


def test_hr_and_leader_get_403(make_user, login, client):
    make_user("hr1", roles=("hr", "leader"))
    login("hr1")
    for path in ("/admin/audit", "/admin/audit/verify", "/admin/audit/1"):
        assert client.get(path).status_code == 403


def test_list_renders_in_chinese_with_before_and_after(db, make_user, login, client):
    make_user("sec", roles=("discipline_secretary",))
    unit, old = _renamed_unit(db)
    login("sec")
    html = _text(client.get("/admin/audit"))
    assert "审计日志" in html
    assert "组织机构 #" in html and "<td>修改</td>" in html and "<td>登录</td>" in html
    assert re.search(rf"{old}</span> → <span[^>]*>交警支队", html), "before → after not shown"
    assert "校验" in html  # the verify button


def test_filters_narrow_the_list_and_keep_the_input(db, make_user, login, client):
    make_user("root", roles=("admin",))
    unit, _old = _renamed_unit(db)
    other = factories.unit(db.session, name="户政科")
    db.session.commit()
    login("root")

    html = _text(client.get(f"/admin/audit?object=org_unit&object_id={unit.id}&action=update"))
    assert "交警支队" in html and other.name not in html
    assert f'value="{unit.id}"' in html  # the filter stays filled in
    html = _text(client.get(f"/admin/audit?object=org_unit&object_id={other.id}&action=update"))
    assert "没有符合" in html  # empty state


def test_a_reversed_date_range_is_a_form_error(db, make_user, login, client):
    make_user("root", roles=("admin",))
    login("root")
    resp = client.get("/admin/audit?since=2025-07-02&until=2025-07-01")
    assert resp.status_code == 200
    html = _text(resp)
    assert "is-invalid" in html and "结束日期早于开始日期" in html
    assert 'value="2025-07-02"' in html
    assert "<table" not in html


def test_pages_of_fifty(db, make_user, login, client):
    make_user("root", roles=("admin",))
    for i in range(60):
        audit.record(db.session, "update", "thing", f"n{i}")
    db.session.commit()
    login("root")
    first = _text(client.get("/admin/audit?object=thing"))
    second = _text(client.get("/admin/audit?object=thing&page=2"))
    assert "#n59" in first and "#n10" in first and "#n9<" not in first
    assert "#n9<" in second and "#n0<" in second and "#n59" not in second
    assert "共 60 条" in first


def test_detail_shows_before_and_after_and_hash_checks(db, make_user, login, client):
    make_user("root", roles=("admin",))
    unit, old = _renamed_unit(db)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "update"))
    login("root")
    html = _text(client.get(f"/admin/audit/{entry.id}"))
    assert old in html and "交警支队" in html
    assert entry.hash in html and "修改前" in html and "修改后" in html
    assert "alert-danger" not in html
    assert client.get("/admin/audit/999999").status_code == 404


def test_verify_page_shows_ok_then_the_broken_entry(db, make_user, login, client):
    make_user("root", roles=("admin",))
    _renamed_unit(db)
    login("root")
    total = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    html = _text(client.get("/admin/audit/verify"))
    assert 'data-verify="ok"' in html and str(total) in html

    victim = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()[1]
    db.session.execute(
        sa.text("UPDATE audit_entries SET actor_name = 'mallory' WHERE id = :id"), {"id": victim.id}
    )
    db.session.commit()
    html = _text(client.get("/admin/audit/verify"))
    assert 'data-verify="broken"' in html
    assert re.search(
        rf'<tr class="table-danger" data-broken="true">\s*<td><a href="/admin/audit/{victim.id}"',
        html,
    )
    detail = _text(client.get(f"/admin/audit/{victim.id}"))
    assert "alert-danger" in detail


def test_verify_page_takes_anchors_and_shows_the_current_one(db, make_user, login, client):
    make_user("root", roles=("admin",))
    _renamed_unit(db)
    login("root")
    anchor_id, anchor_hash = audit.head(db.session)
    html = _text(client.get("/admin/audit/verify"))
    assert f'data-anchor="{anchor_id}:{anchor_hash}"' in html and "当前锚点" in html
    html = _text(client.get(f"/admin/audit/verify?anchor={anchor_id}:{anchor_hash}"))
    assert 'data-verify="ok"' in html and "所填 1 个锚点均一致" in html

    # The last entry cut off and the head's counter lowered: only the anchor tells.
    db.session.execute(sa.text("DELETE FROM audit_entries WHERE id = :id"), {"id": anchor_id})
    db.session.execute(sa.text("UPDATE audit_head SET count = count - 1 WHERE id = 1"))
    db.session.commit()
    assert 'data-verify="ok"' in _text(client.get("/admin/audit/verify"))
    html = _text(client.get(f"/admin/audit/verify?anchor={anchor_id}:{anchor_hash}"))
    assert 'data-verify="broken"' in html and "锚点所指的记录已不在日志中" in html
    assert "当前锚点" not in html  # no anchor offered for a broken chain


def test_a_malformed_anchor_is_a_form_error(db, make_user, login, client):
    make_user("root", roles=("admin",))
    login("root")
    resp = client.get("/admin/audit/verify?anchor=12:nothex")
    html = _text(resp)
    assert resp.status_code == 200
    assert "is-invalid" in html and "“12:nothex”不是有效的锚点" in html
    assert "data-verify" not in html


def test_the_page_in_english(db, make_user, login, client):
    make_user("root", roles=("admin",))
    login("root")
    client.get("/lang/en")
    html = _text(client.get("/admin/audit"))
    assert "Audit log" in html and "Verify chain" in html and "Log in" in html


def test_talk_contents_are_masked_on_the_page_for_admin(db, make_user, login, client):
    make_user("root", roles=("admin",))
    audit.record(db.session, "update", "talk", 5, {"content": ["秘密A", "秘密B"]})
    db.session.commit()
    login("root")
    html = _text(client.get("/admin/audit?object=talk"))
    assert "秘密" not in html and audit.REDACTED in html


def test_the_list_runs_a_bounded_number_of_queries(
    app, db, make_user, login, client, count_statements
):
    make_user("root", roles=("admin",))
    login("root")

    def statements_for(n_entries: int) -> int:
        for i in range(n_entries):
            audit.record(db.session, "update", "thing", i, {"a": [i, i + 1], "b": [None, "x"]})
        db.session.commit()
        with count_statements() as statements:
            assert client.get("/admin/audit").status_code == 200
        return len(statements)

    few = statements_for(3)
    many = statements_for(60)
    assert many == few
    assert many <= 8
