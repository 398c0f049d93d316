"""JSON API of reminders (SPEC §8, §10): the caller's notifications, the ladder preview and
the reminder settings.

Decisions:
- /notifications is everyone's own inbox: the notifications addressed to the caller's
  person (none for a user without a person). Another user's notification is 404.
  `object_type` is null for a digest (about no one object); the outbox's internal
  `sending` state is reported as `queued` (the e-mail is not sent yet).
- Reading is idempotent: the first `read_at` is the receipt and is never moved.
- /reminders/preview lists the organisation-wide ladder, so it is for the roles that see
  the whole organisation's reminders (admin, hr and the discipline roles); leaders and staff
  get 403. The window is `from`..`to` (local dates, inclusive, at most 366 days; default
  the 30 days from today); items are those open as of today.
- /reminders/settings: read and changed by admin and the discipline secretary; a PUT may
  send any subset, validated as a whole, audited.
"""

from __future__ import annotations

from datetime import timedelta

import marshmallow as ma
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Page
from marshmallow import fields, validate

from supervision.calendar.services import MAX_YEAR, MIN_YEAR
from supervision.common import clock
from supervision.common.api import ApiBlueprint, BaseSchema, LocalDateTime, SelectPage, labelled
from supervision.common.permissions import require
from supervision.extensions import db
from supervision.obligations.rules import OBLIGATION_TYPES
from supervision.reminders import context, ladder, rectification, rules, texts
from supervision.reminders.labels import EMAIL_STATUS_LABELS, STEP_LABELS
from supervision.reminders.models import OBJECT_TYPES, STEPS
from supervision.reminders.settings import get_reminder_settings, update_reminder_settings
from supervision.talks.labels import TALK_TYPE_LABELS

blp = ApiBlueprint(
    "reminders_api",
    __name__,
    description="Reminders: the caller's notifications (inbox), the preview of "
    "the reminder ladder, and the reminder settings",
)

#: Who may see the organisation-wide ladder.
#: The longest preview window, in days (both ends included).
MAX_WINDOW_DAYS = 366
DEFAULT_WINDOW_DAYS = 30
EMAIL_STATUSES = ("queued", "sent", "failed", "none")


# ------------------------------------------------------------------ schemas


class NotificationQuery(BaseSchema):
    unread = fields.Bool(metadata={"description": "true: only unread; false: only read"})


class NotificationSchema(BaseSchema):
    id = fields.Int()
    step = fields.Str(metadata=labelled(STEP_LABELS))
    object_type = fields.Str(
        allow_none=True, metadata={"enum": list(OBJECT_TYPES), "description": "null for a digest"}
    )
    object_ref = fields.Str(
        metadata={
            "description": 'obligation "person:type", rotation '
            '"person:post", risk point or measure id, user id for an account notice'
        }
    )
    person_id = fields.Int(allow_none=True, metadata={"description": "whom it is about"})
    type = fields.Str(allow_none=True, metadata={"description": "talk type, for obligations"})
    period = fields.Str(
        metadata={
            "description": "obligation period; due date for rotation and "
            "reviews; ISO week for a digest; a unique mark of the change for an "
            "account notice"
        }
    )
    subject = fields.Str(metadata={"description": "in the caller's language, rendered when read"})
    body = fields.Str(metadata={"description": "in the caller's language, rendered when read"})
    created_at = LocalDateTime()
    read_at = LocalDateTime(allow_none=True)
    email_status = fields.Str(metadata=labelled(EMAIL_STATUS_LABELS, values=EMAIL_STATUSES))
    link = fields.Str(metadata={"description": "path of the item in the web app"})

    @ma.pre_dump(pass_many=True)
    def _public_all(self, data, many, **_kwargs):
        """Subjects and bodies rendered in the caller's language, in bulk (texts.render)."""
        items = list(data) if many else [data]
        rendered = texts.render(db.session, items)
        out = [self._public(n, *rendered[n.id]) for n in items]
        return out if many else out[0]

    @staticmethod
    def _public(n, subject: str, body: str) -> dict:
        return {
            "id": n.id,
            "step": n.step,
            "object_type": n.object_type or None,
            "object_ref": n.object_ref,
            "person_id": n.person_id,
            "type": n.type,
            "period": n.period,
            "subject": subject,
            "body": body,
            "created_at": n.created_at,
            "read_at": n.read_at,
            "email_status": "queued" if n.email_status == "sending" else n.email_status,
            "link": n.link,
        }


def _plausible(value) -> None:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ma.ValidationError(
            _("Must be between the years %(low)s and %(high)s.", low=MIN_YEAR, high=MAX_YEAR)
        )


