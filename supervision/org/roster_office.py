"""The roster's office layout (SPEC §3, `?layout=zh`): the export and the blank template as
an office hands them round.

Each data sheet has a title row above the header, the headers and values in the reader's
language (民警/辅警, 是/否, 在职/离职, unit kinds and post categories), dropdown lists (data
validation) for every enumerated column and for unit and post codes, column widths that
show dates, a frozen header, and print set-up (A4 landscape, fit to width, header rows
repeated, page numbers). A 说明 sheet explains every column and the rules of an import, and
a 代码表 sheet holds the lists the dropdowns read (the bureau's units and posts too).
Written in write-only mode, so a bureau of 100,000 people exports in bounded memory; the
import reads it back unchanged (roster_io skips the title row, 说明 and 代码表).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from supervision.common.spreadsheet import neutralise
from supervision.org import roster_vocab
from supervision.org.roster_io import (
    BOOL_FIELDS,
    DATE_FIELDS,
    ENUM_CODES,
    SHEET_COLUMNS,
    TEXT_LIMITS,
)

#: Column widths (characters) by field; others get DEFAULT_WIDTH.
WIDTHS = {
    "code": 14,
    "name": 22,
    "staff_no": 12,
    "email": 32,
    "category": 26,
    "parent_code": 14,
    "head_staff_no": 14,
    "supervising_leader_staff_no": 16,
    "org_unit_code": 14,
    "post_code": 14,
    "leadership": 16,
    "personnel_type": 10,
    "kind": 12,
}
DEFAULT_WIDTH = 12
DATE_WIDTH = 13
DATE_FORMAT = "yyyy-mm-dd"
#: Columns whose dropdown lists the bureau's unit codes / post codes.
UNIT_CODE_COLUMNS = frozenset({"parent_code", "org_unit_code"})
POST_CODE_COLUMNS = frozenset({"post_code"})
LAST_ROW = 1_048_576
_THIN = Side(style="thin", color="999999")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
#: Fields a new row must give (the key columns and roster.REQUIRED).
REQUIRED = {
    "units": ("code", "name", "kind"),
    "people": ("staff_no", "name", "personnel_type", "org_unit_code"),
    "posts": ("code", "name", "org_unit_code"),
    "assignments": ("staff_no", "post_code", "start_date"),
}


class Lists:
    """The 代码表 sheet: one column per list, and the range each dropdown reads."""

    def __init__(self, units: Sequence[tuple[str, str]], posts: Sequence[tuple[str, str]]):
        self.columns: list[tuple[str, list[Any]]] = []
        self.ranges: dict[str, str] = {}
        self._add("_units", _("Unit code"), [c for c, _n in units])
        self.columns.append((_("Unit name"), [n for _c, n in units]))
        self._add("_posts", _("Post code"), [c for c, _n in posts])
        self.columns.append((_("Post name"), [n for _c, n in posts]))
        for name in (*ENUM_CODES, "_bool", "is_active"):
            title = (
                _("Yes / no")
                if name == "_bool"
                else str(roster_vocab.COLUMN_LABELS[_sheet_of(name)][name])
            )
            self._add(name, title, roster_vocab.choices(name))

    def _add(self, name: str, title: str, values: list[Any]) -> None:
        letter = get_column_letter(len(self.columns) + 1)
        sheet = quote_sheetname(_("Code lists"))
        self.ranges[name] = f"{sheet}!${letter}$2:${letter}${max(len(values), 1) + 1}"
        self.columns.append((title, values))

    def for_column(self, name: str) -> str | None:
        """The list a column's dropdown reads (None: no dropdown)."""
        if name in UNIT_CODE_COLUMNS:
            return self.ranges["_units"]
        if name in POST_CODE_COLUMNS:
            return self.ranges["_posts"]
        if name in ENUM_CODES or name == "is_active":
            return self.ranges[name]
        if name in BOOL_FIELDS:
            return self.ranges["_bool"]
        return None


