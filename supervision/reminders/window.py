"""What the reminder ladder covers, told where people look for reminders ("my talks").

What is true in the code (ladder.py, sweep.py): the ladder covers the current period of
each talk type and the `ladder.PERIODS_BACK` periods before it; each step is sent once
(`upcoming`, `overdue` one working day after the due date, `escalated` — 督办 — after
`escalated_working_days`), and nothing follows the escalation; a step whose instant lies
more than `mail_backlog_days` before the sweep that creates it (a new installation's first
sweep, or one after an outage) is in the inbox without an e-mail. "My talks" looks further
back (obligations.mine_views.LOOK_BACK), so its oldest overdue periods get no reminder.
"""

from __future__ import annotations

from flask import g
from flask_babel import gettext as _

from supervision.common import clock
from supervision.common.periods import Period, parse
from supervision.extensions import db
from supervision.reminders.ladder import PERIODS_BACK
from supervision.reminders.settings import get_reminder_settings


class ReminderWindow:
    """The periods the ladder covers as of today, and the sentences that explain it."""

    def __init__(self, settings: dict, today):
        self.settings = settings
        self.today = today

    def covers(self, period_text: str) -> bool:
        """Whether the ladder still covers the obligation period `period_text`."""
        try:
            period = parse(period_text)
        except ValueError:
            return False
        oldest = Period.of(self.today, period.kind)
        for _i in range(PERIODS_BACK):
            oldest = oldest.previous()
        return not period < oldest

    def explanation(self) -> str:
        """Why an older overdue period has no reminder, in the reader's language."""
        return _(
            "Reminders cover the current period and the %(back)s before it of each talk type. "
            "An overdue talk is reminded when it becomes overdue, and escalated to the "
            "discipline secretary and the supervising leader %(days)s working days after its "
            "due date; no reminder follows. A reminder more than %(backlog)s days old when it "
            "was created (the first run of the reminders, or a run after an outage) is in the "
            "inbox without an e-mail.",
            back=PERIODS_BACK,
            days=self.settings["escalated_working_days"],
            backlog=self.settings["mail_backlog_days"],
        )

    def not_covered(self) -> str:
        """The note on an overdue period the ladder no longer covers."""
        return _("No reminders for this period: it is older than the reminder window.")


def reminder_window() -> ReminderWindow:
    """The window as of today, read once per request (a Jinja global)."""
    if "reminder_window" not in g:
        g.reminder_window = ReminderWindow(get_reminder_settings(db.session), clock.today())
    return g.reminder_window