class PreviewQuery(BaseSchema):
    first = fields.Date(
        data_key="from",
        validate=_plausible,
        metadata={"description": "first local date (default today)"},
    )
    last = fields.Date(
        data_key="to",
        validate=_plausible,
        metadata={
            "description": f"last local date, inclusive (default from + {DEFAULT_WINDOW_DAYS - 1} "
            f"days; at most {MAX_WINDOW_DAYS} days in all)"
        },
    )

    @ma.validates_schema
    def _window(self, data, **_kwargs):
        first, last = data.get("first"), data.get("last")
        if first and last:
            if first > last:
                raise ma.ValidationError(_("Must not be before the start date."), "to")
            if (last - first).days + 1 > MAX_WINDOW_DAYS:
                raise ma.ValidationError(
                    _("The window may span at most %(n)s days.", n=MAX_WINDOW_DAYS), "to"
                )


class PreviewRowSchema(BaseSchema):
    on = LocalDateTime(metadata={"description": "the instant of the step (local, with offset)"})
    step = fields.Str(metadata={"enum": [s for s in STEPS if s not in ("digest", "account")]})
    recipient_id = fields.Int(metadata={"description": "the person who receives it"})
    object_type = fields.Str(metadata={"enum": list(OBJECT_TYPES)})
    object_ref = fields.Str()
    person_id = fields.Int(allow_none=True)
    type = fields.Str(
        allow_none=True,
        metadata=labelled({t: TALK_TYPE_LABELS[t] for t in OBLIGATION_TYPES}),
    )
    period = fields.Str()


def _days(field: str, description: str) -> fields.Int:
    low, high = rules.BOUNDS[field]
    return fields.Int(
        strict=True,
        metadata={
            "description": f"{description} (default {rules.DEFAULT_SETTINGS[field]})",
            "minimum": low,
            "maximum": high,
        },
    )


class SettingsSchema(BaseSchema):
    """The reminder settings; a PUT may send any subset (validated as a whole)."""

    upcoming_working_days = _days(
        "upcoming_working_days", "`upcoming`: working days before the due date"
    )
    overdue_working_days = _days(
        "overdue_working_days", "`overdue`: working days after the due date"
    )
    escalated_working_days = _days(
        "escalated_working_days", "`escalated`: working days after the due date"
    )
    review_upcoming_working_days = _days(
        "review_upcoming_working_days",
        "`review_upcoming`: working days before a review or measure date",
    )
    review_overdue_working_days = _days(
        "review_overdue_working_days", "`review_overdue`: working days after it"
    )
    send_at = fields.Str(
        validate=validate.Length(max=5),
        metadata={"description": "local time of the steps and of the weekly digest, HH:MM (09:00)"},
    )
    mail_backlog_days = _days(
        "mail_backlog_days",
        "a step whose instant lies more than this many days before the sweep is in the "
        "inbox without e-mail",
    )
    email_enabled = fields.Bool(metadata={"description": "send e-mails (true)"})
    digest_enabled = fields.Bool(metadata={"description": "weekly digest (true)"})


# ------------------------------------------------------------------ routes


@blp.route("/notifications")
class Notifications(MethodView):
    @blp.arguments(NotificationQuery, location="query")
    @blp.response(200, NotificationSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """The caller's notifications, newest first (filter `unread`)."""
        return context.inbox_select(current_user.person_id, unread=args.get("unread"))


@blp.route("/notifications/<int:notification_id>/read")
class NotificationRead(MethodView):
    @blp.response(200, NotificationSchema)
    def post(self, notification_id):
        """Mark one of the caller's notifications read (idempotent: the first read time is
        kept as the receipt)."""
        notification = context.get_own(db.session, current_user.person_id, notification_id)
        context.mark_read(db.session, notification)
        db.session.commit()
        return notification


@blp.route("/reminders/preview")
class Preview(MethodView):
    @blp.arguments(PreviewQuery, location="query")
    @blp.response(200, PreviewRowSchema(many=True))
    @blp.paginate(Page)
    def get(self, args):
        """The ladder steps whose instant falls in the window, by instant: the items open as
        of today, whoever receives them (admin, hr, discipline roles)."""
        require("reminders.preview")
        first = args.get("first")
        last = args.get("last")
        if first is None:
            first = (
                clock.today() if last is None else last - timedelta(days=DEFAULT_WINDOW_DAYS - 1)
            )
        if last is None:
            last = first + timedelta(days=DEFAULT_WINDOW_DAYS - 1)
        steps = ladder.collect(db.session, window=(first, last))
        # Rectification reminders: only for the discipline roles; their weekly summaries are
        # digests, not ladder steps (SPEC §14).
        return [s for s in steps if rectification.in_preview(current_user, s)]


@blp.route("/reminders/settings")
class Settings(MethodView):
    @blp.response(200, SettingsSchema)
    def get(self):
        """The reminder settings (SPEC §8 defaults unless changed)."""
        require("reminders.settings")
        return get_reminder_settings(db.session)

    @blp.arguments(SettingsSchema)
    @blp.response(200, SettingsSchema)
    def put(self, data):
        """Change any subset of the settings (admin, discipline secretary; validated as a
        whole, audited)."""
        require("reminders.settings")
        result = update_reminder_settings(db.session, data)
        db.session.commit()
        return result
