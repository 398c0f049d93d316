"""The demo inspection (issue 15 item 5): built from the seed document's 41 items, with
progress, evidence, overdue and long-term findings and snapshots, so that the notice
generated from the demo reads like the published one."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from supervision.demo import loader
from supervision.rectification import figures, ledger, notice
from supervision.rectification.models import (
    DEFAULT_CATEGORIES,
    Finding,
    Inspection,
    MeasureEvidence,
    RectificationMeasure,
    RectificationSnapshot,
)
from supervision.reports.rectification_ledger import render_xlsx
from supervision.risks.models import RiskPoint
from supervision.talks.models import Talk

TODAY = date(2026, 12, 4)


@pytest.fixture
def demo(app, db):
    with app.test_request_context():
        counts = loader.load(db.session, seed=2026, today=TODAY)
        db.session.commit()
        yield counts


def test_the_demo_inspection_holds_the_seeds_41_items(db, demo):
    s = db.session
    assert demo["rectification_findings"] == 41
    inspection = s.scalars(sa.select(Inspection)).one()
    assert inspection.name == "十五届市委第五轮巡察" and inspection.inspector == "市委第八巡察组"
    assert inspection.onsite_from < inspection.onsite_to < inspection.feedback_on < TODAY
    assert len(inspection.narrative["duty"]) == 4 and len(inspection.narrative["next_steps"]) == 6
    findings = s.scalars(sa.select(Finding).order_by(Finding.number)).all()
    assert [f.number for f in findings] == list(range(1, 42))
    assert {f.category for f in findings} == set(DEFAULT_CATEGORIES)
    assert len({f.theme for f in findings}) == 10
    assert (findings[5].title, findings[40].title) == ("强化保密工作", "严格落实涉案车辆处置")
    assert all(f.description and f.responsible_leader_id and f.lead_unit_id for f in findings)
    terms = [f.number for f in findings if f.term == "long_term"]
    assert terms == [40, 41]
    statuses = {f.status for f in findings}
    assert statuses == {"completed", "completion_requested", "in_progress"}
    overdue = [
        f.number
        for f in findings
        if f.deadline and f.deadline < TODAY and f.status not in ("completed",)
    ]
    assert 34 in overdue and len(overdue) >= 3
    measures = s.scalars(sa.select(RectificationMeasure)).all()
    assert len(measures) == demo["rectification_measures"] > 100
    results = {m.result for m in measures if m.result}
    assert any("131处" in r for r in results)
    assert all(m.done_on <= TODAY for m in measures if m.status == "done")
    open_overdue = [m for m in measures if m.status == "open" and m.due_on and m.due_on < TODAY]
    assert open_overdue
    assert all(m.due_reason for m in measures if m.due_on and m.due_on > inspection.deadline)
    links = s.scalars(sa.select(MeasureEvidence)).all()
    assert {e.object_type for e in links} >= {"talk", "risk_point"}
    for e in links:
        model = {"talk": Talk, "risk_point": RiskPoint}.get(e.object_type)
        if model:
            assert s.get(model, e.object_id) is not None
    snapshots = s.scalars(
        sa.select(RectificationSnapshot).order_by(RectificationSnapshot.taken_on)
    ).all()
    days = [x.taken_on for x in snapshots]
    assert len(days) == 2 and days[0].month != days[1].month and days[1] <= TODAY
    # Frozen in the summary's shape (the ledger page charts them), rebuilt from the dates:
    # the later one counts at least as many signed-off findings.
    inspection = s.scalars(sa.select(Inspection)).one()
    shape = figures.summary(s, inspection, TODAY)
    for snap in snapshots:
        assert set(snap.figures) == set(shape)
        assert snap.figures["findings"] == shape["findings"] == 41
        assert sum(snap.figures["by_status"].values()) == 41
    done = [x.figures["by_status"]["completed"] for x in snapshots]
    assert done[0] <= done[1] <= shape["by_status"]["completed"]


def test_the_notice_of_the_demo_reads_like_the_seed(db, demo):
    s = db.session
    inspection = s.scalars(sa.select(Inspection)).one()
    text = [b.full for b in notice.build(s, inspection, TODAY).blocks()]
    assert text[0].startswith("根据市委统一部署，") and "东湖公安分局党委" in text[0]
    h1 = [t for t in text if t[:2] in ("一、", "二、", "三、", "四、")]
    assert h1 == [
        "一、党委履行巡察整改主体责任情况",
        "二、巡察反馈重点问题整改落实情况",
        "三、需长期整改事项进展情况",
        "四、下一步工作打算",
    ]
    assert "（一）提高政治站位，狠抓组织部署。" in text[2]
    assert [
        t for t in text if t in {f"（{n}）{c}" for n in "一二三" for c in DEFAULT_CATEGORIES}
    ] == [f"（{n}）{c}" for n, c in zip("一二三", DEFAULT_CATEGORIES, strict=True)]
    themes = [t for t in text if t[:1].isdigit()]
    assert [t.split(".")[0] for t in themes] == [str(n) for n in range(1, 11)]
    single = text.index("（12）加速警情快接快处。")
    assert text[single + 1].startswith("实行动态巡防勤务改革") and "40%" in text[single + 1]
    rental = text.index("（11）全面加强出租屋治理。")
    assert text[rental + 1].startswith("一是强化出租屋管理。")
    assert "共整改出租屋各类安全隐患131处" in text[rental + 1]
    long_term = text.index("三、需长期整改事项进展情况")
    assert text[long_term + 1] == "（40）优化支部设置。"
    assert "（41）严格落实涉案车辆处置。" in text[long_term:]
    assert any("已超过整改时限" in t for t in text[:long_term])
    assert text[-2].startswith("欢迎广大干部群众")
    assert text[-1].startswith("公开期限：") and "电子邮箱：" in text[-1]


def test_the_demo_ledger_reimports_unchanged(db, demo):
    s = db.session
    inspection = s.scalars(sa.select(Inspection)).one()
    data = render_xlsx("台账", "", ledger.ledger_blocks(s, inspection, TODAY))
    summary = ledger.import_ledger(s, inspection, "台账.xlsx", data, dry_run=True)
    assert summary["findings"] == {"created": 0, "updated": 0, "unchanged": 41}
    assert summary["measures"]["updated"] == summary["measures"]["created"] == 0
