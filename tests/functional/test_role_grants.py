"""Separation of duties for the discipline roles (SPEC §4): nobody changes their own roles,
a discipline role given on a page waits for a second secretary, every role change is
audited and notifies the discipline secretaries (inbox and queued e-mail)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.auth.models import RoleGrant, User
from supervision.reminders.models import Notification
from tests import factories
from tests.conftest import csrf_from


def _post(client, page_url, url, **data):
    """POST `data` to `url` with the CSRF token of the page at `page_url`."""
    token = csrf_from(client.get(page_url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def _edit(client, user, roles, **extra):
    url = f"/admin/users/{user.id}/edit"
    staff_no = user.person.staff_no if user.person else ""
    data = {"username": user.username, "roles": roles, "is_enabled": "y", "staff_no": staff_no}
    data.update(extra)
    return _post(client, url, url, **data)


def _bureau(db, make_user):
    """An administrator, two discipline secretaries (one of them also an administrator, so
    that a secretary can make a grant on the user pages), and a staff member, 张三."""
    s = db.session
    unit = factories.unit(s, "纪委")
    sec1 = factories.person(s, unit, "王书记", email="wang@example.org")
    sec2 = factories.person(s, unit, "赵书记", email="zhao@example.org")
    zhang = factories.person(s, unit, "张三")
    leader = factories.person(s, unit, "李局长", leadership="team_member")
    talk = factories.draft_talk(
        s,
        leader,
        [sec2],
        held_at=datetime(2026, 3, 10, 2, tzinfo=UTC),
        location="谈话室",
        content="提醒内容",
    )
    s.commit()
    return {
        "root": make_user("root", ["admin"]),
        "wang": make_user("wang", ["admin", "discipline_secretary"], person=sec1),
        "zhao": make_user("zhao", ["discipline_secretary"], person=sec2),
        "zhang": make_user("zhang", ["staff"], person=zhang),
        "talk": talk,
        "people": {"wang": sec1.id, "zhao": sec2.id, "zhang": zhang.id},
    }


def _notices(db, user_id):
    db.session.expire_all()
    return db.session.scalars(
        sa.select(Notification)
        .where(Notification.object_type == "user", Notification.object_ref == str(user_id))
        .order_by(Notification.id)
    ).all()


def test_nobody_changes_their_own_roles_on_a_page(client, db, make_user, login):
    b = _bureau(db, make_user)
    login("root")
    resp = _edit(client, b["root"], ["admin", "discipline_secretary"])
    html = resp.get_data(as_text=True)
    assert resp.status_code == 403 and "不能修改自己的角色" in html
    db.session.expire_all()
    assert db.session.get(User, b["root"].id).roles == {"admin"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RoleGrant)) == 0
    # The same account may still be saved with its roles as they are.
    assert _edit(client, b["root"], ["admin"], staff_no="").status_code == 302


def test_a_discipline_role_waits_for_another_secretary(client, app, db, make_user, login):
    b = _bureau(db, make_user)
    zhang_client = login("zhang", c=app.test_client())
    assert zhang_client.get("/integrity/").status_code == 403

    login("wang")  # administrator and discipline secretary: the grantor
    resp = _edit(client, b["zhang"], ["staff", "discipline_member"])
    assert resp.status_code == 302
    flashed = client.get("/admin/users/").get_data(as_text=True)
    assert "待确认：纪委委员（由 wang 于" in flashed

    db.session.expire_all()
    assert db.session.get(User, b["zhang"].id).roles == {"staff"}
    grant = db.session.scalars(sa.select(RoleGrant)).one()
    assert (grant.role, grant.status) == ("discipline_member", "pending")
    assert zhang_client.get("/integrity/").status_code == 403  # pending changes nothing
    edit_page = client.get(f"/admin/users/{b['zhang'].id}/edit").get_data(as_text=True)
    assert "待确认：纪委委员（由 wang 于" in edit_page and "撤回" in edit_page

    # The grantor may not confirm their own grant.
    page = client.get("/admin/role-grants/").get_data(as_text=True)
    assert "张三" in page and "纪委委员" in page
    resp = _post(client, "/admin/role-grants/", f"/admin/role-grants/{grant.id}/confirm")
    assert resp.status_code == 403 and "此授权由您本人授予" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(RoleGrant, grant.id).status == "pending"
    assert zhang_client.get("/integrity/").status_code == 403

    # A second secretary may.
    zhao = login("zhao", c=app.test_client())
    resp = _post(zhao, "/admin/role-grants/", f"/admin/role-grants/{grant.id}/confirm")
    assert resp.status_code == 302
    db.session.expire_all()
    grant = db.session.get(RoleGrant, grant.id)
    assert grant.status == "confirmed" and grant.decided_by_id == b["zhao"].id
    assert db.session.get(User, b["zhang"].id).roles == {"staff", "discipline_member"}
    assert zhang_client.get("/integrity/").status_code == 200
    assert "没有待确认的角色授权" in zhao.get("/admin/role-grants/").get_data(as_text=True)

    actions = db.session.execute(
        sa.select(AuditEntry.action, AuditEntry.object_type, AuditEntry.actor_name).where(
            AuditEntry.object_type.in_(["role_grant", "user"]),
            AuditEntry.action.in_(["create", "approve", "update"]),
            AuditEntry.object_id.in_([str(grant.id), str(b["zhang"].id)]),
            AuditEntry.actor_name.in_(["wang", "zhao"]),
        )
    ).all()
    assert ("create", "role_grant", "wang") in actions
    assert ("approve", "role_grant", "zhao") in actions
    assert ("update", "user", "zhao") in actions  # the role list changed on confirmation


def test_a_secretary_grant_opens_talks_only_once_confirmed(client, app, db, make_user, login):
    b = _bureau(db, make_user)
    talk_url = f"/talks/{b['talk'].id}"
    zhang_client = login("zhang", c=app.test_client())
    assert zhang_client.get(talk_url).status_code == 404

    login("root")
    assert _edit(client, b["zhang"], ["discipline_secretary"]).status_code == 302
    assert zhang_client.get(talk_url).status_code == 404  # pending: still out of reach
    grant = db.session.scalars(sa.select(RoleGrant)).one()

    wang = login("wang", c=app.test_client())
    assert (
        _post(wang, "/admin/role-grants/", f"/admin/role-grants/{grant.id}/confirm").status_code
        == 302
    )
    resp = zhang_client.get(talk_url)
    assert resp.status_code == 200 and "提醒内容" in resp.get_data(as_text=True)


def test_a_secretary_cannot_confirm_a_grant_to_themselves(client, app, db, make_user, login):
    b = _bureau(db, make_user)
    login("root")
    assert (
        _edit(client, b["zhao"], ["discipline_secretary", "discipline_member"]).status_code == 302
    )
    grant = db.session.scalars(sa.select(RoleGrant)).one()
    zhao = login("zhao", c=app.test_client())
    resp = _post(zhao, "/admin/role-grants/", f"/admin/role-grants/{grant.id}/confirm")
    assert resp.status_code == 403 and "授予您本人" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(RoleGrant, grant.id).status == "pending"
    # Only secretaries reach the page at all.
    assert client.get("/admin/role-grants/").status_code == 403


def test_reject_and_withdraw(client, app, db, make_user, login):
    b = _bureau(db, make_user)
    login("root")
    assert _edit(client, b["zhang"], ["staff", "discipline_member"]).status_code == 302
    first = db.session.scalars(sa.select(RoleGrant)).one()
    zhao = login("zhao", c=app.test_client())
    assert (
        _post(zhao, "/admin/role-grants/", f"/admin/role-grants/{first.id}/reject").status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(RoleGrant, first.id).status == "rejected"
    assert db.session.get(User, b["zhang"].id).roles == {"staff"}
    # A decided grant cannot be confirmed afterwards.
    resp = _post(zhao, "/admin/role-grants/", f"/admin/role-grants/{first.id}/confirm")
    assert resp.status_code == 409 and "已被处理" in resp.get_data(as_text=True)

    # Granted again, then withdrawn by the administrator from the edit page.
    assert _edit(client, b["zhang"], ["staff", "discipline_member"]).status_code == 302
    second = db.session.scalars(sa.select(RoleGrant).where(RoleGrant.status == "pending")).one()
    edit_url = f"/admin/users/{b['zhang'].id}/edit"
    resp = _post(client, edit_url, f"/admin/users/grants/{second.id}/withdraw")
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(RoleGrant, second.id).status == "withdrawn"
    assert "data-pending-grant" not in client.get(edit_url).get_data(as_text=True)
    resp = _post(zhao, "/admin/role-grants/", f"/admin/role-grants/{second.id}/confirm")
    assert resp.status_code == 409
    assert db.session.get(User, b["zhang"].id).roles == {"staff"}
    assert client.post(f"/admin/users/grants/{second.id}/withdraw").status_code == 400  # no CSRF


def test_every_role_change_notifies_the_secretaries(client, app, db, make_user, login):
    b = _bureau(db, make_user)
    zhang_id = b["zhang"].id
    # Creating the account (as the command line does) already told both secretaries.
    created = _notices(db, zhang_id)
    assert len(created) == 2 and all("命令行 为 zhang（张三） 授予了" in n.body for n in created)
    before = len(created)
    login("root")

    # A role given at once, a pending grant and a removal: one notice each time, to each
    # secretary, with the e-mail queued to their address.
    assert _edit(client, b["zhang"], ["staff", "hr"]).status_code == 302
    assert _edit(client, b["zhang"], ["hr", "discipline_member"]).status_code == 302
    notices = _notices(db, zhang_id)[before:]
    assert len(notices) == 4
    assert {n.recipient_id for n in notices} == {b["people"]["wang"], b["people"]["zhao"]}
    assert all(n.step == "account" and n.email_status == "queued" for n in notices)
    assert {n.email_to for n in notices} == {"wang@example.org", "zhao@example.org"}
    first, second = notices[0], notices[-1]
    assert "root 为 zhang（张三） 授予了角色“政工监督室”" in first.body
    assert "取消了 zhang（张三） 的角色“干部职工”" in second.body
    assert "须经另一位纪委书记确认后方才生效" in second.body
    assert second.subject == "角色授权待确认：zhang（张三）"
    assert second.link == "/admin/role-grants/"

    grant = db.session.scalars(sa.select(RoleGrant)).one()
    zhao = login("zhao", c=app.test_client())
    _post(zhao, "/admin/role-grants/", f"/admin/role-grants/{grant.id}/confirm")
    confirmed = _notices(db, zhang_id)[before + 4 :]
    assert len(confirmed) == 2
    assert (
        "zhao（赵书记） 确认了 zhang（张三） 的角色“纪委委员”（由 root 授予）" in confirmed[0].body
    )
    # The secretaries read them in their inbox.
    inbox = zhao.get("/notifications/").get_data(as_text=True)
    assert "zhang（张三）" in inbox

    # A failed change writes no notice.
    _edit(client, b["zhang"], ["hr"], staff_no="NOPE")
    assert len(_notices(db, zhang_id)) == before + 6


def test_the_cli_grants_at_once_and_notifies(app, db, make_user):
    b = _bureau(db, make_user)
    unit = factories.unit(db.session, "派出所")
    factories.person(db.session, unit, "钱五", staff_no="Q5")
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "qian",
            "--role",
            "discipline_member",
            "--staff-no",
            "Q5",
            "--password-stdin",
        ],
        input="a-long-password-2026\n",
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    user = db.session.scalar(sa.select(User).where(User.username == "qian"))
    assert user.roles == {"discipline_member"} and not user.must_change_password
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RoleGrant)) == 0
    notices = _notices(db, user.id)
    assert {n.recipient_id for n in notices} == {b["people"]["wang"], b["people"]["zhao"]}
    assert all("命令行 为 qian（钱五） 授予了角色“纪委委员”" in n.body for n in notices)
    entry = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.object_type == "user",
            AuditEntry.action == "create",
            AuditEntry.object_id == str(user.id),
        )
    ).one()
    assert entry.actor_name == "cli" and "discipline_member" in entry.changes


def test_the_notice_reaches_the_secretaries_by_mail(app, client, db, make_user, login, monkeypatch):
    """Through a real SMTP server on loopback: the deliverer sends each secretary the notice
    of a pending grant, in Chinese, with the link to the pending-grants page."""
    from supervision.reminders import delivery
    from tests.integration.test_reminder_delivery import SmtpServer, free_port

    b = _bureau(db, make_user)
    db.session.execute(sa.delete(Notification))  # the notices of the accounts created
    db.session.commit()
    server = SmtpServer(free_port())
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 5)
    monkeypatch.setitem(app.config, "SUPERVISION_BASE_URL", "https://jw.example.gov.cn/")
    login("root")
    assert _edit(client, b["zhang"], ["staff", "discipline_member"]).status_code == 302
    server.start()
    try:
        result = delivery.deliver(db.session)
    finally:
        server.stop()
    assert result.sent == 2
    messages = server.box.messages
    assert sorted(str(m["To"]).split("<")[-1].rstrip(">") for m in messages) == [
        "wang@example.org",
        "zhao@example.org",
    ]
    for message in messages:
        assert str(message["Subject"]) == "角色授权待确认：zhang（张三）"
        text = message.get_body(("plain",)).get_content()
        assert "须经另一位纪委书记确认后方才生效" in text
        assert "https://jw.example.gov.cn/admin/role-grants/" in text
