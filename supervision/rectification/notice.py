"""The rectification progress notice (整改进展情况通报, SPEC §14) in the published form.

One structure, built from the ledger as of a date and rendered twice (PDF by
templates/pdf/rectification_notice.html, Word by notice_docx): the three-line title
中共{单位}委员会 / 关于{巡察} / 整改进展情况的通报; the opening paragraph with the dates;
一、党委履行巡察整改主体责任情况 (the narrative's `duty` paragraphs, （一）（二）…);
二、巡察反馈重点问题整改落实情况 by category （一）, theme 1. (numbered on through the
categories) and finding （1） (its number in the ledger), each finding's measures written
"一是……。二是……。" with their results; 三、需长期整改事项进展情况 (the long-term findings,
numbered on); 四、下一步工作打算 (the narrative's `next_steps`); the closing line inviting
supervision, the publication period and the contact block.

As of a date: a measure counts as done when it was marked done on or before that day; an
open measure says so (正在整改, and 已超期 past its due date), so a draft never reads as if
everything were finished.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from supervision.common.downloads import FileName
from supervision.common.errors import NotFound
from supervision.org.models import OrgUnit
from supervision.rectification import numbering as num
from supervision.rectification.models import (
    DEFAULT_CATEGORIES,
    Finding,
    Inspection,
    RectificationMeasure,
)
from supervision.rectification.permissions import inspection_clause

SECTION_DUTY = "党委履行巡察整改主体责任情况"
SECTION_FINDINGS = "巡察反馈重点问题整改落实情况"
SECTION_LONG_TERM = "需长期整改事项进展情况"
SECTION_NEXT = "下一步工作打算"
CLOSING = "欢迎广大干部群众对巡察整改落实情况进行监督。如有意见建议，请及时向我们反映。"
NO_LONG_TERM = "本次巡察反馈问题中暂无需长期整改事项。"
OPEN_MARK = "（正在整改）"
OVERDUE_MARK = "（正在整改，已超过整改时限）"


@dataclass(frozen=True)
class Block:
    """One paragraph of the notice, in reading order.

    kind: `lead` (the opening), `h1` (一、), `h2` (（一） a category), `h3` (1. a theme),
    `h4` (（1） a finding), `headed` (a narrative paragraph: `label` and `heading` set in
    the heading face, `text` following in the same paragraph), `para` (a measure or other
    body text), `closing` (the closing lines)."""

    kind: str
    label: str = ""
    heading: str = ""
    text: str = ""

    @property
    def full(self) -> str:
        """The paragraph's whole text."""
        return f"{self.label}{self.heading}{self.text}"


@dataclass(frozen=True)
class MeasureText:
    """A measure as the notice writes it: 一是…… with its result."""

    label: str
    text: str
    done: bool


@dataclass(frozen=True)
class FindingBlock:
    """（n）the finding's title, then its measures."""

    label: str
    title: str
    measures: tuple[MeasureText, ...]


@dataclass(frozen=True)
class ThemeBlock:
    """1. a theme and its findings (no label: findings without a theme)."""

    label: str
    title: str
    findings: tuple[FindingBlock, ...]


@dataclass(frozen=True)
class CategoryBlock:
    """（一） a category (focus area) and its themes."""

    label: str
    title: str
    themes: tuple[ThemeBlock, ...]


@dataclass(frozen=True)
class Headed:
    """A narrative paragraph: （一）heading。body (an unheaded one is a plain paragraph)."""

    label: str
    heading: str
    body: str


