"""The one display label of each rectification value (SPEC §14): pages, the API's
descriptions, the notice, the ledger and e-mails read these."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from supervision.risks.labels import MEASURE_STATUS_LABELS as RISK_MEASURE_STATUS_LABELS

INSPECTION_STATUS_LABELS = {
    "rectifying": _l("Being rectified"),
    "reported": _l("Reported"),
    "closed": _l("Closed"),
}
FINDING_TERM_LABELS = {
    "immediate": _l("Rectify at once"),
    "time_limited": _l("Rectify within a time limit"),
    "long_term": _l("Long-term rectification"),
}
FINDING_STATUS_LABELS = {
    "open": _l("Not started"),
    "in_progress": _l("Rectification under way"),
    "completion_requested": _l("Sign-off requested"),
    "completed": _l("Signed off"),
}
#: A measure is open or done like a risk point's control measure: one table (the same
#: values, the same words).
MEASURE_STATUS_LABELS = RISK_MEASURE_STATUS_LABELS
EVIDENCE_OBJECT_LABELS = {
    "talk": _l("Talk record"),
    "risk_point": _l("Integrity-risk point"),
    "risk_campaign": _l("Screening campaign"),
    "rotation_plan": _l("Rotation plan"),
    "deferral": _l("Rotation deferral"),
}
