"""Texts of the rectification reminders (SPEC §14, §8): a measure's ladder steps, the weekly
summary of an inspection, and their inbox group titles, through the catalog (English in
the code, Chinese in supervision/i18n/reminders_rectification).

A measure's subject and body are composed from the stored fields whenever read, so each
reader reads them in their own language (texts.render); they name the finding (第N项问题
“title”), the measure (一是… in Chinese), its due date and, for an escalation, the owner
who is late; they link to the finding's page. The weekly summary is a snapshot of the
figures of the day it was sent: its text is written when the sweep creates it and shown
as written (like the weekly digest).

Names are read in a fixed number of queries per batch (one for the measures with their
findings; for summaries, the summary figures of each inspection, two queries, and one for
the measures falling due that week).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from supervision.common.batches import rows_in
from supervision.rectification import figures
from supervision.rectification.labels import FINDING_STATUS_LABELS
from supervision.rectification.models import (
    FINDING_STATUSES,
    Finding,
    Inspection,
    RectificationMeasure,
)

MEASURE = "rectification_measure"
INSPECTION = "inspection"
OBJECT_TYPES = (MEASURE, INSPECTION)
#: Measures falling due in the week listed one by one in a summary (the rest counted).
MAX_LISTED = 30
_DIGITS = "零一二三四五六七八九"


def finding_link(finding_id: int) -> str:
    """The path of a finding's page."""
    return f"/rectification/findings/{finding_id}"


def inspection_link(inspection_id: int) -> str:
    """The path of an inspection's ledger page."""
    return f"/rectification/{inspection_id}"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (measures are numbered 1…N, N small)."""
    if n < 10:
        return _DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")
    return str(n)


def measure_ordinal(number: int) -> str:
    """A measure as the notice writes it: 一是, 二是 … in Chinese; "measure 2" otherwise."""
    locale = get_locale()
    if locale is not None and locale.language == "zh":
        return chinese_number(number) + "是"
    return _("measure %(number)s", number=number)


def _short(text: str, limit: int = 40) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Names:
    """What the texts of rectification items need; `items` are steps or notifications."""

    def __init__(self, session: Session, items: Iterable):
        items = list(items)
        ids = {_id(i.object_ref) for i in items if i.object_type == MEASURE} - {None}
        m = RectificationMeasure
        self.measures = {
            row.id: row
            for row in rows_in(
                session,
                sa.select(
                    m.id,
                    m.number,
                    m.description,
                    m.finding_id,
                    Finding.number.label("finding_number"),
                    Finding.title,
                    Inspection.name.label("inspection"),
                )
                .join(Finding, Finding.id == m.finding_id)
                .join(Inspection, Inspection.id == Finding.inspection_id),
                m.id,
                ids,
            )
        }
        self.summaries: dict[tuple[int, date], dict] = {}
        wanted = {
            (_id(i.object_ref), i.due_on)
            for i in items
            if i.object_type == INSPECTION and i.due_on is not None
        }
        for inspection_id, day in sorted(w for w in wanted if w[0] is not None):
            inspection = session.get(Inspection, inspection_id)
            if inspection is not None:
                self.summaries[(inspection_id, day)] = _summary(session, inspection, day)

    def knows(self, item) -> bool:
        """Whether a measure's texts can be composed (the measure still exists)."""
        return item.due_on is not None and _id(item.object_ref) in self.measures


def _id(ref: str) -> int | None:
    try:
        return int(ref)
    except (TypeError, ValueError):
        return None


def _summary(session: Session, inspection: Inspection, day: date) -> dict:
    """The summary figures as of `day`, with the measures due in `day`'s ISO week."""
    data = figures.summary(session, inspection, day)
    monday = day - timedelta(days=day.weekday())
    m = RectificationMeasure
    data["name"] = inspection.name
    data["week"] = (monday, monday + timedelta(days=6))
    data["due_this_week"] = session.execute(
        sa.select(
            m.number,
            m.description,
            m.due_on,
            m.status,
            Finding.number.label("finding_number"),
            Finding.title,
        )
        .join(Finding, Finding.id == m.finding_id)
        .where(
            Finding.inspection_id == inspection.id,
            m.due_on >= monday,
            m.due_on <= monday + timedelta(days=6),
        )
        .order_by(m.due_on, Finding.number, m.number)
    ).all()
    return data


