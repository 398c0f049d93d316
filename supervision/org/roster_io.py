"""Roster files: sheet and column names, cell values, reading .xlsx/CSV and writing .xlsx.

Headers are the API field names (case-insensitive) or the Chinese labels of HEADER_LABELS;
sheet names are `units`, `people`, `posts`, `assignments` or 单位/人员/岗位/任职. Enumerations
accept the API code, the English label or the Chinese label (ENUM_ALIASES); booleans
是/否, true/false, 1/0, yes/no; dates YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, YYYY年M月D日 or
a date cell.

Formula neutralising, CSV decoding, the size guards and the problem list are
supervision.common.spreadsheet's, shared with every other import and export. Uploaded
formula cells are refused: a roster must hold values.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _

from supervision.common.errors import Invalid
from supervision.common.spreadsheet import (
    FormulaCell,
    Problems,
    check_unpacked,
    decode_csv,
    fatal,
    neutralise,
    unneutralise,
    upload_kind,
)
from supervision.org.models import LEADERSHIP, PERSONNEL_TYPES, POST_CATEGORIES, UNIT_KINDS

SHEET_COLUMNS: dict[str, tuple[str, ...]] = {
    "units": (
        "code",
        "name",
        "kind",
        "parent_code",
        "head_staff_no",
        "supervising_leader_staff_no",
    ),
    "people": (
        "staff_no",
        "name",
        "personnel_type",
        "org_unit_code",
        "leadership",
        "birth_date",
        "hire_date",
        "retirement_date",
        "probation_until",
        "email",
        "is_active",
    ),
    "posts": (
        "code",
        "name",
        "org_unit_code",
        "category",
        "is_sensitive",
        "sworn_only",
        "is_technical",
        "is_leadership",
        "rotation_years",
    ),
    "assignments": ("staff_no", "post_code", "start_date", "end_date"),
}
SHEET_ALIASES = {
    "units": "units",
    "单位": "units",
    "组织机构": "units",
    "people": "people",
    "人员": "people",
    "posts": "posts",
    "岗位": "posts",
    "assignments": "assignments",
    "任职": "assignments",
    "任职记录": "assignments",
}
HEADER_LABELS: dict[str, dict[str, str]] = {
    "units": {
        "代码": "code",
        "单位代码": "code",
        "名称": "name",
        "单位名称": "name",
        "类型": "kind",
        "单位类型": "kind",
        "上级单位代码": "parent_code",
        "负责人工号": "head_staff_no",
        "分管领导工号": "supervising_leader_staff_no",
    },
    "people": {
        "工号": "staff_no",
        "姓名": "name",
        "人员类别": "personnel_type",
        "单位代码": "org_unit_code",
        "领导职务": "leadership",
        "出生日期": "birth_date",
        "入职日期": "hire_date",
        "退休日期": "retirement_date",
        "试用期至": "probation_until",
        "邮箱": "email",
        "电子邮箱": "email",
        "在职": "is_active",
        "是否在职": "is_active",
    },
    "posts": {
        "代码": "code",
        "岗位代码": "code",
        "名称": "name",
        "岗位名称": "name",
        "单位代码": "org_unit_code",
        "岗位类别": "category",
        "类别": "category",
        "重要敏感": "is_sensitive",
        "重要敏感岗位": "is_sensitive",
        "仅限民警": "sworn_only",
        "专业技术": "is_technical",
        "专业技术岗位": "is_technical",
        "领导岗位": "is_leadership",
        "轮岗年限": "rotation_years",
    },
    "assignments": {
        "工号": "staff_no",
        "岗位代码": "post_code",
        "开始日期": "start_date",
        "结束日期": "end_date",
    },
}
TEXT_LIMITS = {
    "code": 64,
    "staff_no": 32,
    "parent_code": 64,
    "head_staff_no": 32,
    "supervising_leader_staff_no": 32,
    "org_unit_code": 64,
    "post_code": 64,
    "email": 254,
}
NAME_LIMITS = {"units": 200, "people": 100, "posts": 200, "assignments": 200}
DATE_FIELDS = frozenset(
    {"birth_date", "hire_date", "retirement_date", "probation_until", "start_date", "end_date"}
)
BOOL_FIELDS = frozenset(
    {"is_active", "is_sensitive", "sworn_only", "is_technical", "is_leadership"}
)
INT_FIELDS = frozenset({"rotation_years"})
ENUM_ALIASES: dict[str, dict[str, str]] = {
    "kind": {
        "局": "bureau",
        "公安局": "bureau",
        "分局": "branch",
        "部门": "department",
        "派出所": "station",
        "中队": "team",
        "队": "team",
        "其他": "other",
        "branch bureau": "branch",
        "police station": "station",
    },
    "personnel_type": {"民警": "police", "辅警": "auxiliary", "auxiliary police": "auxiliary"},
    "leadership": {
        "班子成员": "team_member",
        "领导班子成员": "team_member",
        "部门负责人": "department_head",
        "无": "none",
        "leadership team member": "team_member",
        "department head": "department_head",
    },
    "category": {
        "执法办案": "law_enforcement",
        "涉案财物管理": "case_property",
        "监管场所": "detention",
        "财务": "finance",
        "采购": "procurement",
        "人事": "personnel",
        "行政许可": "licensing",
        "行政许可（户政、出入境、车管）": "licensing",
        "交通管理与事故处理": "traffic",
        "装备与车辆": "equipment",
        "法制审核": "legal_review",
        "其他": "other",
    },
}
ENUM_CODES = {
    "kind": UNIT_KINDS,
    "personnel_type": PERSONNEL_TYPES,
    "leadership": LEADERSHIP,
    "category": POST_CATEGORIES,
}
_TRUE = frozenset({"是", "true", "1", "yes", "y", "t", "√"})
_FALSE = frozenset({"否", "false", "0", "no", "n", "f", "×"})
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


@dataclass
class Row:
    """One spreadsheet row: `values` holds the typed value of each column present."""

    number: int
    values: dict[str, Any]
    bad: set[str] = field(default_factory=set)


@dataclass
class Sheet:
    """The rows of one sheet; `headers` maps field names to the header text of the file."""

    kind: str
    title: str
    headers: dict[str, str]
    rows: list[Row]

    def column(self, name: str) -> str:
        """The column as the file names it (the field name when the column is absent)."""
        return self.headers.get(name, name)


def _norm(text: Any) -> str:
    return str(text).strip().lower() if text is not None else ""


# ---------------------------------------------------------------- cell values


def _text(raw: Any) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, bool):
        raw = "true" if raw else "false"
    elif isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    elif isinstance(raw, datetime | date):
        raw = raw.strftime("%Y-%m-%d")
    text = unneutralise(str(raw).strip())
    return text or None


def convert(kind: str, name: str, raw: Any) -> tuple[Any, str | None]:
    """(typed value, error message or None) for a cell of column `name` in sheet `kind`."""
    if name in DATE_FIELDS:
        return _to_date(raw)
    text = _text(raw)
    if text is None:
        return None, None
    if name in BOOL_FIELDS:
        key = text.lower()
        if key in _TRUE:
            return True, None
        if key in _FALSE:
            return False, None
        return None, _("Not a yes/no value (是/否, true/false, 1/0).")
    if name in INT_FIELDS:
        try:
            number = float(text)
        except ValueError:
            number = 0.5
        if not number.is_integer():
            return None, _("Not a whole number.")
        return int(number), None
    if name in ENUM_CODES:
        codes = ENUM_CODES[name]
        key = text.lower()
        value = key if key in codes else ENUM_ALIASES[name].get(key)
        if value is None:
            return None, _(
                "Must be one of: %(choices)s (or the Chinese label).", choices=", ".join(codes)
            )
        return value, None
    limit = TEXT_LIMITS.get(name) or NAME_LIMITS[kind]
    if len(text) > limit:
        return None, _("At most %(n)d characters.", n=limit)
    return text, None


def _to_date(raw: Any) -> tuple[date | None, str | None]:
    if isinstance(raw, datetime):
        return raw.date(), None
    if isinstance(raw, date):
        return raw, None
    if isinstance(raw, bool | int | float):
        return None, _("Not a date: use YYYY-MM-DD.")
    text = _text(raw)
    if text is None:
        return None, None
    m = _DATE.match(text)
    if not m:
        return None, _("Not a date: use YYYY-MM-DD.")
    try:
        return date(int(m[1]), int(m[2]), int(m[3])), None
    except ValueError:
        return None, _("Not a valid date.")


# ---------------------------------------------------------------- reading


def read_upload(
    filename: str,
    data: bytes,
    kind: str | None,
    max_rows: int,
    problems: Problems,
    max_unpacked: int,
) -> list[Sheet]:
    """The sheets of an uploaded .xlsx workbook or CSV file (cell errors go to `problems`)."""
    if upload_kind(filename, data) == "xlsx":
        return _read_xlsx(data, max_rows, problems, max_unpacked)
    if kind not in SHEET_COLUMNS:
        raise fatal(
            _("A CSV file holds one sheet: choose which (units, people, posts or assignments).")
        )
    return [_read_csv(data, kind, max_rows, problems)]


def _read_xlsx(data: bytes, max_rows: int, problems: Problems, max_unpacked: int) -> list[Sheet]:
    from openpyxl import load_workbook

    check_unpacked(data, max_unpacked)
    sheets: list[Sheet] = []
    seen: dict[str, str] = {}
    counter = [0]
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        try:
            for ws in wb.worksheets:
                kind = SHEET_ALIASES.get(_norm(ws.title))
                if kind is None:
                    continue
                if kind in seen:
                    problems.add(
                        ws.title,
                        None,
                        None,
                        _(
                            "Sheet %(a)s and sheet %(b)s hold the same data; keep one.",
                            a=seen[kind],
                            b=ws.title,
                        ),
                    )
                    continue
                seen[kind] = ws.title
                ws.reset_dimensions()
                sheets.append(
                    _read_rows(kind, ws.title, _xlsx_rows(ws), max_rows, counter, problems)
                )
        finally:
            wb.close()
    except Invalid:
        raise
    except Exception:  # any parser failure means the upload is not a workbook we can read
        raise fatal(_("The file is not a readable .xlsx workbook.")) from None
    if not sheets and not problems:
        raise fatal(
            _(
                "The workbook has no sheet named units, people, posts or assignments "
                "(单位, 人员, 岗位, 任职)."
            )
        )
    return sheets


def _xlsx_rows(ws) -> Iterable[tuple[int, list[Any]]]:
    number = 0
    for cells in ws.iter_rows():
        number += 1
        values = []
        for cell in cells:
            if getattr(cell, "row", None):
                number = cell.row
            if cell.data_type == "f":
                values.append(FormulaCell(cell.value))
            else:
                values.append(cell.value)
        yield number, values


def _read_csv(data: bytes, kind: str, max_rows: int, problems: Problems) -> Sheet:
    text = decode_csv(data)
    first = text.split("\n", 1)[0]
    delimiter = "," if "," in first else ("\t" if "\t" in first else (";" if ";" in first else ","))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = ((i, [v if v != "" else None for v in r]) for i, r in enumerate(reader, start=1))
    try:
        return _read_rows(kind, kind, rows, max_rows, [0], problems)
    except csv.Error as exc:
        raise fatal(_("The CSV file cannot be read: %(error)s", error=str(exc))) from None


def _read_rows(
    kind: str,
    title: str,
    rows: Iterable[tuple[int, list[Any]]],
    max_rows: int,
    counter: list[int],
    problems: Problems,
) -> Sheet:
    """Map the header, then convert every non-blank row; `counter` counts rows across sheets."""
    rows = iter(rows)
    first = next(rows, None)
    headers: dict[str, str] = {}
    positions: list[tuple[int, str]] = []
    labels = HEADER_LABELS[kind]
    for pos, raw in enumerate(first[1] if first else []):
        text = _text(raw.text if isinstance(raw, FormulaCell) else raw)
        if text is None:
            continue
        name = text.lower() if text.lower() in SHEET_COLUMNS[kind] else labels.get(text)
        if name is None:
            problems.add(title, 1, text, _("Unknown column for sheet %(sheet)s.", sheet=kind))
        elif name in headers:
            problems.add(title, 1, text, _("Column %(column)s appears twice.", column=name))
        else:
            headers[name] = text
            positions.append((pos, name))
    sheet = Sheet(kind, title, headers, [])
    for number, values in rows:
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        counter[0] += 1
        if counter[0] > max_rows:
            raise fatal(
                _("The file has more than %(n)d rows; split it into smaller files.", n=max_rows)
            )
        row = Row(number, {})
        for pos, name in positions:
            raw = values[pos] if pos < len(values) else None
            if isinstance(raw, FormulaCell):
                row.bad.add(name)
                problems.add(
                    title, number, headers[name], _("Formulas are not accepted; paste values.")
                )
                continue
            value, error = convert(kind, name, raw)
            if error:
                row.bad.add(name)
                problems.add(title, number, headers[name], error)
            else:
                row.values[name] = value
        sheet.rows.append(row)
    return sheet


# ---------------------------------------------------------------- writing


def write_workbook(sheets: Iterable[tuple[str, Iterable[Iterable[Any]]]]) -> bytes:
    """An .xlsx with one sheet per (kind, rows); API field names as headers, text made inert."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for kind, rows in sheets:
        ws = wb.create_sheet(kind)
        ws.freeze_panes = "A2"
        ws.append(list(SHEET_COLUMNS[kind]))
        for row in rows:
            ws.append([neutralise(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
