"""Rectification pages (SPEC §14, issue 15 item 2): the inspections, an inspection's form and
status, its ledger (counts, filters, findings, the snapshots' chart), "my rectification
tasks" and the committee's sign-off queue. A finding's page and its actions are in
supervision.rectification.finding_views (the same blueprint).

Thin views over supervision.rectification.{services,figures,page_queries}; scope comes from
supervision.rectification.permissions: an object outside the caller's scope is 404, an
action on one they see but may not take 403, and the area answers 403 to the roles holding
none of its grants (admin, HR).
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from supervision.common import clock
from supervision.common.errors import ServiceError
from supervision.common.forms import save_form
from supervision.common.pages import choice_arg, int_arg, paginate
from supervision.common.permissions import can, require
from supervision.extensions import db
from supervision.org.models import Person
from supervision.rectification import forms as f
from supervision.rectification import page_queries, services
from supervision.rectification.blueprint import as_of_arg, bp, member, unit_choices
from supervision.rectification.chart import snapshot_chart
from supervision.rectification.models import FINDING_STATUSES, Inspection
from supervision.rectification.permissions import reads_summary

#: Findings per page of the ledger.
LEDGER_PER_PAGE = 50


# ------------------------------------------------------------------ inspections


@bp.get("/")
@member
def index():
    """The inspections the caller may know about, with the findings done and overdue."""
    page = paginate(page_queries.inspections_select(current_user))
    today = clock.today()
    counts = page_queries.inspection_counts(
        db.session, current_user, [i.id for i in page.items], today
    )
    units, _people = page_queries.names(db.session, [i.org_unit_id for i in page.items])
    return render_template("rectification/index.html", page=page, counts=counts, units=units)


def _inspection_form(inspection: Inspection | None):
    require("rectification.manage")
    form = f.InspectionForm(obj=inspection)
    form.set_choices(unit_choices())
    if inspection is not None and not form.is_submitted():
        leader = inspection.leader_person_id
        form.fill_people({"leader_person_id": db.session.get(Person, leader)} if leader else {})
    more = form.is_submitted() and "more_rows" in request.form
    status = 200
    if form.is_submitted() and not more:
        data, errors = form.values()

        def call():
            if inspection is None:
                return services.create_inspection(db.session, data)
            return services.update_inspection(db.session, inspection, data)

        saved, status = save_form(
            form,
            lambda: f.run_with(errors, call),
            success=_("The inspection was saved."),
            together=True,
        )
        if saved is not None:
            return redirect(url_for("rectification.ledger", inspection_id=saved.id), 303)
    form.fill_narrative(inspection.narrative if inspection else None)
    return render_template(
        "rectification/inspection_form.html",
        form=form,
        inspection=inspection,
        people=page_queries.leader_suggestions(db.session),
        default_days=services.DEFAULT_DEADLINE_DAYS,
    ), status


@bp.route("/new", methods=["GET", "POST"])
@member
def new_inspection():
    """Record an inspection (the discipline roles)."""
    return _inspection_form(None)


@bp.route("/<int:inspection_id>/edit", methods=["GET", "POST"])
@member
def edit_inspection(inspection_id: int):
    """Edit an inspection and the narrative of its notice (the discipline roles)."""
    return _inspection_form(page_queries.get_inspection(db.session, current_user, inspection_id))


@bp.post("/<int:inspection_id>/status")
@member
def inspection_status(inspection_id: int):
    """Move the inspection to reported or closed (the discipline roles)."""
    inspection = page_queries.get_inspection(db.session, current_user, inspection_id)
    require("rectification.manage")
    form = f.StatusForm()
    if not form.validate():
        return _ledger(inspection, 422, _("Choose the new status."))
    try:
        services.update_inspection(db.session, inspection, {"status": form.status.data})
    except ServiceError as exc:
        db.session.rollback()
        messages = [m for ms in (exc.errors or {}).values() for m in ms]
        return _ledger(inspection, exc.status, "；".join(map(str, messages)) or exc.message)
    db.session.commit()
    flash(_("The inspection's status was changed."), "success")
    return redirect(url_for("rectification.ledger", inspection_id=inspection.id), 303)


# ------------------------------------------------------------------ the ledger


def _ledger(inspection: Inspection, status: int = 200, error: str | None = None):
    as_of, as_of_error = as_of_arg()
    filters = {
        "category": request.args.get("category", "").strip() or None,
        "lead_unit_id": int_arg("lead_unit_id"),
        "status": choice_arg("status", FINDING_STATUSES),
        "overdue": request.args.get("overdue") == "1",
    }
    page = paginate(
        page_queries.ledger_select(current_user, inspection, filters, as_of),
        per_page=LEDGER_PER_PAGE,
        scalars=False,
    )
    findings = [row[0] for row in page.items]
    units, people = page_queries.names(
        db.session,
        [inspection.org_unit_id, *(x.lead_unit_id for x in findings)],
        [inspection.leader_person_id, *(x.responsible_leader_id for x in findings)],
    )
    summary_reader = reads_summary(current_user, inspection)
    snaps = page_queries.snapshots(db.session, inspection) if summary_reader else []
    chart = snapshot_chart([(s.taken_on.isoformat(), s.figures) for s in snaps]) if snaps else None
    return render_template(
        "rectification/ledger.html",
        inspection=inspection,
        page=page,
        counts=page_queries.ledger_counts(db.session, current_user, inspection, as_of),
        choices=page_queries.ledger_choices(db.session, current_user, inspection),
        filters=filters,
        filtered=any(filters.values()),
        as_of=as_of,
        as_of_error=as_of_error,
        units=units,
        people=people,
        snapshots=snaps,
        chart=chart,
        status_form=f.StatusForm(),
        documents=can(current_user, "rectification.documents"),
        error=error,
    ), status


@bp.get("/<int:inspection_id>")
@member
def ledger(inspection_id: int):
    """The inspection's ledger (整改台账): counts as of a date, filters, the findings by
    category and theme, the monthly snapshots' chart, the documents."""
    return _ledger(page_queries.get_inspection(db.session, current_user, inspection_id))


# ------------------------------------------------------------------ my tasks, sign-off


@bp.get("/mine")
@member
def mine():
    """My rectification tasks: the findings a leader answers for, and the measures one owns;
    overdue first."""
    today = clock.today()
    findings = page_queries.my_findings(db.session, current_user, today)
    measures = page_queries.my_measures(db.session, current_user, today)
    units, people = page_queries.names(
        db.session,
        [r["finding"].lead_unit_id for r in findings]
        + [r["measure"].owner_unit_id for r in measures],
        [r["finding"].responsible_leader_id for r in findings],
    )
    return render_template(
        "rectification/mine.html",
        findings=findings,
        measures=measures,
        units=units,
        people=people,
        is_leader=can(current_user, "rectification.lead"),
    )


@bp.get("/sign-off")
@member
def sign_off():
    """The committee's queue: findings whose completion was requested, with their summary,
    measures and evidence, and the sign-off and return forms."""
    require("rectification.manage")
    page = paginate(page_queries.sign_off_select(), per_page=20)
    units, people = page_queries.names(
        db.session,
        [x.lead_unit_id for x in page.items]
        + [m.owner_unit_id for x in page.items for m in x.measures],
        [x.responsible_leader_id for x in page.items]
        + [m.owner_person_id for x in page.items for m in x.measures],
    )
    return render_template(
        "rectification/sign_off.html",
        page=page,
        units=units,
        people=people,
        comment_form=f.CommentForm(),
    )
