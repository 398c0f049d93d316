"""The reminders API over HTTP (SPEC §8, §10): the caller's notifications and read receipts,
the ladder preview with the SPEC examples, and the reminder settings."""

import json
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.calendar import services as calendar
from supervision.common import clock
from supervision.org.models import Person
from supervision.reminders.models import Notification
from supervision.talks.models import Talk
from tests import factories

INBOX = "/api/v1/notifications"
PREVIEW = "/api/v1/reminders/preview"
SETTINGS = "/api/v1/reminders/settings"
FIELDS = {
    "id",
    "step",
    "object_type",
    "object_ref",
    "person_id",
    "type",
    "period",
    "subject",
    "body",
    "created_at",
    "read_at",
    "email_status",
    "link",
}


@pytest.fixture
def org(db):
    """bureau > station (head: head; supervising leader: deputy); two officers on a sensitive
    post of the station; people for the secretary and a committee member. Calendar 2025–2026."""
    s = db.session
    calendar.sync(s, [2025, 2026])
    bureau = factories.unit(s, "分局", kind="branch")
    station = factories.unit(s, "派出所", kind="station", parent=bureau)
    head = factories.person(s, station, "所长")
    deputy = factories.person(s, bureau, "副局长", leadership="team_member")
    secretary = factories.person(s, bureau, "纪委书记")
    member = factories.person(s, bureau, "纪委委员")
    a, b = factories.person(s, station, "甲"), factories.person(s, station, "乙")
    post = factories.post(s, station, "户籍岗", is_sensitive=True)
    for who in (a, b):
        factories.assign(s, who, post, date(2024, 1, 1))
    s.flush()
    station.head_person_id, station.supervising_leader_id = head.id, deputy.id
    s.commit()
    return {
        k: v.id
        for k, v in dict(
            bureau=bureau,
            station=station,
            head=head,
            deputy=deputy,
            secretary=secretary,
            member=member,
            a=a,
            b=b,
        ).items()
    }


@pytest.fixture
def auth(db, org, make_user, token_for):
    """Bearer headers by role."""

    def person(key):
        return db.session.get(Person, org[key])

    return {
        "secretary": token_for(
            make_user("secretary", ["discipline_secretary"], person=person("secretary"))
        ),
        "member": token_for(make_user("member", ["discipline_member"], person=person("member"))),
        "leader": token_for(make_user("leader", ["leader"], person=person("head"))),
        "hr": token_for(make_user("hr", ["hr"])),
        "admin": token_for(make_user("admin", ["admin"])),
        "staff": token_for(make_user("staff", ["staff"], person=person("a"))),
    }


def _note(
    s,
    recipient,
    *,
    step="upcoming",
    object_type="obligation",
    ref="1:integrity_reminder",
    period="2025Q3",
    created=datetime(2025, 9, 24, 1, tzinfo=UTC),
    **extra,
):
    n = Notification(
        recipient_id=recipient,
        step=step,
        object_type=object_type,
        object_ref=ref,
        period=period,
        person_id=extra.pop("person_id", None),
        type=extra.pop("type", None),
        on=created,
        subject=f"subject {ref} {step}",
        body="body",
        link=extra.pop("link", "/talks/mine"),
        created_at=created,
        **extra,
    )
    s.add(n)
    s.flush()
    return n


# ------------------------------------------------------------------ notifications


def test_the_inbox_lists_the_callers_own_notifications_newest_first(client, db, org, auth):
    s = db.session
    old = _note(
        s,
        org["head"],
        person_id=org["a"],
        type="integrity_reminder",
        email_status="sending",
        email_to="h@example.org",
    )
    new = _note(
        s,
        org["head"],
        step="overdue",
        created=datetime(2025, 10, 9, 1, tzinfo=UTC),
        email_status="failed",
    )
    digest = _note(
        s,
        org["head"],
        step="digest",
        object_type="",
        ref=str(org["head"]),
        period="2025-W41",
        created=datetime(2025, 10, 6, 1, tzinfo=UTC),
    )
    _note(s, org["a"], ref="other")  # someone else's
    s.commit()
    assert client.get(INBOX).status_code == 401
    resp = client.get(INBOX, headers=auth["leader"])
    assert resp.status_code == 200
    rows = resp.get_json()
    assert [r["id"] for r in rows] == [new.id, digest.id, old.id]
    assert set(rows[2]) == FIELDS
    assert rows[2] == {
        "id": old.id,
        "step": "upcoming",
        "object_type": "obligation",
        "object_ref": "1:integrity_reminder",
        "person_id": org["a"],
        "type": "integrity_reminder",
        "period": "2025Q3",
        "subject": "subject 1:integrity_reminder upcoming",
        "body": "body",
        "created_at": "2025-09-24T09:00:00+08:00",
        "read_at": None,
        "email_status": "queued",
        "link": "/talks/mine",
    }
    assert rows[1]["object_type"] is None and rows[1]["step"] == "digest"
    assert rows[0]["email_status"] == "failed"
    assert json.loads(resp.headers["X-Pagination"])["total"] == 3
    page2 = client.get(INBOX, headers=auth["leader"], query_string={"page_size": 2, "page": 2})
    assert [r["id"] for r in page2.get_json()] == [old.id]
    # Another person's inbox holds only theirs; a user without a person has none.
    assert [r["object_ref"] for r in client.get(INBOX, headers=auth["staff"]).get_json()] == [
        "other"
    ]
    assert client.get(INBOX, headers=auth["admin"]).get_json() == []


