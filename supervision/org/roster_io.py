"""Roster files: sheet and column names, cell values, reading .xlsx/CSV and writing the API
layout (the office layout is roster_office.py).

Headers are the API field names (case-insensitive), the Chinese labels of HEADER_LABELS or
the office layout's headers in either language (roster_vocab); the header is the first row
of the first HEADER_SCAN that names two known columns, so title rows above it are skipped,
and `row` numbers stay those of the spreadsheet. Columns the sheet does not know (序号, 备注,
…) are ignored and reported. Sheet names are `units`, `people`, `posts`, `assignments`,
单位/人员/岗位/任职 or the office layout's. Enumerations accept the API code, either
language's label and common synonyms (协警); yes/no columns 是/否, Y/N, true/false, 1/0, and
`is_active` also 在职/离职; dates YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, YYYY年M月D日, YYYYMMDD,
a date cell or its Excel day number. Codes, numbers and dates are read after NFKC
normalisation (full-width digits and spaces).

Formula neutralising, CSV decoding, the size guards and the problem list are
supervision.common.spreadsheet's, shared with every other import and export. Uploaded
formula cells are refused: a roster must hold values.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import chain, islice
from typing import Any

from flask_babel import gettext as _
from openpyxl.utils.datetime import from_excel

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
from supervision.org import roster_vocab
from supervision.org.models import LEADERSHIP, PERSONNEL_TYPES, POST_CATEGORIES, UNIT_KINDS
from supervision.org.roster_vocab import key

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
_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$"
)
_COMPACT_DATE = re.compile(r"^(19|20)(\d{2})(\d{2})(\d{2})$")
#: Excel serial day numbers taken as dates when a date cell arrives as a plain number
#: (1927-05-18 to 2119-01-09); other numbers in a date column are refused.
_SERIAL_DAYS = (10_000, 80_000)
#: Rows searched for the header (a title row, merged or not, may stand above it).
HEADER_SCAN = 10
_NORMALISED = frozenset(TEXT_LIMITS)


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
    header_row: int = 1
    ignored: list[str] = field(default_factory=list)
    #: The header uses the API field names (absent columns are then named so too).
    api: bool = False

    def column(self, name: str) -> str:
        """The column as the file names it; when absent, the field name in an API-layout
        sheet and the office label otherwise."""
        if name in self.headers or self.api:
            return self.headers.get(name, name)
        return str(roster_vocab.COLUMN_LABELS[self.kind][name])


@dataclass
class Vocab:
    """What one import accepts: sheet names, headers per sheet and values (key forms)."""

    sheets: dict[str, str]
    headers: dict[str, dict[str, str]]
    values: dict[str, dict[str, Any]]


def vocabulary() -> Vocab:
    """The accepted words in both languages (built once per import)."""
    return Vocab(
        roster_vocab.sheet_aliases(SHEET_ALIASES),
        {k: roster_vocab.header_aliases(k, HEADER_LABELS[k]) for k in SHEET_COLUMNS},
        roster_vocab.value_aliases(ENUM_ALIASES),
    )


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


def convert(kind: str, name: str, raw: Any, vocab: Vocab) -> tuple[Any, str | None]:
    """(typed value, error message or None) for a cell of column `name` in sheet `kind`."""
    if name in DATE_FIELDS:
        return _to_date(raw)
    text = _text(raw)
    if text is None:
        return None, None
    if name in BOOL_FIELDS:
        value = vocab.values["is_active" if name == "is_active" else "_bool"].get(key(text))
        if value is None:
            return None, (
                _("Not a value of this column: write 在职 or 离职 (是/否 also work).")
                if name == "is_active"
                else _("Not a yes/no value (是/否, Y/N, true/false, 1/0).")
            )
        return value, None
    if name in INT_FIELDS:
        try:
            number = float(unicodedata.normalize("NFKC", text))
        except ValueError:
            number = 0.5
        if not number.is_integer():
            return None, _("Not a whole number.")
        return int(number), None
    if name in ENUM_CODES:
        value = vocab.values[name].get(key(text))
        if value is None:
            return None, _(
                "Must be one of: %(choices)s.", choices="、".join(roster_vocab.choices(name))
            )
        return value, None
    if name in _NORMALISED:
        text = unicodedata.normalize("NFKC", text).strip()
    limit = TEXT_LIMITS.get(name) or NAME_LIMITS[kind]
    if len(text) > limit:
        return None, _("At most %(n)d characters.", n=limit)
    return text, None


def _to_date(raw: Any) -> tuple[date | None, str | None]:
    if isinstance(raw, datetime):
        return raw.date(), None
    if isinstance(raw, date):
        return raw, None
    if isinstance(raw, bool):
        return None, _("Not a date: use YYYY-MM-DD.")
    if isinstance(raw, int | float):
        return _serial_date(raw)
    text = _text(raw)
    if text is None:
        return None, None
    text = unicodedata.normalize("NFKC", text).strip()
    m = _DATE.match(text) or _COMPACT_DATE.match(text)
    if m is None:
        return None, _("Not a date: use YYYY-MM-DD.")
    y, mo, d = (
        (int(m[1]), int(m[2]), int(m[3]))
        if m.re is _DATE
        else (
            int(m[1] + m[2]),
            int(m[3]),
            int(m[4]),
        )
    )
    try:
        return date(y, mo, d), None
    except ValueError:
        return None, _("Not a valid date.")


def _serial_date(number: float) -> tuple[date | None, str | None]:
    """A date cell that arrived as its Excel day number (a column formatted as a number)."""
    if float(number).is_integer() and _SERIAL_DAYS[0] <= number <= _SERIAL_DAYS[1]:
        return (from_excel(int(number)).date(), None)
    if float(number).is_integer() and _COMPACT_DATE.match(str(int(number))):
        return _to_date(str(int(number)))
    return None, _("Not a date: use YYYY-MM-DD.")


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
    vocab = vocabulary()
    if upload_kind(filename, data) == "xlsx":
        return _read_xlsx(data, max_rows, problems, max_unpacked, vocab)
    if kind not in SHEET_COLUMNS:
        raise fatal(
            _("A CSV file holds one sheet: choose which (units, people, posts or assignments).")
        )
    return [_read_csv(data, kind, max_rows, problems, vocab)]


def _read_xlsx(
    data: bytes, max_rows: int, problems: Problems, max_unpacked: int, vocab: Vocab
) -> list[Sheet]:
    from openpyxl import load_workbook

    check_unpacked(data, max_unpacked)
    sheets: list[Sheet] = []
    seen: dict[str, str] = {}
    counter = [0]
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        try:
            for ws in wb.worksheets:
                kind = vocab.sheets.get(key(ws.title))
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
                reader = _Reader(kind, ws.title, vocab, max_rows, counter, problems)
                sheets.append(reader.read(_xlsx_rows(ws)))
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
            if getattr(cell, "data_type", None) == "f":
                values.append(FormulaCell(cell.value))
            else:
                values.append(getattr(cell, "value", None))
        yield number, values


def _read_csv(data: bytes, kind: str, max_rows: int, problems: Problems, vocab: Vocab) -> Sheet:
    text = decode_csv(data)
    first = text.split("\n", 1)[0]
    delimiter = "," if "," in first else ("\t" if "\t" in first else (";" if ";" in first else ","))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = ((i, [v if v != "" else None for v in r]) for i, r in enumerate(reader, start=1))
    try:
        return _Reader(kind, None, vocab, max_rows, [0], problems).read(rows)
    except csv.Error as exc:
        raise fatal(_("The CSV file cannot be read: %(error)s", error=str(exc))) from None


def _blank(values: list[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


class _Reader:
    """Reads one sheet: finds the header below any title rows, then converts every row."""

    def __init__(self, kind, title, vocab: Vocab, max_rows, counter, problems: Problems):
        self.kind, self.title, self.vocab = kind, title, vocab
        self.max_rows, self.counter, self.problems = max_rows, counter, problems

    def _field(self, raw: Any) -> str | None:
        text = _text(raw.text if isinstance(raw, FormulaCell) else raw)
        return self.vocab.headers[self.kind].get(key(text)) if text else None

    def _find_header(self, rows) -> tuple[int, list[Any]] | None:
        """The first row naming two known columns (one, for a narrow sheet) within the first
        HEADER_SCAN rows; else the first non-blank row (its columns are then reported)."""
        first = None
        for number, values in rows:
            if _blank(values):
                continue
            first = first or (number, values)
            known = {self._field(v) for v in values} - {None}
            if len(known) >= min(2, len(SHEET_COLUMNS[self.kind])):
                return number, values
            if number >= HEADER_SCAN:
                break
        return first

    def read(self, rows: Iterable[tuple[int, list[Any]]]) -> Sheet:
        """The sheet's header and typed rows; problems go to the shared list."""
        rows = iter(rows)
        top = list(islice(rows, HEADER_SCAN))
        head = self._find_header(top)
        sheet = Sheet(self.kind, self.title, {}, [], head[0] if head else 1)
        positions: list[tuple[int, str]] = []
        twice: list[tuple[str, str]] = []
        for pos, raw in enumerate(head[1] if head else []):
            text = _text(raw.text if isinstance(raw, FormulaCell) else raw)
            name = self._field(raw) if text is not None else None
            if text is None:
                continue
            if name is None:
                sheet.ignored.append(text)
            elif name in sheet.headers:
                twice.append((text, sheet.headers[name]))
            else:
                sheet.headers[name] = text
                positions.append((pos, name))
        sheet.api = bool(sheet.headers) and all(t.lower() == n for n, t in sheet.headers.items())
        if self.title is None:  # a CSV file: named as its header names the columns
            sheet.title = self.title = (
                self.kind if sheet.api else str(roster_vocab.SHEET_LABELS[self.kind])
            )
        for text, first in twice:
            self.problems.add(
                self.title,
                sheet.header_row,
                text,
                _("Column %(column)s appears twice.", column=first),
            )
        for number, values in chain(top, rows):
            if number > sheet.header_row and not _blank(values):
                sheet.rows.append(self._row(sheet, number, values, positions))
        return sheet

    def _row(self, sheet: Sheet, number: int, values: list[Any], positions) -> Row:
        self.counter[0] += 1
        if self.counter[0] > self.max_rows:
            raise fatal(
                _(
                    "The file has more than %(n)d rows; split it into smaller files.",
                    n=self.max_rows,
                )
            )
        row = Row(number, {})
        for pos, name in positions:
            raw = values[pos] if pos < len(values) else None
            if isinstance(raw, FormulaCell):
                row.bad.add(name)
                self.problems.add(
                    self.title,
                    number,
                    sheet.headers[name],
                    _("Formulas are not accepted; paste values."),
                )
                continue
            value, error = convert(self.kind, name, raw, self.vocab)
            if error:
                row.bad.add(name)
                self.problems.add(self.title, number, sheet.headers[name], error)
            else:
                row.values[name] = value
        return row


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