@dataclass
class Notice:
    """The notice of one inspection as of a day."""

    inspection_id: int
    as_of: date
    title_lines: tuple[str, str, str]
    opening: str
    duty: list[Headed] = field(default_factory=list)
    categories: list[CategoryBlock] = field(default_factory=list)
    long_term: list[FindingBlock] = field(default_factory=list)
    next_steps: list[Headed] = field(default_factory=list)
    closing: str = CLOSING
    publication: str = ""

    @property
    def title(self) -> str:
        """The title on one line."""
        return "".join(self.title_lines)

    @property
    def download_name(self) -> FileName:
        """The title and the day, e.g. 中共…委员会关于…整改进展情况的通报-2026-12-04."""
        day = self.as_of.isoformat()
        return FileName(f"{self.title}-{day}", f"rectification-notice-{self.inspection_id}-{day}")

    def blocks(self) -> list[Block]:
        """Every paragraph after the title, in order (what both renderers print)."""
        out = [Block("lead", text=self.opening), Block("h1", num.section(1), SECTION_DUTY)]
        out += _headed_blocks(self.duty)
        out.append(Block("h1", num.section(2), SECTION_FINDINGS))
        for category in self.categories:
            out.append(Block("h2", category.label, category.title))
            for theme in category.themes:
                if theme.label:
                    out.append(Block("h3", theme.label, theme.title))
                for finding in theme.findings:
                    out += _finding_blocks(finding)
        out.append(Block("h1", num.section(3), SECTION_LONG_TERM))
        for finding in self.long_term:
            out += _finding_blocks(finding)
        if not self.long_term:
            out.append(Block("para", text=NO_LONG_TERM))
        out.append(Block("h1", num.section(4), SECTION_NEXT))
        out += _headed_blocks(self.next_steps)
        out.append(Block("closing", text=self.closing))
        if self.publication:
            out.append(Block("closing", text=self.publication))
        return out


def _headed_blocks(items: list[Headed]) -> list[Block]:
    return [
        Block("headed", p.label, p.heading, p.body) if p.heading else Block("para", text=p.body)
        for p in items
    ]


def _finding_blocks(finding: FindingBlock) -> list[Block]:
    out = [Block("h4", finding.label, finding.title)]
    out += [Block("para", m.label, text=m.text) for m in finding.measures]
    return out


# ---------------------------------------------------------------- building


def readable_inspection(session: Session, user, inspection_id: int) -> Inspection:
    """The inspection `user` may read, else 404 (the area's scope, permissions.
    inspection_clause; the routes also require "rectification.documents")."""
    inspection = session.scalar(
        sa.select(Inspection).where(Inspection.id == inspection_id, inspection_clause(user))
    )
    if inspection is None:
        raise NotFound(_("No %(what)s with id %(id)s.", what=_("inspection"), id=inspection_id))
    return inspection


def _authority(inspector: str) -> str:
    """Who deployed the inspection group: 市委第八巡察组 → 市委."""
    m = re.match(r"(.+?)(第[一二三四五六七八九十百零\d]+)?巡察组", inspector or "")
    return m.group(1) if m and m.group(1) else "上级党委"


def opening(inspection: Inspection, unit_name: str, counts: dict[str, int]) -> str:
    """The opening paragraph: who inspected when, the feedback day, the figures as of."""
    party = f"{unit_name}党委"
    parts = [f"根据{_authority(inspection.inspector)}统一部署，"]
    if inspection.onsite_from and inspection.onsite_to:
        parts.append(f"{num.date_range(inspection.onsite_from, inspection.onsite_to)}，")
    parts.append(f"{inspection.inspector}对{party}开展巡察。")
    parts.append(f"{num.chinese_date(inspection.feedback_on)}，巡察组向{party}反馈巡察意见。")
    if counts["total"]:
        parts.append(
            f"截至{num.chinese_date(counts['as_of'])}，巡察反馈的{counts['total']}个问题中，"
            f"已完成整改{counts['completed']}个，正在整改{counts['rectifying']}个，"
            f"需长期整改{counts['long_term']}个。"
        )
    parts.append("按照巡察工作有关要求，现将巡察整改进展情况予以公布。")
    return "".join(parts)


def _narrative(items) -> list[Headed]:
    out = []
    n = 0
    for item in items or ():
        heading = num.sentence(str(item.get("heading") or ""))
        body = str(item.get("body") or "").strip()
        if heading:
            n += 1
        out.append(Headed(num.paren(n) if heading else "", heading, body))
    return out


def measure_text(
    measure: RectificationMeasure, label: str, as_of: date, long_term: bool
) -> MeasureText:
    """一是{description}{result}, with 正在整改 on a measure still open as of the day."""
    done = measure.status == "done" and measure.done_on is not None and measure.done_on <= as_of
    text = num.sentence(measure.description)
    if measure.result.strip() and (done or long_term):
        text += num.sentence(measure.result)
    if not done and not long_term:
        overdue = measure.due_on is not None and measure.due_on < as_of
        text += OVERDUE_MARK if overdue else OPEN_MARK
    return MeasureText(label, text, done)