def test_the_unread_filter(client, db, org, auth):
    s = db.session
    unread = _note(s, org["head"], ref="u")
    read = _note(s, org["head"], ref="r", read_at=datetime(2025, 9, 25, tzinfo=UTC))
    s.commit()
    h = auth["leader"]
    assert [
        r["id"] for r in client.get(INBOX, headers=h, query_string={"unread": "true"}).get_json()
    ] == [unread.id]
    assert [
        r["id"] for r in client.get(INBOX, headers=h, query_string={"unread": "false"}).get_json()
    ] == [read.id]
    assert client.get(INBOX, headers=h, query_string={"unread": "maybe"}).status_code == 422
    assert client.get(INBOX, headers=h, query_string={"page_size": 0}).status_code == 422


def test_reading_keeps_the_first_read_time_as_the_receipt(client, db, org, auth):
    s = db.session
    n = _note(s, org["head"])
    theirs = _note(s, org["a"], ref="theirs")
    s.commit()
    url = f"{INBOX}/{n.id}/read"
    with clock.frozen(datetime(2025, 9, 24, 2, 30, tzinfo=UTC)):
        first = client.post(url, headers=auth["leader"])
    assert first.status_code == 200
    assert first.get_json()["read_at"] == "2025-09-24T10:30:00+08:00"
    with clock.frozen(datetime(2025, 9, 26, 2, 30, tzinfo=UTC)):
        again = client.post(url, headers=auth["leader"])
    assert again.status_code == 200 and again.get_json()["read_at"] == "2025-09-24T10:30:00+08:00"
    assert s.get(Notification, n.id).read_at == datetime(2025, 9, 24, 2, 30, tzinfo=UTC)
    reads = s.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.object_type == "notification", AuditEntry.action == "read"
        )
    ).all()
    assert [e.object_id for e in reads] == [str(n.id)]
    # Someone else's notification, an unknown one, or no person at all: 404, nothing written.
    assert client.post(f"{INBOX}/{theirs.id}/read", headers=auth["leader"]).status_code == 404
    assert client.post(f"{INBOX}/999999/read", headers=auth["leader"]).status_code == 404
    assert client.post(f"{INBOX}/{n.id}/read", headers=auth["admin"]).status_code == 404
    assert s.get(Notification, theirs.id).read_at is None
    assert client.post(url).status_code == 401


def test_reading_with_the_browser_session_needs_the_csrf_token(client, db, org, auth, login):
    n = _note(db.session, org["head"])
    db.session.commit()
    login("leader")
    assert client.post(f"{INBOX}/{n.id}/read").status_code == 400
    token = (
        client.get("/notifications/")
        .get_data(as_text=True)
        .split('name="csrf-token" content="')[1]
        .split('"')[0]
    )
    resp = client.post(f"{INBOX}/{n.id}/read", headers={"X-CSRFToken": token})
    assert resp.status_code == 200 and resp.get_json()["read_at"] is not None


# ------------------------------------------------------------------ preview


def _preview(client, headers, first, last, **extra):
    return client.get(PREVIEW, headers=headers, query_string={"from": first, "to": last, **extra})


