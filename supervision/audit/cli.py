"""`audit verify [--anchor ID:HASH]`: check the keyed hash chain from the command line (exit
0 intact, 1 broken, 2 for a malformed option), optionally against anchors kept outside the
database (the scheduler's log, the secretaries' weekly digest)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from supervision.audit import services
from supervision.extensions import db


class AnchorType(click.ParamType):
    """ID:HASH, as logged by the scheduler (`audit anchor: ID:HASH`)."""

    name = "ID:HASH"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        try:
            return services.parse_anchor(value)
        except ValueError:
            self.fail(
                f"{value!r} is not an anchor: expected ID:HASH, an entry id, a colon and "
                "the entry's 64 hexadecimal digits (as in the line 'audit anchor: ID:HASH').",
                param,
                ctx,
            )


@click.group("audit")
def audit_group():
    """Inspect the audit log."""


@audit_group.command("verify")
@click.option(
    "--anchor",
    "anchors",
    type=AnchorType(),
    multiple=True,
    help="An anchor kept earlier (ID:HASH); the entry must still be there, unchanged. Repeatable.",
)
@with_appcontext
@click.pass_context
def verify(ctx: click.Context, anchors: tuple[tuple[int, str], ...]):
    """Check the audit chain; exit status 0 when intact, 1 when broken."""
    result = services.verify(db.session, anchors)
    db.session.rollback()
    if result.ok:
        checked = f", {len(anchors)} anchor(s) matched" if anchors else ""
        click.echo(f"Audit chain intact: {result.entries} entries{checked}.")
        ctx.exit(0)
    click.echo(
        f"Audit chain BROKEN at entry {result.first_broken_id}: {result.reason} "
        f"({result.entries} entries verified before it)."
    )
    ctx.exit(1)


commands = [audit_group]
