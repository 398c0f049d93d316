"""`flask rotation rebuild` (issue 14): recompute the maintained tenure table for everyone."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from supervision.extensions import db
from supervision.rotation import maintained


@click.group("rotation")
def rotation_group():
    """Rotation: the maintained tenure table."""


@rotation_group.command("rebuild")
@with_appcontext
def rebuild_command():
    """Recompute every tenure row as of today with the engine (writes only what changed)."""
    counts = maintained.rebuild(db.session)
    db.session.commit()
    click.echo(f"tenure rows rebuilt: {counts}")


commands = [rotation_group]
