"""The signed-in user's own account: changing the password (SPEC §4), and the forced change
after an administrator set one.

While `must_change_password` is set, every page redirects to the change page and the API
answers 403 `password_change_required`; logging out, the language switch, static files
and the health check stay reachable.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from supervision.auth import services, sessions
from supervision.auth.forms import ChangePasswordForm
from supervision.auth.passwords import MIN_PASSWORD_LENGTH
from supervision.common.errors import error_body, is_api_request
from supervision.common.forms import save_form
from supervision.extensions import db, limiter

bp = Blueprint("account", __name__, url_prefix="/account")

#: Wrong current passwords are guesses: a few tries a minute are plenty for a person.
CHANGE_RATE_LIMIT = "10 per minute"
#: Reachable while a password change is due (besides static files).
_OPEN_ENDPOINTS = frozenset(
    {"account.password", "auth.logout", "auth.login", "auth.set_language", "healthz", "favicon"}
)


@bp.before_app_request
def _require_new_password():
    """Send a user whose password an administrator set to the change page first."""
    endpoint = request.endpoint or ""
    if endpoint in _OPEN_ENDPOINTS or endpoint == "static" or endpoint.endswith(".static"):
        return None
    if not current_user.is_authenticated or not current_user.must_change_password:
        return None
    if is_api_request():
        body = error_body(
            403, _("Change your password before you go on (it was set by an administrator).")
        )
        body["code"] = "password_change_required"
        return jsonify(body), 403
    return redirect(url_for("account.password"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit(CHANGE_RATE_LIMIT, methods=["POST"])
def password():
    """Change one's own password: the current one and the new one twice. Every other
    session of the user ends; this browser stays signed in."""
    form = ChangePasswordForm()
    forced = current_user.must_change_password
    user = current_user._get_current_object()

    def change():
        services.change_password(
            db.session, user, form.current_password.data, form.new_password.data
        )
        sessions.stamp(user)
        return user

    saved, status = save_form(
        form,
        change,
        success=_("Your password was changed; every other session of your account has ended."),
    )
    if saved is not None:
        return redirect(url_for("auth.profile"))
    return render_template(
        "auth/password.html", form=form, forced=forced, min_length=MIN_PASSWORD_LENGTH
    ), status
