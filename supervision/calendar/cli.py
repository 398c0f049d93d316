"""`flask calendar sync`: refresh working days from the chinese-calendar library (SPEC §11)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from supervision.calendar import services
from supervision.common.errors import Invalid
from supervision.extensions import db


@click.group("calendar")
def calendar_group():
    """Working-day calendar."""


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


commands = [calendar_group]
