"""What every spreadsheet import and export shares: the upload checks (kind of file, size
once unpacked), CSV decoding as offices in China save it, the list of problems by cell,
and formula neutralising.

Formula injection: exported text that begins with = + - or @ gets a leading apostrophe
(the OWASP advice; it survives a save as CSV), and importers remove one apostrophe in
front of those characters again, so an export re-imports unchanged. Uploaded formula
cells are refused: imports take values.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from supervision.common.errors import Invalid, TooLarge

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Problems listed at most; the rest are counted in a final line.
MAX_ERRORS = 500
#: UPLOAD_MAX_UNPACKED when the configuration does not say (config.py).
DEFAULT_MAX_UNPACKED = 50 * 1024 * 1024
_DANGEROUS = ("=", "+", "-", "@")


class Problems:
    """Collects `{sheet, row, column, message}` errors, keeping the first MAX_ERRORS."""

    def __init__(self, limit: int = MAX_ERRORS):
        self.items: list[dict] = []
        self.limit = limit
        self.dropped = 0

    def add(self, sheet: str | None, row: int | None, column: str | None, message: str) -> None:
        """Record one error."""
        if len(self.items) < self.limit:
            self.items.append({"sheet": sheet, "row": row, "column": column, "message": message})
        else:
            self.dropped += 1

    def __bool__(self) -> bool:
        return bool(self.items)

    def as_list(self) -> list[dict]:
        """The errors sorted by sheet (in the order the file has them) and row, whole-file and
        whole-sheet errors first (the order found is kept within a row), with a final note
        when some were left out."""
        order: dict[str | None, int] = {}
        for item in self.items:
            order.setdefault(item["sheet"], len(order))
        out = sorted(
            self.items,
            key=lambda e: (e["sheet"] is not None, order[e["sheet"]], e["row"] or 0),
        )
        if self.dropped:
            out.append(
                {
                    "sheet": None,
                    "row": None,
                    "column": None,
                    "message": _("%(n)d more errors are not listed.", n=self.dropped),
                }
            )
        return out


def fatal(message: str) -> Invalid:
    """An Invalid for a problem with the whole file (one error without a cell)."""
    return Invalid(message, [{"sheet": None, "row": None, "column": None, "message": message}])


def neutralise(value: Any) -> Any:
    """Make exported text inert in spreadsheets (leading ' before = + - @) and storable
    (control characters, which the xlsx format cannot hold, are dropped)."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith(_DANGEROUS):
            return "'" + value
    return value


def unneutralise(text: str) -> str:
    """Undo `neutralise` on imported text."""
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        return text[1:]
    return text


class FormulaCell:
    """A formula cell of an uploaded workbook (imports refuse them)."""

    def __init__(self, text: Any = None):
        self.text = text


def upload_kind(filename: str, data: bytes) -> str:
    """ "xlsx" or "csv" for an uploaded file (by its content first, then its name); a clear
    refusal of the whole file otherwise (empty, an old .xls, another kind of file)."""
    name = (filename or "").lower()
    if not data:
        raise fatal(_("The file is empty."))
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0") or name.endswith(".xls"):
        raise fatal(_("Old .xls workbooks are not supported: save the file as .xlsx."))
    if name.endswith((".xlsx", ".xlsm")):
        raise fatal(_("The file is not a readable .xlsx workbook."))
    if "." in name and not name.endswith((".csv", ".txt")):
        raise fatal(_("Upload an .xlsx workbook or a .csv file."))
    return "csv"


def max_unpacked() -> int:
    """The largest unpacked size of an uploaded workbook (setting UPLOAD_MAX_UNPACKED)."""
    return int(current_app.config.get("UPLOAD_MAX_UNPACKED", DEFAULT_MAX_UNPACKED))


def check_unpacked(data: bytes, limit: int | None = None) -> None:
    """Refuse a workbook that is not a readable zip archive (422), or whose files add up to
    more than `limit` bytes once unpacked (413, a zip bomb; default: the UPLOAD_MAX_UNPACKED
    setting), before any parser sees it. Only the archive's directory is read."""
    limit = max_unpacked() if limit is None else limit
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise fatal(_("The file is not a readable .xlsx workbook.")) from None
    if unpacked > limit:
        message = _(
            "The workbook is too large once unpacked (at most %(limit)s MB): "
            "split it into smaller files.",
            limit=f"{limit / 1024 / 1024:g}",
        )
        raise TooLarge(message, [{"sheet": None, "row": None, "column": None, "message": message}])


def decode_csv(data: bytes) -> str:
    """The text of an uploaded CSV file: UTF-8 (with or without BOM) or GB18030/GBK, as
    Excel and WPS save it in China; anything else is refused for the whole file."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise fatal(_("The CSV file is neither UTF-8 nor GB18030/GBK text."))
    if "\x00" in text:
        raise fatal(_("The file is not a CSV text file."))
    return text


def send_xlsx(data: bytes, name: str, ascii_name: str):
    """A workbook download named `name` (Chinese) with `ascii_name` as the fallback for
    clients that do not read `filename*` (common/downloads)."""
    from supervision.common.downloads import FileName, send_download

    return send_download(data, XLSX_MIME, FileName(name, ascii_name))
