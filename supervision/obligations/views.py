"""The discipline committee's completion dashboard of talk obligations (SPEC §6): the summary
by unit with drill-down, the people behind each count, waivers, and the obligation rules.

Thin views over supervision.obligations.engine. Who sees what follows the obligations API:
the discipline roles everything, leaders their scope (and what they conduct); hr, admin and
staff get 403. The rules page is for admin and the discipline secretary.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from supervision.common import clock
from supervision.common.errors import Conflict, Invalid
from supervision.common.forms import save_form
from supervision.common.pages import DEFAULT_PER_PAGE, PageResult, int_arg, page_arg
from supervision.common.periods import Period
from supervision.common.permissions import can, require
from supervision.extensions import db
from supervision.obligations import engine, rules
from supervision.obligations.forms import RulesForm, WaiverForm
from supervision.obligations.labels import (
    CONDUCTOR_LABELS,
    FREQUENCY_LABELS,
    OBLIGATION_STATUS_LABELS,
)
from supervision.obligations.permissions import readable_obligations
from supervision.obligations.services import create_waiver
from supervision.obligations.settings import get_obligation_settings, update_obligation_settings
from supervision.org import queries as org_queries
from supervision.org.labels import LEADERSHIP_LABELS
from supervision.org.models import OrgUnit, Person
from supervision.org.scope import unit_in_scope
from supervision.talks.labels import TALK_TYPE_LABELS

bp = Blueprint("obligations", __name__, url_prefix="/obligations")


@bp.context_processor
def _helpers():
    return {
        "type_labels": {t: TALK_TYPE_LABELS[t] for t in rules.OBLIGATION_TYPES},
        "status_labels": OBLIGATION_STATUS_LABELS,
        "conductor_labels": CONDUCTOR_LABELS,
        "kind_labels": FREQUENCY_LABELS,
        "leadership_labels": LEADERSHIP_LABELS,
        "talk_url": talk_url,
        "can_waive": can(current_user, "obligations.waive"),
    }


def talk_url(talk_id: int) -> str:
    """The talk's page (by URL while the talk pages may not be registered)."""
    try:
        return url_for("talks.detail", talk_id=talk_id)
    except BuildError:
        return f"/talks/{talk_id}"


def _selection(settings: dict) -> tuple[str, Period]:
    """The chosen type (integrity reminder by default) and period (the current one of the
    type's kind by default; 422 for a malformed period or one of another kind)."""
    type_ = request.args.get("type", "")
    if type_ not in rules.OBLIGATION_TYPES:
        type_ = rules.OBLIGATION_TYPES[0]
    text = request.args.get("period", "").strip()[:16]
    if not text:
        return type_, Period.of(clock.today(), settings[type_]["frequency"])
    period, _types = engine.resolve(text, type_, settings)
    return type_, period


def _people_page(rows: list, page: int) -> tuple[PageResult, dict, dict]:
    """One page of obligation rows, with the names of the people and units on it."""
    per = DEFAULT_PER_PAGE
    last = max(1, -(-len(rows) // per))
    page = min(page, last)
    items = rows[(page - 1) * per : page * per]
    ids = {r.person_id for r in items} | {r.conductor_id for r in items if r.conductor_id}
    people = (
        {
            pid: (name, staff_no)
            for pid, name, staff_no in db.session.execute(
                sa.select(Person.id, Person.name, Person.staff_no).where(Person.id.in_(ids))
            )
        }
        if ids
        else {}
    )
    unit_ids = {r.org_unit_id for r in items}
    units = (
        dict(
            db.session.execute(
                sa.select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(unit_ids))
            ).all()
        )
        if unit_ids
        else {}
    )
    return PageResult(items, len(rows), page, per), people, units


@bp.get("/")
@login_required
def index():
    """Completion by direct child unit for a type and period; with `status`, the people."""
    scope, viewer = readable_obligations()
    settings = get_obligation_settings(db.session)
    type_, period = _selection(settings)
    unit = unit_in_scope(scope, int_arg("org_unit_id"))
    status = request.args.get("status", "")
    status = status if status in (*rules.STATUSES, "required") else None
    today = clock.today()
    context = {
        "type": type_,
        "period": period,
        "unit": unit,
        "status": status,
        "trail": org_queries.trail(scope, unit),
        "today": today,
        "current": Period.of(today, period.kind),
        "settings": settings,
    }
    if status is None:
        context["summary"] = engine.summary(
            db.session, period, [type_], as_of=today, unit=unit, scope=scope
        )
        return render_template("obligations/index.html", **context)
    wanted = rules.REQUIRED if status == "required" else (status,)
    rows = engine.compute(
        db.session,
        period,
        [type_],
        as_of=today,
        unit_path=unit.path if unit else None,
        scope=scope,
        viewer_id=viewer,
        settings=settings,
        statuses=tuple(wanted),
    )
    rows = [r for r in rows if r.status in wanted]
    page, people, units = _people_page(rows, page_arg())
    return render_template(
        "obligations/people.html",
        page=page,
        people=people,
        units=units,
        waiver_form=WaiverForm(),
        back=request.full_path,
        **context,
    )


def _safe_next(target: str | None) -> str:
    """A local dashboard address to return to (the dashboard otherwise)."""
    parts = urlsplit(target or "")
    if not parts.scheme and not parts.netloc and parts.path.startswith("/obligations"):
        return target
    return url_for("obligations.index")


@bp.route("/waive", methods=["GET", "POST"])
@login_required
def waive():
    """Waive one person's obligation for a period, with a reason (discipline roles)."""
    require("obligations.waive")
    source = request.form if request.method == "POST" else request.args
    form = WaiverForm(
        data=None
        if request.method == "POST"
        else {
            "person_id": source.get("person_id"),
            "type": source.get("type"),
            "period": source.get("period"),
        }
    )
    back = _safe_next(source.get("next"))
    person = db.session.get(Person, form.to_data()["person_id"] or 0)
    if person is None:
        abort(404)
    status, conflict = 200, None
    if form.validate_on_submit():
        try:
            create_waiver(db.session, form.to_data(), current_user.id)
        except Invalid as exc:
            db.session.rollback()
            for key, messages in exc.errors.items():
                field = form._fields.get(key) if key == "reason" else None
                (field.errors if field is not None else form.form_errors).extend(messages)
            status = exc.status
        except Conflict as exc:
            db.session.rollback()
            conflict, status = exc.message, exc.status
        else:
            db.session.commit()
            flash(_("The obligation of %(name)s is waived.", name=person.name), "success")
            return redirect(back)
    elif request.method == "POST":
        status = 422
    return render_template(
        "obligations/waive.html", form=form, person=person, back=back, conflict=conflict
    ), status


@bp.route("/rules", methods=["GET", "POST"])
@login_required
def rules_settings():
    """The obligation rules: minimum days, conductors, the party secretary."""
    require("obligations.rules.write")
    settings = get_obligation_settings(db.session)
    form = RulesForm(data=RulesForm.data_of(settings) if request.method == "GET" else None)
    saved, status = save_form(
        form,
        lambda: update_obligation_settings(db.session, form.to_changes()),
        success=_("Obligation rules saved."),
    )
    if saved is not None:
        return redirect(url_for("obligations.rules_settings"))
    return render_template("obligations/rules.html", form=form, settings=settings), status
