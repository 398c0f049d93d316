"""The rectification ledger (整改台账, SPEC §14) as an Excel workbook.

The rows are supervision.rectification.ledger's (one per measure); here they are laid out
as the reports' sheets are (title, subtitle, a frozen bold header row, A4 landscape fitted
to the width, page numbers), with the finding's columns merged down over its measure rows.
The workbook re-imports unchanged (POST /imports/rectification-ledger). Each export is
audited.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from supervision.audit.services import record
from supervision.common import clock
from supervision.common.downloads import FileName
from supervision.common.spreadsheet import XLSX_MIME, neutralise
from supervision.org.models import OrgUnit
from supervision.rectification import ledger
from supervision.rectification import notice as notices
from supervision.reports import xlsx

WIDTHS = (6, 22, 34, 50, 10, 14, 18, 14, 34, 12, 20)


def render_xlsx(title: str, subtitle: str, blocks: list[ledger.LedgerBlock]) -> bytes:
    """The workbook: one sheet named 整改台账."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = ledger.SHEET_NAME
    rows = []
    spans = []
    for block in blocks:
        first = xlsx.HEADER_ROW + 1 + len(rows)
        for i, cells in enumerate(block.rows):
            values = {**cells, **(block.finding if i == 0 else {})}
            rows.append([neutralise(values.get(c)) for c in ledger.COLUMNS])
        if len(block.rows) > 1:
            spans.append((first, first + len(block.rows) - 1))
    xlsx.write_sheet(ws, title, subtitle, ledger.COLUMNS, WIDTHS, rows)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(ledger.COLUMNS))
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(ledger.COLUMNS))
    columns = [ledger.COLUMNS.index(c) + 1 for c in ledger.FINDING_COLUMNS]
    for top, bottom in spans:
        for column in columns:
            ws.merge_cells(start_row=top, start_column=column, end_row=bottom, end_column=column)
    return xlsx.save(wb)


def export(
    session: Session, user, inspection_id: int, as_of: date | None = None
) -> tuple[bytes, str, FileName]:
    """The ledger of an inspection `user` may read (404 otherwise) as of a day (default
    today), audited: (content, mimetype, file name)."""
    inspection = notices.readable_inspection(session, user, inspection_id)
    as_of = as_of or clock.today()
    unit = session.get(OrgUnit, inspection.org_unit_id)
    unit_name = unit.name if unit else ""
    blocks = ledger.ledger_blocks(session, inspection, as_of)
    title = f"{unit_name}{inspection.name}整改台账"
    subtitle = f"巡察组：{inspection.inspector}　截至：{as_of.isoformat()}"
    content = render_xlsx(title, subtitle, blocks)
    record(
        session,
        "export",
        "report",
        "rectification-ledger",
        {"inspection_id": inspection.id, "as_of": as_of.isoformat(), "format": "xlsx"},
    )
    session.flush()
    day = as_of.isoformat()
    return (
        content,
        XLSX_MIME,
        FileName(f"{title}-{day}.xlsx", f"rectification-ledger-{inspection.id}-{day}.xlsx"),
    )
