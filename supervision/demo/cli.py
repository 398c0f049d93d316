"""`demo load [--if-empty] [--seed N]` and `demo accounts`."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from supervision.common import clock
from supervision.common.errors import ServiceError
from supervision.demo import loader
from supervision.extensions import db


@click.group("demo")
def demo_group():
    """Demo data: a realistic sub-bureau and demo accounts."""


@demo_group.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing (successfully) if data already exists.")
@click.option(
    "--seed",
    default=loader.DEFAULT_SEED,
    show_default=True,
    type=int,
    help="Random seed; the same seed and date give the same data.",
)
@with_appcontext
def load_cmd(if_empty: bool, seed: int):
    """Load the demo bureau (units, people, posts, eight years of assignments)."""
    if not loader.is_empty(db.session):
        if if_empty:
            click.echo("The database already holds org data; demo load skipped.")
            return
        raise click.ClickException(
            "The database is not empty (org units, people or posts exist); demo data is only "
            "loaded into an empty database. Use --if-empty to skip silently."
        )
    started = time.perf_counter()
    try:
        counts = loader.load(db.session, seed=seed, today=clock.today())
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    elapsed = time.perf_counter() - started
    click.echo(
        f"Loaded demo bureau (seed {seed}) in {elapsed:.1f}s: {counts['org_units']} org units, "
        f"{counts['people']} people, {counts['posts']} posts ({counts['sensitive_posts']} "
        f"sensitive), {counts['assignments']} assignments, {counts.get('risk_points', 0)} risk "
        f"points with {counts.get('risk_measures', 0)} measures, an inspection with "
        f"{counts.get('rectification_findings', 0)} findings and "
        f"{counts.get('rectification_measures', 0)} rectification measures."
    )


@demo_group.command("accounts")
@with_appcontext
def accounts_cmd():
    """Create the missing demo accounts (one per role) and print them."""
    try:
        rows = loader.ensure_accounts(db.session)
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    width = max(len(r["username"]) for r in rows)
    roles_width = max(len(", ".join(r["roles"])) for r in rows)
    click.echo(f"{'username':<{width}}  {'roles':<{roles_width}}  {'password':<18}  person")
    for r in rows:
        state = "" if r["created"] else "  (existed; password unchanged)"
        click.echo(
            f"{r['username']:<{width}}  {', '.join(r['roles']):<{roles_width}}  "
            f"{loader.DEMO_PASSWORD:<18}  {r['person'] or '-'}{state}"
        )


commands = [demo_group]