def _finding(finding: Finding, measures: list, as_of: date) -> FindingBlock:
    long_term = finding.term == "long_term"
    count = len(measures)
    labels = [num.ordinal(i) if count > 1 else "" for i in range(1, count + 1)]
    return FindingBlock(
        num.paren_arabic(finding.number),
        num.sentence(finding.title),
        tuple(
            measure_text(m, label, as_of, long_term)
            for m, label in zip(measures, labels, strict=True)
        ),
    )


def category_order(findings: list[Finding]) -> list[str]:
    """The categories in the notice's order: the default ones first, then by first finding."""
    first: dict[str, int] = {}
    for f in findings:
        first.setdefault(f.category, f.number)

    def key(name: str):
        if name in DEFAULT_CATEGORIES:
            return (0, DEFAULT_CATEGORIES.index(name), 0)
        return (1, 0, first[name])

    return sorted(first, key=key)


def load_ledger(session: Session, inspection_id: int) -> tuple[list[Finding], dict[int, list]]:
    """The inspection's findings by number and each one's measures by number (two queries)."""
    findings = list(
        session.scalars(
            sa.select(Finding)
            .where(Finding.inspection_id == inspection_id)
            .order_by(Finding.number)
        )
    )
    measures: dict[int, list] = {f.id: [] for f in findings}
    rows = session.scalars(
        sa.select(RectificationMeasure)
        .join(Finding, Finding.id == RectificationMeasure.finding_id)
        .where(Finding.inspection_id == inspection_id)
        .order_by(RectificationMeasure.finding_id, RectificationMeasure.number)
    )
    for m in rows:
        measures[m.finding_id].append(m)
    return findings, measures


def counts_as_of(findings: list[Finding], as_of: date) -> dict:
    """Findings in all, signed off by the day, long-term, and the rest (being rectified).

    By the dates rather than figures.summary's current statuses: a notice "as of" a past day
    counts what had been signed off by then."""
    completed = sum(
        1
        for f in findings
        if f.status == "completed" and f.completed_on is not None and f.completed_on <= as_of
    )
    long_term = sum(1 for f in findings if f.term == "long_term")
    return {
        "as_of": as_of,
        "total": len(findings),
        "completed": completed,
        "long_term": long_term,
        "rectifying": len(findings) - completed - long_term,
    }


def build(session: Session, inspection: Inspection, as_of: date) -> Notice:
    """The notice of `inspection` as of `as_of`."""
    unit = session.get(OrgUnit, inspection.org_unit_id)
    unit_name = unit.name if unit else ""
    findings, measures = load_ledger(session, inspection.id)
    notice = Notice(
        inspection_id=inspection.id,
        as_of=as_of,
        title_lines=(
            f"中共{unit_name}委员会",
            f"关于{inspection.name}",
            "整改进展情况的通报",
        ),
        opening=opening(inspection, unit_name, counts_as_of(findings, as_of)),
    )
    narrative = inspection.narrative or {}
    notice.duty = _narrative(narrative.get("duty"))
    notice.next_steps = _narrative(narrative.get("next_steps"))
    current = [f for f in findings if f.term != "long_term"]
    theme_no = 0
    for c_no, category in enumerate(category_order(current), start=1):
        themes: dict[str, list[Finding]] = {}
        for f in current:
            if f.category == category:
                themes.setdefault(f.theme or "", []).append(f)
        blocks = []
        for theme, members in themes.items():
            theme_no += 1 if theme else 0
            blocks.append(
                ThemeBlock(
                    num.arabic(theme_no) if theme else "",
                    theme,
                    tuple(_finding(f, measures[f.id], as_of) for f in members),
                )
            )
        notice.categories.append(CategoryBlock(num.paren(c_no), category, tuple(blocks)))
    notice.long_term = [
        _finding(f, measures[f.id], as_of) for f in findings if f.term == "long_term"
    ]
    lines = []
    if inspection.publish_from and inspection.publish_to:
        period = num.date_range(inspection.publish_from, inspection.publish_to)
        lines.append(f"公开期限：{period}。")
    if (inspection.contact or "").strip():
        lines.append(inspection.contact.strip())
    notice.publication = "".join(lines)
    return notice
