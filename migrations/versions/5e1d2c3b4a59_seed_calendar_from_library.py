"""Seed the working-day calendar from the chinese-calendar library (SPEC §2, issue 12).

Revision ID: 5e1d2c3b4a59
Revises: 5d1e0a7c3b92
Create Date: 2026-12-10 10:00:00

A data migration, so that a new installation has the official working days of every year
the installed library covers right after `flask db upgrade`, with no other command (before
it, every day was plain Monday–Friday until someone ran `calendar sync`: 23 wrong days in
2025, 25 in 2026). It only INSERTS the days no row holds yet, so on an existing database the
rows already synced and every admin edit stay as they are. Later library releases reach the
database through the scheduler's sync (at start and daily) or `flask calendar sync`.

Chosen over a hook that syncs after every `db upgrade` (in env.py) because a revision runs
exactly once, inside the same transaction as the schema, is visible in `db history`, and
works in offline mode (`--sql` prints the INSERTs); the hook would run on downgrades and
`stamp` too, and would hide a data change outside any revision.

The rows are those `supervision.calendar.services.library_day` writes (the note: the
holiday's Chinese name, "…调休上班" on an adjusted working day), written out here so that
later changes to the app's code cannot change what this revision does; a test checks that a
`calendar sync` right after it changes nothing. Downgrading keeps the rows: they are valid
data for the previous revision's schema.
"""

from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op

revision = "5e1d2c3b4a59"
down_revision = "5d1e0a7c3b92"
branch_labels = None
depends_on = None

calendar_days = sa.table(
    "calendar_days",
    sa.column("date", sa.Date),
    sa.column("is_workday", sa.Boolean),
    sa.column("note", sa.String),
    sa.column("source", sa.String),
)


def _library_rows() -> list[dict]:
    import chinese_calendar

    known = set(chinese_calendar.holidays) | set(chinese_calendar.workdays)
    names = {h.value: h.chinese for h in chinese_calendar.Holiday}
    day, last = date(min(known).year, 1, 1), date(max(known).year, 12, 31)
    rows = []
    while day <= last:
        workday = chinese_calendar.is_workday(day)
        _holiday, name = chinese_calendar.get_holiday_detail(day)
        note = names.get(name, name) if name else ""
        if note and workday:
            note = f"{note}调休上班"
        rows.append({"date": day, "is_workday": workday, "note": note[:200], "source": "library"})
        day += timedelta(days=1)
    return rows


def upgrade():
    rows = _library_rows()
    if not op.get_context().as_sql:
        stored = {
            d if isinstance(d, date) else date.fromisoformat(str(d)[:10])
            for (d,) in op.get_bind().execute(sa.select(calendar_days.c.date))
        }
        rows = [r for r in rows if r["date"] not in stored]
    if rows:
        op.bulk_insert(calendar_days, rows)


def downgrade():
    pass
