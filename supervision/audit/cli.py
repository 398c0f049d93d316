"""`audit verify`: check the hash chain from the command line (exit 0 intact, 1 broken)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from supervision.audit import services
from supervision.extensions import db


@click.group("audit")
def audit_group():
    """Inspect the audit log."""


@audit_group.command("verify")
@with_appcontext
@click.pass_context
def verify(ctx: click.Context):
    """Check the audit chain; exit status 0 when intact, 1 when broken."""
    result = services.verify(db.session)
    db.session.rollback()
    if result.ok:
        click.echo(f"Audit chain intact: {result.entries} entries.")
        ctx.exit(0)
    click.echo(
        f"Audit chain BROKEN at entry {result.first_broken_id}: {result.reason} "
        f"({result.entries} entries verified before it)."
    )
    ctx.exit(1)


commands = [audit_group]
