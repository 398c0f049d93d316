"""The obligations engine against a real database (SPEC §6): who owes, statuses, conductors,
waivers, the summary by unit, and a bounded number of statements."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from supervision.common import clock
from supervision.common.errors import Conflict, Invalid
from supervision.common.periods import Period
from supervision.obligations import engine
from supervision.obligations.models import ObligationWaiver, TalkConductor
from supervision.obligations.services import create_waiver
from supervision.obligations.settings import get_obligation_settings, update_obligation_settings
from supervision.org.models import Assignment, OrgUnit, Person, Post
from supervision.talks.models import Talk, TalkSignature
from tests import factories

CST = timezone(timedelta(hours=8))
Q2, Q3, Q4 = Period.parse("2025Q2"), Period.parse("2025Q3"), Period.parse("2025Q4")
AFTER_Q3 = date(2025, 10, 15)


@pytest.fixture
def org(db):
    """bureau (head: chief) > station (head: head) > team (no head); traffic (no head).
    A sensitive post in the team and in traffic, a plain post in the station."""
    s = db.session
    tree = factories.small_bureau(s)
    posts = {
        "team_post": factories.post(s, tree["team"], "户籍岗", is_sensitive=True),
        "traffic_post": factories.post(s, tree["traffic"], "事故处理岗", is_sensitive=True),
        "desk": factories.post(s, tree["station"], "内勤岗"),
    }
    s.commit()
    return {**tree, **posts}


def _holder(db, org, unit="team", post="team_post", start=date(2020, 1, 1), end=None, **extra):
    p = factories.holder(db.session, org[post], start=start, end=end, org_unit=org[unit], **extra)
    db.session.commit()
    return p


def _talk(
    db, person, held_at, type_="integrity_reminder", status="final", period=None, revision_of=None
):
    """A talk row as the talk records would store it (period: its own local period by default)."""
    kind = {"integrity_reminder": "quarter", "supervision": "half", "heart_to_heart": "year"}[type_]
    talk = Talk(
        type=type_,
        status=status,
        held_at=held_at,
        interviewee_id=person.id,
        period=period or str(Period.of(clock.local(held_at).date(), kind)),
        revision_of_id=revision_of.id if revision_of else None,
    )
    db.session.add(talk)
    db.session.commit()
    return talk


def _one(db, person, period=Q3, as_of=AFTER_Q3, type_="integrity_reminder"):
    rows = [
        r
        for r in engine.compute(db.session, period, [type_], as_of=as_of)
        if r.person_id == person.id
    ]
    assert len(rows) <= 1
    return rows[0] if rows else None


def test_joining_on_20_august_owes_q3_but_joining_on_15_september_first_owes_q4(db, org):
    early = _holder(db, org, start=date(2025, 8, 20))
    late = _holder(db, org, start=date(2025, 9, 15))
    assert _one(db, early).status == "overdue"
    row = _one(db, late)
    assert row.status == "not_required" and "16" in row.reason
    assert _one(db, late, Q4, date(2025, 12, 1)).status == "pending"


def test_leaving_before_the_quarter_end_is_not_required_and_out_of_the_rate(db, org):
    gone = _holder(db, org, end=date(2025, 9, 29))
    stays = _holder(db, org)
    _talk(db, stays, datetime(2025, 9, 1, 2, tzinfo=UTC))
    row = _one(db, gone)
    assert row.status == "not_required" and "2025-09-29" in row.reason
    total = engine.summary(db.session, Q3, ["integrity_reminder"], as_of=AFTER_Q3)["total"]
    assert (total["not_required"], total["required"], total["completion_rate"]) == (1, 1, 1.0)


def test_a_talk_just_before_local_midnight_counts_for_q2_and_just_after_for_q3(db, org):
    before = _holder(db, org)
    after = _holder(db, org)
    t_before = _talk(db, before, datetime(2025, 6, 30, 23, 30, tzinfo=CST))
    t_after = _talk(db, after, datetime(2025, 7, 1, 0, 10, tzinfo=CST))
    assert (t_before.period, t_after.period) == ("2025Q2", "2025Q3")
    assert _one(db, before, Q2).status == "done" and _one(db, before, Q2).talk_id == t_before.id
    assert _one(db, after, Q2).status == "overdue"
    assert _one(db, after, Q3).status == "done" and _one(db, before, Q3).status == "overdue"


def test_a_talk_signed_after_the_period_counts_for_the_period_it_was_held_in(db, org):
    p = _holder(db, org)
    talk = _talk(db, p, datetime(2025, 9, 20, 2, tzinfo=UTC))
    signed = datetime(2025, 10, 3, 2, tzinfo=UTC)
    talk.finalized_at = signed
    db.session.add(
        TalkSignature(talk_id=talk.id, person_id=p.id, role="interviewee", signed_at=signed)
    )
    db.session.commit()
    assert _one(db, p).status == "done"
    assert _one(db, p, Q4, date(2025, 10, 5)).status == "pending"


def test_a_make_up_talk_after_the_due_date_is_done_late_and_does_not_carry_over(db, org):
    p = _holder(db, org)
    talk = _talk(db, p, datetime(2025, 10, 10, 2, tzinfo=UTC), period="2025Q3")
    row = _one(db, p)
    assert (row.status, row.talk_id) == ("done_late", talk.id)
    assert _one(db, p, Q4, AFTER_Q3).status == "pending"
    # As of a day before the talk was held, it did not exist yet.
    assert _one(db, p, Q3, date(2025, 10, 9)).status == "overdue"


def test_a_draft_never_counts(db, org):
    p = _holder(db, org)
    _talk(db, p, datetime(2025, 9, 1, 2, tzinfo=UTC), status="draft")
    assert _one(db, p).status == "overdue" and _one(db, p).talk_id is None


def test_a_superseded_talk_does_not_count_twice(db, org):
    p, q = _holder(db, org), _holder(db, org)
    first = _talk(db, p, datetime(2025, 9, 1, 2, tzinfo=UTC))
    second = _talk(db, p, datetime(2025, 9, 1, 2, tzinfo=UTC), revision_of=first)
    assert _one(db, p).talk_id == second.id
    # A correction moving the talk into October leaves Q3 open: the original no longer counts.
    wrong = _talk(db, q, datetime(2025, 9, 30, 2, tzinfo=UTC))
    fixed = _talk(db, q, datetime(2025, 10, 2, 2, tzinfo=UTC), revision_of=wrong)
    assert _one(db, q).status == "overdue"
    assert _one(db, q, Q4, date(2025, 10, 5)).talk_id == fixed.id
    # A draft revision does not supersede.
    draft_fix = _talk(
        db, p, datetime(2025, 9, 2, 2, tzinfo=UTC), status="draft", revision_of=second
    )
    assert draft_fix.id and _one(db, p).talk_id == second.id


def test_a_waiver_leaves_the_denominator_of_the_completion_rate(db, org):
    done, waived, open_ = _holder(db, org), _holder(db, org), _holder(db, org)
    _talk(db, done, datetime(2025, 9, 1, 2, tzinfo=UTC))
    create_waiver(
        db.session,
        {
            "person_id": waived.id,
            "type": "integrity_reminder",
            "period": "2025q3",
            "reason": "长期病假",
        },
        None,
    )
    db.session.commit()
    assert _one(db, waived).status == "waived" and _one(db, waived).reason == "长期病假"
    total = engine.summary(db.session, Q3, ["integrity_reminder"], as_of=AFTER_Q3)["total"]
    assert (total["required"], total["waived"], total["completion_rate"]) == (2, 1, 0.5)
    assert _one(db, open_).status == "overdue"
    with pytest.raises(Conflict):
        create_waiver(
            db.session,
            {
                "person_id": waived.id,
                "type": "integrity_reminder",
                "period": "2025Q3",
                "reason": "again",
            },
            None,
        )
    with pytest.raises(Invalid) as exc:
        create_waiver(
            db.session,
            {"person_id": waived.id, "type": "supervision", "period": "2025Q3", "reason": " "},
            None,
        )
    assert set(exc.value.errors) == {"period", "reason"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ObligationWaiver)) == 1


def test_pending_on_the_due_date_and_overdue_the_day_after(db, org):
    p = _holder(db, org)
    assert _one(db, p, as_of=date(2025, 9, 30)).status == "pending"
    assert _one(db, p, as_of=date(2025, 10, 1)).status == "overdue"
    assert _one(db, p, as_of=date(2025, 9, 30)).due_date == date(2025, 9, 30)


def test_inactive_people_owe_nothing(db, org):
    p = _holder(db, org, is_active=False)
    assert _one(db, p) is None


def test_the_conductor_is_the_responsible_head(db, org):
    in_team = _holder(db, org)
    in_traffic = _holder(db, org, unit="traffic", post="traffic_post")
    factories.assign(db.session, org["head"], org["team_post"], date(2020, 1, 1))
    db.session.commit()
    assert _one(db, in_team).conductor_id == org["head"].id
    assert _one(db, in_traffic).conductor_id == org["chief"].id
    # The station head is himself the head of his unit: the bureau head conducts.
    assert _one(db, org["head"]).conductor_id == org["chief"].id


def test_the_supervision_conductor_is_the_assigned_member_else_the_secretary(db, org):
    h1 = Period.parse("2025H2")
    as_of = date(2025, 8, 1)
    assert _one(db, org["head"], h1, as_of, "supervision").conductor_id is None
    member = factories.person(db.session, org["bureau"], "纪委委员")
    secretary = factories.person(db.session, org["bureau"], "纪委书记")
    factories.user(db.session, "sec", ["discipline_secretary"], person=secretary)
    db.session.add(
        TalkConductor(person_id=org["head"].id, type="supervision", conductor_id=member.id)
    )
    db.session.commit()
    assert _one(db, org["head"], h1, as_of, "supervision").conductor_id == member.id
    assert _one(db, org["chief"], h1, as_of, "supervision").conductor_id == secretary.id
    rows = engine.compute(db.session, h1, ["supervision"], as_of=as_of)
    assert {r.person_id for r in rows} == {org["head"].id, org["chief"].id}


def test_heart_to_heart_goes_to_the_party_secretary_for_team_members(db, org):
    deputy = factories.person(db.session, org["bureau"], "副局长", leadership="team_member")
    db.session.commit()
    year, as_of = Period.parse("2025"), date(2025, 12, 1)
    assert _one(db, deputy, year, as_of, "heart_to_heart").conductor_id == org["chief"].id
    update_obligation_settings(db.session, {"party_secretary_staff_no": deputy.staff_no})
    db.session.commit()
    assert _one(db, org["chief"], year, as_of, "heart_to_heart").conductor_id == deputy.id
    # The party secretary's own talk, and a department head's, go to the responsible head.
    assert _one(db, deputy, year, as_of, "heart_to_heart").conductor_id == org["chief"].id
    assert _one(db, org["head"], year, as_of, "heart_to_heart").conductor_id == org["chief"].id


def test_rules_are_updated_partly_and_validated_as_a_whole(db, org):
    rules = update_obligation_settings(
        db.session, {"integrity_reminder": {"min_days_in_period": 10}}
    )
    assert rules["integrity_reminder"] == {
        "frequency": "quarter",
        "min_days_in_period": 10,
        "conductor": "responsible_head",
    }
    db.session.commit()
    late = _holder(db, org, start=date(2025, 9, 15))
    assert _one(db, late).status == "overdue"
    with pytest.raises(Invalid) as exc:
        update_obligation_settings(
            db.session, {"party_secretary_staff_no": "NOPE", "supervision": {"frequency": "year"}}
        )
    assert set(exc.value.errors) == {"party_secretary_staff_no", "supervision.frequency"}
    assert get_obligation_settings(db.session)["integrity_reminder"]["min_days_in_period"] == 10


def test_the_summary_breaks_down_by_child_unit(db, org):
    a, b = _holder(db, org), _holder(db, org)
    c = _holder(db, org, unit="traffic", post="traffic_post")
    _talk(db, a, datetime(2025, 9, 1, 2, tzinfo=UTC))
    _talk(db, c, datetime(2025, 10, 2, 2, tzinfo=UTC), period="2025Q3")
    out = engine.summary(db.session, Q3, ["integrity_reminder"], as_of=AFTER_Q3, unit=org["bureau"])
    assert out["total"]["org_unit_id"] == org["bureau"].id
    assert (out["total"]["required"], out["total"]["completion_rate"]) == (3, 2 / 3)
    by_unit = {u["org_unit_id"]: u for u in out["units"]}
    assert set(by_unit) == {org["station"].id, org["traffic"].id}
    station, traffic = by_unit[org["station"].id], by_unit[org["traffic"].id]
    assert (station["done"], station["overdue"], station["completion_rate"]) == (1, 1, 0.5)
    assert (traffic["done_late"], traffic["completion_rate"]) == (1, 1.0)
    assert b.id
    top = engine.summary(db.session, Q3, ["integrity_reminder"], as_of=AFTER_Q3)
    assert [u["org_unit_id"] for u in top["units"]] == [org["bureau"].id]
    assert top["total"]["org_unit_id"] is None and top["total"]["required"] == 3


def _bulk(db, people: int) -> None:
    """A root with ten units, each with a sensitive post; `people` holders, a third with a
    final talk for 2025Q3, a tenth waived, every fiftieth a department head."""
    s = db.session
    s.execute(
        sa.insert(OrgUnit),
        [{"id": 1, "code": "R", "name": "root", "kind": "bureau", "path": "1/", "depth": 0}],
    )
    s.execute(
        sa.insert(OrgUnit),
        [
            {
                "id": i,
                "code": f"U{i}",
                "name": f"u{i}",
                "kind": "team",
                "parent_id": 1,
                "path": f"1/{i}/",
                "depth": 1,
                "head_person_id": None,
            }
            for i in range(2, 12)
        ],
    )
    s.execute(
        sa.insert(Post),
        [
            {"id": i, "code": f"P{i}", "name": f"p{i}", "org_unit_id": i, "is_sensitive": True}
            for i in range(2, 12)
        ],
    )
    s.execute(
        sa.insert(Person),
        [
            {
                "id": i,
                "staff_no": f"B{i:06d}",
                "name": f"n{i}",
                "personnel_type": "police",
                "org_unit_id": 2 + i % 10,
                "leadership": "department_head" if i % 50 == 0 else "none",
            }
            for i in range(1, people + 1)
        ],
    )
    s.execute(
        sa.insert(Assignment),
        [
            {"person_id": i, "post_id": 2 + i % 10, "start_date": date(2020, 1, 1)}
            for i in range(1, people + 1)
        ],
    )
    s.execute(
        sa.insert(Talk),
        [
            {
                "type": "integrity_reminder",
                "status": "final",
                "held_at": datetime(2025, 9, 1, 2, tzinfo=UTC),
                "interviewee_id": i,
                "period": "2025Q3",
            }
            for i in range(1, people + 1, 3)
        ],
    )
    s.execute(
        sa.insert(ObligationWaiver),
        [
            {"person_id": i, "type": "integrity_reminder", "period": "2025Q3", "reason": "x"}
            for i in range(2, people + 1, 10)
        ],
    )
    for i in range(2, 12):
        s.execute(sa.update(OrgUnit).where(OrgUnit.id == i).values(head_person_id=i * 7))
    s.commit()


def _statements(count_statements, fn) -> tuple[int, object]:
    with count_statements() as statements:
        result = fn()
    return len(statements), result


def _truncate(db):
    for model in (ObligationWaiver, Talk, Assignment):
        db.session.execute(sa.delete(model))
    db.session.execute(sa.update(OrgUnit).values(head_person_id=None))
    for stmt in (
        sa.delete(Person),
        sa.delete(Post),
        sa.delete(OrgUnit).where(OrgUnit.parent_id.is_not(None)),
        sa.delete(OrgUnit),
    ):
        db.session.execute(stmt)
    db.session.commit()


def test_the_summary_runs_as_many_statements_for_2000_people_as_for_200(db, count_statements):
    counts = {}
    for n in (200, 2000):
        _bulk(db, n)
        db.session.expire_all()
        root = db.session.get(OrgUnit, 1)
        counts[n], out = _statements(
            count_statements,
            lambda root=root: engine.summary(
                db.session, Q3, ["integrity_reminder"], as_of=AFTER_Q3, unit=root
            ),
        )
        assert out["total"]["required"] + out["total"]["waived"] == n
        assert out["total"]["done"] == len(range(1, n + 1, 3))
        assert len(out["units"]) == 10
        assert sum(u["required"] for u in out["units"]) == out["total"]["required"]
        listed, rows = _statements(
            count_statements,
            lambda: engine.compute(
                db.session, Period.parse("2025H2"), ["supervision"], as_of=AFTER_Q3
            ),
        )
        assert len(rows) == n // 50 and listed <= 8
        _truncate(db)
    assert counts[200] == counts[2000] <= 8, counts
