"""Running the maintained table of obligations (issue 14): a new period makes readers fall
back to the engine until the rebuild, the CLI and the scheduler's job rebuild it, and
`changed_at` moves only for rows whose content changed."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from supervision import scheduler
from supervision.common import clock
from supervision.common.periods import Period
from supervision.obligations import engine, maintained, table
from supervision.obligations.models import ObligationRow
from supervision.obligations.services import create_waiver
from supervision.obligations.settings import get_obligation_settings
from tests import factories

DEC = datetime(2025, 12, 20, 2, tzinfo=UTC)
JAN = datetime(2026, 1, 2, 2, tzinfo=UTC)
Q4 = Period.parse("2025Q4")


@pytest.fixture
def org(db):
    """The small bureau with three holders of a sensitive post in the team."""
    s = db.session
    with clock.frozen(DEC):
        tree = factories.small_bureau(s)
        post = factories.post(s, tree["team"], "户籍岗", is_sensitive=True)
        people = [factories.holder(s, post, f"民警{i}", date(2024, 1, 1)) for i in range(3)]
        s.commit()
    return {"people": [p.id for p in people], **{k: v.id for k, v in tree.items()}}


def _rows(s) -> dict:
    return {
        (r.person_id, r.type, r.period): r.changed_at
        for r in s.execute(sa.select(ObligationRow)).scalars()
    }


def test_a_new_period_falls_back_to_the_engine_until_the_rebuild(db, org):
    s = db.session
    settings = get_obligation_settings(s)
    with clock.frozen(DEC):
        assert table.read(s, [("integrity_reminder", Q4)], clock.today(), settings)
        assert {p for _pid, _t, p in _rows(s)} >= {"2025Q1", "2025Q4", "2025H2", "2025"}
    with clock.frozen(JAN):
        today = clock.today()
        # 2025Q4 is still open, but the table holds 2025's open periods: not answered.
        assert table.read(s, [("integrity_reminder", Q4)], today, settings) is None
        assert table.counts(s, [("integrity_reminder", Q4)], today, settings) is None
        want = engine.recompute(s, Q4, ["integrity_reminder"], as_of=today)
        assert engine.compute(s, Q4, ["integrity_reminder"], as_of=today) == want
        assert [o.status for o in want] == ["overdue"] * 3
        result = maintained.rebuild(s)
        s.commit()
        assert result.deleted > 0  # 2025Q1 and 2023/2023H2 ... are no longer open
        periods = {p for _pid, _t, p in _rows(s)}
        assert "2025Q1" not in periods and "2026Q1" in periods
        rows = table.read(s, [("integrity_reminder", Q4)], today, settings)
        assert rows is not None and [r.status for r in rows] == ["overdue"] * 3
        assert engine.compute(s, Q4, ["integrity_reminder"], as_of=today) == want


def test_a_change_after_the_new_period_refreshes_the_old_periods(db, org):
    s = db.session
    with clock.frozen(JAN):
        create_waiver(
            s,
            {
                "person_id": org["people"][0],
                "type": "integrity_reminder",
                "period": "2025Q4",
                "reason": "病假",
            },
            None,
        )
        s.commit()
        row = s.get(ObligationRow, (org["people"][0], "integrity_reminder", "2025Q4"))
        assert row.waiver_reason == "病假"
        assert table.state(s).periods == table.periods_key(
            table.open_periods(DEC.date(), get_obligation_settings(s))
        )


def test_changed_at_moves_only_for_rows_that_changed(db, org):
    s = db.session
    before = _rows(s)
    assert before and set(before.values()) == {DEC}
    later = datetime(2025, 12, 21, 2, tzinfo=UTC)
    with clock.frozen(later):
        maintained.rebuild(s)
        s.commit()
        assert _rows(s) == before, "a rebuild that finds nothing new writes nothing"
        create_waiver(
            s,
            {
                "person_id": org["people"][1],
                "type": "integrity_reminder",
                "period": "2025Q4",
                "reason": "病假",
            },
            None,
        )
        s.commit()
    after = _rows(s)
    moved = {k for k in after if after[k] != before.get(k)}
    assert moved == {(org["people"][1], "integrity_reminder", "2025Q4")}
    assert after[(org["people"][1], "integrity_reminder", "2025Q4")] == later


def test_the_cli_rebuilds_and_prints_counts(app, db, org):
    s = db.session
    s.execute(sa.delete(ObligationRow))
    s.commit()
    runner = app.test_cli_runner()
    with clock.frozen(DEC):
        first = runner.invoke(args=["obligations", "rebuild"])
        again = runner.invoke(args=["obligations", "rebuild"])
    assert first.exit_code == 0, first.output
    rows = len(_rows(s))
    assert rows > 0
    assert f"{rows} obligations of the open periods: {rows} inserted, 0 updated" in first.output
    assert "0 inserted, 0 updated, 0 deleted" in again.output


def test_the_scheduler_job_rebuilds(app, db, org, monkeypatch, caplog):
    s = db.session
    s.execute(sa.delete(ObligationRow))
    s.commit()
    monkeypatch.setattr(scheduler, "_app", app)
    with clock.frozen(DEC), caplog.at_level(logging.INFO, logger="supervision.scheduler"):
        scheduler.obligations_job()
    assert "obligations rebuild: " in caplog.text and " inserted" in caplog.text
    s.expire_all()
    assert len(_rows(s)) > 0
