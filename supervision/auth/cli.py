"""`users create` and `users token`."""

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
        detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())
        raise click.ClickException(f"{exc.message}{': ' + detail if detail else ''}") from None
    db.session.commit()
    click.echo(f"created user {username} ({', '.join(roles)})")


@users.command("token")
@click.argument("username")
@click.option("--name", default="cli", help="A label for the token.")
@with_appcontext
def token(username, name):
    """Print a new personal API token for USERNAME."""
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user {username}")
    value = services.issue_token(db.session, user, name)
    db.session.commit()
    click.echo(value)


commands = [users]
