"""The 应轮尽轮 page: people rotated in a period against those still due, per unit.

A thin view over supervision.rotation.completion for the roles that read rotation (admin,
hr, the discipline roles; others 403): period and unit filters, the table per direct child
unit with drill-down, the four lists of people (one shown at a time, paginated), and the
PDF / Excel downloads of the same figures.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from supervision.common import clock
from supervision.common.api import MAX_ID
from supervision.common.errors import Invalid, NotFound
from supervision.common.pages import DEFAULT_PER_PAGE, PageResult, page_arg
from supervision.common.periods import Period
from supervision.common.permissions import requires
from supervision.extensions import db
from supervision.org.models import OrgUnit
from supervision.org.paths import path_ids
from supervision.org.scope import Scope, current_scope
from supervision.reports.rotation_completion import list_titles, rate_note
from supervision.rotation import completion

bp = Blueprint("rotation_completion", __name__, url_prefix="/rotation/completion")


def person_url(person_id: int) -> str | None:
    """The person's rotation page, when that page exists."""
    if "rotation.person" in current_app.view_functions:
        return url_for("rotation.person", person_id=person_id)
    return None


def _unit_choices(scope: Scope) -> list[tuple[int, str]]:
    """(id, indented name) of the units in scope, in tree order (one query)."""
    units = db.session.execute(
        sa.select(OrgUnit.id, OrgUnit.name, OrgUnit.depth)
        .where(scope.unit_clause())
        .order_by(OrgUnit.path)
    ).all()
    base = min((u.depth for u in units), default=0)
    return [(u.id, "\u3000" * (u.depth - base) + u.name) for u in units]


def _trail(scope: Scope, unit: OrgUnit | None) -> list[tuple[int, str]]:
    """(id, name) of the unit's ancestors in scope, then the unit: the breadcrumbs."""
    if unit is None:
        return []
    ids = path_ids(unit.path)
    found = dict(
        db.session.execute(
            sa.select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(ids), scope.unit_clause())
        ).all()
    )
    return [(i, found[i]) for i in ids if i in found]


def _unit_arg() -> int | None:
    value = request.args.get("org_unit_id", type=int)
    return value if value is not None and 1 <= value <= MAX_ID else None


@bp.get("/")
@login_required
@requires("rotation.read")
def index():
    """The figures of a period (default: the current year) for a unit, with the lists."""
    scope = current_scope()
    today = clock.today()
    text = request.args.get("period", "").strip()[:16] or str(today.year)
    shown = request.args.get("list", "due")
    shown = shown if shown in completion.CATEGORIES else "due"
    try:
        unit = completion.get_unit(db.session, scope, _unit_arg())
    except NotFound:
        abort(404)
    context = {
        "period_text": text,
        "unit": unit,
        "shown": shown,
        "today": today,
        "units": _unit_choices(scope),
        "trail": _trail(scope, unit),
        "list_titles": list_titles(),
        "rate_note": rate_note(),
        "person_url": person_url,
        "period_error": None,
        "figures": None,
    }
    try:
        period = completion.parse_period(text)
    except Invalid as exc:
        context["period_error"] = exc.errors["period"][0]
        return render_template("rotation/completion.html", **context), 422
    figures = completion.compute(db.session, period, unit=unit, scope=scope, today=today)
    people = figures["people"][shown]
    per = DEFAULT_PER_PAGE
    page = min(page_arg(), max(1, -(-len(people) // per)))
    context.update(
        period=period,
        figures=figures,
        current=Period("year", today.year),
        page=PageResult(people[(page - 1) * per : page * per], len(people), page, per),
        downloads=_downloads(period, unit),
    )
    return render_template("rotation/completion.html", **context)


def _downloads(period: Period, unit: OrgUnit | None) -> list[tuple[str, str]]:
    """(label, URL) of the report files for the same selection."""
    args = {"period": str(period)}
    if unit is not None:
        args["org_unit_id"] = unit.id
    return [
        (_("Download PDF"), url_for("rotation_reports_api.rotation_completion_pdf", **args)),
        (_("Download Excel"), url_for("rotation_reports_api.rotation_completion_xlsx", **args)),
    ]