def test_preview_of_the_upcoming_step_spec_example(client, org, auth):
    """Due Tue 2025-09-30 → `upcoming` on Wed 2025-09-24 09:00 to the conductor (Sun 09-28
    is a working day)."""
    with clock.frozen(datetime(2025, 9, 20, 2, tzinfo=UTC)):
        resp = _preview(client, auth["secretary"], "2025-09-20", "2025-09-30")
    assert resp.status_code == 200
    rows = resp.get_json()
    assert rows == [
        {
            "on": "2025-09-24T09:00:00+08:00",
            "step": "upcoming",
            "recipient_id": org["head"],
            "object_type": "obligation",
            "object_ref": f"{who}:integrity_reminder",
            "person_id": who,
            "type": "integrity_reminder",
            "period": "2025Q3",
        }
        for who in sorted((org["a"], org["b"]), key=lambda p: f"{p}:integrity_reminder")
    ]
    assert json.loads(resp.headers["X-Pagination"])["total"] == 2


def test_preview_of_overdue_and_escalated_and_a_final_talk_stops_the_ladder(client, db, org, auth):
    """Due Wed 2025-12-31 → `overdue` on Sun 2026-01-04 (conductor and members), `escalated`
    on Thu 2026-01-15 (secretary and the supervising leader). A make-up talk of B held on
    2026-01-06 stops B's ladder: no escalation after it."""
    with clock.frozen(datetime(2025, 12, 20, 2, tzinfo=UTC)):
        rows = _preview(client, auth["member"], "2026-01-01", "2026-01-31").get_json()
    for who in ("a", "b"):
        steps = [
            (r["on"], r["step"], r["recipient_id"]) for r in rows if r["person_id"] == org[who]
        ]
        assert sorted(steps) == sorted(
            [
                ("2026-01-04T09:00:00+08:00", "overdue", org["head"]),
                ("2026-01-04T09:00:00+08:00", "overdue", org["member"]),
                ("2026-01-15T09:00:00+08:00", "escalated", org["secretary"]),
                ("2026-01-15T09:00:00+08:00", "escalated", org["deputy"]),
            ]
        ), who
    db.session.add(
        Talk(
            type="integrity_reminder",
            status="final",
            interviewee_id=org["b"],
            period="2025Q4",
            held_at=datetime(2026, 1, 6, 2, tzinfo=UTC),
        )
    )
    db.session.commit()
    with clock.frozen(datetime(2026, 1, 10, 2, tzinfo=UTC)):
        rows = _preview(client, auth["member"], "2026-01-10", "2026-01-31").get_json()
    assert {(r["person_id"], r["step"]) for r in rows if r["type"] == "integrity_reminder"} == {
        (org["a"], "escalated")
    }


def test_preview_of_a_year_without_calendar_data_uses_the_fallback(client, org, auth):
    """2026Q4 is due Thu 2026-12-31; 2027 has no official data, so the fallback applies (SPEC
    §2): Fri 2027-01-01 is 元旦, computed ahead, so the overdue step waits for Mon 01-04 and
    the 10th working day is Fri 2027-01-15."""
    with clock.frozen(datetime(2026, 12, 20, 2, tzinfo=UTC)):
        resp = _preview(client, auth["hr"], "2027-01-01", "2027-01-31")
    assert resp.status_code == 200
    steps = {(r["on"], r["step"]) for r in resp.get_json() if r["person_id"] == org["a"]}
    assert steps == {
        ("2027-01-04T09:00:00+08:00", "overdue"),
        ("2027-01-15T09:00:00+08:00", "escalated"),
    }


def test_preview_window_and_roles(client, org, auth):
    assert (
        client.get(PREVIEW, query_string={"from": "2025-09-01", "to": "2025-09-30"}).status_code
        == 401
    )
    for role in ("leader", "staff"):
        assert _preview(client, auth[role], "2025-09-01", "2025-09-30").status_code == 403
    resp = _preview(client, auth["admin"], "2025-10-01", "2025-09-30")
    assert resp.status_code == 422 and "to" in resp.get_json()["errors"]
    resp = _preview(client, auth["admin"], "2025-01-01", "2026-01-02")  # 367 days
    assert resp.status_code == 422 and "to" in resp.get_json()["errors"]
    assert _preview(client, auth["admin"], "2025-01-01", "2026-01-01").status_code == 200  # 366
    assert _preview(client, auth["admin"], "0001-01-01", "0001-01-02").status_code == 422
    assert _preview(client, auth["admin"], "2025-13-01", "2025-12-31").status_code == 422


