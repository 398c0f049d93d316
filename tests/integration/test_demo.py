"""`demo load` builds a consistent, realistic bureau; `demo accounts` creates usable logins."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from supervision.audit.models import AuditEntry
from supervision.audit.services import verify
from supervision.auth.models import User
from supervision.common import clock
from supervision.common.periods import Period
from supervision.demo import data, loader
from supervision.obligations import engine
from supervision.obligations.models import ObligationWaiver
from supervision.org.models import Assignment, OrgUnit, Person, Post
from supervision.org.scope import Scope
from supervision.risks import queries, rules, services
from supervision.risks.models import Measure, RiskApproval, RiskCampaign, RiskPoint
from supervision.risks.settings import get_risk_settings
from supervision.talks.models import Talk


def _count(session, model, *where) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _years_ago(today: date, years: int) -> date:
    return loader.add_years(today, -years)


def test_demo_load_builds_a_consistent_bureau(app, db):
    result = app.test_cli_runner().invoke(args=["demo", "load", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "Loaded demo bureau" in result.output
    s, today = db.session, clock.today()

    units = s.scalars(sa.select(OrgUnit)).all()
    people = s.scalars(sa.select(Person)).all()
    assert 12 <= len(units) <= 20
    assert 250 <= len(people) <= 350
    assert 50 <= _count(s, Post, Post.is_sensitive) <= 70
    police = sum(p.personnel_type == "police" for p in people)
    assert 0.5 <= police / len(people) <= 0.7
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,4}", p.name) for p in people)
    assert len({p.name for p in people}) == len(people)

    # Tree: path/depth follow the parent chain; every unit has a head, units a supervising leader.
    by_id = {u.id: u for u in units}
    for u in units:
        chain, cur = [], u
        while cur is not None:
            chain.append(cur.id)
            cur = by_id.get(cur.parent_id)
        assert u.path == "".join(f"{i}/" for i in reversed(chain)), u.code
        assert u.depth == len(chain) - 1
        assert u.head_person_id is not None, u.code
    people_by_id = {p.id: p for p in people}
    assert {u.kind for u in units} >= {"branch", "department", "station", "team"}
    for u in units:
        if u.parent_id and u.code != data.TEAM_UNIT:
            head = people_by_id[u.head_person_id]
            assert head.org_unit_id == u.id and head.leadership == "department_head"
            assert people_by_id[u.supervising_leader_id].leadership == "team_member"
    team = [p for p in people if p.leadership == "team_member"]
    assert 5 <= len(team) <= 9
    secretary = s.scalar(
        sa.select(Person)
        .join(Assignment)
        .join(Post)
        .where(Post.name == "纪委书记", Assignment.end_date.is_(None))
    )
    assert secretary is not None and secretary.leadership == "team_member"

    # Assignment rules of SPEC §3.
    a1, a2 = aliased(Assignment), aliased(Assignment)
    far = date(9999, 12, 31)
    overlaps = s.scalar(
        sa.select(sa.func.count())
        .select_from(a1)
        .join(a2, sa.and_(a1.person_id == a2.person_id, a1.post_id == a2.post_id, a1.id < a2.id))
        .where(
            a1.start_date <= sa.func.coalesce(a2.end_date, far),
            a2.start_date <= sa.func.coalesce(a1.end_date, far),
        )
    )
    assert overlaps == 0
    assert (
        s.scalar(
            sa.select(sa.func.count())
            .select_from(Assignment)
            .join(Person)
            .join(Post)
            .where(Person.personnel_type == "auxiliary", Post.sworn_only)
        )
        == 0
    )
    assert _count(s, Assignment, Assignment.end_date < Assignment.start_date) == 0
    first, last = s.execute(
        sa.select(sa.func.min(Assignment.start_date), sa.func.max(Assignment.start_date))
    ).one()
    assert first <= _years_ago(today, 7) and last > today - timedelta(days=365)
    assert s.scalar(sa.select(sa.func.max(Assignment.end_date))) < today

    # Realistic data for rotation and reminders.
    current_sensitive = (
        sa.select(sa.func.count())
        .select_from(Assignment)
        .join(Person)
        .join(Post)
        .where(Assignment.end_date.is_(None), Post.is_sensitive)
    )
    assert (
        s.scalar(
            current_sensitive.where(
                Person.personnel_type == "police", Assignment.start_date <= _years_ago(today, 5)
            )
        )
        >= 3
    )
    assert (
        s.scalar(
            current_sensitive.where(
                Person.personnel_type == "auxiliary", Assignment.start_date <= _years_ago(today, 3)
            )
        )
        >= 3
    )
    held = sa.select(Assignment.post_id).where(Assignment.end_date.is_(None))
    assert _count(s, Post, Post.is_sensitive, Post.id.not_in(held)) == 0
    assert any(p.probation_until and p.probation_until > today for p in people)
    assert any(
        p.retirement_date and today < p.retirement_date <= today + timedelta(days=730)
        for p in people
    )
    inactive = [p.id for p in people if not p.is_active]
    assert inactive
    assert (
        _count(s, Assignment, Assignment.person_id.in_(inactive), Assignment.end_date.is_(None))
        == 0
    )
    assert all(p.hire_date > p.birth_date and p.hire_date <= today for p in people)

    # One audit entry summarises the load.
    entry = s.scalar(sa.select(AuditEntry).where(AuditEntry.action == "demo_load"))
    assert entry is not None and f'"people": [0, {len(people)}]' in entry.changes
    assert _count(s, AuditEntry) == 1
    assert verify(s).ok
    _check_risks(s, today, entry)
    _check_talks(s, today, entry)


def _check_risks(s, today: date, entry: AuditEntry) -> None:
    """`demo load` includes risks (SPEC §11): an open campaign with units in every state."""
    everything = Scope(everything=True)
    campaign = s.scalars(sa.select(RiskCampaign)).one()
    assert campaign.status == "open" and campaign.year == today.year and campaign.deadline >= today
    assert str(today.year) in campaign.name
    points = s.scalars(sa.select(RiskPoint)).all()
    assert 60 <= len(points) <= 200
    assert f'"risk_points": [0, {len(points)}]' in entry.changes
    per_post = Counter(p.post_id for p in points if p.post_id is not None)
    assert max(per_post.values()) <= 3 and any(p.post_id is None for p in points)
    assert (
        s.scalar(
            sa.select(sa.func.count())
            .select_from(Post)
            .where(Post.id.in_(per_post), sa.not_(Post.is_sensitive))
        )
        == 0
    )
    assert 3 <= len(s.scalars(queries.sensitive_posts_without_points(everything)).all()) <= 8
    assert all(1 <= len(p.measures) <= 3 for p in points)
    assert all(m.owner_id is not None for p in points for m in p.measures)
    late = s.scalars(queries.measures_past_due(everything, today)).all()
    assert 3 <= len(late) <= 10
    assert _count(s, Measure, Measure.status == "done", Measure.done_on.is_(None)) == 0

    settings = get_risk_settings(s)
    for p in points:
        assert p.version == 1
        level = rules.level(p.likelihood, p.impact, settings)
        assert p.review_due_on == rules.review_due_on(p.last_reviewed_on, level, settings)
        assert (p.campaign_id == campaign.id) == (p.status != "draft")
        assert (p.submitted_at is not None) == (p.status != "draft")
        assert bool(p.return_comment) == (p.status == "returned")
        assert p.department_owner_id == p.org_unit.head_person_id
    assert any(p.review_due_on and p.review_due_on < today for p in points)

    states = Counter(
        row["state"] for row in services.campaign_unit_states(s, campaign, sa.select(OrgUnit.id))
    )
    assert states["returned"] == 1 and states["approved"] >= 3
    assert states["submitted"] >= 2 and states["not_started"] >= 2

    approved = {p.id: p for p in points if p.status == "approved"}
    approvals = s.scalars(sa.select(RiskApproval)).all()
    assert {a.risk_point_id for a in approvals} == set(approved)
    for a in approvals:
        point = approved[a.risk_point_id]
        frozen = json.loads(a.data)
        assert (
            a.campaign_id == campaign.id and a.version == 1 and a.org_unit_id == point.org_unit_id
        )
        assert frozen["title"] == point.title and len(frozen["measures"]) == len(point.measures)
        assert point.last_reviewed_on <= today and a.approved_at.date() == point.last_reviewed_on


def _check_talks(s, today: date, entry: AuditEntry) -> None:
    """`demo load` includes talks (SPEC §11): the previous quarter shows every status."""
    previous = Period.of(today, "quarter").previous()
    result = engine.summary(s, previous, ["integrity_reminder"], as_of=today)["total"]
    for status in ("done", "done_late", "overdue", "waived"):
        assert result[status] > 0, (status, result)
    assert 0.6 <= result["completion_rate"] <= 0.95, result
    rows = engine.compute(s, previous, ["integrity_reminder"], as_of=today)
    for row in rows:
        if row.talk_id is not None:
            talk = s.get(Talk, row.talk_id)
            assert [i.person_id for i in talk.interviewers] == [row.conductor_id]
            assert talk.interviewee_id == row.person_id and talk.period == str(previous)
            late = clock.local(talk.held_at).date() > previous.due_date
            assert late == (row.status == "done_late") and ("补谈" in talk.reason) == late
    waiver = s.scalars(sa.select(ObligationWaiver)).one()
    assert waiver.reason == "长期病休" and waiver.period == str(previous)

    talks = s.scalars(sa.select(Talk)).all()
    assert f'"talks": [0, {len(talks)}]' in entry.changes
    statuses = Counter(t.status for t in talks)
    assert statuses["draft"] == 2 and statuses["final"] == len(talks) - 2
    assert {t.type for t in talks} == {"integrity_reminder", "supervision", "heart_to_heart"}
    assert any(t.period == str(Period.of(today, "quarter")) and t.status == "final" for t in talks)
    for t in talks:
        assert t.held_at is not None and clock.local(t.held_at).date() <= today
        assert (
            Period.parse(t.period).kind
            == {"integrity_reminder": "quarter", "supervision": "half", "heart_to_heart": "year"}[
                t.type
            ]
        )
        assert t.recorder_id not in (None, t.interviewee_id) and t.content and t.location
        signers = {(sig.person_id, sig.role) for sig in t.signatures}
        if t.status == "final":
            assert t.response and t.finalized_at is not None and t.finalized_at > t.held_at
            assert signers == {
                (t.interviewee_id, "interviewee"),
                *((i.person_id, "interviewer") for i in t.interviewers),
            }
        else:
            assert t.finalized_at is None and not signers
    leaders = [t for t in talks if t.type != "integrity_reminder"]
    assert all(s.get(Person, t.interviewee_id).leadership != "none" for t in leaders)
    assert all(t.interviewee_id not in {i.person_id for i in t.interviewers} for t in talks)


def test_builder_is_deterministic_for_a_seed():
    today = date(2026, 5, 20)
    names = [p.name for p in loader._Builder(11, today).plan_people()]
    again = [p.name for p in loader._Builder(11, today).plan_people()]
    other = [p.name for p in loader._Builder(12, today).plan_people()]
    assert names == again and names != other
    assert loader.history_start(today) == date(2018, 6, 1)


def test_if_empty_is_a_no_op_and_a_full_database_is_refused(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load", "--if-empty"])
    assert first.exit_code == 0, first.output
    counts = (_count(db.session, Person), _count(db.session, Assignment))

    again = runner.invoke(args=["demo", "load", "--if-empty"])
    assert again.exit_code == 0 and "skipped" in again.output
    refused = runner.invoke(args=["demo", "load"])
    assert refused.exit_code == 1
    assert "not empty" in refused.output and "Traceback" not in refused.output
    db.session.remove()
    assert (_count(db.session, Person), _count(db.session, Assignment)) == counts
    assert _count(db.session, AuditEntry, AuditEntry.action == "demo_load") == 1


def test_demo_accounts_are_created_once_and_can_log_in(app, db):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    first = runner.invoke(args=["demo", "accounts"])
    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    assert lines[1].startswith("admin ")
    assert all(loader.DEMO_PASSWORD in line for line in lines[1:])
    second = runner.invoke(args=["demo", "accounts"])
    assert second.exit_code == 0 and "password unchanged" in second.output

    db.session.remove()
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    assert set(users) == {"admin", "secretary", "member", "hr", "leader", "staff"}
    assert (
        _count(
            db.session, AuditEntry, AuditEntry.action == "create", AuditEntry.object_type == "user"
        )
        == 6
    )
    assert users["secretary"].roles == {"discipline_secretary", "leader"}
    assert users["secretary"].person.leadership == "team_member"
    assert users["member"].person.org_unit.code == "DH-JW"
    assert users["hr"].person.org_unit.code == "DH-ZG"
    assert (
        db.session.scalar(
            sa.select(OrgUnit.id).where(OrgUnit.head_person_id == users["leader"].person_id)
        )
        is not None
    )
    assert users["staff"].person.leadership == "none" and users["admin"].person is None

    for username in users:
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        resp = client.post(
            "/login",
            data={"username": username, "password": loader.DEMO_PASSWORD, "csrf_token": token},
        )
        assert resp.status_code == 302, username
        assert client.get("/").status_code == 200


def test_demo_rotation_cases_are_what_the_engine_computes(app, db):
    """The demo has people due, one deferral, one hold, and plans in three states; the
    executed plan's moves are real assignment changes."""
    from supervision.rotation import eligibility, plans
    from supervision.rotation.models import RotationPlan

    s = db.session
    loader.load(s, seed=11)
    s.commit()
    today = clock.today()
    statuses = Counter(r.status for r in eligibility.compute(s, today))
    assert statuses["due"] >= 5 and statuses["blocked"] == 1
    assert statuses["deferred"] >= 1 and statuses["upcoming"] >= 1
    by_status = {p.status: p for p in s.scalars(sa.select(RotationPlan))}
    assert set(by_status) == {"executed", "submitted", "draft"}
    executed = by_status["executed"]
    assert executed.items
    for item in executed.items:
        assert item.closed_assignment.end_date == item.effective_date - timedelta(days=1)
        assert item.opened_assignment.start_date == item.effective_date
        assert item.opened_assignment.post_id == item.to_post_id
    # The submitted plan can be approved as it stands; the draft still lacks destinations.
    assert plans.plan_problems(s, by_status["submitted"]) == {}
    draft_problems = plans.check_items(
        s,
        [
            {
                "person_id": i.person_id,
                "from_post_id": i.from_post_id,
                "to_post_id": None,
                "effective_date": None,
            }
            for i in by_status["draft"].items
        ],
        complete=True,
    )
    assert len(draft_problems) == len(by_status["draft"].items) >= 1
