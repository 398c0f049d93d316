"""What every report download does the same way: check the format, render it, and record
the export in the audit log (SPEC §4: exports of confidential data are audited)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from supervision.audit.services import record
from supervision.common import clock, pdf
from supervision.common.errors import Invalid
from supervision.common.spreadsheet import XLSX_MIME

FORMATS = ("pdf", "xlsx")
MIMES = {"pdf": pdf.PDF_MIME, "xlsx": XLSX_MIME}


def check_format(fmt: str) -> None:
    """422 on `format` unless it is one the reports are rendered in."""
    if fmt not in FORMATS:
        raise Invalid(
            _("Unknown report format."),
            {"format": [_("Must be one of: %(choices)s.", choices=", ".join(FORMATS))]},
        )


def render(
    fmt: str,
    report: Any,
    render_pdf: Callable[[Any, datetime], bytes],
    render_xlsx: Callable[[Any, datetime], bytes],
) -> tuple[bytes, str]:
    """(content, mimetype) of the report in `fmt`, generated now."""
    now = clock.now()
    renderer = render_pdf if fmt == "pdf" else render_xlsx
    return renderer(report, now), MIMES[fmt]


def audit(session: Session, name: str, fmt: str, params: dict, **figures: Any) -> None:
    """Record the export of report `name` with its parameters, format and sizes."""
    record(session, "export", "report", name, {**params, "format": fmt, **figures})
    session.flush()
