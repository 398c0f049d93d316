"""Roster page: upload an .xlsx/CSV roster, see the summary or the errors, export, template."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import login_required

from supervision.common import clock
from supervision.common.permissions import requires
from supervision.common.spreadsheet import send_xlsx
from supervision.common.uploads import import_from_page
from supervision.extensions import db
from supervision.org import roster, roster_export
from supervision.org.roster_forms import RosterUploadForm
from supervision.org.roster_io import HEADER_LABELS, SHEET_COLUMNS
from supervision.org.roster_vocab import COLUMN_LABELS
from supervision.org.scope import current_scope

bp = Blueprint("roster", __name__)


@bp.route("/org/roster", methods=["GET", "POST"])
@login_required
@requires("org.write")
def index():
    """Upload form; after a POST, the import summary or the table of errors."""
    form = RosterUploadForm()
    summary, errors, message, status = None, None, None, 200
    if form.validate_on_submit():
        upload = form.file.data
        summary, errors, message, status = import_from_page(
            lambda: roster.import_roster(
                db.session,
                upload.filename or "",
                upload.read(),
                kind=form.kind.data or None,
                dry_run=form.dry_run.data,
            ),
            form.dry_run.data,
        )
    return render_template(
        "roster/index.html",
        form=form,
        summary=summary,
        errors=errors,
        message=message,
        sheets=SHEET_COLUMNS,
        labels=_header_labels(),
    ), status


def _header_labels() -> dict[str, dict[str, list[str]]]:
    """The headers accepted for each column besides its field name: the office layout's
    (in the reader's language) first, then the other Chinese labels."""
    out: dict[str, dict[str, list[str]]] = {
        k: {c: [str(COLUMN_LABELS[k][c])] for c in cols} for k, cols in SHEET_COLUMNS.items()
    }
    for kind, labels in HEADER_LABELS.items():
        for label, name in labels.items():
            if label not in out[kind][name]:
                out[kind][name].append(label)
    return out


def _layout() -> str:
    """The layout asked for: the office layout unless `?layout=api`."""
    return "api" if request.args.get("layout") == "api" else "zh"


@bp.get("/org/roster/export.xlsx")
@login_required
@requires("org.write")
def export():
    """Download the roster in the caller's scope (audited), in the office layout unless
    `?layout=api`."""
    data = roster_export.export_roster(db.session, current_scope(), layout=_layout())
    db.session.commit()
    day = clock.today().isoformat()
    return send_xlsx(data, _("roster") + f"-{day}.xlsx", f"roster-{day}.xlsx")


@bp.get("/org/roster/template.xlsx")
@login_required
@requires("org.write")
def template():
    """Download an empty workbook: the office layout (with the scope's units and posts in
    its dropdowns and an instructions sheet) unless `?layout=api`."""
    if _layout() == "api":
        data = roster_export.template_workbook()
    else:
        data = roster_export.template_workbook(db.session, current_scope())
    return send_xlsx(data, _("roster-template") + ".xlsx", "roster-template.xlsx")
