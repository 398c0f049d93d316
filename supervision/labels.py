"""The index of every label table, by the name templates use in `label(kind, value)`.

Each table is defined once, in its domain's `labels.py`; this only lists them (the app
hands the index to the templates, and the translation tests check every SPEC enumeration
against it).
"""

from __future__ import annotations

from supervision.audit.labels import AUDIT_ACTION_LABELS, AUDIT_FIELD_LABELS, AUDIT_OBJECT_LABELS
from supervision.auth.labels import ROLE_LABELS, TOKEN_STATE_LABELS
from supervision.calendar.labels import DAY_SOURCE_LABELS
from supervision.integrity.labels import NOTE_KIND_LABELS
from supervision.obligations.labels import (
    CONDUCTOR_LABELS,
    FREQUENCY_LABELS,
    OBLIGATION_STATUS_LABELS,
)
from supervision.org.labels import (
    ASSIGNMENT_FIELD_LABELS,
    LEADERSHIP_LABELS,
    PERSON_FIELD_LABELS,
    PERSONNEL_TYPE_LABELS,
    POST_CATEGORY_LABELS,
    POST_FIELD_LABELS,
    UNIT_FIELD_LABELS,
    UNIT_KIND_LABELS,
)
from supervision.rectification.labels import (
    EVIDENCE_OBJECT_LABELS,
    FINDING_FIELD_LABELS,
    FINDING_STATUS_LABELS,
    FINDING_TERM_LABELS,
    INSPECTION_FIELD_LABELS,
    INSPECTION_STATUS_LABELS,
    RECTIFICATION_MEASURE_FIELD_LABELS,
)
from supervision.reminders.labels import EMAIL_STATUS_LABELS, STEP_LABELS
from supervision.risks.labels import (
    CAMPAIGN_FIELD_LABELS,
    CAMPAIGN_STATUS_LABELS,
    MEASURE_FIELD_LABELS,
    MEASURE_STATUS_LABELS,
    RISK_ACTION_LABELS,
    RISK_CATEGORY_LABELS,
    RISK_LEVEL_LABELS,
    RISK_POINT_FIELD_LABELS,
    RISK_STATUS_LABELS,
    UNIT_STATE_LABELS,
)
from supervision.rotation.labels import (
    COMPLETION_LIST_LABELS,
    PLAN_PROBLEM_LABELS,
    PLAN_STATUS_LABELS,
    ROTATION_REASON_LABELS,
    ROTATION_STATUS_LABELS,
    TENURE_MODE_LABELS,
)
from supervision.talks.labels import (
    ATTACHMENT_KIND_LABELS,
    TALK_FIELD_LABELS,
    TALK_STATUS_LABELS,
    TALK_TYPE_LABELS,
)

TABLES: dict[str, dict[str, object]] = {
    # organisation and accounts
    "role": ROLE_LABELS,
    "token_state": TOKEN_STATE_LABELS,
    "kind": UNIT_KIND_LABELS,
    "personnel_type": PERSONNEL_TYPE_LABELS,
    "leadership": LEADERSHIP_LABELS,
    "category": POST_CATEGORY_LABELS,
    # risks
    "risk_category": RISK_CATEGORY_LABELS,
    "risk_level": RISK_LEVEL_LABELS,
    "risk_status": RISK_STATUS_LABELS,
    "unit_state": UNIT_STATE_LABELS,
    "measure_status": MEASURE_STATUS_LABELS,
    "campaign_status": CAMPAIGN_STATUS_LABELS,
    "risk_action": RISK_ACTION_LABELS,
    # talks, obligations, integrity files
    "talk_type": TALK_TYPE_LABELS,
    "talk_status": TALK_STATUS_LABELS,
    "attachment_kind": ATTACHMENT_KIND_LABELS,
    "talk_field": TALK_FIELD_LABELS,
    "obligation_status": OBLIGATION_STATUS_LABELS,
    "conductor": CONDUCTOR_LABELS,
    "frequency": FREQUENCY_LABELS,
    "note_kind": NOTE_KIND_LABELS,
    # rotation
    "rotation_status": ROTATION_STATUS_LABELS,
    "rotation_reason": ROTATION_REASON_LABELS,
    "plan_status": PLAN_STATUS_LABELS,
    "plan_problem": PLAN_PROBLEM_LABELS,
    "tenure_mode": TENURE_MODE_LABELS,
    "completion_list": COMPLETION_LIST_LABELS,
    # inspection rectification (SPEC §14; a measure's status: "measure_status")
    "inspection_status": INSPECTION_STATUS_LABELS,
    "finding_term": FINDING_TERM_LABELS,
    "finding_status": FINDING_STATUS_LABELS,
    "evidence_object": EVIDENCE_OBJECT_LABELS,
    # reminders, calendar, audit log
    "step": STEP_LABELS,
    "email_status": EMAIL_STATUS_LABELS,
    "day_source": DAY_SOURCE_LABELS,
    "audit_action": AUDIT_ACTION_LABELS,
    "audit_object": AUDIT_OBJECT_LABELS,
}

#: The field names of each audited object type, for the audit log ("field:<object type>";
#: "field:*" holds the fields many types share).
FIELD_TABLES: dict[str, dict[str, object]] = {
    "*": AUDIT_FIELD_LABELS,
    "org_unit": UNIT_FIELD_LABELS,
    "person": PERSON_FIELD_LABELS,
    "post": POST_FIELD_LABELS,
    "assignment": ASSIGNMENT_FIELD_LABELS,
    "risk_point": RISK_POINT_FIELD_LABELS,
    "measure": MEASURE_FIELD_LABELS,
    "risk_campaign": CAMPAIGN_FIELD_LABELS,
    "talk": TALK_FIELD_LABELS,
    "inspection": INSPECTION_FIELD_LABELS,
    "finding": FINDING_FIELD_LABELS,
    "rectification_measure": RECTIFICATION_MEASURE_FIELD_LABELS,
}
TABLES.update({f"field:{kind}": table for kind, table in FIELD_TABLES.items()})
