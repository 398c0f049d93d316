"""`flask obligations rebuild`: recompute the maintained table of obligations (issue 14)
for today's open periods; the scheduler runs it daily as a safety net and to move the
table to a new quarter or year."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from supervision.extensions import db
from supervision.obligations import maintained


def rebuild() -> maintained.Result:
    """Rebuild the table and commit (the CLI command and the scheduler's job)."""
    result = maintained.rebuild(db.session)
    db.session.commit()
    return result


def describe(result: maintained.Result) -> str:
    """The counts of a rebuild in one line."""
    return (
        f"{result.rows} obligations of the open periods: {result.inserted} inserted, "
        f"{result.updated} updated, {result.deleted} deleted"
    )


@click.group("obligations")
def obligations_group():
    """Talk obligations: the maintained table."""


@obligations_group.command("rebuild")
@with_appcontext
def rebuild_command():
    """Recompute every obligation of the open periods (idempotent)."""
    click.echo(describe(rebuild()))


commands = [obligations_group]
