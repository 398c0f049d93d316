"""`flask rectification snapshots` (SPEC §14): the monthly snapshots of the ledger's
figures, also run daily by the scheduler (it takes them from the month's first working
day on, once a month per inspection being rectified)."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext

from supervision.common import clock
from supervision.extensions import db
from supervision.rectification import figures


@click.group("rectification")
def rectification_group():
    """Inspection rectification ledger."""


@rectification_group.command("snapshots")
@click.option(
    "--on",
    "on",
    default=None,
    metavar="YYYY-MM-DD",
    help="Take them as of this local date (default: today).",
)
@with_appcontext
def snapshots_command(on: str | None):
    """Freeze this month's figures of every inspection being rectified (idempotent)."""
    try:
        day = date.fromisoformat(on) if on else clock.today()
    except ValueError:
        raise click.BadParameter(f"{on!r} is not a date such as 2026-02-02.") from None
    taken = figures.monthly_snapshots(db.session, day)
    db.session.commit()
    click.echo(f"{taken} snapshots taken as of {day.isoformat()}.")


commands = [rectification_group]
