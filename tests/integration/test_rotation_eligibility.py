"""Rotation eligibility, deferrals, holds and plans against a real database (SPEC §7)."""

from datetime import date

import pytest
import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.audit.services import parsed_changes
from supervision.common.errors import Conflict, Invalid
from supervision.org import services as org
from supervision.org.models import Assignment
from supervision.rotation import eligibility, plans, services
from supervision.rotation.eligibility import Filters
from supervision.rotation.models import RotationDeferral
from supervision.rotation.settings import update_rotation_settings
from tests import factories


@pytest.fixture
def org_(db):
    s = db.session
    tree = factories.small_bureau(s, chief=None, head=None, team=False)
    branch, station, other = tree["bureau"], tree["station"], tree["traffic"]
    posts = {
        "hukou": factories.post(s, station, "户籍岗", is_sensitive=True),
        "cases": factories.post(s, station, "办案岗", is_sensitive=True, sworn_only=True),
        "desk": factories.post(s, station, "内勤岗"),
        "traffic": factories.post(s, other, "事故处理岗", is_sensitive=True),
        "head": factories.post(s, station, "所长", is_leadership=True),
        "forensic": factories.post(
            s, other, "法医", is_sensitive=True, is_technical=True, rotation_years=8
        ),
    }
    s.commit()
    return {"branch": branch, "station": station, "other": other, **posts}


def _person(db, org_, post="hukou", start=date(2019, 3, 1), end=None, **extra):
    p = factories.holder(
        db.session, org_[post], start=start, end=end, org_unit=org_["station"], **extra
    )
    db.session.commit()
    return p


def _rows(db, as_of, **filters):
    return eligibility.compute(db.session, as_of, filters=Filters(**filters))


def _one(db, person, as_of):
    rows = _rows(db, as_of, person_id=person.id)
    assert len(rows) == 1, rows
    return rows[0]


def test_due_on_the_fifth_anniversary_and_upcoming_the_day_before(db, org_):
    p = _person(db, org_)
    before, on = _one(db, p, date(2024, 2, 29)), _one(db, p, date(2024, 3, 1))
    assert (before.status, on.status) == ("upcoming", "due")
    assert on.tenure_start == date(2019, 3, 1) and on.due_on == date(2024, 3, 1)
    assert on.threshold_years == 5 and on.tenure_days == 1827 and on.reasons == []
    assert _one(db, p, date(2023, 9, 1)).status == "not_due"  # 182 days before


def test_a_29_february_start(db, org_):
    p = _person(db, org_, start=date(2020, 2, 29), personnel_type="auxiliary")
    assert _one(db, p, date(2023, 2, 27)).status == "upcoming"
    row = _one(db, p, date(2023, 2, 28))
    assert (row.status, row.due_on, row.threshold_years) == ("due", date(2023, 2, 28), 3)


def test_renaming_and_recoding_the_post_keeps_the_tenure(db, org_):
    p = _person(db, org_)
    org.update_post(db.session, org_["hukou"], {"name": "户政窗口岗", "code": "HZ-01"})
    db.session.commit()
    row = _one(db, p, date(2024, 3, 1))
    assert (row.tenure_start, row.status, row.post_name) == (date(2019, 3, 1), "due", "户政窗口岗")


def test_a_different_post_starts_a_new_tenure(db, org_):
    p = _person(db, org_, end=date(2022, 6, 30))
    factories.assign(db.session, p, org_["traffic"], date(2022, 7, 1))
    db.session.commit()
    row = _one(db, p, date(2024, 3, 1))
    assert (row.post_id, row.tenure_start, row.status) == (
        org_["traffic"].id,
        date(2022, 7, 1),
        "not_due",
    )


def _gapped(db, org_, gap_days):
    """Held from 2017-01-01 to 2019-12-31, then again after `gap_days` days away."""
    p = _person(db, org_, start=date(2017, 1, 1), end=date(2019, 12, 31))
    back = date(2020, 1, 1).fromordinal(date(2020, 1, 1).toordinal() + gap_days)
    factories.assign(db.session, p, org_["hukou"], back)
    db.session.commit()
    return p, back


def test_continuous_mode_a_short_gap_keeps_the_tenure(db, org_):
    p, _back = _gapped(db, org_, 200)
    row = _one(db, p, date(2022, 1, 1))
    assert (row.tenure_start, row.due_on, row.status) == (date(2017, 1, 1), date(2022, 1, 1), "due")


