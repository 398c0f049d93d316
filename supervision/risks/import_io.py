"""Risk inventory files (排查清单): reading .xlsx/CSV, finding the header, converting cells.

The columns are those of the SPEC §9 report (序号, 单位, 岗位, 风险类别, 风险点, 表现形式,
风险等级, 防控措施, 部门负责人, 责任领导) plus optional 可能性 and 影响程度 (1–5); API field
names are accepted as headers too (HEADER_ALIASES). Real inventories often carry a title
line ("XX分局廉政风险点排查清单") above the header, so the header is the first of the first
HEADER_SCAN rows that names 风险点 and at least two other known columns; rows above it are
skipped and `row` numbers stay those of the spreadsheet. Every worksheet with such a header
is read (some bureaus keep one sheet per unit); other sheets are skipped. Cells merged over
several rows (a unit or post written once for its risk points) count in every row they
cover. Unknown columns (备注, …) are ignored and reported. 序号 is ignored, formulas there too.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
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
from supervision.risks import rules

#: Fields in the order of the SPEC §9 table, then the optional score columns.
COLUMNS = (
    "seq",
    "org_unit",
    "post",
    "category",
    "title",
    "manifestation",
    "level",
    "measures",
    "department_owner",
    "responsible_leader",
    "likelihood",
    "impact",
)
#: The header written by the template (and shown on the page) for each field.
LABELS = {
    "seq": "序号",
    "org_unit": "单位",
    "post": "岗位",
    "category": "风险类别",
    "title": "风险点",
    "manifestation": "表现形式",
    "level": "风险等级",
    "measures": "防控措施",
    "department_owner": "部门负责人",
    "responsible_leader": "责任领导",
    "likelihood": "可能性",
    "impact": "影响程度",
}
HEADER_ALIASES: dict[str, str] = {
    **{v: k for k, v in LABELS.items()},
    **{k: k for k in LABELS},
    "编号": "seq",
    "no": "seq",
    "no.": "seq",
    "index": "seq",
    "单位名称": "org_unit",
    "单位代码": "org_unit",
    "责任单位": "org_unit",
    "部门": "org_unit",
    "部门（单位）": "org_unit",
    "单位（部门）": "org_unit",
    "org_unit_code": "org_unit",
    "org_unit_name": "org_unit",
    "unit": "org_unit",
    "岗位名称": "post",
    "岗位代码": "post",
    "post_code": "post",
    "post_name": "post",
    "风险类型": "category",
    "类别": "category",
    "风险点名称": "title",
    "廉政风险点": "title",
    "风险点描述": "title",
    "风险表现形式": "manifestation",
    "主要表现": "manifestation",
    "主要表现形式": "manifestation",
    "等级": "level",
    "风险级别": "level",
    "防范措施": "measures",
    "防控措施（制度）": "measures",
    "措施": "measures",
    "department_owner_staff_no": "department_owner",
    "department_owner_id": "department_owner",
    "分管领导": "responsible_leader",
    "责任领导（分管领导）": "responsible_leader",
    "responsible_leader_staff_no": "responsible_leader",
    "responsible_leader_id": "responsible_leader",
    "发生可能性": "likelihood",
    "可能性（1-5）": "likelihood",
    "影响": "impact",
    "影响程度（1-5）": "impact",
}
CATEGORY_ALIASES = {
    "思想道德": "ideology",
    "岗位职责": "duty",
    "业务流程": "process",
    "制度机制": "institution",
    "外部环境": "external",
    "ideology": "ideology",
    "duty": "duty",
    "process": "process",
    "institution": "institution",
    "external": "external",
}
CATEGORY_LABELS = {v: k for k, v in CATEGORY_ALIASES.items() if not k.isascii()}
LEVEL_ALIASES = {
    "一级": "high",
    "高": "high",
    "high": "high",
    "i级": "high",
    "1级": "high",
    "ⅰ级": "high",
    "二级": "medium",
    "中": "medium",
    "medium": "medium",
    "ii级": "medium",
    "2级": "medium",
    "ⅱ级": "medium",
    "三级": "low",
    "低": "low",
    "low": "low",
    "iii级": "low",
    "3级": "low",
    "ⅲ级": "low",
}
LEVEL_LABELS = {"high": "一级", "medium": "二级", "low": "三级"}
TEXT_LIMITS = {
    "org_unit": 200,
    "post": 200,
    "title": 300,
    "manifestation": 5000,
    "measures": 20000,
    "department_owner": 100,
    "responsible_leader": 100,
}
MEASURE_LIMIT = 2000
HEADER_SCAN = 10

# A measure starts at a line start, or after whitespace or a ；/;/。, with a number such as
# "1." "2、" "3）" "（1）" "(2)" "一、" ("1.5万元" is a decimal, not a number); a circled
# number "①" starts one anywhere.
_NUMBER = (
    r"(?:\d{1,2}(?:[.．](?!\d)|[、)）])|[（(]\d{1,2}[)）]|[①-⑳]|[一二三四五六七八九十]{1,3}、)"
)
_SPLIT = re.compile(r"(?:(?:^|(?<=[\s；;。]))\s*" + _NUMBER + r"|[①-⑳])")
_PREFIX = re.compile(r"^\s*" + _NUMBER)
_STRIP = " \t\u3000；;，,"


@dataclass
class Line:
    """One data row of the file: typed `values` of the columns present, `bad` columns."""

    sheet: str
    number: int
    headers: dict[str, str]
    values: dict[str, Any]
    bad: set[str] = field(default_factory=set)

    def column(self, name: str) -> str:
        """The column as the file names it (the Chinese label when the column is absent)."""
        return self.headers.get(name, LABELS[name])


@dataclass
class Parsed:
    """The data rows of every sheet with a header, and what was skipped."""

    lines: list[Line]
    sheets: list[str]
    ignored_columns: list[str]


def header_name(text: str) -> str | None:
    """The field a header cell names (None when unknown)."""
    key = re.sub(r"\s+", "", text).rstrip("*＊").lower()
    return HEADER_ALIASES.get(key)


def split_measures(text: str | None) -> list[str]:
    """Measures of one cell: one per line and per leading number ("1." "2、" "（1）" …)."""
    if not text:
        return []
    out = []
    for line in re.split(r"[\r\n]+", text):
        starts = [m.start() for m in _SPLIT.finditer(line)]
        cuts = sorted({0, *starts, len(line)})
        for a, b in zip(cuts, cuts[1:], strict=False):
            part = _PREFIX.sub("", line[a:b], count=1) if a in starts else line[a:b]
            part = part.strip(_STRIP)
            if part:
                out.append(part)
    return out


def pair_for_level(target: str, settings: rules.RiskSettings) -> tuple[int, int] | None:
    """The (likelihood, impact) used when a file gives only 风险等级: the smallest score of
    that level under `settings`, most balanced pair, smaller likelihood first. With the SPEC
    defaults: high (3, 5) = 15, medium (2, 4) = 8, low (1, 1) = 1. None if the level is
    unreachable (thresholds no product of 1–5 can meet)."""
    pairs = [
        (lk, im)
        for lk in range(1, 6)
        for im in range(1, 6)
        if rules.level(lk, im, settings) == target
    ]
    if not pairs:
        return None
    return min(pairs, key=lambda p: (p[0] * p[1], abs(p[0] - p[1]), p[0]))


# ---------------------------------------------------------------- cells


def _text(raw: Any) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    elif isinstance(raw, datetime | date):
        raw = raw.strftime("%Y-%m-%d")
    text = unneutralise(str(raw).strip())
    return text or None


def convert(name: str, raw: Any) -> tuple[Any, str | None]:
    """(typed value, error message or None) for a cell of column `name`."""
    text = _text(raw)
    if text is None:
        return None, None
    if name in ("likelihood", "impact", "level", "category"):
        text = unicodedata.normalize("NFKC", text).strip()
    if name in ("likelihood", "impact"):
        try:
            number = float(text)
        except ValueError:
            number = 0.5
        if not number.is_integer() or not 1 <= number <= 5:
            return None, _("Must be a whole number from 1 to 5.")
        return int(number), None
    if name == "category":
        key = re.sub(r"\s+", "", text).lower()
        value = CATEGORY_ALIASES.get(key) or CATEGORY_ALIASES.get(
            key.removesuffix("风险").removesuffix("类")
        )
        if value is None:
            return None, _(
                "Must be one of: %(choices)s.", choices="、".join(CATEGORY_LABELS.values())
            )
        return value, None
    if name == "level":
        key = re.sub(r"\s+", "", text).lower()
        value = LEVEL_ALIASES.get(key) or LEVEL_ALIASES.get(key.removesuffix("风险"))
        if value is None:
            return None, _("Must be 一级/高, 二级/中 or 三级/低 (high, medium, low).")
        return value, None
    limit = TEXT_LIMITS.get(name)
    if limit and len(text) > limit:
        return None, _("At most %(n)d characters.", n=limit)
    return text, None


# ---------------------------------------------------------------- reading


def read_upload(
    filename: str, data: bytes, max_rows: int, max_unpacked: int, problems: Problems
) -> Parsed:
    """The data rows of an uploaded .xlsx workbook or CSV file (cell errors go to `problems`)."""
    if upload_kind(filename, data) == "xlsx":
        sheets = _xlsx_sheets(data, max_unpacked)
    else:
        sheets = [(filename or "csv", _csv_rows(data))]
    parsed = Parsed([], [], [])
    counter = [0]
    try:
        for title, rows in sheets:
            _read_sheet(title, rows, parsed, max_rows, counter, problems)
    except csv.Error as exc:
        raise fatal(_("The CSV file cannot be read: %(error)s", error=str(exc))) from None
    if not parsed.sheets:
        raise fatal(
            _(
                "No header row found: the first rows of a sheet must name the columns "
                "单位, 风险点 and the other columns of the inventory (岗位, 风险类别, 风险等级, …)."
            )
        )
    return parsed


def _xlsx_sheets(data: bytes, max_unpacked: int) -> list[tuple[str, list]]:
    from openpyxl import load_workbook

    check_unpacked(data, max_unpacked)
    try:
        # Not read-only: merged cells are only known in the full model.
        wb = load_workbook(io.BytesIO(data), data_only=False)
        return [(ws.title, list(_xlsx_rows(ws))) for ws in wb.worksheets]
    except Invalid:
        raise
    except Exception:  # any parser failure means the upload is not a workbook we can read
        raise fatal(_("The file is not a readable .xlsx workbook.")) from None


def _xlsx_rows(ws) -> Iterable[tuple[int, list[Any]]]:
    merged: dict[int, list[tuple[int, int, Any]]] = {}
    for rng in ws.merged_cells.ranges:
        top = ws.cell(rng.min_row, rng.min_col)
        value = FormulaCell() if top.data_type == "f" else top.value
        for col in range(rng.min_col, rng.max_col + 1):
            merged.setdefault(col, []).append((rng.min_row, rng.max_row, value))
    for cells in ws.iter_rows():
        values = []
        number = cells[0].row if cells else 0
        for cell in cells:
            value = FormulaCell() if cell.data_type == "f" else cell.value
            if value is None:
                for first, last, top in merged.get(cell.column, ()):
                    if first <= number <= last:
                        value = top
                        break
            values.append(value)
        yield number, values


def _csv_rows(data: bytes) -> Iterable[tuple[int, list[Any]]]:
    text = decode_csv(data)
    head = "\n".join(text.splitlines()[:HEADER_SCAN])
    delimiter = max((",", "\t", ";"), key=head.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return ((i, [v if v != "" else None for v in r]) for i, r in enumerate(reader, start=1))


def _header(values: list[Any]) -> dict[int, str] | None:
    found: dict[int, str] = {}
    for pos, raw in enumerate(values):
        text = _text(raw) if not isinstance(raw, FormulaCell) else None
        name = header_name(text) if text else None
        if name and name not in found.values():
            found[pos] = name
    return found if "title" in found.values() and len(found) >= 3 else None


def _read_sheet(
    title: str,
    rows: Iterable[tuple[int, list[Any]]],
    parsed: Parsed,
    max_rows: int,
    counter: list[int],
    problems: Problems,
) -> None:
    rows = iter(rows)
    header_row, positions = None, None
    for number, values in rows:
        positions = _header(values)
        if positions is not None:
            header_row = (number, values)
            break
        if number >= HEADER_SCAN:
            return
    if positions is None or header_row is None:
        return
    parsed.sheets.append(title)
    headers: dict[str, str] = {}
    for pos, raw in enumerate(header_row[1]):
        text = _text(raw) if not isinstance(raw, FormulaCell) else None
        if text is None:
            continue
        if pos in positions:
            headers[positions[pos]] = text
        elif header_name(text):
            problems.add(
                title, header_row[0], text, _("Column %(column)s appears twice.", column=text)
            )
        elif text not in parsed.ignored_columns:
            parsed.ignored_columns.append(text)
    for number, values in rows:
        if all(
            v is None or (isinstance(v, str) and not v.strip())
            for pos, v in enumerate(values)
            if positions.get(pos) != "seq"
        ):
            continue
        counter[0] += 1
        if counter[0] > max_rows:
            raise fatal(
                _("The file has more than %(n)d rows; split it into smaller files.", n=max_rows)
            )
        line = Line(title, number, headers, {})
        for pos, name in positions.items():
            if name == "seq":
                continue
            raw = values[pos] if pos < len(values) else None
            if isinstance(raw, FormulaCell):
                line.bad.add(name)
                problems.add(
                    title, number, headers[name], _("Formulas are not accepted; paste values.")
                )
                continue
            value, error = convert(name, raw)
            if error:
                line.bad.add(name)
                problems.add(title, number, headers[name], error)
            else:
                line.values[name] = value
        parsed.lines.append(line)


# ---------------------------------------------------------------- writing


def template_workbook(instructions: list[tuple[str, str]], title: str = "") -> bytes:
    """An empty inventory workbook laid out for the office: a title row, the §9 headers (and
    可能性/影响程度) with dropdown lists, a frozen header, print set-up (A4 landscape, fit to
    width, title and header repeated on every page), and a sheet of instructions (column,
    explanation). The import finds the header below the title row."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "排查清单"
    letters = {c: chr(ord("A") + i) for i, c in enumerate(COLUMNS)}
    last = letters[COLUMNS[-1]]
    ws.append([neutralise(title or "廉政风险点排查清单")])
    ws.merge_cells(f"A1:{last}1")
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 26
    ws.append([LABELS[c] for c in COLUMNS])
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[2]:
        cell.font = Font(bold=True, color="C00000" if cell.value in ("单位", "风险点") else None)
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.freeze_panes = "A3"
    for col, formula in (
        ("category", '"' + ",".join(CATEGORY_LABELS.values()) + '"'),
        ("level", '"一级,二级,三级"'),
        ("likelihood", '"1,2,3,4,5"'),
        ("impact", '"1,2,3,4,5"'),
    ):
        dv = DataValidation(type="list", formula1=formula, allow_blank=True)
        dv.add(f"{letters[col]}3:{letters[col]}5000")
        ws.add_data_validation(dv)
    for col, width in (
        ("seq", 6),
        ("org_unit", 18),
        ("post", 18),
        ("category", 10),
        ("title", 28),
        ("manifestation", 40),
        ("level", 9),
        ("measures", 48),
        ("department_owner", 12),
        ("responsible_leader", 12),
        ("likelihood", 8),
        ("impact", 9),
    ):
        ws.column_dimensions[letters[col]].width = width
    ws.print_title_rows = "1:2"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    notes = wb.create_sheet("填写说明")
    for row in instructions:
        notes.append([neutralise(v) for v in row])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for row in notes.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
    notes.column_dimensions["A"].width = 14
    notes.column_dimensions["B"].width = 100
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
