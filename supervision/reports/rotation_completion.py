"""The 应轮尽轮 report of a period (SPEC §7, §9): per unit rotated / still due / deferred /
blocked and the rate, then the four lists of people.

Figures come from supervision.rotation.completion.compute, so the report always equals
GET /rotation/completion for the same query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from supervision.common import clock, pdf
from supervision.common.downloads import FileName
from supervision.org.scope import Scope, unit_in_scope
from supervision.reports import export as export_
from supervision.reports import xlsx
from supervision.reports.xlsx import write_sheet
from supervision.rotation import completion
from supervision.rotation.labels import COMPLETION_LIST_LABELS, RATE_NOTE

UNIT_COLUMNS = (
    _l("Unit"),
    _l("Rotated"),
    _l("Still due"),
    _l("Deferred"),
    _l("Blocked"),
    _l("Rotation rate"),
)
PERSON_COLUMNS = (
    _l("No."),
    _l("Unit"),
    _l("Full name"),
    _l("Staff number"),
    _l("Post"),
    _l("Rotation due date"),
)
LEFT_COLUMN = _l("Left the post on")


def rate_text(rate: float | None) -> str:
    """A rate as a percentage with one decimal ("—" when there is none)."""
    return "—" if rate is None else f"{rate * 100:.1f}%"


@dataclass(frozen=True)
class UnitLine:
    """One line of the per-unit table."""

    name: str
    rotated: int
    due: int
    deferred: int
    blocked: int
    rate: float | None

    @property
    def rate_text(self) -> str:
        """The rate for display."""
        return rate_text(self.rate)


@dataclass
class Report:
    """The report: what it covers, the unit table, its total, the lists."""

    title: str
    scope_line: str
    period: str
    as_of: date
    total: UnitLine
    units: list[UnitLine] = field(default_factory=list)
    people: dict[str, list[dict]] = field(default_factory=dict)
    params: dict = field(default_factory=dict)

    @property
    def filename(self) -> str:
        """The download name without extension."""
        return f"rotation-completion-{self.period}-{self.as_of.isoformat()}"


def _line(row: dict, name: str) -> UnitLine:
    return UnitLine(name, row["rotated"], row["due"], row["deferred"], row["blocked"], row["rate"])


def build(
    session: Session,
    scope: Scope,
    *,
    period: str,
    org_unit_id: int | None = None,
    today: date | None = None,
) -> Report:
    """Gather the figures of a period within `scope` (422 bad period, 404 unknown unit)."""
    parsed = completion.parse_period(period)
    unit = unit_in_scope(scope, org_unit_id, "org_unit_id")
    out = completion.compute(session, parsed, unit=unit, scope=scope, today=today)
    units = [_line(u, u["org_unit_name"]) for u in out["units"]]
    if out["own_unit"] is not None:
        units.append(
            _line(out["own_unit"], _("%(unit)s (directly)", unit=out["own_unit"]["org_unit_name"]))
        )
    where = unit.name if unit is not None else _("Whole organisation")
    return Report(
        title=_("Rotation completion for %(period)s", period=str(parsed)),
        scope_line=_("%(where)s · as of %(date)s", where=where, date=out["as_of"].isoformat()),
        period=str(parsed),
        as_of=out["as_of"],
        total=_line(out["total"], _("Total")),
        units=units,
        people=out["people"],
        params={"period": str(parsed), "org_unit_id": org_unit_id},
    )


def list_titles() -> dict[str, str]:
    """The translated headings of the four lists, in order."""
    return {k: str(v) for k, v in COMPLETION_LIST_LABELS.items()}


def render_pdf(report: Report, generated_at: datetime | None = None) -> bytes:
    """The report as a portrait A4 PDF."""
    return pdf.render_pdf(
        "pdf/rotation_completion.html",
        title=report.title,
        report=report,
        unit_columns=[str(c) for c in UNIT_COLUMNS],
        person_columns=[str(c) for c in PERSON_COLUMNS],
        left_column=str(LEFT_COLUMN),
        list_titles=list_titles(),
        rate_note=str(RATE_NOTE),
        generated_at=generated_at,
    )


def render_xlsx(report: Report, generated_at: datetime | None = None) -> bytes:
    """The report as .xlsx: a sheet of unit figures and one sheet per list."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from supervision.common.spreadsheet import neutralise

    generated_at = generated_at or clock.now()
    subtitle = "{}    {}".format(
        report.scope_line,
        _("Generated at %(time)s", time=clock.local(generated_at).strftime("%Y-%m-%d %H:%M")),
    )
    wb = Workbook()
    wb.properties.title = report.title
    ws = wb.active
    ws.title = _("Rotation completion")[:31]
    write_sheet(
        ws,
        report.title,
        subtitle,
        UNIT_COLUMNS,
        (26, 10, 10, 10, 10, 14),
        [
            [neutralise(u.name), u.rotated, u.due, u.deferred, u.blocked, u.rate]
            for u in [*report.units, report.total]
        ],
    )
    for row in ws.iter_rows(min_row=4, min_col=6, max_col=6):
        row[0].number_format = "0.0%"
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for key, title in list_titles().items():
        columns = [*PERSON_COLUMNS, LEFT_COLUMN] if key == "rotated" else PERSON_COLUMNS
        rows = []
        for n, p in enumerate(report.people.get(key, []), start=1):
            values = [
                n,
                neutralise(p["org_unit_name"]),
                neutralise(p["name"]),
                neutralise(p["staff_no"]),
                neutralise(p["post_name"]),
                p["due_on"],
            ]
            if key == "rotated":
                values.append(p["left_on"])
            rows.append(values)
        sheet = wb.create_sheet(title[:31])
        write_sheet(sheet, title, subtitle, columns, (6, 22, 12, 12, 22, 12, 12), rows)
    return xlsx.save(wb)


def export(
    session: Session, scope: Scope, fmt: str, *, period: str, org_unit_id: int | None = None
) -> tuple[bytes, str, FileName]:
    """Build and render the report and audit the export: (content, mimetype, file name)."""
    export_.check_format(fmt)
    report = build(session, scope, period=period, org_unit_id=org_unit_id)
    content, mime = export_.render(fmt, report, render_pdf, render_xlsx)
    export_.audit(
        session,
        "rotation-completion",
        fmt,
        report.params,
        as_of=report.as_of.isoformat(),
        **{k: len(v) for k, v in report.people.items()},
    )
    name = FileName(f"{report.title}-{report.as_of.isoformat()}", report.filename)
    return content, mime, name.with_suffix(f".{fmt}")
