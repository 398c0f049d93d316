"""The one display label of each reminder value (SPEC §8): ladder steps and e-mail states."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STEP_LABELS = {
    "upcoming": _l("Due soon"),
    "overdue": _l("Overdue"),
    "escalated": _l("Escalated"),
    "rotation_upcoming": _l("Rotation upcoming"),
    "rotation_due": _l("Rotation due"),
    "review_upcoming": _l("Review due soon"),
    "review_overdue": _l("Review overdue"),
    "digest": _l("Weekly digest"),
    "account": _l("Account change"),
}
#: E-mail states as an admin reads them (`none`: no e-mail was meant to be sent).
EMAIL_STATUS_LABELS = {
    "failed": _l("Delivery failed"),
    "queued": _l("Waiting to be sent"),
    "sending": _l("Being sent"),
    "sent": _l("Sent"),
    "none": _l("No e-mail"),
}
#: What a notification is about, other than a talk obligation (whose kind is its talk type).
KIND_LABELS = {
    "rotation": _l("Rotation"),
    "risk_point": _l("Integrity-risk point"),
    "measure": _l("Control measure"),
    "user": _l("Account change"),
    "rectification_measure": _l("Rectification measure"),
    "inspection": _l("Weekly rectification summary"),
}
