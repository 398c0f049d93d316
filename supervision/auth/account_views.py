"""The signed-in user's own account: changing the password (SPEC §4), and the forced change
after an administrator set one.

While `must_change_password` is set, every page redirects to the change page and the API
answers 403 `password_change_required`; logging out, the language switch, static files
and the health check stay reachable.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from supervision.auth import services, sessions, throttle
from supervision.auth.forms import ChangePasswordForm
from supervision.auth.passwords import MIN_PASSWORD_LENGTH
from supervision.auth.views import refusal_text
from supervision.common.errors import Invalid, error_body, is_api_request
from supervision.common.forms import save_form
from supervision.extensions import db, limiter

bp = Blueprint("account", __name__, url_prefix="/account")

#: A few tries a minute are plenty for a person. Wrong current passwords are moreover
#: counted as failed logins of the account (auth/throttle): whoever holds a stolen session
#: cannot guess the password here faster than on the login page.
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
    address = request.remote_addr

    def page(status, headers=None):
        html = render_template(
            "auth/password.html", form=form, forced=forced, min_length=MIN_PASSWORD_LENGTH
        )
        return html, status, headers or {}

    if form.is_submitted():
        try:
            refused = throttle.check(user.username, address)
        except throttle.StorageError:
            current_app.logger.exception("login throttle storage unavailable")
            form.form_errors.append(_("Logging in is unavailable for a moment; try again later."))
            return page(503)
        if refused is not None:
            form.form_errors.append(refusal_text(refused))
            return page(429, {"Retry-After": str(refused.seconds_left())})
    wrong_current = []

    def change():
        try:
            services.change_password(
                db.session, user, form.current_password.data, form.new_password.data
            )
        except Invalid as exc:
            if "current_password" in exc.errors:
                wrong_current.append(True)
            raise
        sessions.stamp(user)
        return user

    saved, status = save_form(
        form,
        change,
        success=_("Your password was changed; every other session of your account has ended."),
    )
    if saved is not None:
        return redirect(url_for("auth.profile"))
    if wrong_current:
        return _count_wrong_current(form, user, address, page) or page(status)
    return page(status)


def _count_wrong_current(form, user, address, page):
    """Count a wrong current password as a failed login of the account; answer 429 when
    that starts a lock-out (audited), else None."""
    try:
        started = throttle.failed(user.username, address)
    except throttle.StorageError:
        current_app.logger.exception("login throttle storage unavailable")
        return None
    for lockout in started:
        throttle.audit_lockout(db.session, lockout, user.username, address, user.id)
    db.session.commit()
    if not started:
        return None
    refused = max(started, key=lambda r: r.until)
    form.form_errors.append(refusal_text(refused))
    return page(429, {"Retry-After": str(refused.seconds_left())})
