"""The pending grants of discipline roles (SPEC §4): a discipline secretary other than the
grantor confirms or rejects each one here."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from supervision.auth import grants
from supervision.auth.labels import ROLE_LABELS
from supervision.common.errors import ServiceError
from supervision.common.permissions import requires
from supervision.extensions import db

bp = Blueprint("role_grants", __name__, url_prefix=grants.PENDING_GRANTS_PATH.rstrip("/"))


def _page(error: str | None = None, status: int = 200):
    pending = db.session.scalars(grants.pending_select()).all()
    return render_template("auth/role_grants.html", grants=pending, error=error), status


@bp.get("/")
@requires("users.confirm_grants")
def index():
    """The grants waiting for confirmation, oldest first."""
    return _page()


def _decide(action, grant_id: int, success: str):
    try:
        grant = action(db.session, grant_id, current_user._get_current_object())
    except ServiceError as exc:
        db.session.rollback()
        if exc.status == 404:
            abort(404)
        return _page(exc.message, exc.status)
    message = success % {
        "role": ROLE_LABELS.get(grant.role, grant.role),
        "user": grant.user.username,
    }
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".index"))


@bp.post("/<int:grant_id>/confirm")
@requires("users.confirm_grants")
def confirm(grant_id: int):
    """Confirm a grant: the user holds the role from now on."""
    return _decide(grants.confirm_grant, grant_id, _("Confirmed: %(user)s is now %(role)s."))


@bp.post("/<int:grant_id>/reject")
@requires("users.confirm_grants")
def reject(grant_id: int):
    """Reject a grant: the user does not get the role."""
    return _decide(
        grants.reject_grant, grant_id, _("Rejected: %(user)s does not get the role %(role)s.")
    )
