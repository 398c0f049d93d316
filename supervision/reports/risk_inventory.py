"""The integrity-risk inventory report (排查清单, SPEC §9): gather rows, render PDF or .xlsx.

Two sources: a unit's current inventory (the unit and its subtree, live points, not
retired), or the inventory as approved in a campaign (the frozen RiskApproval rows,
optionally narrowed to a unit's subtree). Both become the same rows, so the PDF and the
workbook are laid out identically whichever the source.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from supervision.common import clock, pdf
from supervision.common.downloads import FileName
from supervision.common.errors import Invalid, NotFound
from supervision.org.models import OrgUnit
from supervision.org.scope import Scope, unit_in_scope
from supervision.reports import export as export_
from supervision.reports import xlsx
from supervision.risks import queries, rules
from supervision.risks.labels import RISK_CATEGORY_LABELS, RISK_LEVEL_LABELS
from supervision.risks.models import RiskCampaign
from supervision.risks.services import frozen_data
from supervision.risks.settings import get_risk_settings

COLUMNS = (
    _l("No."),
    _l("Unit"),
    _l("Post"),
    _l("Risk category"),
    _l("Risk point"),
    _l("Manifestation"),
    _l("Risk level"),
    _l("Control measures"),
    _l("Department head"),
    _l("Responsible leader"),
)
LEVEL_ORDER = {"high": 0, "medium": 1, "low": 2}
#: Rows estimated taller than this many lines of the PDF (about half a landscape page) may split.
LONG_ROW_LINES = 20


@dataclass(frozen=True)
class MeasureLine:
    """One control measure as printed."""

    description: str
    owner: str
    due_on: date | None
    done: bool
    overdue: bool

    def text(self) -> str:
        """The measure with its owner, due date and state, on one line."""
        extras = []
        if self.owner:
            extras.append(_("owner: %(name)s", name=self.owner))
        if self.due_on:
            extras.append(_("due %(date)s", date=self.due_on.isoformat()))
        if self.done:
            extras.append(_("done"))
        elif self.overdue:
            extras.append(_("overdue"))
        return self.description + (
            _("(%(details)s)", details=_("; ").join(extras)) if extras else ""
        )


@dataclass(frozen=True)
class Row:
    """One line of the inventory table."""

    unit: str
    post: str
    category: str
    title: str
    manifestation: str
    level: str
    level_code: str
    measures: tuple[MeasureLine, ...]
    department_owner: str
    responsible_leader: str

    @property
    def is_long(self) -> bool:
        """Whether the row may fill half a page: such rows may split across pages rather
        than leave a half-empty page behind (shorter rows are kept whole)."""

        def lines(text: str, per_line: int) -> int:
            return -(-len(text) // per_line)

        estimate = max(
            lines(self.manifestation, 14),
            lines(self.title, 9),
            sum(lines(m.text(), 18) for m in self.measures),
        )
        return estimate > LONG_ROW_LINES


@dataclass
class Inventory:
    """The report: its title, what it covers, and its rows."""

    title: str
    source_line: str
    as_of: date
    rows: list[Row] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    filename: str = "risk-inventory"


def _parse_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def row_from_data(data: dict[str, Any], as_of: date) -> Row:
    """A table row from a point's frozen (or freshly resolved) data."""
    measures = []
    for m in data.get("measures") or []:
        due = _parse_date(m.get("due_on"))
        done = m.get("status") == "done"
        measures.append(
            MeasureLine(
                m.get("description") or "",
                m.get("owner") or "",
                due,
                done,
                overdue=not done and due is not None and due < as_of,
            )
        )
    level = data.get("level") or "low"
    return Row(
        unit=data.get("org_unit") or "",
        post=data.get("post") or "",
        category=str(RISK_CATEGORY_LABELS.get(data.get("category"), data.get("category") or "")),
        title=data.get("title") or "",
        manifestation=data.get("manifestation") or "",
        level=str(RISK_LEVEL_LABELS.get(level, level)),
        level_code=level,
        measures=tuple(measures),
        department_owner=data.get("department_owner") or "",
        responsible_leader=data.get("responsible_leader") or "",
    )


def build(
    session: Session,
    scope: Scope,
    *,
    org_unit_id: int | None = None,
    campaign_id: int | None = None,
    as_of: date | None = None,
) -> Inventory:
    """Gather the inventory of a unit (live) or of a campaign (as approved), within `scope`."""
    if org_unit_id is None and campaign_id is None:
        message = _(
            "Give org_unit_id (the current inventory of a unit) or campaign_id "
            "(the inventory as approved in a campaign)."
        )
        raise Invalid(message, {"org_unit_id": [message], "campaign_id": [message]})
    as_of = as_of or clock.today()
    params = {"org_unit_id": org_unit_id, "campaign_id": campaign_id, "as_of": as_of.isoformat()}
    unit = unit_in_scope(scope, org_unit_id, "org_unit_id") if org_unit_id is not None else None
    if campaign_id is None:
        return _live(session, scope, unit, as_of, params)
    campaign = session.get(RiskCampaign, campaign_id)
    if campaign is None:
        raise NotFound(_("No such campaign."), {"campaign_id": [_("No such campaign.")]})
    return _approved(session, scope, campaign, unit, as_of, params)


