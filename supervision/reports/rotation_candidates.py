"""The list of rotation candidates for the party committee (轮岗交流人选名单, SPEC §9).

One row per person and sensitive or leadership post from the eligibility engine as of a
date: by default the people who are `due` or `upcoming`, then a second table of the people
whose threshold is reached but who are deferred, blocked or already in an approved plan, so
that no exception is hidden from the committee. With `status` the list holds that status
only and the second table is left out.

A discipline hold prints only as "blocked by the discipline committee": the report never
reads a hold's reason, whoever asks for it (HR sees it, SPEC §4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from supervision.common import clock, pdf
from supervision.common.downloads import FileName
from supervision.org.labels import PERSONNEL_TYPE_LABELS
from supervision.org.scope import Scope, unit_in_scope
from supervision.reports import export as export_
from supervision.reports import xlsx
from supervision.reports.xlsx import write_sheet
from supervision.rotation import eligibility
from supervision.rotation.labels import ROTATION_REASON_LABELS, ROTATION_STATUS_LABELS

#: The statuses of the main list by default.
DEFAULT_STATUSES = ("due", "upcoming")
#: Statuses listed apart when the threshold is reached.
EXCEPTION_STATUSES = ("deferred", "blocked", "planned")

COLUMNS = (
    _l("No."),
    _l("Unit"),
    _l("Full name"),
    _l("Staff number"),
    _l("Personnel type"),
    _l("Post"),
    _l("Tenure start"),
    _l("Years in post"),
    _l("Rotation due date"),
    _l("Status"),
    _l("Remarks"),
)


def status_label(status: str) -> str:
    """The translated label of an eligibility status."""
    return str(ROTATION_STATUS_LABELS.get(status, status))


def remarks(row: eligibility.Row) -> str:
    """The translated reasons of a row; a deferral with its expiry, never a hold's reason."""
    parts = []
    for code in row.reasons:
        if code == "deferred" and row.deferral_expires_on is not None:
            parts.append(
                _(
                    "Deferred by the party committee until %(date)s",
                    date=row.deferral_expires_on.isoformat(),
                )
            )
        elif code == "near_retirement" and row.retirement_date is not None:
            parts.append(_("Near retirement (%(date)s)", date=row.retirement_date.isoformat()))
        else:
            parts.append(str(ROTATION_REASON_LABELS.get(code, code)))
    return "；".join(parts)


@dataclass(frozen=True)
class Line:
    """One printed row."""

    unit: str
    name: str
    staff_no: str
    personnel_type: str
    post: str
    tenure_start: date
    tenure_years: float
    due_on: date
    status: str
    status_text: str
    remarks: str

    @classmethod
    def of(cls, row: eligibility.Row) -> Line:
        """The printed form of an eligibility row."""
        return cls(
            row.org_unit_name,
            row.person_name,
            row.staff_no,
            str(PERSONNEL_TYPE_LABELS.get(row.personnel_type, row.personnel_type)),
            row.post_name,
            row.tenure_start,
            row.tenure_years,
            row.due_on,
            row.status,
            status_label(row.status),
            remarks(row),
        )


@dataclass
class Candidates:
    """The report: what it covers, the main list and the exceptions."""

    title: str
    scope_line: str
    as_of: date
    lines: list[Line] = field(default_factory=list)
    exceptions: list[Line] | None = None
    params: dict = field(default_factory=dict)

    @property
    def filename(self) -> str:
        """The download name without extension."""
        return f"rotation-candidates-{self.as_of.isoformat()}"


