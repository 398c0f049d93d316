"""The shared test infrastructure itself: the statement counter of tests/conftest.py and the
builders of tests/factories.py leave what their docstrings promise."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from supervision.org.models import Assignment
from tests import factories


def test_count_statements_sees_the_block_only_and_stops_listening_on_errors(db, count_statements):
    with count_statements() as statements:
        db.session.execute(sa.text("SELECT 11"))
    assert [s for s in statements if "11" in s] == ["SELECT 11"]
    with pytest.raises(RuntimeError), count_statements() as failed:
        db.session.execute(sa.text("SELECT 12"))
        raise RuntimeError("inside the block")
    db.session.execute(sa.text("SELECT 13"))
    assert [s for s in failed if "1" in s] == ["SELECT 12"]
    assert not [s for s in statements + failed if "13" in s]


def test_small_bureau_is_the_documented_tree(db):
    tree = factories.small_bureau(db.session)
    db.session.commit()
    bureau, station, team, traffic = (tree[k] for k in ("bureau", "station", "team", "traffic"))
    assert (bureau.kind, station.kind, team.kind) == ("branch", "station", "team")
    assert station.parent_id == bureau.id and team.parent_id == station.id
    assert traffic.parent_id == bureau.id
    assert bureau.head_person_id == tree["chief"].id and tree["chief"].leadership == "team_member"
    assert station.head_person_id == tree["head"].id
    assert tree["head"].leadership == "department_head"
    assert team.head_person_id is None and traffic.head_person_id is None

    bare = factories.small_bureau(
        db.session, chief=None, head=None, team=False, traffic=False, chief_heads_bureau=False
    )
    assert set(bare) == {"bureau", "station"} and bare["station"].head_person_id is None


def test_holder_holds_the_post_in_its_unit(db):
    tree = factories.small_bureau(db.session)
    post = factories.post(db.session, tree["team"], "户籍岗", is_sensitive=True)
    who = factories.holder(db.session, post, "甲", date(2024, 1, 1), personnel_type="auxiliary")
    elsewhere = factories.holder(db.session, post, "乙", org_unit=tree["station"])
    db.session.commit()
    assert (who.name, who.org_unit_id, who.personnel_type) == ("甲", tree["team"].id, "auxiliary")
    assert elsewhere.org_unit_id == tree["station"].id
    held = db.session.scalars(sa.select(Assignment).where(Assignment.person_id == who.id)).one()
    assert (held.post_id, held.start_date, held.end_date) == (post.id, date(2024, 1, 1), None)


def test_final_and_draft_talks(db):
    tree = factories.small_bureau(db.session)
    officer = factories.person(db.session, tree["station"], "民警")
    final = factories.final_talk(
        db.session, officer, [tree["head"]], datetime(2025, 9, 10, 2, tzinfo=UTC)
    )
    draft = factories.draft_talk(db.session, officer.id, [tree["head"].id], content="草稿")
    db.session.commit()
    assert (final.status, final.period, final.recorder_id) == ("final", "2025Q3", tree["head"].id)
    assert {(s.person_id, s.role) for s in final.signatures} == {
        (officer.id, "interviewee"),
        (tree["head"].id, "interviewer"),
    }
    assert final.location == factories.TALK_TEXT["location"]
    assert (draft.status, draft.content, draft.held_at, draft.signatures) == (
        "draft",
        "草稿",
        factories.DRAFT_HELD_AT,  # a draft needs a date: the factory gives this one
        [],
    )


def test_risk_point_with_one_measure_or_none(db):
    tree = factories.small_bureau(db.session)
    post = factories.post(db.session, tree["station"], "案件审核岗", is_sensitive=True)
    point = factories.risk_point(
        db.session, tree["station"], tree["head"], post=post, due_on=date(2030, 1, 1)
    )
    bare = factories.risk_point(db.session, tree["station"].id, tree["head"].id, measure=None)
    db.session.commit()
    assert (point.status, point.post_id, point.likelihood, point.impact) == ("draft", post.id, 3, 4)
    [measure] = point.measures
    assert (measure.description, measure.owner_id, measure.due_on) == (
        "双人保管",
        tree["head"].id,
        date(2030, 1, 1),
    )
    assert bare.measures == [] and bare.post_id is None


def test_rotation_plan_goes_as_far_as_asked(db):
    tree = factories.small_bureau(db.session)
    hukou = factories.post(db.session, tree["station"], "户籍岗", is_sensitive=True)
    desk = factories.post(db.session, tree["station"], "内勤岗")
    a = factories.holder(db.session, hukou, "甲", date(2018, 1, 1))
    b = factories.holder(db.session, hukou, "乙", date(2018, 1, 1))
    draft = factories.rotation_plan(db.session, [(a, hukou)])
    assert draft.status == "draft" and draft.items[0].to_post_id is None
    with pytest.raises(ValueError):
        factories.rotation_plan(db.session, [(b, hukou, desk, date(2025, 7, 1))], status="approved")
    with pytest.raises(ValueError):
        factories.rotation_plan(db.session, [], status="done")
    done = factories.rotation_plan(
        db.session,
        [(b, hukou, desk, date(2025, 7, 1))],
        status="executed",
        meeting_date=date(2025, 6, 10),
    )
    db.session.commit()
    assert (done.status, done.minutes_no) == ("executed", "党委会〔2025〕1号")
    held = db.session.scalars(
        sa.select(Assignment.post_id).where(
            Assignment.person_id == b.id, Assignment.end_date.is_(None)
        )
    ).all()
    assert held == [desk.id]
