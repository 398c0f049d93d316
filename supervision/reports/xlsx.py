"""Worksheets of the Excel reports: one layout for every report's sheets, and one print
set-up (SPEC §9): A4 landscape, fitted to the page width, the header row repeated on every
printed page, wrapped text in rows tall enough to show it, page numbers in the footer."""

from __future__ import annotations

import io
import math
import unicodedata
from datetime import date

from flask_babel import gettext as _

#: The rows above the data in every report sheet: title, subtitle, column headers.
HEADER_ROW = 3
#: Points per printed line of 11 pt text (CJK glyphs sit a little taller than Latin ones).
LINE_HEIGHT = 15.6
#: More lines than this in one cell are cut at the row height Excel allows (409 pt).
MAX_ROW_HEIGHT = 409


def write_sheet(ws, title: str, subtitle: str, columns, widths, rows) -> None:
    """Fill a worksheet: a title, a subtitle, a bold header row (frozen) and the rows; dates
    are formatted as dates."""
    from openpyxl.styles import Alignment, Font, PatternFill

    from supervision.common.spreadsheet import neutralise

    ws.append([neutralise(title)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([neutralise(subtitle)])
    ws.append([str(c) for c in columns])
    for cell in ws[HEADER_ROW]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9E1F2")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for i, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    for values in rows:
        ws.append(values)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"


def text_width(text: str) -> int:
    """Width of `text` in Excel's column units: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def lines_needed(value, width: float) -> int:
    """How many lines `value` wraps to in a column `width` units wide."""
    if value is None or isinstance(value, int | float):
        return 1  # numbers do not wrap (Excel shows ### when they do not fit)
    usable = max(1.0, width - 1.5)
    text = value.strftime("%Y-%m-%d") if isinstance(value, date) else str(value)
    return sum(max(1, math.ceil(text_width(line) / usable)) for line in text.split("\n"))


def fit_rows(ws, first_row: int = HEADER_ROW) -> None:
    """Wrap the text of every cell from `first_row` on and make each row tall enough to show
    it (Excel does not grow a row for wrapped text written by a program)."""
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    widths = {}
    for row in ws.iter_rows(min_row=first_row):
        lines = 1
        for cell in row:
            letter = get_column_letter(cell.column)
            if letter not in widths:
                widths[letter] = ws.column_dimensions[letter].width or 8.43
            if not cell.alignment.wrap_text:
                cell.alignment = Alignment(
                    horizontal=cell.alignment.horizontal, vertical="top", wrap_text=True
                )
            lines = max(lines, lines_needed(cell.value, widths[letter]))
        ws.row_dimensions[row[0].row].height = min(MAX_ROW_HEIGHT, round(lines * LINE_HEIGHT, 1))


def print_setup(ws, header_row: int = HEADER_ROW) -> None:
    """A4 landscape, one page wide, the header row repeated, page numbers in the footer."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.oddFooter.center.text = _("Page &P of &N")
    ws.evenFooter.center.text = ws.oddFooter.center.text


def save(wb) -> bytes:
    """The workbook's bytes, each sheet fitted and set up for printing."""
    for ws in wb.worksheets:
        fit_rows(ws)
        print_setup(ws)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