def _live(session: Session, scope: Scope, unit: OrgUnit, as_of: date, params: dict) -> Inventory:
    settings = get_risk_settings(session)
    points = session.scalars(queries.points(scope, settings, org_unit_id=unit.id)).all()
    rows = [
        row_from_data(frozen_data(p, rules.level(p.likelihood, p.impact, settings)), as_of)
        for p in points
    ]
    return Inventory(
        title=_("%(name)s integrity-risk inventory", name=unit.name),
        source_line=_(
            "Current inventory of %(unit)s and its subordinate units, as of %(date)s",
            unit=unit.name,
            date=as_of.isoformat(),
        ),
        as_of=as_of,
        rows=rows,
        params=params,
        filename=f"risk-inventory-unit-{unit.id}",
    )


def _approved(
    session: Session,
    scope: Scope,
    campaign: RiskCampaign,
    unit: OrgUnit | None,
    as_of: date,
    params: dict,
) -> Inventory:
    approvals = session.scalars(
        queries.approvals(scope, campaign.id, unit.id if unit else None)
    ).all()
    # The query orders by unit path; within a unit, list the higher levels first, as live.
    unit_rank: dict[int, int] = {}
    decoded = []
    for a in approvals:
        unit_rank.setdefault(a.org_unit_id, len(unit_rank))
        data = json.loads(a.data)
        decoded.append(
            (
                (unit_rank[a.org_unit_id], LEVEL_ORDER.get(data.get("level"), 3), a.risk_point_id),
                data,
            )
        )
    decoded.sort(key=lambda item: item[0])
    rows = [row_from_data(data, as_of) for _key, data in decoded]
    name = f"{campaign.name} · {unit.name}" if unit else campaign.name
    source = _(
        "As approved in the campaign %(campaign)s (%(year)s)",
        campaign=campaign.name,
        year=campaign.year,
    )
    if unit:
        source += _("; ") + _("%(unit)s and its subordinate units", unit=unit.name)
    # A campaign's name usually ends in 排查 already; naming it in brackets avoids
    # "…排查廉政风险点排查清单".
    return Inventory(
        title=_("Integrity-risk inventory (%(name)s)", name=name),
        source_line=source,
        as_of=as_of,
        rows=rows,
        params=params,
        filename=f"risk-inventory-campaign-{campaign.id}",
    )


def render_pdf(inventory: Inventory, generated_at: datetime | None = None) -> bytes:
    """The inventory as a landscape A4 PDF."""
    return pdf.render_pdf(
        "pdf/risk_inventory.html",
        title=inventory.title,
        inventory=inventory,
        columns=[str(c) for c in COLUMNS],
        generated_at=generated_at,
    )


XLSX_WIDTHS = (6, 16, 16, 11, 26, 34, 11, 50, 12, 12)


def render_xlsx(inventory: Inventory, generated_at: datetime | None = None) -> bytes:
    """The inventory as an .xlsx workbook: title, source line, styled frozen header, rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    from supervision.common.spreadsheet import neutralise

    generated_at = generated_at or clock.now()
    wb = Workbook()
    ws = wb.active
    ws.title = _("Risk inventory")[:31]
    wb.properties.title = inventory.title
    ncols = len(COLUMNS)
    last = get_column_letter(ncols)
    ws.append([neutralise(inventory.title)])
    ws.merge_cells(f"A1:{last}1")
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    generated = _(
        "Generated at %(time)s", time=clock.local(generated_at).strftime("%Y-%m-%d %H:%M")
    )
    ws.append([neutralise(f"{inventory.source_line}    {generated}")])
    ws.merge_cells(f"A2:{last}2")
    ws["A2"].alignment = Alignment(horizontal="center")
    ws.append([str(c) for c in COLUMNS])
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9E1F2")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
    wrap = Alignment(vertical="top", wrap_text=True)
    for n, row in enumerate(inventory.rows, start=1):
        measures = "\n".join(f"{i}. {m.text()}" for i, m in enumerate(row.measures, start=1))
        ws.append(
            [n]
            + [
                neutralise(v)
                for v in (
                    row.unit,
                    row.post,
                    row.category,
                    row.title,
                    row.manifestation,
                    row.level,
                    measures,
                    row.department_owner,
                    row.responsible_leader,
                )
            ]
        )
        for cell in ws[ws.max_row]:
            cell.alignment = wrap
            cell.border = border
    for i, width in enumerate(XLSX_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A4"
    ws.auto_filter.ref = f"A3:{last}{max(ws.max_row, 3)}"
    return xlsx.save(wb)


def export(
    session: Session,
    scope: Scope,
    fmt: str,
    *,
    org_unit_id: int | None = None,
    campaign_id: int | None = None,
    as_of: date | None = None,
) -> tuple[bytes, str, FileName]:
    """Build and render the report, and audit the export: (content, mimetype, file name)."""
    export_.check_format(fmt)
    inventory = build(session, scope, org_unit_id=org_unit_id, campaign_id=campaign_id, as_of=as_of)
    content, mime = export_.render(fmt, inventory, render_pdf, render_xlsx)
    export_.audit(session, "risk-inventory", fmt, inventory.params, rows=len(inventory.rows))
    day = inventory.as_of.isoformat()
    name = FileName(f"{inventory.title}-{day}", f"{inventory.filename}-{day}")
    return content, mime, name.with_suffix(f".{fmt}")
