"""The reminder settings page (SPEC §8): the settings of supervision.reminders.settings,
read and changed by admin and the discipline secretary. The page also shows where the
ladder of the current quarter falls with the saved settings, on the working-day calendar.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import InputRequired, Length

from supervision.calendar.services import load_calendar
from supervision.common import clock
from supervision.common.forms import save_form
from supervision.common.periods import Period
from supervision.common.permissions import requires
from supervision.extensions import db
from supervision.reminders import rules
from supervision.reminders.settings import get_reminder_settings, update_reminder_settings

bp = Blueprint("reminder_settings", __name__, url_prefix="/admin/reminders")


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
    mail_backlog_days = _days(
        _l("E-mail only reminders at most this many days old (older ones: inbox only)")
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
    current = get_reminder_settings(db.session)
    form = SettingsForm(data=current if request.method == "GET" else None)
    saved, status = save_form(
        form,
        lambda: update_reminder_settings(db.session, form.to_changes()),
        success=_("Reminder settings saved."),
    )
    if saved is not None:
        return redirect(url_for("reminder_settings.settings"))
    return render_template("reminders/settings.html", form=form, example=_example(current)), status
