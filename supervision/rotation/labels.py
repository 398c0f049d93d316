"""Display labels of rotation statuses, reasons and plan states (pages, PDFs, workbooks)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "blocked": _l("Blocked"),
    "planned": _l("Planned"),
    "deferred": _l("Deferred"),
    "due": _l("Due"),
    "upcoming": _l("Upcoming"),
    "not_due": _l("Not due"),
}
#: `under_review` never says more than this: the hold's reason stays with the committee.
REASON_LABELS = {
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
