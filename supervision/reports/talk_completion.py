"""The talk completion report (谈话完成情况通报, SPEC §9): per unit required / done / late /
overdue / rate for a period, and the list of overdue and escalated obligations.

Figures come from the obligations engine (supervision.obligations.engine.summary), so the
report equals GET /obligations/summary for the same query and scope; without a unit, the
report breaks the scope down by the units one level below its top (the bureau's departments
and stations, SPEC §9) rather than listing the top unit alone. The list comes from one run
of the engine over the same people. An overdue obligation is escalated from
the Nth working day after its due date (the `escalated` step of the reminder ladder, 10 by default,
SPEC §8), counted on the working-day calendar (supervision.calendar).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from supervision.calendar.services import load_calendar
from supervision.common import clock, pdf
from supervision.common.downloads import FileName
from supervision.obligations import engine
from supervision.obligations.settings import get_obligation_settings
from supervision.org.models import OrgUnit, Person
from supervision.org.paths import ancestor_ids
from supervision.org.scope import Scope, unit_in_scope
from supervision.reminders.settings import get_reminder_settings
from supervision.reports import export as export_
from supervision.reports import xlsx
from supervision.reports.xlsx import write_sheet
from supervision.talks.labels import TALK_TYPE_LABELS

UNIT_COLUMNS = (
    _l("Unit"),
    _l("Required"),
    _l("Done in time"),
    _l("Done late"),
    _l("Overdue, not held"),
    _l("Not yet due"),
    _l("Completion rate"),
)
LIST_COLUMNS = (
    _l("No."),
    _l("Person"),
    _l("Unit"),
    _l("Talk type"),
    _l("Conductor"),
    _l("Due date"),
    _l("Escalated on"),
    _l("State"),
)


@dataclass(frozen=True)
class UnitLine:
    """One line of the per-unit table."""

    name: str
    required: int
    done: int
    done_late: int
    overdue: int
    pending: int
    rate: float | None

    @property
    def rate_text(self) -> str:
        """The completion rate as a percentage with one decimal ("—" when nothing is required)."""
        return "—" if self.rate is None else f"{self.rate * 100:.1f}%"


@dataclass(frozen=True)
class OverdueLine:
    """One overdue obligation."""

    person: str
    unit: str
    type_label: str
    conductor: str
    due_date: date
    escalation_date: date
    escalated: bool


@dataclass
class Completion:
    """The report: what it covers, the unit table, its total, and the overdue list."""

    title: str
    scope_line: str
    where: str
    period: str
    as_of: date
    total: UnitLine
    units: list[UnitLine] = field(default_factory=list)
    overdue: list[OverdueLine] = field(default_factory=list)
    params: dict = field(default_factory=dict)

    @property
    def escalated_count(self) -> int:
        """How many overdue obligations are escalated."""
        return sum(1 for o in self.overdue if o.escalated)

    @property
    def download_name(self) -> FileName:
        """The download name without extension: where, what, when."""
        day = self.as_of.isoformat()
        return FileName(f"{self.where}{self.title}-{day}", f"talk-completion-{self.period}-{day}")


def _line(row: dict, name: str) -> UnitLine:
    return UnitLine(
        name,
        row["required"],
        row["done"],
        row["done_late"],
        row["overdue"],
        row["pending"],
        row["completion_rate"],
    )


def build(
    session: Session,
    scope: Scope,
    *,
    period: str,
    type_: str | None = None,
    org_unit_id: int | None = None,
    as_of: date | None = None,
) -> Completion:
    """Gather the completion figures and the overdue list of a period within `scope`."""
    as_of = as_of or clock.today()
    settings = get_obligation_settings(session)
    parsed, types = engine.resolve(period, type_, settings)
    unit = unit_in_scope(scope, org_unit_id, "org_unit_id") or scope_top(session, scope)
    summary = engine.summary(session, parsed, types, as_of=as_of, unit=unit, scope=scope)
    rows = engine.compute(
        session,
        parsed,
        types,
        as_of=as_of,
        scope=scope,
        settings=settings,
        unit_path=unit.path if unit is not None else None,
    )
    late = [r for r in rows if r.status == "overdue"]
    names, units = _names(session, late)
    calendar = load_calendar(session, parsed.due_date, parsed.due_date)
    # The `escalated` step of the reminder ladder (SPEC §8), with its configured offset.
    offset = get_reminder_settings(session)["escalated_working_days"]
    escalation = calendar.working_days_after(parsed.due_date, offset)
    overdue = [
        OverdueLine(
            person=names.get(r.person_id, str(r.person_id)),
            unit=units.get(r.org_unit_id, ""),
            type_label=str(TALK_TYPE_LABELS.get(r.type, r.type)),
            conductor=names.get(r.conductor_id, "") if r.conductor_id else "",
            due_date=r.due_date,
            escalation_date=escalation,
            escalated=as_of >= escalation,
        )
        for r in late
    ]
    overdue.sort(key=lambda o: (not o.escalated, o.unit, o.person))
    kinds = "、".join(str(TALK_TYPE_LABELS.get(t, t)) for t in types)
    where = (
        unit.name
        if unit is not None
        else (_("Whole organisation") if scope.everything else _("Your units"))
    )
    return Completion(
        title=_("Talk completion report for %(period)s", period=str(parsed)),
        scope_line=_(
            "%(where)s · %(types)s · as of %(date)s",
            where=where,
            types=kinds,
            date=as_of.isoformat(),
        ),
        where=where,
        period=str(parsed),
        as_of=as_of,
        total=_line(summary["total"], _("Total")),
        units=[_line(u, u["org_unit_name"]) for u in summary["units"]],
        overdue=overdue,
        params={
            "period": str(parsed),
            "type": type_,
            "org_unit_id": org_unit_id,
            "as_of": as_of.isoformat(),
        },
    )


def scope_top(session: Session, scope: Scope) -> OrgUnit | None:
    """The one unit at the top of `scope` (the bureau for the discipline roles, the unit a
    leader heads), whose direct children the report lists by default (SPEC §9); None when
    the scope has several tops or none."""
    stmt = sa.select(OrgUnit).order_by(OrgUnit.path)
    if scope.everything:
        tops = session.scalars(stmt.where(OrgUnit.parent_id.is_(None)).limit(2)).all()
    else:
        units = session.scalars(stmt.where(scope.unit_clause())).all()
        ids = {u.id for u in units}
        tops = [u for u in units if not any(a in ids for a in ancestor_ids(u.path))]
    return tops[0] if len(tops) == 1 else None


def _names(session: Session, rows) -> tuple[dict[int, str], dict[int, str]]:
    """({person id: name}, {unit id: name}) of the people, conductors and units of `rows`."""
    ids = {r.person_id for r in rows} | {r.conductor_id for r in rows if r.conductor_id}
    unit_ids = {r.org_unit_id for r in rows}
    people = (
        dict(session.execute(sa.select(Person.id, Person.name).where(Person.id.in_(ids))).all())
        if ids
        else {}
    )
    units = (
        dict(
            session.execute(
                sa.select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(unit_ids))
            ).all()
        )
        if unit_ids
        else {}
    )
    return people, units


def state_text(line: OverdueLine) -> str:
    """ "How far an overdue obligation has gone: escalated or overdue."""
    return _("Escalated") if line.escalated else _("Overdue, not held")


