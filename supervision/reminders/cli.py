"""`flask reminders sweep` and `flask reminders deliver` (SPEC §8, §11)."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import with_appcontext

from supervision.common import clock
from supervision.extensions import db
from supervision.reminders import delivery, digest
from supervision.reminders import sweep as sweeping


def _instant(value: str | None) -> datetime:
    """An ISO datetime; without an offset it is local time in the configured zone."""
    if value is None:
        return clock.now()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO datetime such as 2026-01-04T09:00+08:00."
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=clock.zone())


@click.group("reminders")
def reminders_group():
    """Reminder ladder: sweep and e-mail delivery."""


@reminders_group.command("sweep")
@click.option(
    "--now",
    "now",
    default=None,
    metavar="ISO_DATETIME",
    help="Sweep as of this instant (default: now); without an offset, local time.",
)
@click.option("--dry-run", is_flag=True, help="Show what would be created; write nothing.")
@click.option(
    "--full",
    is_flag=True,
    help="Evaluate every open item, not only what changed since the last sweep.",
)
@with_appcontext
def sweep_command(now, dry_run, full):
    """Create the notifications of every ladder step due by now (idempotent). A sweep after
    an earlier one evaluates only what changed since (use --full for everything)."""
    instant = _instant(now)
    result = sweeping.sweep(db.session, instant, dry_run=dry_run, full=full)
    if result.full:
        scope = "full evaluation"
    else:
        scope = f"changes since the sweep as of {clock.local(result.since).isoformat()}"
    if dry_run:
        db.session.rollback()
        for s in result.new_steps:
            click.echo(
                f"{clock.local(s.on).isoformat()} {s.step} recipient={s.recipient_id} "
                f"{s.object_type}={s.object_ref} period={s.period}"
            )
        click.echo(
            f"Dry run as of {instant.isoformat()} ({scope}): {result.due} steps due, "
            f"{len(result.new_steps)} would be created, {result.existing} exist already."
        )
        return
    db.session.commit()
    click.echo(
        f"Sweep as of {instant.isoformat()} ({scope}): {result.due} steps due, {result.created} "
        f"notifications created ({result.queued} to e-mail in {result.messages} messages, "
        f"{result.backlog} older than the backlog window without e-mail), "
        f"{result.due - result.created} existed already."
    )


@reminders_group.command("deliver")
@with_appcontext
def deliver_command():
    """Send the queued e-mails now (retries those whose backoff has passed)."""
    result = delivery.deliver(db.session, clock.now())
    click.echo(f"Delivered: {result.sent} sent, {result.retried} to retry, {result.failed} failed.")
    if result.stopped:
        click.echo(f"Stopped early: {result.stopped}")


@reminders_group.command("digest")
@click.option(
    "--now",
    "now",
    default=None,
    metavar="ISO_DATETIME",
    help="As of this instant (default: now); without an offset, local time.",
)
@with_appcontext
def digest_command(now):
    """Create this week's digests if the first working day's send time has come."""
    result = digest.run(db.session, _instant(now))
    db.session.commit()
    click.echo(f"Digest: {result.created} created ({result.queued} e-mails queued).")


commands = [reminders_group]
