"""The rectification ledger's services (SPEC §14) on a real database: defaults, the bad input
of issue 15 (refused, nothing written), the finding workflow with sign-off and return,
long-term findings, overdue as of a date, the summary per lead unit, snapshots and the
monthly job, and the audit of every write."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.common.errors import Conflict, Invalid
from supervision.rectification import figures, services
from supervision.rectification.models import (
    Finding,
    FindingNote,
    Inspection,
    RectificationMeasure,
    RectificationSnapshot,
)
from tests import factories

TODAY = "2025-09-20T10:00:00+08:00"


@pytest.fixture
def ledger(app, db, monkeypatch):
    """A bureau, an inspection fed back on 2025-06-01 (deadline 2025-08-30) and one finding
    led by the station, with two measures."""
    monkeypatch.setitem(app.config, "SUPERVISION_FAKE_NOW", TODAY)
    s = db.session
    rows = factories.small_bureau(s)
    inspection = services.create_inspection(
        s,
        {
            "name": "十五届市委第五轮巡察",
            "inspector": "市委第八巡察组",
            "org_unit_id": rows["bureau"].id,
            "feedback_on": date(2025, 6, 1),
            "leader_person_id": rows["chief"].id,
        },
    )
    finding = services.create_finding(
        s,
        inspection,
        {
            "category": "聚焦全面从严管党治警情况",
            "title": "强化保密工作",
            "responsible_leader_id": rows["chief"].id,
            "lead_unit_id": rows["station"].id,
        },
    )
    first = services.create_measure(s, finding, {"description": "开展保密检查"})
    second = services.create_measure(
        s, finding, {"description": "组织保密培训", "due_on": date(2025, 7, 31)}
    )
    s.commit()
    return {"rows": rows, "inspection": inspection, "finding": finding, "measures": [first, second]}


def _counts(s) -> tuple[int, ...]:
    return tuple(
        s.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Inspection, Finding, RectificationMeasure, FindingNote, AuditEntry)
    )


def _refused(s, error, call, field=None):
    """`call` raises `error` (with `field` among its errors) and leaves nothing written."""
    before = _counts(s)
    with pytest.raises(error) as raised:
        call()
    s.rollback()
    assert _counts(s) == before
    if field is not None:
        assert field in raised.value.errors, raised.value.errors
    return raised.value


def test_defaults_deadlines_numbers_and_audit(db, ledger):
    s = db.session
    inspection, finding = ledger["inspection"], ledger["finding"]
    first, second = ledger["measures"]
    assert inspection.deadline == date(2025, 8, 30)  # feedback + 90 days
    assert inspection.status == "rectifying"
    assert inspection.narrative == {"duty": [], "next_steps": []}
    assert (finding.number, finding.deadline, finding.term, finding.status) == (
        1,
        date(2025, 8, 30),
        "time_limited",
        "open",
    )
    assert (first.number, first.due_on, second.number) == (1, date(2025, 8, 30), 2)
    long_term = services.create_finding(
        s, inspection, {"category": "其他", "title": "长效机制", "term": "long_term"}
    )
    assert (long_term.number, long_term.deadline) == (2, None)
    s.commit()
    actions = s.execute(sa.select(AuditEntry.action, AuditEntry.object_type)).all()
    assert ("create", "inspection") in actions and ("create", "finding") in actions
    assert actions.count(("create", "rectification_measure")) == 2
    created = s.scalar(
        sa.select(AuditEntry.changes).where(
            AuditEntry.object_type == "finding", AuditEntry.object_id == str(long_term.id)
        )
    )
    assert '"term": [null, "long_term"]' in created


def test_bad_input_is_refused_in_chinese_and_writes_nothing(app, db, ledger):
    s = db.session
    inspection, finding = ledger["inspection"], ledger["finding"]
    rows = ledger["rows"]
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        error = _refused(
            s,
            Invalid,
            lambda: services.create_inspection(
                s,
                {
                    "name": "巡察",
                    "inspector": "巡察组",
                    "org_unit_id": rows["bureau"].id,
                    "feedback_on": date(2025, 6, 1),
                    "deadline": date(2025, 5, 31),
                },
            ),
            "deadline",
        )
        assert "反馈" in error.errors["deadline"][0]
        _refused(
            s,
            Invalid,
            lambda: services.create_finding(
                s, inspection, {"category": "类", "title": "重复", "number": 1}
            ),
            "number",
        )
        _refused(
            s,
            Invalid,
            lambda: services.create_finding(
                s, inspection, {"category": "类", "title": "早", "deadline": date(2025, 5, 1)}
            ),
            "deadline",
        )
        error = _refused(
            s,
            Invalid,
            lambda: services.create_measure(
                s, finding, {"description": "晚", "due_on": date(2025, 9, 30)}
            ),
            "due_reason",
        )
        assert "说明" in error.errors["due_reason"][0] or "原因" in error.errors["due_reason"][0]
        _refused(
            s,
            Invalid,
            lambda: services.update_inspection(s, inspection, {"status": "closed"}),
            "status",
        )
        _refused(
            s,
            Conflict,
            lambda: services.request_completion(s, finding, "都整改了"),
        )
        # The feedback date moved after the deadlines already set.
        _refused(
            s,
            Invalid,
            lambda: services.update_inspection(s, inspection, {"feedback_on": date(2025, 8, 1)}),
            "feedback_on",
        )
    # With a reason, a later due date is accepted.
    late = services.create_measure(
        s, finding, {"description": "晚", "due_on": date(2025, 9, 30), "due_reason": "需经费"}
    )
    assert late.due_on == date(2025, 9, 30)


def test_workflow_request_return_and_sign_off(db, ledger):
    s = db.session
    finding = ledger["finding"]
    first, second = ledger["measures"]
    services.mark_done(s, first, result="共检查12处")
    assert finding.status == "in_progress"
    with pytest.raises(Conflict):
        services.request_completion(s, finding, "已完成")
    services.mark_done(s, second, done_on=date(2025, 7, 30))
    with pytest.raises(Invalid):
        services.request_completion(s, finding, "  ")
    services.request_completion(s, finding, "已完成全部整改")
    assert finding.status == "completion_requested"
    with pytest.raises(Invalid):
        services.return_finding(s, finding, "")
    services.return_finding(s, finding, "佐证材料不足")
    assert (finding.status, finding.review_comment) == ("in_progress", "佐证材料不足")
    with pytest.raises(Conflict):
        services.complete(s, finding, "同意销号")  # not requested
    services.request_completion(s, finding, "补充了材料")
    # A measure reopened takes the request back; a new measure too.
    services.reopen(s, second)
    assert finding.status == "in_progress"
    services.mark_done(s, second)
    services.request_completion(s, finding, "补充了材料")
    services.complete(s, finding, "同意销号", user_id=None)
    assert (finding.status, finding.completed_on) == ("completed", date(2025, 9, 20))
    for call in (
        lambda: services.update_finding(s, finding, {"title": "改"}),
        lambda: services.create_measure(s, finding, {"description": "再"}),
        lambda: services.reopen(s, first),
    ):
        with pytest.raises(Conflict):
            call()
    s.commit()
    actions = [
        a
        for (a,) in s.execute(
            sa.select(AuditEntry.action)
            .where(AuditEntry.object_type == "finding", AuditEntry.object_id == str(finding.id))
            .order_by(AuditEntry.id)
        )
    ]
    assert actions == [
        "create",
        "progress",
        "request_completion",
        "return",
        "request_completion",
        "progress",
        "request_completion",
        "complete",
    ]


def test_a_long_term_finding_never_completes_and_notes_start_progress(db, ledger):
    s = db.session
    finding = services.create_finding(
        s, ledger["inspection"], {"category": "类", "title": "长期", "term": "long_term"}
    )
    measure = services.create_measure(s, finding, {"description": "建立制度"})
    assert measure.due_on is None
    services.add_note(s, finding, {"text": "已起草制度"})
    assert finding.status == "in_progress"
    services.mark_done(s, measure)
    with pytest.raises(Conflict):
        services.request_completion(s, finding, "完成")
    with pytest.raises(Invalid):
        services.add_note(s, finding, {"text": "未来", "noted_on": date(2025, 12, 1)})


def test_overdue_and_summary_per_lead_unit(db, ledger):
    s = db.session
    rows, inspection = ledger["rows"], ledger["inspection"]
    first, second = ledger["measures"]
    traffic = services.create_finding(
        s,
        inspection,
        {"category": "类", "title": "交通", "lead_unit_id": rows["traffic"].id},
    )
    services.create_measure(s, traffic, {"description": "整治", "due_on": date(2025, 7, 1)})
    services.create_finding(s, inspection, {"category": "类", "title": "长期", "term": "long_term"})
    services.mark_done(s, second, done_on=date(2025, 8, 5))  # due 07-31: done late
    s.commit()

    july = figures.summary(s, inspection, date(2025, 7, 15))
    assert july["overdue_measures"] == 1  # the traffic measure, due 07-01
    assert july["measures_done"] == 0  # done on 08-05, after the date asked
    assert july["overdue_findings"] == 0
    september = figures.summary(s, inspection, date(2025, 9, 20))
    assert september["findings"] == 3 and september["long_term"] == 1
    assert september["by_status"] == {
        "open": 2,
        "in_progress": 1,
        "completion_requested": 0,
        "completed": 0,
    }
    assert (september["measures"], september["measures_done"]) == (3, 1)
    assert september["overdue_findings"] == 2  # deadline 08-30 passed, not completed
    assert september["overdue_measures"] == 2  # first (due 08-30) and the traffic one
    units = {u["lead_unit_id"]: u for u in september["units"]}
    assert [u["lead_unit_id"] for u in september["units"]] == [
        rows["station"].id,
        rows["traffic"].id,
        None,
    ]
    station = units[rows["station"].id]
    assert (station["lead_unit_name"], station["measures"], station["overdue_measures"]) == (
        rows["station"].name,
        2,
        1,
    )
    assert units[rows["traffic"].id]["overdue_findings"] == 1
    assert units[None]["long_term"] == 1 and units[None]["overdue_findings"] == 0
    ids = set(
        s.scalars(
            sa.select(RectificationMeasure.id).where(
                figures.measure_overdue_clause(date(2025, 8, 1))
            )
        )
    )
    assert second.id in ids and first.id not in ids  # 07-31 passed, done only on 08-05


def test_snapshots_are_one_per_day_and_the_monthly_job_is_idempotent(db, ledger):
    s = db.session
    inspection = ledger["inspection"]
    one = figures.take_snapshot(s, inspection, date(2025, 9, 1))
    again = figures.take_snapshot(s, inspection, date(2025, 9, 1))
    assert one.id == again.id and one.figures["findings"] == 1
    s.commit()
    assert figures.first_workday_of_month(s, date(2026, 2, 10)) == date(2026, 2, 2)
    assert figures.monthly_snapshots(s, date(2026, 2, 1)) == 0  # a Sunday, before the 2nd
    assert figures.monthly_snapshots(s, date(2026, 2, 2)) == 1
    assert figures.monthly_snapshots(s, date(2026, 2, 2)) == 0
    assert figures.monthly_snapshots(s, date(2026, 2, 9)) == 0  # taken this month already
    services.update_inspection(s, inspection, {"status": "reported"})
    assert figures.monthly_snapshots(s, date(2026, 3, 2)) == 0  # not being rectified
    s.commit()
    taken = s.scalars(
        sa.select(RectificationSnapshot.taken_on).order_by(RectificationSnapshot.taken_on)
    ).all()
    assert taken == [date(2025, 9, 1), date(2026, 2, 2)]
    snapshot_audits = s.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "snapshot"))
    assert snapshot_audits == 2


def test_open_measures_for_the_reminders(db, ledger):
    s = db.session
    first, second = ledger["measures"]
    services.mark_done(s, second)
    rows = s.execute(figures.open_measures_select()).all()
    assert [(r[0].id, r.responsible_leader_id, r.due_on) for r in rows] == [
        (first.id, ledger["rows"]["chief"].id, date(2025, 8, 30))
    ]


def test_the_snapshot_command_and_the_scheduled_job(app, db, ledger, monkeypatch):
    from supervision import scheduler

    runner = app.test_cli_runner()
    done = runner.invoke(args=["rectification", "snapshots", "--on", "2026-02-02"])
    assert done.exit_code == 0 and "1 snapshots taken as of 2026-02-02" in done.output
    again = runner.invoke(args=["rectification", "snapshots", "--on", "2026-02-03"])
    assert again.exit_code == 0 and "0 snapshots taken" in again.output
    assert runner.invoke(args=["rectification", "snapshots", "--on", "2月"]).exit_code == 2
    spec = {s.id: s for s in scheduler.job_specs({})}["rectification_snapshots"]
    assert (spec.trigger, spec.trigger_args, spec.at_start) == (
        "cron",
        {"hour": 6, "minute": 30},
        True,
    )
    # The job takes the month's snapshot on the scheduler's day (2025-09-20, a Saturday
    # after the first working day of September), and only once.
    monkeypatch.setattr(scheduler, "_app", app)
    spec.func()
    spec.func()
    db.session.remove()
    days = db.session.scalars(
        sa.select(RectificationSnapshot.taken_on).order_by(RectificationSnapshot.taken_on)
    ).all()
    assert days == [date(2025, 9, 20), date(2026, 2, 2)]
