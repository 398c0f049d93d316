"""The audit log names changed fields by their labels in the reader's language (issue 13,
item 8), not by their column names."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.org import services as org
from tests import factories


def _changed_person(db):
    unit = factories.unit(db.session, name="城关派出所")
    person = factories.person(db.session, unit, name="王强", staff_no="7001")
    db.session.commit()
    org.update_person(
        db.session, person, {"birth_date": date(1980, 1, 2), "personnel_type": "auxiliary"}
    )
    db.session.commit()
    return db.session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.action == "update", AuditEntry.object_type == "person"
        )
    )


def test_changes_show_chinese_field_labels(db, make_user, login, client):
    make_user("root", roles=("admin",))
    entry = _changed_person(db)
    login("root")
    listing = client.get("/admin/audit?object=person").get_data(as_text=True)
    detail = client.get(f"/admin/audit/{entry.id}").get_data(as_text=True)
    for html in (listing, detail):
        assert '<span title="birth_date">出生日期</span>' in html
        assert '<span title="personnel_type">人员类别</span>' in html
        assert "<code>birth_date</code>" not in html


def test_changes_show_english_labels_in_english(db, make_user, login, client):
    make_user("root", roles=("admin",))
    entry = _changed_person(db)
    login("root")
    client.get("/lang/en")
    html = client.get(f"/admin/audit/{entry.id}").get_data(as_text=True)
    assert '<span title="birth_date">Birth date</span>' in html


def test_a_field_without_a_label_is_shown_as_recorded(db, make_user, login, client):
    from supervision.audit.services import record

    make_user("root", roles=("admin",))
    record(db.session, "update", "person", "1", {"no_such_field": ["a", "b"], "reason": "x"})
    db.session.commit()
    login("root")
    html = client.get("/admin/audit?object=person").get_data(as_text=True)
    assert '<span title="no_such_field">no_such_field</span>' in html
    assert '<span title="reason">理由</span>' in html  # a label shared by many object types
