"""`users create`, `users password` and `users token`.

Whoever runs these holds the server and its database already: `users create` gives every
role at once (that is how the first discipline secretary is made), and is exempt from the
pages' separation of duties; the discipline secretaries are told all the same.
"""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from supervision.auth import services
from supervision.auth.models import User
from supervision.common.errors import ServiceError
from supervision.common.permissions import ROLES
from supervision.extensions import db


@click.group("users")
def users():
    """Manage user accounts."""


@users.command("create")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES))
@click.option("--staff-no", default=None, help="Link the account to this person.")
@click.option("--password-stdin", is_flag=True, required=True, help="Read the password from stdin.")
@with_appcontext
def create(username, roles, staff_no, password_stdin):
    """Create a user with one or more roles."""
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        services.create_user(db.session, username, password, list(roles), staff_no)
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(_explain(exc)) from None
    db.session.commit()
    click.echo(f"created user {username} ({', '.join(roles)})")


@users.command("password")
@click.argument("username")
@with_appcontext
def password(username):
    """Set USERNAME's password, read from stdin; it must be changed at the next login, and
    every session of the user ends."""
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user {username}")
    value = sys.stdin.readline().rstrip("\r\n")
    try:
        services.set_password(db.session, user, value)
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(_explain(exc)) from None
    db.session.commit()
    click.echo(f"password of {username} set; it must be changed at the next login")


def _explain(exc: ServiceError) -> str:
    detail = "; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in exc.errors.items())
    return f"{exc.message}{': ' + detail if detail else ''}"


@users.command("token")
@click.argument("username")
@click.option("--name", default="cli", help="A label for the token.")
@click.option(
    "--expires",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Last day the token works (YYYY-MM-DD, local; at most a year ahead).",
)
@with_appcontext
def token(username, name, expires):
    """Print a new personal API token for USERNAME."""
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user {username}")
    try:
        value = services.issue_token(db.session, user, name, expires.date() if expires else None)
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(value)


commands = [users]
