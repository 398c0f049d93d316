"""Pages of the in-app inbox (SPEC §8) and of the personal calendar feed.

- /notifications/: the signed-in user's notifications (every role; a user sees only the
  notifications addressed to their own person), grouped by step, type, period and unit
  (inbox.py) with counts and the list to drill down to; unread groups first; filters by
  step, type, period and read state; a group expands to its items, whose texts are
  rendered in the reader's language; mark one, a group or all read; open one (marks it
  read, then goes to its page on this site).
- /notifications/feed: create, regenerate (revokes the old URL) or revoke the secret
  calendar-feed URL; the URL is shown once, right after it is created.
- /calendar/feed/<token>.ics: the feed itself, without login (the token is the secret);
  404 for an unknown or revoked token. Calendar clients poll: answers carry an ETag and a
  short max-age, and a per-feed rate limit only stops runaway pollers.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from supervision.common import clock, links
from supervision.common.errors import NotFound
from supervision.common.pages import choice_arg, int_arg, page_arg, parse_id
from supervision.common.periods import parse as parse_period
from supervision.extensions import db, limiter
from supervision.obligations.rules import OBLIGATION_TYPES
from supervision.reminders import context, feed, inbox, texts
from supervision.reminders.labels import KIND_LABELS, STEP_LABELS
from supervision.reminders.models import STEPS
from supervision.talks.labels import TALK_TYPE_LABELS

bp = Blueprint("notifications", __name__)
# The navbar's unread badge needs the Jinja globals wherever this blueprint is registered.
bp.record_once(lambda state: context.register(state.app))

#: The kinds a reader can filter on: the talk types, then the other objects.
KINDS = {**{t: TALK_TYPE_LABELS[t] for t in OBLIGATION_TYPES}, **KIND_LABELS}
FEED_ACTIONS = ("create", "regenerate", "revoke")
STEP_CLASSES = {
    "upcoming": "text-bg-info",
    "overdue": "text-bg-warning",
    "escalated": "text-bg-danger",
    "rotation_upcoming": "text-bg-info",
    "rotation_due": "text-bg-warning",
    "review_upcoming": "text-bg-info",
    "review_overdue": "text-bg-warning",
    "digest": "text-bg-secondary",
    "account": "text-bg-secondary",
}
#: Per feed URL: far above any calendar client's polling, low enough to stop a loop.
FEED_RATE_LIMIT = "60 per minute"


@bp.context_processor
def _helpers():
    return {"step_labels": STEP_LABELS, "step_classes": STEP_CLASSES, "kind_labels": KINDS}


def _period(value: str | None) -> str | None:
    """An obligation period ("2025Q3", "2025H1", "2025") or None."""
    try:
        return str(parse_period((value or "").strip()[:16])) if value else None
    except ValueError:
        return None


def _filters() -> inbox.Filters:
    """The inbox filters from the query string; values that are not choices are ignored."""
    return inbox.Filters(
        step=choice_arg("step", STEPS),
        kind=choice_arg("type", KINDS),
        period=_period(request.args.get("period")),
        read=choice_arg("show", inbox.READ_STATES) or "all",
        unit_id=int_arg("unit"),
    )


def _back(target: str | None) -> str:
    """A local inbox address to return to (the inbox otherwise)."""
    link = context.safe_link(target)
    if link and link.startswith("/notifications/") and not link.startswith("/notifications/feed"):
        return link
    return url_for("notifications.inbox")


def _own(notification_id: int):
    try:
        return context.get_own(db.session, current_user.person_id, notification_id)
    except NotFound:
        abort(404)


@bp.get("/notifications/", endpoint="inbox")
@login_required
def inbox_page():
    """The user's notifications in groups (unread groups first, then the newest), filtered;
    each group with its counts, drill-down link and items."""
    filters = _filters()
    me = current_user.person_id
    found = inbox.groups(db.session, me, filters)
    page = inbox.page_of(found, page_arg())
    inbox.load_items(db.session, me, page.items, filters)
    inbox.add_links(db.session, current_user, page.items)
    rendered = texts.render(db.session, [n for g in page.items for n in g.items])
    return render_template(
        "reminders/inbox.html",
        page=page,
        filters=filters,
        show=filters.read,
        periods=inbox.periods(db.session, me),
        title=inbox.title,
        rendered=rendered,
        unread=context.unread_count(),
        back=request.full_path,
        safe_link=context.safe_link,
    )


@bp.post("/notifications/groups/read")
@login_required
def mark_group_read():
    """Mark the unread notifications of one group read."""
    form = request.form
    step, kind = form.get("step", ""), form.get("kind", "")
    unit = parse_id(form.get("unit"))
    if step not in STEPS or kind not in (*KINDS, "") or (form.get("unit") and unit is None):
        abort(400)
    key = inbox.GroupKey(step, kind, _period(form.get("period")) or "", unit)
    group = inbox.find_group(db.session, current_user.person_id, key)
    count = inbox.mark_group_read(db.session, current_user.person_id, group) if group else 0
    db.session.commit()
    if count:
        flash(_("%(n)s notifications marked as read.", n=count), "success")
    return redirect(_back(form.get("next")))


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    """Mark one notification read (the first reading time is kept)."""
    context.mark_read(db.session, _own(notification_id))
    db.session.commit()
    return redirect(_back(request.form.get("next")))


@bp.post("/notifications/read-all")
@login_required
def mark_all_read():
    """Mark every unread notification of the user read."""
    count = context.mark_all_read(db.session, current_user.person_id)
    db.session.commit()
    if count:
        flash(_("%(n)s notifications marked as read.", n=count), "success")
    return redirect(_back(request.form.get("next")))


@bp.get("/notifications/<int:notification_id>/open")
@login_required
def open_item(notification_id: int):
    """Mark a notification read and go to its page (only a page of this site)."""
    notification = context.mark_read(db.session, _own(notification_id))
    db.session.commit()
    link = context.safe_link(notification.link)
    if link is None:
        flash(_("This notification has no page to open."), "info")
        return redirect(url_for("notifications.inbox"))
    return redirect(link)


@bp.route("/notifications/feed", methods=["GET", "POST"])
@login_required
def feed_page():
    """The user's calendar feed: create, regenerate or revoke its secret URL."""
    new_url = None
    if request.method == "POST":
        action = request.form.get("action")
        if action not in FEED_ACTIONS:
            abort(400)
        if action == "revoke":
            if feed.revoke_feed(db.session, current_user.id):
                flash(
                    _("Your calendar feed URL is revoked; calendars using it stop updating."),
                    "success",
                )
            db.session.commit()
            return redirect(url_for("notifications.feed_page"))
        token = feed.issue_feed(db.session, current_user.id)
        db.session.commit()
        new_url = links.external_url("notifications.calendar_feed", token=token)
    confirm = request.args.get("confirm") if request.method == "GET" else None
    active = feed.active_feed(db.session, current_user.id)
    if confirm not in ("regenerate", "revoke") or active is None:
        confirm = None
    return render_template("reminders/feed.html", active=active, new_url=new_url, confirm=confirm)


def _feed_key() -> str:
    return "calendar-feed:" + feed.token_digest(request.view_args.get("token", ""))[:32]


@bp.get("/calendar/feed/<token>.ics")
@limiter.limit(FEED_RATE_LIMIT, key_func=_feed_key)
def calendar_feed(token: str):
    """The iCalendar feed of a token's user (no login; 404 unless the token is in force)."""
    found = feed.feed_for_token(db.session, token)
    if found is None:
        abort(404)
    row, user = found
    body = feed.build_calendar(db.session, user)
    if feed.touch(row, clock.now()):
        db.session.commit()
    resp = make_response(body)
    resp.headers["Content-Type"] = "text/calendar; charset=utf-8"
    resp.headers["Content-Disposition"] = 'inline; filename="supervision.ics"'
    resp.headers["X-Robots-Tag"] = "noindex"
    resp.add_etag()
    return resp.make_conditional(request)
