"""Flask-Login loaders: the session cookie, or `Authorization: Bearer <token>`.

A session cookie is accepted only while its session is alive on the server's terms
(auth/sessions.py: the user's current epoch, idle and absolute timeouts); an ended one is
dropped from the cookie, a page then leads to the login page with a notice, the API answers
401.
"""

from __future__ import annotations

from flask import g

from supervision.extensions import db


def configure(login_manager) -> None:
    """Install the user loaders on the login manager."""
    from supervision.auth import sessions
    from supervision.auth.models import User
    from supervision.auth.services import user_for_token

    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        reason = sessions.ENDED if user is None or not user.is_enabled else sessions.refusal(user)
        if reason is not None:
            sessions.forget()
            g.session_refused = reason
            return None
        return user

    @login_manager.request_loader
    def load_from_token(request):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        user = user_for_token(db.session, token.strip())
        if user is not None:
            g.auth_via = "token"
            if request.path.startswith("/api/") and db.session.dirty:
                # The API authenticates before its handler runs (common/api.py), so only the
                # token's last-use time is pending here: keep it even if the request only reads.
                db.session.commit()
        return user

    @login_manager.unauthorized_handler
    def unauthorized():
        from flask import abort, flash, redirect, request, url_for
        from flask_babel import gettext as _

        if request.path.startswith("/api/"):
            abort(401)
        reason = g.pop("session_refused", None)
        if reason == sessions.TIMED_OUT:
            flash(_("Your session has timed out; please log in again."), "warning")
        elif reason == sessions.ENDED:
            flash(_("Your session has ended; please log in again."), "warning")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
