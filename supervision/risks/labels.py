"""The one display label of each integrity-risk value (SPEC §5): pages, the 排查清单
(PDF and xlsx), the integrity file and e-mails read these."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

RISK_CATEGORY_LABELS = {
    "ideology": _l("Ideology and morals"),
    "duty": _l("Duties of the post"),
    "process": _l("Business process"),
    "institution": _l("Rules and mechanisms"),
    "external": _l("External environment"),
}
#: 一级/二级/三级, as the published 排查清单 names the levels.
RISK_LEVEL_LABELS = {"high": _l("Level 1"), "medium": _l("Level 2"), "low": _l("Level 3")}
RISK_STATUS_LABELS = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "approved": _l("Approved"),
    "returned": _l("Returned"),
    "retired": _l("Retired"),
}
#: A unit's state in a screening campaign.
UNIT_STATE_LABELS = {
    "not_started": _l("Not started"),
    "submitted": _l("Submitted"),
    "returned": _l("Returned"),
    "approved": _l("Approved"),
}
MEASURE_STATUS_LABELS = {"open": _l("In progress"), "done": _l("Done")}
CAMPAIGN_STATUS_LABELS = {"open": _l("Open"), "closed": _l("Closed")}
#: The steps of a risk point's history.
RISK_ACTION_LABELS = {
    "create": _l("Created"),
    "update": _l("Edited"),
    "submit": _l("Submitted"),
    "approve": _l("Approved"),
    "return": _l("Returned"),
    "retire": _l("Retired"),
}
#: The tables by the short names the risk pages use (`risk_label("status", ...)`).
BY_KIND = {
    "category": RISK_CATEGORY_LABELS,
    "level": RISK_LEVEL_LABELS,
    "status": RISK_STATUS_LABELS,
    "unit_state": UNIT_STATE_LABELS,
    "measure_status": MEASURE_STATUS_LABELS,
    "campaign_status": CAMPAIGN_STATUS_LABELS,
    "action": RISK_ACTION_LABELS,
}


def risk_label(kind: str, value: str | None) -> object:
    """The translated label of a risk enumeration value (the value itself if unknown)."""
    if value is None:
        return ""
    return BY_KIND.get(kind, {}).get(value, value)


#: The fields of risk points, measures and campaigns, as the audit log names them.
RISK_POINT_FIELD_LABELS = {
    "org_unit_id": _l("Unit"),
    "post_id": _l("Post"),
    "title": _l("Risk point"),
    "manifestation": _l("Manifestation"),
    "category": _l("Risk category"),
    "likelihood": _l("Likelihood"),
    "impact": _l("Impact"),
    "responsible_leader_id": _l("Responsible leader"),
    "department_owner_id": _l("Department owner"),
    "last_reviewed_on": _l("Last reviewed on"),
    "review_due_on": _l("Review due on"),
    "status": _l("Status"),
    "version": _l("Version"),
    "campaign_id": _l("Screening campaign"),
    "return_comment": _l("Return comment"),
    "measures": _l("Control measures"),
}
MEASURE_FIELD_LABELS = {
    "description": _l("Measure"),
    "owner_id": _l("Owner"),
    "due_on": _l("Due on"),
    "status": _l("Status"),
}
CAMPAIGN_FIELD_LABELS = {
    "name": _l("Name"),
    "year": _l("Year"),
    "deadline": _l("Deadline"),
    "status": _l("Status"),
}
