"""`flask calendar sync` and `flask calendar import-notice` (SPEC §11)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext

from supervision.calendar import services
from supervision.common import clock
from supervision.common.errors import Invalid
from supervision.extensions import db


@click.group("calendar")
def calendar_group():
    """Working-day calendar."""


def fallback_warning(today: date) -> str | None:
    """The warning for the watched years that rely on the fallback, or None."""
    years = services.fallback_years(db.session, today)
    if not years:
        return None
    library = services.library_years()
    return (
        f"WARNING: {', '.join(map(str, years))} "
        f"{'is' if len(years) == 1 else 'are'} not covered by the calendar library "
        f"({library[0]}–{library[-1]}): working days are the fallback (Monday–Friday minus the "
        "statutory holidays, without the adjusted working days). Import the State Council's "
        "notice: flask calendar import-notice YEAR FILE --apply, or the page "
        "/admin/calendar/notice."
    )


@calendar_group.command("sync")
@click.option(
    "--year",
    "years",
    type=int,
    multiple=True,
    help="Only this year (repeatable); default every year the library covers.",
)
@with_appcontext
def sync_command(years):
    """Refresh working days from the library; days edited by an admin are kept."""
    try:
        result = services.sync(db.session, list(years) if years else None)
    except Invalid as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    span = f"{result.years[0]}–{result.years[-1]}" if result.years else "none"
    click.echo(
        f"Calendar synced for {len(result.years)} years ({span}): {result.inserted} days inserted, "
        f"{result.updated} updated, {result.unchanged} unchanged, {result.kept_admin} admin days "
        f"kept."
    )
    today = clock.today()
    click.echo(f"Fallback years (no official data): {_fallback_span(today)}.")
    warning = fallback_warning(today)
    if warning:
        click.echo(warning, err=True)


def _fallback_span(today: date) -> str:
    """The years from the library's last one to next year that rely on the fallback."""
    last = services.library_years()[-1]
    years = [
        y
        for y in range(min(today.year, last + 1), today.year + 2)
        if services.is_year_uncovered(db.session, y)
    ]
    return ", ".join(map(str, years)) if years else "none"


@calendar_group.command("import-notice")
@click.argument("year", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--apply", "apply", is_flag=True, help="Write the days (default: only show them).")
@with_appcontext
def import_notice_command(year, file, apply):
    """Read the State Council's holiday notice of YEAR from FILE (UTF-8 text)."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(f"{file} is not UTF-8 text.") from None
    try:
        result = services.import_notice(db.session, year, text, apply=apply)
    except Invalid as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    for info in result.changes:
        kind = "working day" if info.is_workday else "day off"
        click.echo(f"{info.date.isoformat()}  {kind:<11}  {info.note}")
    summary = (
        f"{year}: {len(result.holidays)} days off and {len(result.workdays)} working days in the "
        f"notice; {len(result.changes)} days change."
    )
    if apply:
        db.session.commit()
        click.echo(summary + " Applied.")
    else:
        db.session.rollback()
        click.echo(summary + " Nothing written: add --apply to write them.")


commands = [calendar_group]
