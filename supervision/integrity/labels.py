"""The one display label of each integrity-file value: the kinds of supervision note and
the leader's roles on a risk point."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

NOTE_KIND_LABELS = {
    "inquiry": _l("Inquiry letter"),
    "accountability_report": _l("Accountability and integrity report"),
    "other": _l("Other note"),
}

#: What the file's leader is on a risk point (SPEC §5: 责任领导, 部门负责人).
RISK_ROLE_LABELS = {
    "responsible_leader": _l("Responsible leader"),
    "department_owner": _l("Department head"),
}