def _sheet_of(name: str) -> str:
    return next(k for k, cols in SHEET_COLUMNS.items() if name in cols)


def write_office_workbook(
    sheets: Iterable[tuple[str, Iterable[Sequence[Any]]]],
    title: str,
    lists: Lists,
) -> bytes:
    """The office workbook: one sheet per (kind, rows of stored values), 说明 and 代码表."""
    wb = Workbook(write_only=True)
    for kind, rows in sheets:
        _data_sheet(wb, kind, rows, title, lists)
    _instructions(wb)
    _lists_sheet(wb, lists)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _data_sheet(wb: Workbook, kind: str, rows, title: str, lists: Lists) -> None:
    columns = SHEET_COLUMNS[kind]
    ws = wb.create_sheet(str(roster_vocab.SHEET_LABELS[kind]))
    last = get_column_letter(len(columns))
    for i, name in enumerate(columns, start=1):
        width = DATE_WIDTH if name in DATE_FIELDS else WIDTHS.get(name, DEFAULT_WIDTH)
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A3"
    ws.merged_cells.add(f"A1:{last}1")
    ws.print_title_rows = "1:2"
    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddFooter.center.text = _("Page &P of &N")
    _validations(ws, columns, lists)
    text = _("%(unit)s roster: %(sheet)s", unit=title, sheet=roster_vocab.SHEET_LABELS[kind])
    heading = WriteOnlyCell(ws, text.strip())
    heading.font = Font(bold=True, size=14)
    heading.alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 26
    ws.append([heading])
    ws.append([_header_cell(ws, kind, name) for name in columns])
    for row in rows:
        ws.append([_cell(ws, name, value) for name, value in zip(columns, row, strict=True)])


def _header_cell(ws, kind: str, name: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, str(roster_vocab.COLUMN_LABELS[kind][name]))
    cell.font = Font(bold=True, color="C00000" if name in REQUIRED[kind] else None)
    cell.fill = _HEADER_FILL
    cell.border = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    return cell


def _cell(ws, name: str, value: Any) -> Any:
    if isinstance(value, date):
        cell = WriteOnlyCell(ws, value)
        cell.number_format = DATE_FORMAT
        return cell
    if name in TEXT_LIMITS and value is not None:
        cell = WriteOnlyCell(ws, neutralise(str(value)))
        cell.number_format = "@"  # staff numbers and codes stay text (leading zeros)
        return cell
    return neutralise(roster_vocab.cell_label(name, value))


def _validations(ws, columns: Sequence[str], lists: Lists) -> None:
    for i, name in enumerate(columns, start=1):
        source = lists.for_column(name)
        if source is None:
            continue
        letter = get_column_letter(i)
        dv = DataValidation(
            type="list",
            formula1=source,
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="warning",
            errorTitle=_("Not in the list"),
            error=_("Choose a value from the list (see the Instructions sheet)."),
        )
        dv.add(f"{letter}3:{letter}{LAST_ROW}")
        ws.data_validations.append(dv)


def _instructions(wb: Workbook) -> None:
    ws = wb.create_sheet(_("Instructions"))
    for letter, width in (("A", 14), ("B", 22), ("C", 10), ("D", 90)):
        ws.column_dimensions[letter].width = width
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    heading = WriteOnlyCell(ws, _("How to fill in the roster"))
    heading.font = Font(bold=True, size=14)
    ws.append([heading])
    wrap = Alignment(wrap_text=True, vertical="top")
    for row, rule in enumerate(_rules(), start=2):
        cell = WriteOnlyCell(ws, rule)
        cell.alignment = wrap
        ws.merged_cells.add(f"A{row}:D{row}")
        ws.row_dimensions[row].height = _height(rule, 136)
        ws.append([cell])
    ws.append([])
    head = [_("Sheet"), _("Column"), _("Required?"), _("How to fill it in")]
    ws.append([_bold(ws, text) for text in head])
    row = len(_rules()) + 4
    for kind, columns in SHEET_COLUMNS.items():
        for name in columns:
            text = WriteOnlyCell(ws, _explanation(name))
            text.alignment = wrap
            ws.row_dimensions[row].height = _height(text.value, 90)
            row += 1
            ws.append(
                [
                    str(roster_vocab.SHEET_LABELS[kind]),
                    str(roster_vocab.COLUMN_LABELS[kind][name]),
                    _("required") if name in REQUIRED[kind] else "",
                    text,
                ]
            )


