"""User administration pages: create, edit roles and person link, guard the last admin."""

import pytest
import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.auth.models import User
from tests import factories
from tests.conftest import csrf_from


def _form(client, url, **data):
    token = csrf_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def test_only_admins_reach_user_admin(client, make_user, login):
    make_user("hr", ["hr"])
    login("hr")
    assert client.get("/admin/users/").status_code == 403
    assert "/admin/users" not in client.get("/").get_data(as_text=True)


def test_admin_creates_and_edits_an_account(client, make_user, login, db):
    unit = factories.unit(db.session)
    factories.person(db.session, unit, "王五", staff_no="W5")
    db.session.commit()
    make_user("root", ["admin"])
    login("root")
    resp = _form(
        client,
        "/admin/users/new",
        username="wang",
        roles=["leader", "staff"],
        staff_no="W5",
        is_enabled="y",
        password="long-enough-pw",
    )
    assert resp.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.username == "wang"))
    assert user.roles == {"leader", "staff"} and user.person.name == "王五"

    page = client.get("/admin/users/?q=王五").get_data(as_text=True)
    assert "wang" in page and "领导" in page

    resp = _form(
        client,
        f"/admin/users/{user.id}/edit",
        username="wang",
        roles=["hr"],
        staff_no="",
        is_enabled="y",
        password="",
    )
    assert resp.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.roles == {"hr"} and user.person_id is None
    changes = db.session.scalars(
        sa.select(AuditEntry.changes).where(
            AuditEntry.object_type == "user", AuditEntry.action == "update"
        )
    ).one()
    assert '"roles"' in changes and '"person_id"' in changes


def test_form_errors_keep_input_and_write_nothing(client, make_user, login, db):
    make_user("root", ["admin"])
    login("root")
    resp = _form(
        client,
        "/admin/users/new",
        username="nobody",
        roles=["hr"],
        staff_no="NOPE",
        password="long-enough-pw",
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "NOPE" in html and 'value="nobody"' in html
    assert db.session.scalar(sa.select(User).where(User.username == "nobody")) is None
    resp = _form(client, "/admin/users/new", username="nobody", password="long-enough-pw")
    assert "至少选择一个角色" in resp.get_data(as_text=True)


def test_last_admin_cannot_be_demoted_or_disable_self(client, make_user, login, db):
    root = make_user("root", ["admin"])
    login("root")
    resp = _form(
        client, f"/admin/users/{root.id}/edit", username="root", roles=["hr"], is_enabled="y"
    )
    # Nobody changes their own roles on a page (separation of duties), admins included.
    assert resp.status_code == 403 and "不能修改自己的角色" in resp.get_data(as_text=True)
    resp = _form(client, f"/admin/users/{root.id}/edit", username="root", roles=["admin"])
    assert resp.status_code == 422  # unchecked "enabled" = disabling oneself: refused
    db.session.expire_all()
    user = db.session.get(User, root.id)
    assert user.roles == {"admin"} and user.is_enabled


def test_the_service_keeps_the_last_enabled_administrator(db):
    """Whatever path reaches update_user (the pages refuse one's own roles earlier), the
    last enabled administrator keeps the role."""
    from supervision.auth import services
    from supervision.common.errors import Conflict

    root = factories.user(db.session, "root", ["admin"])
    db.session.commit()
    with pytest.raises(Conflict):
        services.update_user(db.session, root, roles=["hr"])
    db.session.rollback()
    assert db.session.get(User, root.id).roles == {"admin"}