def test_preview_defaults_to_thirty_days_from_today_and_paginates(client, org, auth):
    with clock.frozen(datetime(2025, 9, 1, 2, tzinfo=UTC)):
        rows = client.get(PREVIEW, headers=auth["secretary"]).get_json()
        page = client.get(PREVIEW, headers=auth["secretary"], query_string={"page_size": 1})
    assert {r["on"][:10] for r in rows} == {"2025-09-24"}
    assert json.loads(page.headers["X-Pagination"])["total"] == 2 and len(page.get_json()) == 1


# ------------------------------------------------------------------ settings


def test_settings_read_and_change_with_audit(client, db, org, auth):
    resp = client.get(SETTINGS, headers=auth["admin"])
    assert resp.status_code == 200
    assert resp.get_json() == {
        "upcoming_working_days": 5,
        "overdue_working_days": 1,
        "escalated_working_days": 10,
        "review_upcoming_working_days": 10,
        "review_overdue_working_days": 1,
        "send_at": "09:00",
        "mail_backlog_days": 7,
        "email_enabled": True,
        "digest_enabled": True,
    }
    for role in ("member", "hr", "leader", "staff"):
        assert client.get(SETTINGS, headers=auth[role]).status_code == 403
        assert (
            client.put(SETTINGS, headers=auth[role], json={"send_at": "08:30"}).status_code == 403
        )
    resp = client.put(
        SETTINGS, headers=auth["secretary"], json={"upcoming_working_days": 3, "send_at": "08:30"}
    )
    assert resp.status_code == 200
    assert (
        resp.get_json()["upcoming_working_days"] == 3
        and resp.get_json()["overdue_working_days"] == 1
    )
    assert client.get(SETTINGS, headers=auth["secretary"]).get_json()["send_at"] == "08:30"
    entry = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.object_type == "settings", AuditEntry.object_id == "reminders"
        )
    ).one()
    assert json.loads(entry.changes) == {
        "send_at": ["09:00", "08:30"],
        "upcoming_working_days": [5, 3],
    }
    # The ladder follows: 3 working days before Tue 2025-09-30 is Fri 09-26, at 08:30.
    with clock.frozen(datetime(2025, 9, 20, 2, tzinfo=UTC)):
        rows = _preview(client, auth["admin"], "2025-09-20", "2025-09-30").get_json()
    assert {r["on"] for r in rows} == {"2025-09-26T08:30:00+08:00"}


def test_invalid_settings_are_refused_by_field_in_chinese(client, db, org, auth):
    h = auth["admin"]
    resp = client.put(SETTINGS, headers=h, json={"upcoming_working_days": 0, "send_at": "25:00"})
    assert resp.status_code == 422
    errors = resp.get_json()["errors"]
    assert errors["upcoming_working_days"] == ["必须为 1 至 60 之间的整数。"]
    assert set(errors) == {"upcoming_working_days", "send_at"}
    resp = client.put(
        SETTINGS, headers=h, json={"overdue_working_days": 10, "escalated_working_days": 5}
    )
    assert resp.status_code == 422 and set(resp.get_json()["errors"]) == {"escalated_working_days"}
    for body in (
        {"colour": "red"},
        {"upcoming_working_days": "5"},
        {"email_enabled": None},
        {"send_at": "9:00:00"},
        [],
    ):
        assert client.put(SETTINGS, headers=h, json=body).status_code == 422, body
    assert client.get(SETTINGS, headers=h).get_json()["upcoming_working_days"] == 5
    assert not db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == "settings")
    ).all()


def test_the_mail_backlog_window_is_a_validated_setting(client, db, org, auth):
    h = auth["admin"]
    for bad in (0, 366, -7):
        resp = client.put(SETTINGS, headers=h, json={"mail_backlog_days": bad})
        assert resp.status_code == 422, bad
        assert resp.get_json()["errors"] == {"mail_backlog_days": ["必须为 1 至 365 之间的整数。"]}
    for bad in ("7", 7.5, True, None):
        resp = client.put(SETTINGS, headers=h, json={"mail_backlog_days": bad})
        assert resp.status_code == 422 and "mail_backlog_days" in resp.get_json()["errors"], bad
    assert client.get(SETTINGS, headers=h).get_json()["mail_backlog_days"] == 7
    assert not db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == "settings")
    ).all()
    resp = client.put(SETTINGS, headers=h, json={"mail_backlog_days": 30})
    assert resp.status_code == 200 and resp.get_json()["mail_backlog_days"] == 30
    assert client.get(SETTINGS, headers=h).get_json()["mail_backlog_days"] == 30
