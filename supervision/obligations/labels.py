"""The one display label of each obligation value (SPEC §6): statuses, conductors and
frequencies, on the dashboard, "my talks", the integrity file and the reports."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

OBLIGATION_STATUS_LABELS = {
    "pending": _l("Talks to do"),
    "done": _l("Talks done"),
    "done_late": _l("Talks done late"),
    "overdue": _l("Talks overdue, not held"),
    "waived": _l("Talks waived"),
    "not_required": _l("Talks not required"),
}
CONDUCTOR_LABELS = {
    "responsible_head": _l("The responsible head"),
    "committee": _l("The assigned committee member (else the discipline secretary)"),
    "party_secretary": _l("The party secretary (team members; others: the responsible head)"),
}
FREQUENCY_LABELS = {"quarter": _l("Quarterly"), "half": _l("Half-yearly"), "year": _l("Yearly")}
