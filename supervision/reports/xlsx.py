"""Worksheets of the Excel reports: one layout for every report's sheets."""

from __future__ import annotations

from datetime import date


def write_sheet(ws, title: str, subtitle: str, columns, widths, rows) -> None:
    """Fill a worksheet: a title, a subtitle, a bold header row (frozen) and the rows; dates
    are formatted as dates."""
    from openpyxl.styles import Alignment, Font, PatternFill

    from supervision.common.spreadsheet import neutralise

    ws.append([neutralise(title)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([neutralise(subtitle)])
    ws.append([str(c) for c in columns])
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9E1F2")
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for i, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws.freeze_panes = "A4"
    for values in rows:
        ws.append(values)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
