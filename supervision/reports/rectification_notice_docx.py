"""The rectification progress notice as a Word document (SPEC §9, §14: offices edit it
before they print it), set as official documents are (GB/T 9704 党政机关公文格式).

A4 with the margins of 公文; the title centred on three lines in 方正小标宋简体 22 pt;
body text 仿宋_GB2312 16 pt at a fixed 28.95 pt line pitch (22 lines a page), indented two
characters; 一、 headings in 黑体, （一） headings and the headings of narrative paragraphs in
楷体_GB2312, 1. headings in bold 仿宋; the page number "— N —" centred in the footer. Each
Chinese face is declared in the font table with its common alternative name and the GB2312
character set, so that a machine without it picks a Chinese substitute (Word, WPS,
LibreOffice). Real paragraphs, no tables or text boxes: offices edit it as any document.

The generated-at line of the PDF is left out of the printed page (the office prints this
document as its own); it is in the document's properties (created).
"""

from __future__ import annotations

import io
from datetime import datetime

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from supervision.common import clock
from supervision.reports.talk_record_docx import (
    DOCX_MIME,
    _field,
    _set_fonts,
    chinese_normal,
    declare_fonts,
    official_page,
)

__all__ = ["DOCX_MIME", "render_docx"]

#: East Asian faces: (name in the document, the alternative a substitute is found by).
TITLE_FONT = ("方正小标宋简体", "宋体")
BODY_FONT = ("仿宋_GB2312", "仿宋")
HEI_FONT = ("黑体", "SimHei")
KAI_FONT = ("楷体_GB2312", "楷体")
PAGE_FONT = ("宋体", "SimSun")
BODY_SIZE = Pt(16)  # 三号
TITLE_SIZE = Pt(22)  # 二号
LINE_PITCH = Pt(28.95)
#: The face and boldness of each kind of block (notice.Block.kind).
KIND_FONTS = {
    "h1": (HEI_FONT, False),
    "h2": (KAI_FONT, False),
    "h3": (BODY_FONT, True),
    "h4": (BODY_FONT, False),
}


def _run(paragraph, text: str, font=BODY_FONT, size=BODY_SIZE, bold=False):
    run = paragraph.add_run(text)
    _set_fonts(run, font[0])
    run.font.size = size
    run.bold = bold
    return run


def _font_table(document) -> None:
    """Declare the notice's Chinese faces."""
    declare_fonts(document, (TITLE_FONT, BODY_FONT, HEI_FONT, KAI_FONT, PAGE_FONT), "roman")


def _page(document) -> None:
    """A4 with the margins of 公文."""
    official_page(document, Cm(2.5))


def _styles(document) -> None:
    """Normal: 仿宋_GB2312 三号, simplified Chinese, fixed line pitch, justified."""
    fmt = chinese_normal(document, BODY_FONT[0], BODY_SIZE)
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE_PITCH
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY


def _indent(paragraph) -> None:
    """A first-line indent of two characters (as Word writes it, and in points)."""
    paragraph.paragraph_format.first_line_indent = Pt(32)
    ind = paragraph._p.get_or_add_pPr().find(qn("w:ind"))
    if ind is not None:
        ind.set(qn("w:firstLineChars"), "200")


def _footer(document) -> None:
    """— N — centred, in 宋体 四号 (14 pt)."""
    p = document.sections[0].footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    size = Pt(14)
    _run(p, "— ", PAGE_FONT, size)
    _field(p, "PAGE")
    for run in p.runs[1:]:
        _set_fonts(run, PAGE_FONT[0])
        run.font.size = size
    _run(p, " —", PAGE_FONT, size)


def _title(document, notice) -> None:
    for line in notice.title_lines:
        p = document.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.line_spacing = Pt(33)
        _run(p, line, TITLE_FONT, TITLE_SIZE)
    document.add_paragraph()


def _block(document, block) -> None:
    p = document.add_paragraph()
    _indent(p)
    if block.kind == "headed":
        _run(p, block.label + block.heading, KAI_FONT)
        _run(p, block.text)
    elif block.kind in KIND_FONTS:
        font, bold = KIND_FONTS[block.kind]
        _run(p, block.label + block.heading, font, bold=bold)
        p.paragraph_format.keep_with_next = True
    else:
        _run(p, block.label + block.text)
        if block.kind == "closing":
            # The contact block ends in long addresses: justified, its lines would gape.
            p.alignment = WD_ALIGN_PARAGRAPH.LEFT


def render_docx(notice, generated_at: datetime | None = None) -> bytes:
    """The notice (a supervision.rectification.notice.Notice) as a .docx document."""
    generated_at = generated_at or clock.now()
    document = Document()
    props = document.core_properties
    props.title = notice.title
    props.language = "zh-CN"
    props.created = generated_at
    _page(document)
    _styles(document)
    _font_table(document)
    _title(document, notice)
    for block in notice.blocks():
        _block(document, block)
    _footer(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
