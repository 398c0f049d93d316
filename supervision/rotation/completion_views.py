"""The 应轮尽轮 page: people rotated in a period against those still due, per unit.

A thin view over supervision.rotation.completion for the roles that read rotation (admin,
hr, the discipline roles; others 403): period and unit filters, the table per direct child
unit with drill-down, the four lists of people (one shown at a time, paginated), and the
PDF / Excel downloads of the same figures.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from supervision.common import clock
from supervision.common.errors import Invalid
from supervision.common.pages import DEFAULT_PER_PAGE, PageResult, int_arg, page_arg
from supervision.common.periods import Period
from supervision.common.permissions import requires
from supervision.extensions import db
from supervision.org import queries as org_queries
from supervision.org.models import OrgUnit
from supervision.org.scope import current_scope, unit_in_scope
from supervision.rotation import completion
from supervision.rotation.labels import COMPLETION_LIST_LABELS, RATE_NOTE

bp = Blueprint("rotation_completion", __name__, url_prefix="/rotation/completion")


def person_url(person_id: int) -> str | None:
    """The person's rotation page, when that page exists."""
    if "rotation.person" in current_app.view_functions:
        return url_for("rotation.person", person_id=person_id)
    return None


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
    unit = unit_in_scope(scope, int_arg("org_unit_id"))
    context = {
        "period_text": text,
        "unit": unit,
        "shown": shown,
        "today": today,
        "units": org_queries.indented_units(scope),
        "trail": org_queries.trail(scope, unit),
        "list_titles": {k: str(v) for k, v in COMPLETION_LIST_LABELS.items()},
        "rate_note": str(RATE_NOTE),
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
