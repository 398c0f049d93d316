"""The grouped inbox (SPEC §8, issue 13 item 3): groups by step, type, period and unit with
counts and drill-down links, filters, marking a group read, texts rendered in the reader's
language (page and API) from the stored fields, the escalation naming the late conductor,
the 督办 wording, a bounded number of statements, and the "my talks" explanation."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from supervision.org.models import Person
from supervision.reminders.models import Notification
from supervision.reminders.window import ReminderWindow
from tests import factories
from tests.conftest import csrf_from

WHEN = datetime(2025, 10, 15, 1, tzinfo=UTC)


@pytest.fixture
def bureau(db):
    """A bureau with a traffic department (and its team) and a station; the secretary."""
    s = db.session
    root = factories.unit(s, "东湖分局", kind="branch")
    traffic = factories.unit(s, "交通管理大队", parent=root)
    team = factories.unit(s, "交警一中队", kind="team", parent=traffic)
    station = factories.unit(s, "城关派出所", kind="station", parent=root)
    head = factories.person(s, traffic, "王大队长", leadership="department_head")
    sec = factories.person(s, root, "周书记")
    people = {
        "t1": factories.person(s, traffic, "民警甲"),
        "t2": factories.person(s, traffic, "民警乙"),
        "t3": factories.person(s, team, "民警丙"),
        "s1": factories.person(s, station, "民警丁"),
    }
    s.flush()
    for unit, name in ((traffic, "交通管理大队"), (team, "交警一中队"), (station, "城关派出所")):
        unit.name = name  # the factory numbers names; the titles read better without
    factories.user(s, "secretary", ["discipline_secretary"], person=sec)
    s.commit()
    s.execute(sa.delete(Notification))  # the notice of the secretary's own role grant
    s.commit()
    return {
        "sec": sec.id,
        "head": head.id,
        "traffic": traffic.id,
        "station": station.id,
        **{k: p.id for k, p in people.items()},
    }


def _add(
    db,
    recipient,
    person,
    step="overdue",
    *,
    type_="integrity_reminder",
    period="2025Q3",
    object_type="obligation",
    read=False,
    conductor=None,
    due=date(2025, 9, 30),
):
    ref = f"{person}:{type_}" if object_type == "obligation" else f"{person}:1"
    n = Notification(
        recipient_id=recipient,
        step=step,
        object_type=object_type,
        object_ref=ref,
        period=period if object_type == "obligation" else due.isoformat(),
        person_id=person,
        type=type_ if object_type == "obligation" else None,
        conductor_id=conductor,
        due_on=due,
        on=WHEN,
        subject="存储的中文主题",
        body="存储的中文正文",
        link=f"/talks/new?type={type_}&interviewee_id={person}&period={period}",
        created_at=WHEN,
        read_at=WHEN if read else None,
    )
    db.session.add(n)
    db.session.commit()
    return n.id


def _groups(html: str) -> list[tuple[str, str, str]]:
    """(title, count, unread) of each group on the page, in order."""
    return re.findall(
        r'<section class="list-group-item inbox-group[^"]*"[^>]*data-count="(\d+)" '
        r'data-unread="(\d+)">.*?class="[^"]*group-title[^"]*">([^<]+)</h2>',
        html,
        re.S,
    )


def _fill(db, b):
    for key in ("t1", "t2", "t3"):
        _add(db, b["sec"], b[key])
    _add(db, b["sec"], b["s1"], read=True)
    _add(db, b["sec"], b["t1"], "escalated", conductor=b["head"])
    _add(db, b["sec"], b["t2"], period="2025Q2", due=date(2025, 6, 30))


def test_groups_count_by_step_type_period_and_unit(client, login, db, bureau):
    _fill(db, bureau)
    login("secretary")
    html = client.get("/notifications/").get_data(as_text=True)
    groups = [(title, int(count), int(unread)) for count, unread, title in _groups(html)]
    assert groups == [
        ("交通管理大队 1 人逾期未谈，已督办（2025Q3廉政提醒谈话）", 1, 1),
        ("交通管理大队 3 人逾期未谈（2025Q3廉政提醒谈话）", 3, 3),  # the team's 丙 counts here
        ("交通管理大队 1 人逾期未谈（2025Q2廉政提醒谈话）", 1, 1),
        ("城关派出所 1 人逾期未谈（2025Q3廉政提醒谈话）", 1, 0),
    ]
    # The drill-down: the dashboard's people of that unit, type, period and status.
    link = (
        f"/obligations/?type=integrity_reminder&amp;period=2025Q3&amp;"
        f"org_unit_id={bureau['traffic']}&amp;status=overdue"
    )
    assert html.count(f'class="btn btn-sm btn-outline-primary drill-down" href="{link}"') == 2
    listed = client.get(link.replace("&amp;", "&"))
    assert listed.status_code == 200
    assert "交通管理大队 · 逾期未谈" in listed.get_data(as_text=True)  # people: see the e2e test
    assert html.count('class="mark-group-form"') == 3  # not on the group already read


def test_a_group_expands_to_its_items_in_the_readers_language(client, login, db, bureau):
    _fill(db, bureau)
    login("secretary")
    html = client.get("/notifications/?step=escalated").get_data(as_text=True)
    assert "已督办" in html and "已升级" not in html
    item = re.search(r'<li class="d-flex.*?</li>', html, re.S).group(0)
    assert "督办：王大队长未按期与民警甲开展2025Q3廉政提醒谈话（2025-09-30到期）" in item
    assert "王大队长应于2025-09-30前与民警甲开展" in item and "存储的中文" not in item

    client.get("/lang/en")
    html = client.get("/notifications/?step=escalated").get_data(as_text=True)
    assert "交通管理大队: 1 people overdue for the " in html and ", under supervision" in html
    assert (
        "Supervision: 王大队长 has not held the" in html
        and "with 民警甲 for 2025Q3 (due 2025-09-30)" in html
    )
    assert "存储的中文" not in html


def test_the_api_renders_subject_and_body_in_the_callers_language(client, login, db, bureau):
    nid = _add(db, bureau["sec"], bureau["t1"], "escalated", conductor=bureau["head"])
    login("secretary")
    [zh] = client.get("/api/v1/notifications").get_json()
    assert zh["id"] == nid and zh["subject"].startswith("督办：王大队长未按期与民警甲")
    assert zh["body"].startswith("王大队长应于2025-09-30前")
    client.get("/lang/en")
    [en] = client.get("/api/v1/notifications").get_json()
    assert en["subject"].startswith("Supervision: 王大队长 has not held the")
    assert en["body"].startswith("王大队长 was to hold the")
    # Stored once, in the default language, for the e-mail.
    assert db.session.get(Notification, nid).subject == "存储的中文主题"


def test_without_the_objects_name_the_stored_text_is_shown(client, login, db, bureau):
    n = Notification(
        recipient_id=bureau["sec"],
        step="digest",
        object_type="",
        object_ref="x",
        period="2025-W42",
        subject="每周汇总主题",
        body="汇总正文",
        link="/notifications/",
        on=WHEN,
        created_at=WHEN,
    )
    db.session.add(n)
    db.session.commit()
    login("secretary")
    html = client.get("/notifications/").get_data(as_text=True)
    assert "每周汇总主题" in html and "每周待办汇总 1 份" in html


def test_filters_by_step_type_period_and_read_state(client, login, db, bureau):
    _fill(db, bureau)
    _add(db, bureau["sec"], bureau["t3"], "rotation_due", object_type="rotation")
    login("secretary")

    def titles(query):
        html = client.get("/notifications/" + query).get_data(as_text=True)
        return [t for _c, _u, t in _groups(html)]

    assert titles("?step=escalated") == ["交通管理大队 1 人逾期未谈，已督办（2025Q3廉政提醒谈话）"]
    assert titles("?period=2025Q2") == ["交通管理大队 1 人逾期未谈（2025Q2廉政提醒谈话）"]
    assert titles("?type=rotation") == ["交通管理大队 1 人应轮岗交流"]
    assert titles("?show=read") == ["城关派出所 1 人逾期未谈（2025Q3廉政提醒谈话）"]
    assert len(titles("?show=unread")) == 4
    assert titles("?type=supervision") == []
    assert len(titles("?step=bogus&type=bogus&period=2025Q9")) == 5  # ignored, not a 500


def test_mark_a_group_read(client, login, db, bureau):
    _fill(db, bureau)
    login("secretary")
    html = client.get("/notifications/").get_data(as_text=True)
    form = {
        "step": "overdue",
        "kind": "integrity_reminder",
        "period": "2025Q3",
        "unit": str(bureau["traffic"]),
        "next": "/notifications/?show=unread",
    }
    assert client.post("/notifications/groups/read", data=form).status_code == 400  # no CSRF
    resp = client.post("/notifications/groups/read", data={**form, "csrf_token": csrf_from(html)})
    assert resp.status_code == 302 and resp.headers["Location"] == "/notifications/?show=unread"
    rows = db.session.execute(
        sa.select(
            Notification.person_id,
            Notification.period,
            Notification.step,
            Notification.read_at.is_not(None),
        )
    ).all()
    read = {(p, period, step) for p, period, step, done in rows if done}
    assert read == {
        (bureau["t1"], "2025Q3", "overdue"),
        (bureau["t2"], "2025Q3", "overdue"),
        (bureau["t3"], "2025Q3", "overdue"),  # the team's, in the department's group
        (bureau["s1"], "2025Q3", "overdue"),  # read before
    }
    bad = {**form, "csrf_token": csrf_from(html), "step": "nope"}
    assert client.post("/notifications/groups/read", data=bad).status_code == 400


def test_groups_are_paginated_with_a_bounded_number_of_statements(
    client, login, db, bureau, count_statements
):
    def statements() -> int:
        with count_statements() as seen:
            assert client.get("/notifications/").status_code == 200
        return len(seen)

    login("secretary")
    _fill(db, bureau)
    few = statements()
    s = db.session
    units = [factories.unit(s, f"派出所{i}", kind="station") for i in range(25)]
    s.flush()
    people = [factories.person(s, u, f"民警{i}") for i, u in enumerate(units)]
    s.commit()
    for p in people:
        _add(db, bureau["sec"], p.id)
    assert statements() == few
    html = client.get("/notifications/?page=2").get_data(as_text=True)
    assert len(_groups(html)) == 29 - 20 and "共 29 条" in html


def test_my_talks_explains_which_periods_get_no_reminder(app, client, login, db, bureau):
    with app.test_request_context():
        window = ReminderWindow(
            {"escalated_working_days": 10, "mail_backlog_days": 7}, date(2025, 12, 1)
        )
        assert window.covers("2025Q4") and window.covers("2025Q2")
        assert not window.covers("2025Q1") and window.covers("2024")
    factories.user(db.session, "head", ["leader"], person=db.session.get(Person, bureau["head"]))
    db.session.commit()
    login("head")
    html = client.get("/talks/mine").get_data(as_text=True)
    assert "提醒只覆盖每类谈话的本期及之前 2 期" in html and "第 10 个工作日" in html


def test_a_large_group_shows_its_newest_items_and_the_rest_by_count(client, login, db, bureau):
    """Each group shows its ITEMS_PER_GROUP newest items, read per group from the database,
    and says how many more there are; the counts stay whole (issue 14)."""
    from supervision.reminders import inbox

    many = inbox.ITEMS_PER_GROUP + 5
    ids = []
    for i in range(many):
        p = factories.person(
            db.session, db.session.get(Person, bureau["traffic"]).org_unit, f"警{i}"
        )
        db.session.flush()
        ids.append(_add(db, bureau["sec"], p.id))
        n = db.session.get(Notification, ids[-1])
        n.created_at = datetime(2025, 10, 1, tzinfo=UTC).replace(minute=i)
        db.session.commit()
    other = _add(db, bureau["sec"], bureau["s1"])  # another group, one item
    login("secretary")
    html = client.get("/notifications/").get_data(as_text=True)
    shown = [int(x) for x in re.findall(r'data-notification="(\d+)"', html)]
    assert other in shown
    shown.remove(other)
    assert shown == ids[::-1][: inbox.ITEMS_PER_GROUP]
    assert f'data-count="{many}"' in html
    assert "另有 5 条" in html


def test_the_group_unit_is_the_one_the_person_was_in_when_reminded(client, login, db, bureau):
    """A notification keeps the unit its person was in when it was created (stored, so that
    the inbox reads groups from an index): moving 丙 to the station later leaves the old
    reminder under the traffic department and puts a new one under the station; a notice
    about no unit (a digest) has none (issue 14)."""
    from supervision.reminders.outbox import insert_new

    before = _add(db, bureau["sec"], bureau["t3"])  # 丙, of the traffic department's team
    db.session.get(Person, bureau["t3"]).org_unit_id = bureau["station"]
    db.session.commit()
    common = dict(
        recipient_id=bureau["sec"],
        person_id=bureau["t3"],
        on=WHEN,
        body="正文",
        link="/",
        created_at=WHEN,
        email_status="none",
        email_to=None,
    )
    rows = [
        common
        | dict(
            step="overdue",
            object_type="obligation",
            object_ref=f"{bureau['t3']}:integrity_reminder",
            period="2025Q2",
            type="integrity_reminder",
            due_on=date(2025, 6, 30),
            subject="主题",
        ),
        common
        | dict(
            step="digest",
            object_type="",
            object_ref=str(bureau["sec"]),
            period="2025-W42",
            type=None,
            due_on=None,
            subject="周报",
        ),
    ]
    insert_new(db.session, rows)
    db.session.commit()
    units = dict(db.session.execute(sa.select(Notification.period, Notification.unit_id)).all())
    assert db.session.get(Notification, before).unit_id == bureau["traffic"]
    assert units == {"2025Q3": bureau["traffic"], "2025Q2": bureau["station"], "2025-W42": None}
    login("secretary")
    html = client.get("/notifications/?step=overdue").get_data(as_text=True)
    titles = [title for _count, _unread, title in _groups(html)]
    assert titles == [
        "交通管理大队 1 人逾期未谈（2025Q3廉政提醒谈话）",
        "城关派出所 1 人逾期未谈（2025Q2廉政提醒谈话）",
    ]
