"""Administration of user accounts: list, create, edit roles/person/enabled, reset password.

Discipline roles given here wait for a secretary's confirmation (auth.grants): the pages
show those pending grants plainly, and an administrator may withdraw one.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from supervision.auth import grants, services
from supervision.auth.forms import UserForm
from supervision.auth.labels import ROLE_LABELS
from supervision.auth.models import User, UserRole
from supervision.auth.passwords import MIN_PASSWORD_LENGTH
from supervision.common.errors import Invalid, ServiceError
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
    page = paginate(stmt)
    pending = grants.pending_by_user(db.session, (u.id for u in page.items))
    return render_template("auth/users.html", page=page, q=q, role=role, pending=pending)


def _form_page(form, user, status):
    pending = grants.pending_by_user(db.session, [user.id]).get(user.id, []) if user else []
    return render_template(
        "auth/user_form.html",
        form=form,
        user=user,
        pending=pending,
        min_length=MIN_PASSWORD_LENGTH,
    ), status


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
            acting_user=current_user._get_current_object(),
        )
        user.is_enabled = form.is_enabled.data
        return user

    user, status = save_form(form, create)
    if user is not None:
        flash(_("Account %(name)s created.", name=user.username), "success")
        _flash_pending(user)
        return redirect(url_for("users.index"))
    return _form_page(form, None, status)


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
            acting_user=current_user._get_current_object(),
        ),
        success=_("Account %(name)s saved.", name=user.username),
    )
    if saved is not None:
        _flash_pending(saved)
        return redirect(url_for("users.index"))
    if status != 200:
        user = db.session.get(User, user_id)
    return _form_page(form, user, status)


def _flash_pending(user: User) -> None:
    """Say which roles of `user` wait for a discipline secretary's confirmation."""
    waiting = grants.pending_by_user(db.session, [user.id]).get(user.id, [])
    if waiting:
        roles = "、".join(str(ROLE_LABELS[g.role]) for g in waiting)
        flash(
            _(
                "Pending: %(roles)s takes effect only when a discipline secretary other than "
                "you confirms it.",
                roles=roles,
            ),
            "warning",
        )


@bp.post("/grants/<int:grant_id>/withdraw")
@requires("users.manage")
def withdraw_grant(grant_id: int):
    """Withdraw a pending grant of a discipline role."""
    try:
        grant = grants.withdraw_grant(db.session, grant_id, current_user._get_current_object())
    except ServiceError as exc:
        db.session.rollback()
        if exc.status == 404:
            abort(404)
        flash(exc.message, "error")
        return redirect(url_for("users.index"))
    user_id = grant.user_id
    db.session.commit()
    flash(_("The pending grant was withdrawn."), "success")
    return redirect(url_for("users.edit", user_id=user_id))
