"""Home page: what the signed-in user can do, with a few counts of their scope."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from supervision.calendar.services import fallback_years
from supervision.common import clock
from supervision.common.permissions import can
from supervision.extensions import db
from supervision.org.models import Assignment, OrgUnit, Person, Post
from supervision.org.scope import current_scope

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    """The landing page after login."""
    scope = current_scope()
    units = db.session.scalar(
        sa.select(sa.func.count()).select_from(OrgUnit).where(scope.unit_clause())
    )
    people = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Person)
        .where(scope.person_clause(), Person.is_active)
    )
    posts = db.session.execute(
        sa.select(sa.func.count(), sa.func.count().filter(Post.is_sensitive)).where(
            Post.org_unit_id.in_(scope.unit_ids_select())
        )
    ).one()
    in_sensitive = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Assignment.person_id)))
        .join(Post, Post.id == Assignment.post_id)
        .where(
            Assignment.end_date.is_(None),
            Post.is_sensitive,
            Post.org_unit_id.in_(scope.unit_ids_select()),
        )
    )
    return render_template(
        "home/index.html",
        calendar_fallback=(
            fallback_years(db.session, clock.today())
            if can(current_user, "calendar.warnings")
            else []
        ),
        counts={
            "units": units,
            "people": people,
            "posts": posts[0],
            "sensitive_posts": posts[1],
            "people_in_sensitive": in_sensitive,
        },
    )
