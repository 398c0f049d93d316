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
#: The fields of units, people, posts and assignments, as the audit log names them.
UNIT_FIELD_LABELS = {
    "code": _l("Unit code"),
    "name": _l("Unit name"),
    "kind": _l("Unit kind"),
    "parent_id": _l("Parent unit"),
    "head_person_id": _l("Head"),
    "supervising_leader_id": _l("Supervising leader"),
}
PERSON_FIELD_LABELS = {
    "staff_no": _l("Staff number"),
    "name": _l("Full name"),
    "personnel_type": _l("Personnel type"),
    "org_unit_id": _l("Unit"),
    "leadership": _l("Leadership position"),
    "birth_date": _l("Birth date"),
    "hire_date": _l("Hire date"),
    "retirement_date": _l("Retirement date"),
    "probation_until": _l("Probation until"),
    "email": _l("E-mail"),
    "is_active": _l("In service?"),
}
POST_FIELD_LABELS = {
    "code": _l("Post code"),
    "name": _l("Post name"),
    "org_unit_id": _l("Unit"),
    "category": _l("Post category"),
    "is_sensitive": _l("Sensitive post"),
    "sworn_only": _l("Sworn only"),
    "is_technical": _l("Technical post"),
    "is_leadership": _l("Leadership post"),
    "rotation_years": _l("Rotation years"),
}
ASSIGNMENT_FIELD_LABELS = {
    "person_id": _l("Person"),
    "post_id": _l("Post"),
    "start_date": _l("Start date"),
    "end_date": _l("End date"),
}