def test_continuous_mode_a_long_gap_restarts_the_tenure(db, org_):
    p, back = _gapped(db, org_, 400)
    row = _one(db, p, date(2022, 1, 1))
    assert (row.tenure_start, row.status) == (back, "not_due")
    assert row.tenure_days == (date(2022, 1, 1) - back).days


def test_cumulative_mode_sums_the_same_histories(db, org_):
    update_rotation_settings(db.session, {"tenure_mode": "cumulative"})
    db.session.commit()
    p_short, back_short = _gapped(db, org_, 200)
    p_long, back_long = _gapped(db, org_, 400)
    first = (date(2020, 1, 1) - date(2017, 1, 1)).days  # 1,095 days before the gap
    for p, back in ((p_short, back_short), (p_long, back_long)):
        row = _one(db, p, date(2022, 1, 1))
        assert row.tenure_start == date(2017, 1, 1)
        assert row.tenure_days == first + (date(2022, 1, 1) - back).days
        assert row.due_on == back.fromordinal(back.toordinal() + 1825 - first)
    # The longer gap makes the person due 200 days later.
    assert (
        _one(db, p_long, date(2022, 1, 1)).due_on - _one(db, p_short, date(2022, 1, 1)).due_on
    ).days == 200


def test_an_auxiliary_is_due_at_three_years_and_refused_a_sworn_only_post(db, org_):
    aux = _person(db, org_, start=date(2021, 3, 1), personnel_type="auxiliary")
    assert _one(db, aux, date(2024, 3, 1)).status == "due"
    assert _one(db, aux, date(2024, 2, 29)).status == "upcoming"
    with pytest.raises(Invalid) as refused:
        factories.assign(db.session, aux, org_["cases"], date(2024, 3, 1))
    assert "post_id" in refused.value.errors
    with pytest.raises(Invalid) as plan_refused:
        plans.create_plan(
            db.session,
            {
                "name": "计划",
                "items": [
                    {
                        "person_id": aux.id,
                        "from_post_id": org_["hukou"].id,
                        "to_post_id": org_["cases"].id,
                        "effective_date": date(2024, 4, 1),
                    }
                ],
            },
            None,
        )
    assert list(plan_refused.value.errors["items"]) == [0]
    assert list(plan_refused.value.errors["items"][0]) == ["to_post_id"]
    assert "仅限民警" in plan_refused.value.errors["items"][0]["to_post_id"][0]


def test_leader_term_technical_post_override_and_policy_changes(db, org_):
    head = _person(db, org_, post="head", start=date(2014, 5, 1))
    doc = _person(db, org_, post="forensic", start=date(2018, 1, 1))
    row = _one(db, head, date(2024, 5, 1))
    assert (row.threshold_years, row.status, row.reasons) == (10, "due", ["leader_term"])
    row = _one(db, doc, date(2025, 1, 1))
    assert (row.threshold_years, row.due_on, row.reasons) == (
        8,
        date(2026, 1, 1),
        ["technical_post"],
    )
    update_rotation_settings(db.session, {"leader_years": 12, "upcoming_days": 30})
    db.session.commit()
    assert _one(db, head, date(2024, 5, 1)).status == "not_due"
    entry = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.object_type == "settings")
        .order_by(AuditEntry.id.desc())
    ).first()
    assert parsed_changes(entry) == {"leader_years": [10, 12], "upcoming_days": [180, 30]}
    with pytest.raises(Invalid) as bad:
        update_rotation_settings(db.session, {"tenure_mode": "weekly", "police_years": 0, "x": 1})
    assert set(bad.value.errors) == {"x"}
    with pytest.raises(Invalid) as bad:
        update_rotation_settings(db.session, {"tenure_mode": "weekly", "police_years": 0})
    assert set(bad.value.errors) == {"tenure_mode", "police_years"}


def _deferral(db, person, **over):
    data = {
        "person_id": person.id,
        "reason": "重点案件承办中",
        "meeting_date": date(2024, 2, 20),
        "minutes_no": "党委会〔2024〕3号",
        "expires_on": date(2024, 12, 31),
        **over,
    }
    return services.create_deferral(db.session, data, None)


def test_a_deferral_needs_meeting_date_minutes_and_expiry(db, org_):
    p = _person(db, org_)
    for missing in ("minutes_no", "meeting_date", "expires_on", "reason"):
        with pytest.raises(Invalid) as refused:
            _deferral(db, p, **{missing: None})
        assert missing in refused.value.errors
    with pytest.raises(Invalid) as refused:
        _deferral(db, p, minutes_no="   ")
    assert "minutes_no" in refused.value.errors
    with pytest.raises(Invalid) as refused:
        _deferral(db, p, expires_on=date(2024, 1, 1))
    assert "expires_on" in refused.value.errors
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RotationDeferral)) == 0


