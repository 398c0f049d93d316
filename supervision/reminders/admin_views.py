"""Admin page of e-mail deliveries (SPEC §8: "failures are visible to admins").

Lists the failed and waiting e-mail messages (and, on request, the sent ones) with their
recipient, the notifications each carries (one message per recipient and sweep), attempts,
next attempt and last error; an admin can queue a failed one again, or all failed ones after
a confirmation step. Thin views over supervision.reminders.outbox, admins only.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload

from supervision.common import clock
from supervision.common.errors import Conflict, NotFound
from supervision.common.pages import paginate
from supervision.common.permissions import requires
from supervision.extensions import db
from supervision.org.models import Person
from supervision.reminders import delivery, outbox, texts
from supervision.reminders import rectification as rectification_reminders
from supervision.reminders.labels import EMAIL_STATUS_LABELS
from supervision.reminders.models import MailMessage, Notification

bp = Blueprint("deliveries", __name__, url_prefix="/admin/deliveries")

#: The e-mail states an admin can filter on (failed and waiting by default).
FILTERS = ("failed", "queued", "sending", "sent")
OUTSTANDING = ("failed", *outbox.PENDING)
#: Subjects of a message's notifications shown in the list (the rest are counted).
SHOWN_ITEMS = 3
MAX_QUERY = 100


class ConfirmForm(FlaskForm):
    """A retry or its confirmation (the CSRF token only)."""


def _filters() -> tuple[str, str]:
    """(status, search text) from the query string; unknown statuses mean no filter."""
    status = request.args.get("status", "")
    q = " ".join((request.args.get("q") or "").split())[:MAX_QUERY]
    return (status if status in FILTERS else ""), q


@bp.context_processor
def _helpers():
    return {
        "status_labels": {s: EMAIL_STATUS_LABELS[s] for s in FILTERS},
        "backoff": delivery.BACKOFF_MINUTES,
        "shown_items": SHOWN_ITEMS,
        # A subject links to its page only when the admin may open it (issue 13, item 8).
        "link_grants": texts.LINK_GRANTS,
        # Rectification texts are for the discipline roles only (SPEC §14).
        "hidden_from": lambda object_type: rectification_reminders.hidden_from(
            current_user, object_type
        ),
    }


@bp.get("/")
@login_required
@requires("deliveries.manage")
def index():
    """The failed and waiting deliveries (or one state), newest first, searchable."""
    status, q = _filters()
    m = MailMessage
    stmt = sa.select(m).options(selectinload(m.recipient), selectinload(m.notifications))
    stmt = stmt.where(m.status == status) if status else stmt.where(m.status.in_(OUTSTANDING))
    if q:
        like = f"%{q}%"
        about = sa.select(Notification.id).where(
            Notification.message_id == m.id, Notification.subject.like(like)
        )
        if rectification_reminders.hidden_from(current_user, "inspection"):  # SPEC §14
            about = about.where(
                Notification.object_type.not_in(rectification_reminders.OBJECT_TYPES)
            )
        stmt = stmt.join(Person, Person.id == m.recipient_id).where(
            sa.or_(
                m.address.ilike(like),
                Person.name.like(like),
                Person.staff_no.like(like),
                about.exists(),
            )
        )
    if status == "sent":
        stmt = stmt.order_by(m.sent_at.desc(), m.id.desc())
    else:
        stmt = stmt.order_by(m.id.desc())
    return render_template(
        "reminders/deliveries.html",
        page=paginate(stmt),
        status=status,
        q=q,
        counts=outbox.counts(db.session),
        now=clock.now(),
        form=ConfirmForm(),
    )


def _back():
    """The list as the admin left it (filter and page kept)."""
    status = request.form.get("status", "")
    page = request.form.get("page", "")
    args = {
        "status": status if status in FILTERS else None,
        "q": (request.form.get("q") or "")[:MAX_QUERY] or None,
        "page": int(page) if page.isdigit() and 1 < int(page) < 2**31 else None,
    }
    return redirect(url_for("deliveries.index", **{k: v for k, v in args.items() if v}))


@bp.post("/<int:message_id>/retry")
@login_required
@requires("deliveries.manage")
def retry(message_id: int):
    """Queue one failed e-mail again, due now."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        message = outbox.retry(db.session, message_id)
        db.session.commit()
    except NotFound:
        abort(404)
    except Conflict as exc:
        db.session.rollback()
        flash(exc.message, "warning")
        return _back()
    flash(
        _(
            "The e-mail to %(address)s is queued again; it is sent at the next delivery run.",
            address=message.address or "—",
        ),
        "success",
    )
    return _back()


@bp.route("/retry-failed", methods=["GET", "POST"])
@login_required
@requires("deliveries.manage")
def retry_failed():
    """Queue every failed e-mail again, after a confirmation page."""
    form = ConfirmForm()
    if form.validate_on_submit():
        count = outbox.retry_all_failed(db.session)
        db.session.commit()
        if count:
            flash(
                _(
                    "%(n)s failed e-mails are queued again; they are sent at the next delivery "
                    "run.",
                    n=count,
                ),
                "success",
            )
        else:
            flash(_("There are no failed e-mails to retry."), "info")
        return redirect(url_for("deliveries.index"))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "reminders/deliveries.html", confirm=True, form=form, counts=outbox.counts(db.session)
    ), status
