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
#: The audit actions of the area (the history on a finding's page).
RECTIFICATION_ACTION_LABELS = {
    "create": _l("Created"),
    "update": _l("Edited"),
    "delete": _l("Deleted"),
    "progress": _l("Rectification started"),
    "note": _l("Progress note added"),
    "request_completion": _l("Sign-off requested"),
    "complete": _l("Signed off"),
    "return": _l("Returned"),
    "done": _l("Measure done"),
    "reopen": _l("Measure reopened"),
    "attach": _l("Evidence file added"),
    "link": _l("Evidence record linked"),
    "detach": _l("Evidence removed"),
    "read": _l("Evidence file downloaded"),
    "snapshot": _l("Figures frozen"),
}
#: Field names of the audited objects (the audit log's "field:<object type>" tables).
INSPECTION_FIELD_LABELS = {
    "name": _l("Inspection"),
    "inspector": _l("Inspection group"),
    "org_unit_id": _l("Inspected unit"),
    "onsite_from": _l("On-site from"),
    "onsite_to": _l("On-site to"),
    "feedback_on": _l("Feedback date"),
    "deadline": _l("Rectification deadline"),
    "leader_person_id": _l("First responsible person"),
    "narrative": _l("Narrative of the notice"),
    "publish_from": _l("Published from"),
    "publish_to": _l("Published to"),
    "contact": _l("Contact"),
    "status": _l("Status"),
    "taken_on": _l("Frozen on"),
}
FINDING_FIELD_LABELS = {
    "inspection_id": _l("Inspection"),
    "category": _l("Problem category"),
    "theme": _l("Theme"),
    "number": _l("Number"),
    "title": _l("Problem"),
    "description": _l("Problem as fed back"),
    "responsible_leader_id": _l("Responsible leader"),
    "lead_unit_id": _l("Lead unit"),
    "term": _l("Term"),
    "deadline": _l("Deadline"),
    "status": _l("Status"),
    "completion_summary": _l("Rectification summary"),
    "completed_on": _l("Signed off on"),
    "completed_by_id": _l("Signed off by"),
    "review_comment": _l("Review comment"),
    "note": _l("Progress note"),
}
RECTIFICATION_MEASURE_FIELD_LABELS = {
    "finding_id": _l("Problem"),
    "number": _l("Number"),
    "description": _l("Measure"),
    "owner_unit_id": _l("Owner unit"),
    "owner_person_id": _l("Owner"),
    "due_on": _l("Due date"),
    "due_reason": _l("Reason for the later due date"),
    "result": _l("Rectification result"),
    "status": _l("Status"),
    "done_on": _l("Done on"),
    "evidence": _l("Evidence"),
    "evidence_id": _l("Evidence"),
}