def test_an_expiring_deferral_makes_the_person_due_the_day_after(db, org_):
    p = _person(db, org_)
    _deferral(db, p)
    db.session.commit()
    assert _one(db, p, date(2024, 2, 19)).status == "upcoming"  # before the meeting
    row = _one(db, p, date(2024, 12, 31))
    assert (row.status, row.reasons, row.deferral_expires_on) == (
        "deferred",
        ["deferred"],
        date(2024, 12, 31),
    )
    after = _one(db, p, date(2025, 1, 1))
    assert (after.status, after.reasons) == ("due", [])


def test_a_revoked_deferral_no_longer_applies(db, org_):
    p = _person(db, org_)
    d = _deferral(db, p)
    services.revoke_deferral(db.session, d, None)
    db.session.commit()
    assert _one(db, p, date(2024, 6, 1)).status == "due"
    with pytest.raises(Conflict):
        services.revoke_deferral(db.session, d, None)


def test_near_retirement_defers_automatically(db, org_):
    near = _person(db, org_, retirement_date=date(2026, 2, 28))
    far = _person(db, org_, retirement_date=date(2026, 3, 2))
    row = _one(db, near, date(2024, 3, 1))
    assert (row.status, row.reasons) == ("deferred", ["near_retirement"])
    assert _one(db, far, date(2024, 3, 1)).status == "due"


def test_a_hold_blocks_and_its_reason_is_masked_in_the_audit_log_for_others(db, org_):
    p = _person(db, org_, probation_until=date(2024, 6, 30))
    hold = services.create_hold(db.session, {"person_id": p.id, "reason": "信访举报核查中"}, None)
    db.session.commit()
    row = _one(db, p, date(2024, 3, 1))
    assert (row.status, row.reasons) == ("blocked", ["probation", "under_review"])
    assert "信访" not in repr(row)
    with pytest.raises(Conflict):
        services.create_hold(db.session, {"person_id": p.id, "reason": "again"}, None)
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == "rotation_hold")
    ).one()
    assert parsed_changes(entry)["reason"] == [None, "***"]
    assert parsed_changes(entry, confidential_ok=True)["reason"] == [None, "信访举报核查中"]
    services.release_hold(db.session, hold, None)
    db.session.commit()
    assert _one(db, p, date(2024, 3, 1)).status == "due"


def _plan(db, org_, *people, to="traffic", effective=date(2024, 4, 1)):
    moves = [(p, org_["hukou"], org_[to], effective) for p in people]
    return factories.rotation_plan(db.session, moves, name="2024年第一批轮岗")


def test_plan_items_refuse_probation_holds_and_duplicates(db, org_):
    ok = _person(db, org_)
    trainee = _person(db, org_, probation_until=date(2024, 6, 30))
    held = _person(db, org_)
    services.create_hold(db.session, {"person_id": held.id, "reason": "立案审查"}, None)
    db.session.commit()
    with pytest.raises(Invalid) as refused:
        _plan(db, org_, ok, trainee, held, ok)
    items = refused.value.errors["items"]
    assert set(items) == {1, 2, 3}
    assert "试用期" in items[1]["person_id"][0]
    assert "纪委暂不同意" in items[2]["person_id"][0] and "立案" not in str(items)
    assert "已在本计划中" in items[3]["person_id"][0]


def test_executing_a_plan_moves_the_people_and_restarts_their_tenure(db, org_):
    a, b = _person(db, org_), _person(db, org_, start=date(2018, 1, 1))
    plan = _plan(db, org_, a, b)
    with pytest.raises(Conflict):
        plans.execute_plan(db.session, plan, None)
    plans.submit_plan(db.session, plan, None)
    with pytest.raises(Invalid) as refused:
        plans.approve_plan(db.session, plan, {"meeting_date": date(2024, 3, 20)}, None)
    assert set(refused.value.errors) == {"minutes_no"}
    plans.approve_plan(
        db.session,
        plan,
        {"meeting_date": date(2024, 3, 20), "minutes_no": "党委会〔2024〕5号"},
        None,
    )
    db.session.commit()
    assert {r.status for r in _rows(db, date(2024, 3, 25))} == {"planned"}
    plans.execute_plan(db.session, plan, None)
    db.session.commit()
    for p in (a, b):
        held = db.session.scalars(
            sa.select(Assignment)
            .where(Assignment.person_id == p.id)
            .order_by(Assignment.start_date)
        ).all()
        assert [(x.post_id, x.end_date) for x in held] == [
            (org_["hukou"].id, date(2024, 3, 31)),
            (org_["traffic"].id, None),
        ]
        assert held[1].start_date == date(2024, 4, 1)
        row = _one(db, p, date(2024, 4, 1))
        assert (row.post_id, row.tenure_start, row.tenure_days, row.status) == (
            org_["traffic"].id,
            date(2024, 4, 1),
            0,
            "not_due",
        )
        # They left their station's post for another unit's: their unit follows.
        assert p.org_unit_id == org_["other"].id
    assert plan.status == "executed" and all(i.opened_assignment_id for i in plan.items)
    with pytest.raises(Conflict):
        plans.execute_plan(db.session, plan, None)