def render_pdf(report: Completion, generated_at: datetime | None = None) -> bytes:
    """The report as a portrait A4 PDF."""
    return pdf.render_pdf(
        "pdf/talk_completion.html",
        title=report.title,
        report=report,
        unit_columns=[str(c) for c in UNIT_COLUMNS],
        list_columns=[str(c) for c in LIST_COLUMNS],
        state_text=state_text,
        generated_at=generated_at,
    )


def render_xlsx(report: Completion, generated_at: datetime | None = None) -> bytes:
    """The report as .xlsx: a sheet of unit figures and a sheet of overdue obligations."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from supervision.common.spreadsheet import neutralise

    generated_at = generated_at or clock.now()
    generated = _(
        "Generated at %(time)s", time=clock.local(generated_at).strftime("%Y-%m-%d %H:%M")
    )
    wb = Workbook()
    wb.properties.title = report.title
    subtitle = f"{report.scope_line}    {generated}"

    def header(ws, columns, widths):
        write_sheet(ws, report.title, subtitle, columns, widths, [])

    ws = wb.active
    ws.title = _("Completion")[:31]
    header(ws, UNIT_COLUMNS, (24, 10, 10, 10, 10, 10, 12))
    for line in [*report.units, report.total]:
        ws.append(
            [
                neutralise(line.name),
                line.required,
                line.done,
                line.done_late,
                line.overdue,
                line.pending,
                line.rate,
            ]
        )
        ws.cell(ws.max_row, 7).number_format = "0.0%"
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    ws2 = wb.create_sheet(_("Overdue list")[:31])
    header(ws2, LIST_COLUMNS, (6, 12, 22, 20, 12, 12, 12, 10))
    for n, line in enumerate(report.overdue, start=1):
        ws2.append(
            [
                n,
                neutralise(line.person),
                neutralise(line.unit),
                line.type_label,
                neutralise(line.conductor),
                line.due_date,
                line.escalation_date,
                state_text(line),
            ]
        )
        for col in (6, 7):
            ws2.cell(ws2.max_row, col).number_format = "yyyy-mm-dd"
    return xlsx.save(wb)


def export(
    session: Session,
    scope: Scope,
    fmt: str,
    *,
    period: str,
    type_: str | None = None,
    org_unit_id: int | None = None,
    as_of: date | None = None,
) -> tuple[bytes, str, FileName]:
    """Build and render the report and audit the export: (content, mimetype, file name)."""
    export_.check_format(fmt)
    report = build(session, scope, period=period, type_=type_, org_unit_id=org_unit_id, as_of=as_of)
    content, mime = export_.render(fmt, report, render_pdf, render_xlsx)
    export_.audit(session, "talk-completion", fmt, report.params, overdue=len(report.overdue))
    return content, mime, report.download_name.with_suffix(f".{fmt}")
