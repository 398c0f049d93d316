"""Login, logout, language switch and the profile page (personal API tokens)."""

from __future__ import annotations

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

from supervision.auth import services
from supervision.auth.forms import LoginForm, TokenForm
from supervision.auth.models import ApiToken, User
from supervision.common.errors import NotFound
from supervision.extensions import db, limiter

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


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """Show the login form and sign the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(sa.select(User).where(User.username == form.username.data.strip()))
        if services.check_password(user, form.password.data) and user.is_enabled:
            session.clear()
            login_user(user)
            services.note_login(db.session, user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        services.note_failed_login(db.session, form.username.data)
        db.session.commit()
        form.password.errors.append(_("Wrong username or password."))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    """Sign out (POST, with CSRF)."""
    services.note_logout(db.session, current_user)
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
    new_token = None
    if form.validate_on_submit():
        new_token = services.issue_token(db.session, current_user, form.name.data.strip())
        db.session.commit()
        form = TokenForm(formdata=None)
    tokens = db.session.scalars(
        sa.select(ApiToken)
        .where(ApiToken.user_id == current_user.id)
        .order_by(ApiToken.created_at.desc())
    ).all()
    return render_template("auth/profile.html", form=form, tokens=tokens, new_token=new_token)


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
