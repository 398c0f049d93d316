"""Jinja filters and globals: local times, and translated labels for enumerations."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask
from flask_babel import lazy_gettext as _l

from supervision.common import clock
from supervision.common.permissions import current_can

LABELS: dict[str, dict[str, object]] = {
    "role": {
        "admin": _l("Administrator"),
        "discipline_secretary": _l("Discipline secretary"),
        "discipline_member": _l("Discipline committee member"),
        "hr": _l("HR"),
        "leader": _l("Leader"),
        "staff": _l("Staff"),
    },
    "kind": {
        "bureau": _l("Bureau"),
        "branch": _l("Branch bureau"),
        "department": _l("Department"),
        "station": _l("Police station"),
        "team": _l("Team"),
        "other": _l("Other"),
    },
    "personnel_type": {"police": _l("Police"), "auxiliary": _l("Auxiliary police")},
    "leadership": {
        "team_member": _l("Leadership team member"),
        "department_head": _l("Department head"),
        "none": _l("None"),
    },
    "category": {
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
    },
}


def label(kind: str, value: str | None) -> object:
    """The translated label of an enumeration value (the value itself if unknown)."""
    if value is None:
        return ""
    return LABELS.get(kind, {}).get(value, value)


def choices(kind: str) -> list[tuple[str, object]]:
    """(value, label) pairs for a select field."""
    return list(LABELS[kind].items())


def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An instant shown in the configured zone."""
    if value is None:
        return ""
    return clock.local(value).strftime(fmt)


def isodate(value: date | None) -> str:
    """A date as YYYY-MM-DD, or empty."""
    return value.isoformat() if value else ""


def register(app: Flask) -> None:
    """Install the filters and globals."""
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["isodate"] = isodate
    app.jinja_env.globals["label"] = label
    app.jinja_env.globals["can"] = current_can
    app.jinja_env.globals["role_label"] = lambda r: label("role", r)
