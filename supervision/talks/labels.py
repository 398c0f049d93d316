"""The one display label of each talk value (SPEC §6): pages, the talk record form (PDF),
reports, e-mails and the calendar feed read these."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

TALK_TYPE_LABELS = {
    "integrity_reminder": _l("Integrity reminder talk"),
    "supervision": _l("Routine reminder talk for key leaders"),
    "heart_to_heart": _l("Heart-to-heart talk"),
    "admonishment": _l("Admonishment talk"),
    "pre_appointment": _l("Pre-appointment integrity talk"),
}
TALK_STATUS_LABELS = {"draft": _l("Draft"), "final": _l("Final")}
ATTACHMENT_KIND_LABELS = {
    "signed_form": _l("Signed paper form"),
    "written_explanation": _l("Written explanation"),
    "other": _l("Other"),
}
#: The fields of a talk record, as named in messages about what is missing.
TALK_FIELD_LABELS = {
    "type": _l("Type"),
    "held_at": _l("Held at"),
    "location": _l("Location"),
    "interviewee_id": _l("Interviewee"),
    "interviewer_ids": _l("Interviewers"),
    "recorder_id": _l("Recorder"),
    "reason": _l("Reason for the talk"),
    "content": _l("Talk content"),
    "response": _l("Interviewee's response"),
    "follow_up": _l("Follow-up requirements"),
    "period": _l("Period"),
    "reported_to_higher_at": _l("Reported to the higher level at"),
    "signatures": _l("Signatures"),
    "attachments": _l("Attachments"),
}


def _lookup(table: dict):
    return lambda value: table.get(value, value)


def talk_label_helpers() -> dict:
    """The label functions the talk templates call (type_label, status_label, ...)."""
    return {
        "type_label": _lookup(TALK_TYPE_LABELS),
        "status_label": _lookup(TALK_STATUS_LABELS),
        "kind_label": _lookup(ATTACHMENT_KIND_LABELS),
        "field_label": _lookup(TALK_FIELD_LABELS),
    }