def _height(text: str, width: int) -> float:
    """A row height (points) that shows `text` wrapped in `width` characters (a Chinese
    character takes two)."""
    chars = sum(2 if ord(c) > 0x2E80 else 1 for c in text)
    return 15.0 * max(1, -(-chars // width))


def _bold(ws, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, text)
    cell.font = Font(bold=True)
    cell.fill = _HEADER_FILL
    return cell


def _rules() -> list[str]:
    return [
        _(
            "1. Keep the sheet names and the header row (the second row). The title row "
            "above the header may be changed or removed; columns may be reordered."
        ),
        _(
            "2. An import is all or nothing: if any row is wrong, nothing is written and "
            "every error is listed with its sheet, row and column."
        ),
        _(
            "3. Rows are matched by unit code, staff number and post code (assignments by "
            "staff number, post code and start date); importing the same file again changes "
            "nothing, and an import never deletes."
        ),
        _(
            "4. Choose enumerated values from the dropdown lists; 协警 is read as 辅警, and "
            "是/否, Y/N also work in yes/no columns. Dates are YYYY-MM-DD (date cells too)."
        ),
        _(
            "5. Extra columns (序号, 备注 …) are ignored and reported as ignored. Header cells "
            "in red are required for a new row. Write staff numbers that begin with 0 as text."
        ),
        _(
            "6. The Code lists sheet holds the lists of the dropdowns, including the units "
            "and posts of the bureau; it is not imported."
        ),
    ]


def _explanation(name: str) -> str:
    """How to fill in one column (the same text in every sheet that has it)."""
    if name in ENUM_CODES or name in BOOL_FIELDS:
        listed = "、".join(roster_vocab.choices(name))
        return _("One of: %(values)s (dropdown).", values=listed)
    if name in DATE_FIELDS:
        return _("A date, YYYY-MM-DD.")
    texts = {
        "code": _("A unique code (letters, digits); rows are matched by it."),
        "name": _("The name."),
        "staff_no": _("The staff number (工号); people are matched by it."),
        "parent_code": _("The code of the unit above (empty for the top unit)."),
        "head_staff_no": _("Staff number of the unit's head (may be empty)."),
        "supervising_leader_staff_no": _(
            "Staff number of the supervising leader, a leadership-team member (may be empty)."
        ),
        "org_unit_code": _("The code of the unit (dropdown: the units of the bureau)."),
        "post_code": _("The code of the post (dropdown: the posts of the bureau)."),
        "email": _("E-mail address for reminders (may be empty)."),
        "rotation_years": _("Whole years, 1–50; empty: the policy's threshold."),
    }
    return texts[name]


def _lists_sheet(wb: Workbook, lists: Lists) -> None:
    ws = wb.create_sheet(_("Code lists"))
    for i, (_title, values) in enumerate(lists.columns, start=1):
        width = max([8, *(len(str(v)) * 2 for v in values[:200])])
        ws.column_dimensions[get_column_letter(i)].width = min(width, 40)
    ws.freeze_panes = "A2"
    ws.append([_bold(ws, title) for title, _values in lists.columns])
    longest = max(len(values) for _title, values in lists.columns)
    for r in range(longest):
        ws.append(
            [neutralise(values[r]) if r < len(values) else None for _t, values in lists.columns]
        )
