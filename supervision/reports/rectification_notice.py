"""The rectification progress notice (整改进展情况通报, SPEC §14) as PDF and Word.

The structure is supervision.rectification.notice's (built from the ledger as of a day);
this module renders it (PDF: templates/pdf/rectification_notice.html; Word:
rectification_notice_docx) and audits every export.
"""

from __future__ import annotations

from datetime import date, datetime

from markupsafe import Markup
from sqlalchemy.orm import Session

from supervision.audit.services import record
from supervision.common import clock, pdf
from supervision.common.downloads import FileName
from supervision.rectification import notice as notices

#: Noto Serif CJK beside the report font: the body in a Song face, as documents are set.
SERIF_FILES = {"normal": "NotoSerifCJK-Regular.ttc", "bold": "NotoSerifCJK-Bold.ttc"}
FORMATS = ("pdf", "docx")


def serif_css() -> Markup:
    """@font-face rules of the "Notice Serif" family when Noto Serif CJK sits beside the
    report font (the PDF fetcher may read that folder); nothing otherwise, and the report
    font is used."""
    fonts = pdf.find_fonts()
    rules = []
    if fonts.regular is not None:
        for weight, name in SERIF_FILES.items():
            path = fonts.regular.parent / name
            if path.is_file():
                src = pdf.css_string(path.as_uri())
                rules.append(
                    f'@font-face {{ font-family: "Notice Serif"; font-weight: {weight}; '
                    f"src: url({src}); }}"
                )
    return Markup("\n".join(rules))


def render_pdf(notice: notices.Notice, generated_at: datetime | None = None) -> bytes:
    """The notice as an A4 PDF set like an official document."""
    return pdf.render_pdf(
        "pdf/rectification_notice.html",
        title=notice.title,
        notice=notice,
        blocks=notice.blocks(),
        serif_css=serif_css(),
        generated_at=generated_at,
    )


def export(
    session: Session, user, inspection_id: int, fmt: str, as_of: date | None = None
) -> tuple[bytes, str, FileName]:
    """The notice of an inspection `user` may read (404 otherwise) in `fmt` (pdf, docx), as
    of a day (default today); the export is audited. Returns (content, mimetype, name)."""
    inspection = notices.readable_inspection(session, user, inspection_id)
    as_of = as_of or clock.today()
    notice = notices.build(session, inspection, as_of)
    if fmt == "docx":
        from supervision.reports.rectification_notice_docx import DOCX_MIME, render_docx

        content, mime = render_docx(notice, clock.now()), DOCX_MIME
    else:
        content, mime = render_pdf(notice, clock.now()), pdf.PDF_MIME
    record(
        session,
        "export",
        "report",
        "rectification-notice",
        {"inspection_id": inspection.id, "as_of": as_of.isoformat(), "format": fmt},
    )
    session.flush()
    return content, mime, notice.download_name.with_suffix(f".{fmt}")
