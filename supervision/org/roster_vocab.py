"""The words of the roster's office layout (SPEC §3) in the reader's language, and what an
import accepts in either language: sheet names, column headers and cell values.

The office layout writes labels (工号, 民警, 是, 在职 …; in English when the reader's locale is
en); an import accepts the API names, both languages' labels, the fixed Chinese headers of
roster_io.HEADER_LABELS and the synonyms offices use (协警 for 辅警, 在职/离职, Y/N …).
Keys are compared after NFKC normalisation (full-width letters, digits and spaces become
their ASCII forms), with spaces and a trailing required-marker (*) removed, case-folded.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from supervision.org.labels import (
    LEADERSHIP_LABELS,
    PERSONNEL_TYPE_LABELS,
    POST_CATEGORY_LABELS,
    UNIT_KIND_LABELS,
)

#: The office layout's sheet names.
SHEET_LABELS = {
    "units": _l("Units"),
    "people": _l("People"),
    "posts": _l("Posts"),
    "assignments": _l("Assignments"),
}
#: The office layout's header of each column, per sheet.
COLUMN_LABELS: dict[str, dict[str, object]] = {
    "units": {
        "code": _l("Unit code"),
        "name": _l("Unit name"),
        "kind": _l("Unit kind"),
        "parent_code": _l("Parent unit code"),
        "head_staff_no": _l("Head's staff number"),
        "supervising_leader_staff_no": _l("Supervising leader's staff number"),
    },
    "people": {
        "staff_no": _l("Staff number"),
        "name": _l("Full name"),
        "personnel_type": _l("Personnel type"),
        "org_unit_code": _l("Unit code"),
        "leadership": _l("Leadership position"),
        "birth_date": _l("Birth date"),
        "hire_date": _l("Hire date"),
        "retirement_date": _l("Retirement date"),
        "probation_until": _l("Probation until"),
        "email": _l("E-mail"),
        "is_active": _l("In service?"),
    },
    "posts": {
        "code": _l("Post code"),
        "name": _l("Post name"),
        "org_unit_code": _l("Unit code"),
        "category": _l("Post category"),
        "is_sensitive": _l("Sensitive post"),
        "sworn_only": _l("Sworn only"),
        "is_technical": _l("Technical post"),
        "is_leadership": _l("Leadership post"),
        "rotation_years": _l("Rotation years"),
    },
    "assignments": {
        "staff_no": _l("Staff number"),
        "post_code": _l("Post code"),
        "start_date": _l("Start date"),
        "end_date": _l("End date"),
    },
}
#: The label tables of the enumerated columns.
ENUM_LABELS: dict[str, Mapping[str, object]] = {
    "kind": UNIT_KIND_LABELS,
    "personnel_type": PERSONNEL_TYPE_LABELS,
    "leadership": LEADERSHIP_LABELS,
    "category": POST_CATEGORY_LABELS,
}
YES, NO = _l("Yes"), _l("No")
IN_SERVICE, LEFT = _l("In service"), _l("Left the service")
#: Words offices write for a value, beyond its code and its labels.
SYNONYMS: dict[str, dict[str, object]] = {
    "personnel_type": {
        "协警": "auxiliary",
        "辅助警察": "auxiliary",
        "警务辅助人员": "auxiliary",
        "辅警人员": "auxiliary",
        "正式民警": "police",
        "警察": "police",
        "人民警察": "police",
    },
    "is_active": {"在职": True, "在岗": True, "离职": False, "已离职": False, "调离": False},
    "_bool": {
        "是": True,
        "否": False,
        "y": True,
        "n": False,
        "yes": True,
        "no": False,
        "true": True,
        "false": False,
        "1": True,
        "0": False,
        "t": True,
        "f": False,
        "√": True,
        "✓": True,
        "×": False,
        "✗": False,
    },
}
LOCALES = ("zh", "en")


def key(text: str) -> str:
    """The comparison form of a header or value: NFKC, no spaces or trailing *, case-folded."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", text).rstrip("*").casefold()


def _both(label: object) -> list[str]:
    """A lazy label in every locale the office layout is written in."""
    out = []
    for locale in LOCALES:
        with force_locale(locale):
            out.append(str(label))
    return out


def header_aliases(kind: str, fixed: Mapping[str, str]) -> dict[str, str]:
    """Accepted header (key form) → field for sheet `kind`."""
    out = {key(name): name for name in COLUMN_LABELS[kind]}
    out.update((key(text), name) for text, name in fixed.items())
    for name, label in COLUMN_LABELS[kind].items():
        out.update((key(text), name) for text in _both(label))
    return out


def sheet_aliases(fixed: Mapping[str, str]) -> dict[str, str]:
    """Accepted sheet name (key form) → sheet kind."""
    out = {key(text): kind for text, kind in fixed.items()}
    for kind, label in SHEET_LABELS.items():
        out.update((key(text), kind) for text in _both(label))
    return out


def value_aliases(fixed: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, object]]:
    """Accepted value (key form) → stored value, for every enumerated and yes/no column."""
    out: dict[str, dict[str, object]] = {}
    for name, table in ENUM_LABELS.items():
        aliases = {key(code): code for code in table}
        aliases.update((key(text), code) for text, code in fixed.get(name, {}).items())
        for code, label in table.items():
            aliases.update((key(text), code) for text in _both(label))
        aliases.update((key(t), v) for t, v in SYNONYMS.get(name, {}).items())
        out[name] = aliases
    yes_no = {key(t): v for t, v in SYNONYMS["_bool"].items()}
    for value, label in ((True, YES), (False, NO)):
        yes_no.update((key(text), value) for text in _both(label))
    out["_bool"] = yes_no
    active = dict(yes_no)
    active.update((key(t), v) for t, v in SYNONYMS["is_active"].items())
    for value, label in ((True, IN_SERVICE), (False, LEFT)):
        active.update((key(text), value) for text in _both(label))
    out["is_active"] = active
    return out


def cell_label(name: str, value: object) -> object:
    """The office layout's text for a stored value (labels for codes, 是/否, 在职/离职)."""
    if value is None:
        return None
    if name == "is_active":
        return str(IN_SERVICE if value else LEFT)
    if isinstance(value, bool):
        return str(YES if value else NO)
    if name in ENUM_LABELS:
        return str(ENUM_LABELS[name].get(value, value))
    return value


def choices(name: str) -> list[str]:
    """The dropdown list of an enumerated or yes/no column, in the reader's language."""
    if name in ENUM_LABELS:
        return [str(label) for label in ENUM_LABELS[name].values()]
    if name == "is_active":
        return [str(IN_SERVICE), str(LEFT)]
    return [str(YES), str(NO)]
