"""The reminder settings (SPEC §8): the service wrapper shared with the API, and the page.

Settings are stored under ladder.SETTINGS_KEY through supervision.common.settings (audited);
the pure rules validate the whole document and this layer translates their messages. Read
and changed by admin and the discipline secretary. The page also shows where the ladder of
the current quarter falls with the saved settings, on the working-day calendar.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import InputRequired, Length

from supervision.calendar.services import load_calendar
from supervision.common import clock
from supervision.common.errors import Invalid
from supervision.common.periods import Period
from supervision.common.permissions import requires
from supervision.extensions import db
from supervision.reminders import ladder, rules
from supervision.settings.store import put_settings

bp = Blueprint("reminder_settings", __name__, url_prefix="/admin/reminders")


_MESSAGES = {
    rules.BAD_TIME: _l("Must be a time of day as HH:MM."),
    rules.BAD_BOOL: _l("Must be true or false."),
    rules.BAD_ORDER: _l("Escalation must come after the overdue step."),
}


def _validate(values: dict) -> dict[str, list[str]]:
    """rules.validate_settings with its messages translated."""
    errors = {}
    for field, messages in rules.validate_settings(values).items():
        if field in rules.BOUNDS and messages != [rules.BAD_ORDER]:
            low, high = rules.BOUNDS[field]
            errors[field] = [
                _("Must be a whole number from %(low)s to %(high)s.", low=low, high=high)
            ]
        else:
            errors[field] = [str(_MESSAGES.get(m, m)) for m in messages]
    return errors


def update_settings(session: Session, changes: dict[str, Any]) -> dict[str, Any]:
    """Change any of the reminder settings (422 by field for unknown or invalid ones); audited."""
    return put_settings(session, ladder.SETTINGS_KEY, rules.DEFAULT_SETTINGS, changes, _validate)


def _days(label):
    # The range is the service's to check, so the page and the API give the same message.
    return IntegerField(label, validators=[InputRequired()])


class SettingsForm(FlaskForm):
    """The ladder's offsets in working days, the time of day, e-mail and digest switches."""

    upcoming_working_days = _days(_l("Due-soon reminder: working days before the due date"))
    overdue_working_days = _days(_l("Overdue reminder: working days after the due date"))
    escalated_working_days = _days(_l("Escalation: working days after the due date"))
    review_upcoming_working_days = _days(
        _l("Risk review and measure reminder: working days before the date")
    )
    review_overdue_working_days = _days(
        _l("Risk review and measure overdue: working days after the date")
    )
    send_at = StringField(
        _l("Time of day of reminders (HH:MM)"), validators=[InputRequired(), Length(max=5)]
    )
    email_enabled = BooleanField(_l("Send reminders by e-mail"))
    digest_enabled = BooleanField(_l("Send the weekly digest"))

    def to_changes(self) -> dict:
        """The settings for update_settings."""
        return {name: self._fields[name].data for name in rules.DEFAULT_SETTINGS}


def _example(settings: dict) -> dict:
    """The ladder of the current quarter's integrity-reminder obligation."""
    due = Period.of(clock.today(), "quarter").due_date
    calendar = load_calendar(db.session, due, due)
    steps = rules.obligation_steps(due, calendar, settings)
    return {
        "due": due,
        "steps": steps,
        "at": settings["send_at"],
        "fallback": sorted(calendar.uncovered_years(steps[0][1], steps[-1][1])),
    }


@bp.route("/", methods=["GET", "POST"])
@login_required
@requires("reminders.settings")
def settings():
    """The reminder ladder settings (admin, discipline secretary)."""
    current = ladder.get_reminder_settings(db.session)
    form = SettingsForm(data=current if request.method == "GET" else None)
    status = 200
    if form.validate_on_submit():
        try:
            update_settings(db.session, form.to_changes())
        except Invalid as exc:
            db.session.rollback()
            for key, messages in exc.errors.items():
                target = form._fields.get(key)
                if target is not None:
                    target.errors = [*target.errors, *messages]
                else:
                    form.form_errors.extend(messages)
            status = exc.status
        else:
            db.session.commit()
            flash(_("Reminder settings saved."), "success")
            return redirect(url_for("reminder_settings.settings"))
    elif request.method == "POST":
        status = 422
    return render_template("reminders/settings.html", form=form, example=_example(current)), status
