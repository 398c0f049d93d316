"""Risk inventory import page: upload an 排查清单 (.xlsx/CSV), see the summary or the errors,
download a template with the SPEC §9 headers."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField

from supervision.common.permissions import requires
from supervision.common.spreadsheet import send_xlsx
from supervision.common.uploads import import_from_page
from supervision.extensions import db
from supervision.org.models import OrgUnit
from supervision.org.scope import current_risk_scope
from supervision.risks import import_io, importer
from supervision.risks.settings import get_risk_settings

bp = Blueprint("risk_import", __name__)


class InventoryUploadForm(FlaskForm):
    """An .xlsx workbook or CSV file, optionally validated only."""

    file = FileField(_l("File (.xlsx or .csv)"), validators=[FileRequired(_l("Choose a file."))])
    dry_run = BooleanField(_l("Validate only (write nothing)"))


@bp.route("/risks/import", methods=["GET", "POST"])
@login_required
@requires("risks.edit")
def index():
    """Upload form; after a POST, the import summary or the table of errors."""
    form = InventoryUploadForm()
    summary, errors, message, status = None, None, None, 200
    if form.validate_on_submit():
        upload = form.file.data
        summary, errors, message, status = import_from_page(
            lambda: importer.import_inventory(
                db.session,
                upload.filename or "",
                upload.read(),
                current_risk_scope(),
                dry_run=form.dry_run.data,
            ),
            form.dry_run.data,
        )
    pairs = {
        lvl: import_io.pair_for_level(lvl, get_risk_settings(db.session))
        for lvl in ("high", "medium", "low")
    }
    return render_template(
        "risk_import/index.html",
        form=form,
        summary=summary,
        errors=errors,
        message=message,
        columns=_columns(),
        pairs=pairs,
    ), status


def _columns() -> list[tuple[str, list[str], object]]:
    """(header, other accepted headers, explanation) for each column."""
    aliases: dict[str, list[str]] = {c: [] for c in import_io.COLUMNS}
    for text, name in import_io.HEADER_ALIASES.items():
        if text != import_io.LABELS[name]:
            aliases[name].append(text)
    return [(import_io.LABELS[c], aliases[c], _explanations()[c]) for c in import_io.COLUMNS]


def _explanations() -> dict[str, str]:
    return {
        "seq": _("Ignored."),
        "org_unit": _("Unit code or exact unit name (required)."),
        "post": _("Post code or post name within the unit; empty for a unit-wide risk."),
        "category": _(
            "思想道德, 岗位职责, 业务流程, 制度机制 or 外部环境 (or the code); "
            "required for a new risk point."
        ),
        "title": _(
            "The risk point (required). Unit, post and risk point identify a point: a row "
            "matching a current point updates it."
        ),
        "manifestation": _("How the risk shows (optional)."),
        "level": _(
            "一级/高, 二级/中 or 三级/低. With 可能性 and 影响程度 it must agree with them; "
            "alone, a likelihood and impact of that level are used."
        ),
        "measures": _(
            "Several measures in one cell: one per line or numbered 1. 2、 （1） …; "
            "each becomes an open measure owned by the department head."
        ),
        "department_owner": _(
            "Staff number, or a name only one person bears; empty: the unit's head."
        ),
        "responsible_leader": _(
            "Staff number, or a name only one person bears; empty: the unit's supervising leader."
        ),
        "likelihood": _("Optional, 1–5."),
        "impact": _("Optional, 1–5."),
    }


@bp.get("/risks/import/template.xlsx")
@login_required
@requires("risks.edit")
def template():
    """Download an empty inventory workbook with the §9 headers and instructions."""
    notes = [(_("Column"), _("How to fill it in"))]
    notes += [(header, explanation) for header, _aliases, explanation in _columns()]
    top = db.session.scalar(
        sa.select(OrgUnit.name)
        .where(current_risk_scope().unit_clause(OrgUnit))
        .order_by(OrgUnit.depth)
        .limit(1)
    )
    data = import_io.template_workbook(notes, f"{top or ''}廉政风险点排查清单")
    return send_xlsx(data, _("risk-inventory-template") + ".xlsx", "risk-inventory-template.xlsx")
