"""The one display label of each organisation value (SPEC §1, §3): unit kinds, personnel
types, leadership positions and post categories."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

UNIT_KIND_LABELS = {
    "bureau": _l("Bureau"),
    "branch": _l("Branch bureau"),
    "department": _l("Department"),
    "station": _l("Police station"),
    "team": _l("Team"),
    "other": _l("Other"),
}
PERSONNEL_TYPE_LABELS = {"police": _l("Police"), "auxiliary": _l("Auxiliary police")}
LEADERSHIP_LABELS = {
    "team_member": _l("Leadership team member"),
    "department_head": _l("Department head"),
    "none": _l("None"),
}
POST_CATEGORY_LABELS = {
    "law_enforcement": _l("Law enforcement and case handling"),
    "case_property": _l("Case property management"),
    "detention": _l("Detention facilities"),
    "finance": _l("Finance"),
    "procurement": _l("Procurement"),
    "personnel": _l("Personnel"),
    "licensing": _l("Administrative licensing"),
    "traffic": _l("Traffic management and accidents"),
    "equipment": _l("Equipment and vehicles"),
    "legal_review": _l("Legal review"),
    "other": _l("Other"),
}
