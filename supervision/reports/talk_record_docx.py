"""The talk record form (谈话记录表) as a Word document (SPEC §9: offices edit it before they
print it), with the same content as the PDF (templates/pdf/talk_record.html): the title and
status line, the bordered fields table, the talk's texts, and the signature lines.

An office document, not a picture of one: real paragraphs and a real table that Word, WPS
and LibreOffice edit; A4 with the margins of official documents (GB/T 9704); Chinese text in
仿宋 (the title in 宋体) set as the East Asian font of every run, with the fonts' alternative
names and the GB2312 character set in the font table so that a machine without them picks a
Chinese substitute; page numbers and the generated-at line in the footer.

`form` is a supervision.reports.talk_record.TalkRecord (not imported: talk_record picks
this renderer for .docx).
"""

from __future__ import annotations

import io
from datetime import datetime

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from flask_babel import gettext as _

from supervision.common import clock

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

#: East Asian fonts: (name in the document, alternative names a substitute is found by).
BODY_FONT = ("仿宋", "FangSong")
TITLE_FONT = ("宋体", "SimSun")
LATIN_FONT = "Times New Roman"
BODY_SIZE = Pt(12)
#: Width of the label columns and of the value columns of the 4-column table (15.6 cm).
LABEL_WIDTH, VALUE_WIDTH = Cm(2.4), Cm(5.4)
LABEL_SHADE = "F0F0F0"


def _set_fonts(run_or_style, east_asia: str) -> None:
    """Latin text in Times New Roman, Chinese in `east_asia` (w:rFonts/@w:eastAsia)."""
    run_or_style.font.name = LATIN_FONT
    rpr = run_or_style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asia)


def _run(paragraph, text: str, *, font=BODY_FONT, size=BODY_SIZE, bold=False, color=None):
    """Add a run of Chinese text with its fonts set."""
    run = paragraph.add_run(text)
    _set_fonts(run, font[0])
    run.font.size = size
    run.bold = bold
    if color is not None:
        run.font.color.rgb = RGBColor.from_string(color)
    return run


def declare_fonts(document, faces, family: str) -> None:
    """Declare Chinese faces, (name, alternative name) pairs, in the font table with the
    GB2312 charset (86), so that a machine without one picks a Chinese substitute."""
    from lxml import etree

    part = document.part.part_related_by(RT.FONT_TABLE)
    root = etree.fromstring(part.blob)
    for name, alt in faces:
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        for tag, value in (("w:altName", alt), ("w:charset", "86"), ("w:family", family)):
            etree.SubElement(font, qn(tag)).set(qn("w:val"), value)
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _font_table(document) -> None:
    """Declare the form's Chinese fonts (body, title)."""
    declare_fonts(document, (BODY_FONT, TITLE_FONT), "modern")


def official_page(document, footer_distance) -> None:
    """A4 with the margins of official documents (GB/T 9704: top 37 mm, bottom 35, left 28,
    right 26)."""
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    section.footer_distance = footer_distance


def chinese_normal(document, east_asia: str, size):
    """Set the Normal style's fonts (Latin Times New Roman, Chinese `east_asia`), size and
    language (simplified Chinese); its paragraph format, for the caller's spacing."""
    normal = document.styles["Normal"]
    _set_fonts(normal, east_asia)
    normal.font.size = size
    rpr = normal.element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    rpr.append(lang)
    return normal.paragraph_format


def _page(document) -> None:
    """A4 portrait with the margins of official documents."""
    document.sections[0].orientation = WD_ORIENT.PORTRAIT
    official_page(document, Cm(2.0))


