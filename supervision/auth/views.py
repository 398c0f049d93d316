"""Login, logout, language switch and the profile page (personal API tokens)."""

from __future__ import annotations

import math
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from supervision.auth import services, sessions, throttle
from supervision.auth.forms import LoginForm, TokenForm
from supervision.auth.models import ApiToken, User
from supervision.common import clock
from supervision.common.errors import NotFound, ServiceError
from supervision.common.forms import put_errors
from supervision.extensions import db

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site relative targets are followed after login."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
        ):
            return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form and sign the user in; failures are throttled (auth/throttle)."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        typed, address = form.username.data.strip(), request.remote_addr
        try:
            refused = throttle.check(typed, address)
            if refused is not None:
                return _refused(form, refused)
            user = db.session.scalar(sa.select(User).where(User.username == typed))
            if services.check_password(user, form.password.data) and user.is_enabled:
                throttle.succeeded(typed)
                session.clear()
                login_user(user)
                sessions.stamp(user)
                services.note_login(db.session, user)
                db.session.commit()
                return redirect(_safe_next(request.args.get("next")))
            services.note_failed_login(db.session, form.username.data)
            started = throttle.failed(typed, address)
        except throttle.StorageError:
            current_app.logger.exception("login throttle storage unavailable")
            db.session.rollback()
            form.form_errors.append(_("Logging in is unavailable for a moment; try again later."))
            return render_template("auth/login.html", form=form), 503
        for lockout in started:
            throttle.audit_lockout(db.session, lockout, typed, address, user.id if user else None)
        db.session.commit()
        form.password.errors.append(_("Wrong username or password."))
        if started:
            return _refused(form, max(started, key=lambda r: r.until))
    return render_template("auth/login.html", form=form)


def _refused(form: LoginForm, refused: throttle.Refusal):
    """The login form again with when to try again: 429 and Retry-After."""
    form.form_errors.append(refusal_text(refused))
    html = render_template("auth/login.html", form=form)
    return html, 429, {"Retry-After": str(refused.seconds_left())}


def refusal_text(refused: throttle.Refusal) -> str:
    """Why logins (or password changes) are refused and when to try again, in the reader's
    language: "after 09:02 (in about 3 minutes)"."""
    seconds = refused.seconds_left()
    until = clock.local(refused.until)
    if until.second or until.microsecond:  # "after 09:02" rather than a minute too early
        until = until.replace(second=0, microsecond=0) + timedelta(minutes=1)
    shown = until.strftime("%H:%M" if until.date() == clock.today() else "%m-%d %H:%M")
    minutes = max(1, math.ceil(seconds / 60))
    if refused.scope == "account":
        return _(
            "Too many failed logins. Try again after %(time)s (in about %(minutes)s minutes).",
            time=shown,
            minutes=minutes,
        )
    return _(
        "Too many failed logins from this network address. Try again after %(time)s "
        "(in about %(minutes)s minutes).",
        time=shown,
        minutes=minutes,
    )


@bp.post("/logout")
@login_required
def logout():
    """Sign out (POST, with CSRF): every session of the user ends, in every browser."""
    user = current_user._get_current_object()
    services.note_logout(db.session, user)
    sessions.end_all_sessions(user)
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.get("/lang/<code>")
def set_language(code: str):
    """Switch the interface language for this browser session."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(_safe_next(request.args.get("next")))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    """The user's roles and personal API tokens; create one here (shown once)."""
    form = TokenForm()
    new_token, status = None, 200
    if form.validate_on_submit():
        try:
            new_token = services.issue_token(
                db.session, current_user, form.name.data.strip(), form.expires_on.data
            )
        except ServiceError as exc:
            db.session.rollback()
            put_errors(form, exc.errors, exc.message)
            status = 422
        else:
            db.session.commit()
            form = TokenForm(formdata=None)
    elif form.is_submitted():
        status = 422
    tokens = db.session.scalars(
        sa.select(ApiToken)
        .where(ApiToken.user_id == current_user.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).all()
    now = clock.now()
    states = {t.id: services.token_state(t, now) for t in tokens}
    html = render_template(
        "auth/profile.html", form=form, tokens=tokens, states=states, new_token=new_token
    )
    return html, status


@bp.post("/profile/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    """Revoke one of the user's tokens."""
    try:
        services.revoke_token(db.session, current_user, token_id)
    except NotFound:
        return render_template("errors/error.html", status=404, exc=None), 404
    db.session.commit()
    flash(_("Token revoked."), "success")
    return redirect(url_for("auth.profile"))