def build(
    session: Session,
    scope: Scope,
    *,
    org_unit_id: int | None = None,
    as_of: date | None = None,
    status: str | None = None,
) -> Candidates:
    """Gather the candidates as of a date within `scope` (404 for a unit outside it)."""
    as_of = as_of or clock.today()
    unit = unit_in_scope(scope, org_unit_id, "org_unit_id")
    rows = eligibility.compute(
        session,
        as_of,
        scope=scope,
        filters=eligibility.Filters(unit_path=unit.path if unit is not None else None),
    )
    wanted = (status,) if status else DEFAULT_STATUSES
    lines = [Line.of(r) for r in rows if r.status in wanted]
    exceptions = None
    if status is None:
        exceptions = [
            Line.of(r) for r in rows if r.status in EXCEPTION_STATUSES and r.due_on <= as_of
        ]
    where = unit.name if unit is not None else _("Whole organisation")
    shown = "、".join(status_label(s) for s in wanted)
    return Candidates(
        title=_("List of rotation candidates"),
        scope_line=_(
            "%(where)s · %(statuses)s · as of %(date)s",
            where=where,
            statuses=shown,
            date=as_of.isoformat(),
        ),
        as_of=as_of,
        lines=lines,
        exceptions=exceptions,
        params={"org_unit_id": org_unit_id, "as_of": as_of.isoformat(), "status": status},
    )


def render_pdf(report: Candidates, generated_at: datetime | None = None) -> bytes:
    """The list as a landscape A4 PDF."""
    return pdf.render_pdf(
        "pdf/rotation_candidates.html",
        title=report.title,
        report=report,
        columns=[str(c) for c in COLUMNS],
        exceptions_title=exceptions_title(),
        generated_at=generated_at,
    )


def _values(n: int, line: Line) -> list:
    from supervision.common.spreadsheet import neutralise

    return [
        n,
        neutralise(line.unit),
        neutralise(line.name),
        neutralise(line.staff_no),
        line.personnel_type,
        neutralise(line.post),
        line.tenure_start,
        line.tenure_years,
        line.due_on,
        line.status_text,
        neutralise(line.remarks),
    ]


def render_xlsx(report: Candidates, generated_at: datetime | None = None) -> bytes:
    """The list as .xlsx: the candidates, and the exceptions on a second sheet."""
    from openpyxl import Workbook

    generated_at = generated_at or clock.now()
    subtitle = "{}    {}".format(
        report.scope_line,
        _("Generated at %(time)s", time=clock.local(generated_at).strftime("%Y-%m-%d %H:%M")),
    )
    widths = (6, 22, 12, 12, 10, 22, 12, 10, 12, 12, 40)
    wb = Workbook()
    wb.properties.title = report.title
    ws = wb.active
    ws.title = _("Candidates")[:31]
    write_sheet(
        ws,
        report.title,
        subtitle,
        COLUMNS,
        widths,
        [_values(n, line) for n, line in enumerate(report.lines, start=1)],
    )
    if report.exceptions is not None:
        ws2 = wb.create_sheet(_("Exceptions")[:31])
        write_sheet(
            ws2,
            exceptions_title(),
            subtitle,
            COLUMNS,
            widths,
            [_values(n, line) for n, line in enumerate(report.exceptions, start=1)],
        )
    return xlsx.save(wb)


def exceptions_title() -> str:
    """The heading of the second table."""
    return _("Threshold reached but deferred, blocked or in an approved plan")


def export(
    session: Session,
    scope: Scope,
    fmt: str,
    *,
    org_unit_id: int | None = None,
    as_of: date | None = None,
    status: str | None = None,
) -> tuple[bytes, str, FileName]:
    """Build and render the list and audit the export: (content, mimetype, file name)."""
    export_.check_format(fmt)
    report = build(session, scope, org_unit_id=org_unit_id, as_of=as_of, status=status)
    content, mime = export_.render(fmt, report, render_pdf, render_xlsx)
    export_.audit(
        session,
        "rotation-candidates",
        fmt,
        report.params,
        rows=len(report.lines),
        exceptions=len(report.exceptions or []),
    )
    name = FileName(f"{report.title}-{report.as_of.isoformat()}", report.filename)
    return content, mime, name.with_suffix(f".{fmt}")