def _styles(document) -> None:
    """The Normal style: 仿宋 12 pt, simplified Chinese, single spacing."""
    fmt = chinese_normal(document, BODY_FONT[0], BODY_SIZE)
    fmt.space_after = Pt(0)
    fmt.line_spacing = 1.15


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) with a placeholder result."""
    run = _run(paragraph, "", size=Pt(9))
    for kind, text in (("begin", None), (None, instruction), ("separate", None)):
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        else:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = f" {text} "
            run._r.append(instr)
    _run(paragraph, "1", size=Pt(9))
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    _run(paragraph, "", size=Pt(9))._r.append(end)


def _footer(document, generated_line: str) -> None:
    """The generated-at line, then "page N of M" (as fields Word and LibreOffice update)."""
    footer = document.sections[0].footer
    p = footer.paragraphs[0]
    _run(p, generated_line, size=Pt(9))
    p = footer.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    before, _sep, rest = _("Page %(page)s of %(pages)s").partition("%(page)s")
    middle, _sep, after = rest.partition("%(pages)s")
    _run(p, before, size=Pt(9))
    _field(p, "PAGE")
    _run(p, middle, size=Pt(9))
    _field(p, "NUMPAGES")
    _run(p, after, size=Pt(9))


def _shade(cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _label(cell, text: str) -> None:
    _shade(cell, LABEL_SHADE)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    p = cell.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(p, text, bold=True)


def _value(cell, text: str) -> None:
    """The text of a value cell, one paragraph per line."""
    lines = (text or "").split("\n")
    _run(cell.paragraphs[0], lines[0])
    for line in lines[1:]:
        _run(cell.add_paragraph(), line)


def rows(form) -> list[tuple]:
    """The table: (label, value, label, value) for paired rows, (label, value, height in cm)
    for full-width rows; the labels are those of the PDF form."""
    return [
        (_("Talk type"), form.type_label, _("Talk time"), form.held_at),
        (_("Talk location"), form.location, _("Obligation period"), form.period),
        (_("Interviewee"), form.interviewee_name, _("Unit"), form.interviewee_unit),
        (_("Post"), form.interviewee_post, None),
        (_("Interviewers"), form.interviewers, _("Recorder"), form.recorder),
        (_("Reason for the talk"), form.reason, None),
        (_("Content of the talk"), form.content, 7.0),
        (_("Statement of the interviewee"), form.response, 2.8),
        (_("Rectification requirements"), form.follow_up, 2.8),
    ]


def _table(document, form):
    table = document.add_table(rows=0, cols=4)
    table.style = "Table Grid"
    table.autofit = False
    for spec in rows(form):
        cells = table.add_row().cells
        if len(spec) == 4:
            for i, (cell, text) in enumerate(zip(cells, spec, strict=True)):
                (_label if i % 2 == 0 else _value)(cell, text)
            continue
        label, text, height = spec
        _label(cells[0], label)
        merged = cells[1].merge(cells[3])
        _value(merged, text)
        if height:
            row = table.rows[-1]
            row.height, row.height_rule = Cm(height), WD_ROW_HEIGHT_RULE.AT_LEAST
    _signatures(table, form)
    _widths(table)
    return table


def _widths(table) -> None:
    """Fixed column widths, in the grid (LibreOffice) and on every cell (Word)."""
    widths = [LABEL_WIDTH, VALUE_WIDTH, LABEL_WIDTH, VALUE_WIDTH]
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        start = 0
        for tc in row._tr.tc_lst:
            tc.width = sum(widths[start : start + tc.grid_span])
            start += tc.grid_span


def _signatures(table, form) -> None:
    """The last row: one line per signer, the time of an electronic signature or blanks."""
    cells = table.add_row().cells
    _label(cells[0], _("Signatures of the participants"))
    cell = cells[1].merge(cells[3])
    first = True
    for line in form.signatures:
        p = cell.paragraphs[0] if first else cell.add_paragraph()
        first = False
        p.paragraph_format.space_before = Pt(6)
        p.paragraph_format.space_after = Pt(6)
        _run(p, f"{line.capacity}（{line.name}）{_('signature')}：")
        if line.signed_at:
            _run(p, _("Signed electronically at %(time)s", time=line.signed_at), bold=True)
        else:
            _run(p, "\u3000" * 6, bold=False).underline = True
            _run(p, f"  {_('Date')}：")
            _run(p, "\u3000" * 5).underline = True
    if form.signed_on_paper:
        _run(cell.add_paragraph(), _("A scanned form signed on paper is attached to this record."))


def _heading(document, form) -> None:
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(6)
    _run(title, form.title, font=TITLE_FONT, size=Pt(18), bold=True)
    status = document.add_paragraph()
    status.alignment = WD_ALIGN_PARAGRAPH.CENTER
    status.paragraph_format.space_after = Pt(8)
    small = Pt(10.5)
    _run(status, _("Record No. %(id)s", id=form.talk_id) + " · " + _("Status") + "：", size=small)
    if form.is_draft:
        _run(status, f"{form.status_label}（{_('DRAFT')}）", size=small, bold=True, color="B00020")
    else:
        _run(status, form.status_label, size=small)
    if form.revision_of_id:
        _run(status, " · " + _("Corrects record No. %(id)s", id=form.revision_of_id), size=small)


def render_docx(form, generated_at: datetime | None = None) -> bytes:
    """The form as a .docx document (A4 portrait)."""
    generated_at = generated_at or clock.now()
    document = Document()
    document.core_properties.title = form.title
    document.core_properties.language = "zh-CN"
    _page(document)
    _styles(document)
    _font_table(document)
    _heading(document, form)
    _table(document, form)
    _footer(
        document,
        _("Generated at %(time)s", time=clock.local(generated_at).strftime("%Y-%m-%d %H:%M")),
    )
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
