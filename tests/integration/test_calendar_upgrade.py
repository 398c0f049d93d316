"""Done means (issue 12): after `flask db upgrade` alone — the real migrations on a brand-new
database, no `calendar sync` — the working days are the official ones, so the reminder
ladder is right from the first minute; and 2027, which the library does not know yet, has
its statutory holidays computed ahead, so no reminder lands on New Year's Day."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from supervision.calendar import services
from supervision.common import clock
from supervision.reminders import ladder
from tests import factories
from tests.integration.test_migrations import empty_database, flask_db


def _bureau(s: Session) -> None:
    """A station whose head owes the quarterly integrity reminder of an officer in a
    sensitive post (as in the sweep's tests)."""
    branch = factories.unit(s, "分局", kind="branch")
    station = factories.unit(s, "派出所", kind="station", parent=branch)
    head = factories.person(s, station, "所长", email="head@example.test")
    deputy = factories.person(s, branch, "副局长", leadership="team_member")
    officer = factories.person(s, station, "民警甲")
    s.flush()
    station.head_person_id, station.supervising_leader_id = head.id, deputy.id
    post = factories.post(s, station, "户籍岗", is_sensitive=True)
    factories.assign(s, officer, post, date(2025, 1, 1))
    s.commit()


@pytest.fixture
def upgraded(app, tmp_path):
    """A session on a new database that only `flask db upgrade` made, with a small bureau."""
    with empty_database(tmp_path) as url:
        flask_db(url, "upgrade")
        engine = sa.create_engine(url)
        try:
            with app.app_context(), Session(engine) as s:
                _bureau(s)
                yield s
        finally:
            engine.dispose()


def _steps(s, first, last):
    with clock.frozen(datetime(first.year, first.month, first.day, tzinfo=UTC)):
        return ladder.collect(s, today=first, window=(first, last))


def test_upgrade_alone_puts_the_2025q3_upcoming_step_on_24_september(upgraded):
    s = upgraded
    assert not services.is_year_uncovered(s, 2025)  # seeded by the migration
    assert services.get_day(s, date(2025, 9, 28)).is_workday  # Sunday, 调休
    steps = _steps(s, date(2025, 9, 20), date(2025, 10, 10))
    upcoming = [x for x in steps if x.step == "upcoming" and x.period == "2025Q3"]
    assert upcoming and {x.on.date() for x in upcoming} == {date(2025, 9, 24)}
    # The migration wrote exactly what a sync writes: a sync right after changes nothing.
    result = services.sync(s)
    assert (result.inserted, result.updated) == (0, 0) and result.unchanged > 8000


def test_no_overdue_reminder_on_new_years_day_2027(upgraded):
    s = upgraded
    assert services.is_year_uncovered(s, 2027)  # the library stops at 2026
    day = services.get_day(s, date(2027, 1, 1))
    assert (day.is_workday, day.note, day.source) == (False, "元旦", "fallback")
    steps = _steps(s, date(2026, 12, 20), date(2027, 1, 10))
    overdue = [x for x in steps if x.step == "overdue" and x.period == "2026Q4"]
    assert overdue and {x.on.date() for x in overdue} == {date(2027, 1, 4)}
    assert not [x for x in steps if x.on.date() == date(2027, 1, 1)]


def test_upgrade_keeps_the_days_an_admin_set_before_it(app, tmp_path):
    with empty_database(tmp_path) as url:
        flask_db(url, "upgrade", "4cad0ea120e1")
        engine = sa.create_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(
                    sa.text(
                        "INSERT INTO calendar_days (date, is_workday, note, source) "
                        "VALUES ('2025-10-01', true, '值班', 'admin')"
                    )
                )
            flask_db(url, "upgrade")
            with engine.connect() as conn:
                rows = conn.execute(
                    sa.text("SELECT source, COUNT(*) FROM calendar_days GROUP BY source")
                ).all()
                kept = conn.execute(
                    sa.text("SELECT is_workday, note FROM calendar_days WHERE source = 'admin'")
                ).one()
        finally:
            engine.dispose()
    counts = dict(rows)
    assert counts["admin"] == 1 and counts["library"] > 8000
    assert (bool(kept[0]), kept[1]) == (True, "值班")
