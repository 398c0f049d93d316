"""Administration of user accounts: list, create, edit roles/person/enabled, reset password."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from supervision.auth import services
from supervision.auth.forms import UserForm
from supervision.auth.models import User, UserRole
from supervision.common.errors import Invalid
from supervision.common.forms import save_form
from supervision.common.pages import paginate
from supervision.common.permissions import requires
from supervision.extensions import db

bp = Blueprint("users", __name__, url_prefix="/admin/users")


@bp.get("/")
@requires("users.manage")
def index():
    """All accounts, searchable by username, person name or staff number, and by role."""
    from supervision.org.models import Person

    q = (request.args.get("q") or "").strip()
    role = request.args.get("role") or ""
    stmt = (
        sa.select(User)
        .outerjoin(Person, Person.id == User.person_id)
        .options(selectinload(User.person), selectinload(User.role_rows))
        .order_by(User.username)
    )
    if q:
        like = f"%{q}%"
        stmt = stmt.where(
            sa.or_(User.username.ilike(like), Person.name.like(like), Person.staff_no.like(like))
        )
    if role:
        stmt = stmt.where(User.id.in_(sa.select(UserRole.user_id).where(UserRole.role == role)))
    return render_template("auth/users.html", page=paginate(stmt), q=q, role=role)


@bp.route("/new", methods=["GET", "POST"])
@requires("users.manage")
def new():
    """Create an account."""
    form = UserForm()
    form.password.flags.required = True

    def create():
        if not form.password.data:
            raise Invalid("", {"password": [_("A password is required for a new account.")]})
        user = services.create_user(
            db.session,
            form.username.data,
            form.password.data,
            form.roles.data,
            form.staff_no.data or None,
        )
        user.is_enabled = form.is_enabled.data
        return user

    user, status = save_form(form, create)
    if user is not None:
        flash(_("Account %(name)s created.", name=user.username), "success")
        return redirect(url_for("users.index"))
    return render_template("auth/user_form.html", form=form, user=None), status


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@requires("users.manage")
def edit(user_id: int):
    """Change roles, linked person, enabled flag; optionally set a new password."""
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user)
    if request.method == "GET":
        form.roles.data = sorted(user.roles)
        form.staff_no.data = user.person.staff_no if user.person else ""
    form.username.render_kw = {"readonly": True}
    saved, status = save_form(
        form,
        lambda: services.update_user(
            db.session,
            user,
            roles=form.roles.data,
            staff_no=form.staff_no.data or "",
            is_enabled=form.is_enabled.data,
            password=form.password.data or None,
            acting_user=current_user,
        ),
        success=_("Account %(name)s saved.", name=user.username),
    )
    if saved is not None:
        return redirect(url_for("users.index"))
    if status != 200:
        user = db.session.get(User, user_id)
    return render_template("auth/user_form.html", form=form, user=user), status
