"""Flask-Login loaders: the session cookie, or `Authorization: Bearer <token>`."""

from __future__ import annotations

from flask import g

from supervision.extensions import db


def configure(login_manager) -> None:
    """Install the user loaders on the login manager."""
    from supervision.auth.models import User
    from supervision.auth.services import user_for_token

    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        return user if user and user.is_enabled else None

    @login_manager.request_loader
    def load_from_token(request):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        user = user_for_token(db.session, token.strip())
        if user is not None:
            g.auth_via = "token"
        return user

    @login_manager.unauthorized_handler
    def unauthorized():
        from flask import abort, redirect, request, url_for

        if request.path.startswith("/api/"):
            abort(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