def compose(step, names) -> tuple[str, str, str]:
    """(subject, body, link) of a rectification notification (`names`: a texts.Names whose
    `rectification` is this module's Names)."""
    own: Names = names.rectification
    if step.object_type == INSPECTION:
        return _compose_summary(step, own)
    row = own.measures.get(_id(step.object_ref))
    if row is None:
        return "", "", ""
    values = {
        "number": row.finding_number,
        "title": _short(row.title),
        "measure": measure_ordinal(row.number),
        "text": _short(row.description, 80),
        "inspection": row.inspection,
        "date": step.due_on.isoformat(),
    }
    owner = names.people.get(step.conductor_id) if step.conductor_id else None
    if step.step == "upcoming":
        subject = _(
            "Rectification due soon: %(measure)s of problem %(number)s \u201c%(title)s\u201d "
            "is due on %(date)s",
            **values,
        )
        body = _(
            "The rectification measure %(measure)s of problem %(number)s \u201c%(title)s\u201d "
            "(%(inspection)s) must be completed by %(date)s: %(text)s",
            **values,
        )
    elif step.step == "overdue":
        subject = _(
            "Rectification overdue: %(measure)s of problem %(number)s \u201c%(title)s\u201d "
            "was due on %(date)s",
            **values,
        )
        body = _(
            "The rectification measure %(measure)s of problem %(number)s \u201c%(title)s\u201d "
            "(%(inspection)s) was due on %(date)s and is not done: %(text)s. Please complete "
            "it and record its result.",
            **values,
        )
    elif owner:
        values["owner"] = owner
        subject = _(
            "Rectification under supervision: %(owner)s has not completed %(measure)s of "
            "problem %(number)s \u201c%(title)s\u201d (due %(date)s)",
            **values,
        )
        body = _(
            "%(owner)s was to complete the rectification measure %(measure)s of problem "
            "%(number)s \u201c%(title)s\u201d (%(inspection)s) by %(date)s and has not: "
            "%(text)s.",
            **values,
        )
    else:
        subject = _(
            "Rectification under supervision: %(measure)s of problem %(number)s "
            "\u201c%(title)s\u201d is still not done (due %(date)s)",
            **values,
        )
        body = _(
            "The rectification measure %(measure)s of problem %(number)s \u201c%(title)s\u201d "
            "(%(inspection)s) was due on %(date)s and is still not done: %(text)s.",
            **values,
        )
    return subject, body, finding_link(row.finding_id)


def feed_title(step, names) -> str:
    """The calendar event's title of a measure the reader owns."""
    row = names.rectification.measures.get(_id(step.object_ref))
    if row is None:
        return ""
    return _(
        "Rectification measure due: %(measure)s of problem %(number)s \u201c%(title)s\u201d",
        measure=measure_ordinal(row.number),
        number=row.finding_number,
        title=_short(row.title),
    )


def _compose_summary(step, own: Names) -> tuple[str, str, str]:
    data = own.summaries.get((_id(step.object_ref), step.due_on))
    link = inspection_link(int(step.object_ref))
    if data is None:
        return "", "", link
    subject = _(
        "Weekly rectification summary %(week)s: %(name)s, %(overdue)s overdue measures",
        week=step.period,
        name=data["name"],
        overdue=data["overdue_measures"],
    )
    return subject, summary_body(data), link


def _statuses(counts: dict) -> str:
    return _("; ").join(
        _("%(status)s %(count)s", status=FINDING_STATUS_LABELS[s], count=counts[s])
        for s in FINDING_STATUSES
    )


def summary_body(data: dict) -> str:
    """The text of a weekly summary from its figures (figures.summary plus the week)."""
    first, last = data["week"]
    lines = [
        _(
            "Rectification of %(name)s as of %(date)s (week %(first)s to %(last)s).",
            name=data["name"],
            date=data["as_of"],
            first=first.isoformat(),
            last=last.isoformat(),
        ),
        "",
        _(
            "Problems: %(count)s (%(statuses)s; long-term %(long_term)s); overdue problems: "
            "%(overdue)s.",
            count=data["findings"],
            statuses=_statuses(data["by_status"]),
            long_term=data["long_term"],
            overdue=data["overdue_findings"],
        ),
        _(
            "Measures: %(count)s, done %(done)s, overdue %(overdue)s.",
            count=data["measures"],
            done=data["measures_done"],
            overdue=data["overdue_measures"],
        ),
    ]
    if data["units"]:
        lines += ["", _("By lead unit:")]
        for row in data["units"]:
            lines.append(
                "- "
                + _(
                    "%(unit)s: problems %(count)s, overdue %(overdue)s; measures %(measures)s, "
                    "done %(done)s, overdue %(overdue_measures)s",
                    unit=row["lead_unit_name"] or _("No lead unit"),
                    count=row["findings"],
                    overdue=row["overdue_findings"],
                    measures=row["measures"],
                    done=row["measures_done"],
                    overdue_measures=row["overdue_measures"],
                )
            )
    due = data["due_this_week"]
    lines.append("")
    if due:
        done = sum(1 for r in due if r.status == "done")
        lines.append(
            _("Measures due this week: %(count)s (done %(done)s):", count=len(due), done=done)
        )
        for r in due[:MAX_LISTED]:
            lines.append(
                "- "
                + _(
                    "problem %(number)s \u201c%(title)s\u201d, %(measure)s (%(date)s, %(status)s): "
                    "%(text)s",
                    number=r.finding_number,
                    title=_short(r.title),
                    measure=measure_ordinal(r.number),
                    date=r.due_on.isoformat(),
                    status=_("done") if r.status == "done" else _("not done"),
                    text=_short(r.description, 60),
                )
            )
        if len(due) > MAX_LISTED:
            lines.append(_("… and %(count)s more.", count=len(due) - MAX_LISTED))
    else:
        lines.append(_("No measures fall due this week."))
    return "\n".join(lines)


def group_title(step: str, object_type: str, unit: str, count: int) -> str | None:
    """The inbox group title of rectification items ("治安大队 3 项整改措施逾期"), else None."""
    values = {"unit": unit, "count": count}
    if object_type == MEASURE:
        if step == "upcoming":
            return _("%(unit)s: %(count)s rectification measures due soon", **values)
        if step == "overdue":
            return _("%(unit)s: %(count)s rectification measures overdue", **values)
        return _("%(unit)s: %(count)s rectification measures overdue, under supervision", **values)
    if object_type == INSPECTION:
        return _("Weekly rectification summaries: %(count)s", count=count)
    return None
