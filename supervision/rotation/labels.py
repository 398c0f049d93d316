"""The one display label of each rotation value (SPEC §7): statuses, reasons, plan states
and the problems of a plan's items, tenure modes, and the lists of the 应轮尽轮 report. Pages,
PDFs, workbooks, e-mails and the integrity file read these."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ROTATION_STATUS_LABELS = {
    "blocked": _l("Blocked"),
    "planned": _l("Planned"),
    "deferred": _l("Deferred"),
    "due": _l("Due"),
    "upcoming": _l("Upcoming"),
    "not_due": _l("Not due"),
}
#: `under_review` never says more than this: the hold's reason stays with the committee.
ROTATION_REASON_LABELS = {
    "near_retirement": _l("Near retirement"),
    "probation": _l("On probation"),
    "under_review": _l("Blocked by the discipline committee"),
    "deferred": _l("Deferred by the party committee"),
    "technical_post": _l("Special technical post"),
    "leader_term": _l("Leader term"),
}
PLAN_STATUS_LABELS = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "executed": _l("Executed"),
}
#: Why a plan item cannot be carried out.
PLAN_PROBLEM_LABELS = {
    "probation": _l("On probation"),
    "under_review": _l("Blocked by the discipline committee"),
    "sworn_only": _l("Sworn police only"),
    "duplicate_person": _l("Twice in the plan"),
    "not_holding": _l("Does not hold the post"),
    "same_post": _l("Same post"),
    "already_holding": _l("Already holds the post"),
    "incomplete": _l("Incomplete"),
    "unknown": _l("Unknown"),
    "inactive": _l("Inactive"),
}
TENURE_MODE_LABELS = {
    "continuous": _l("Continuous (a long gap starts the tenure again)"),
    "cumulative": _l("Cumulative (all days in the post add up)"),
}
#: The four lists of the 应轮尽轮 figures, in order.
COMPLETION_LIST_LABELS = {
    "rotated": _l("Rotated in the period"),
    "due": _l("Still due at the end of the period"),
    "deferred": _l("Deferred (not in the rate)"),
    "blocked": _l("Blocked by the discipline committee (not in the rate)"),
}
RATE_NOTE = _l(
    "Rotation rate = rotated ÷ (rotated + still due). Deferred and blocked people "
    "are listed separately and are not in the rate."
)