def test_a_failing_move_leaves_nothing_half_done(db, org_):
    a, b = _person(db, org_), _person(db, org_)
    plan = _plan(db, org_, a, b)
    plans.submit_plan(db.session, plan, None)
    plans.approve_plan(
        db.session, plan, {"meeting_date": date(2024, 3, 20), "minutes_no": "5"}, None
    )
    db.session.commit()
    # Meanwhile b is put on the destination post directly, so b's move now clashes.
    factories.assign(db.session, b, org_["traffic"], date(2024, 3, 25))
    db.session.commit()
    with pytest.raises(Invalid) as refused:
        plans.execute_plan(db.session, plan, None)
    assert set(refused.value.errors["items"]) == {1}
    db.session.rollback()
    assert plan.status == "approved"
    assert (
        db.session.scalar(
            sa.select(Assignment.end_date).where(
                Assignment.person_id == a.id, Assignment.post_id == org_["hukou"].id
            )
        )
        is None
    )


def test_rejected_plans_and_drafts_follow_the_state_machine(db, org_):
    a = _person(db, org_)
    plan = plans.create_plan(
        db.session,
        {"name": "草稿", "items": [{"person_id": a.id, "from_post_id": org_["hukou"].id}]},
        None,
    )
    with pytest.raises(Invalid) as incomplete:
        plans.submit_plan(db.session, plan, None)
    assert set(incomplete.value.errors["items"][0]) == {"to_post_id", "effective_date"}
    plans.update_plan(
        db.session,
        plan,
        {
            "items": [
                {
                    "person_id": a.id,
                    "from_post_id": org_["hukou"].id,
                    "to_post_id": org_["desk"].id,
                    "effective_date": date(2024, 5, 1),
                }
            ]
        },
    )
    plans.submit_plan(db.session, plan, None)
    with pytest.raises(Conflict):
        plans.update_plan(db.session, plan, {"name": "改名"})
    with pytest.raises(Invalid):
        plans.reject_plan(db.session, plan, {"comment": " "}, None)
    plans.reject_plan(db.session, plan, {"comment": "人选需重新研究"}, None)
    with pytest.raises(Conflict):
        plans.approve_plan(
            db.session, plan, {"meeting_date": date(2024, 4, 1), "minutes_no": "1"}, None
        )
    with pytest.raises(Conflict):
        plans.delete_plan(db.session, plan)
    db.session.commit()
    actions = db.session.scalars(
        sa.select(AuditEntry.action)
        .where(AuditEntry.object_type == "rotation_plan")
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["create", "update", "submit", "reject"]


def test_a_hold_placed_after_flagging_does_not_lock_the_draft(db, org_):
    a, b, c = _person(db, org_), _person(db, org_), _person(db, org_)
    plan = plans.create_plan(
        db.session,
        {
            "name": "草稿",
            "items": [{"person_id": p.id, "from_post_id": org_["hukou"].id} for p in (a, b, c)],
        },
        None,
    )
    for p in (a, b):
        services.create_hold(db.session, {"person_id": p.id, "reason": "核查"}, None)
    db.session.commit()
    items = [
        {
            "person_id": i.person_id,
            "from_post_id": i.from_post_id,
            "to_post_id": None,
            "effective_date": None,
        }
        for i in plan.items
    ]
    # Unchanged blocked items are kept; removing one of them is possible.
    plans.update_plan(db.session, plan, {"name": "改名", "items": items[1:]})
    assert [i.person_id for i in plan.items] == [b.id, c.id]
    assert set(plans.plan_problems(db.session, plan)) == {0}
    # A blocked person cannot be added anew.
    with pytest.raises(Invalid) as refused:
        plans.update_plan(db.session, plan, {"items": items})
    assert set(refused.value.errors["items"]) == {0}
    with pytest.raises(Invalid):
        plans.submit_plan(db.session, plan, None)
