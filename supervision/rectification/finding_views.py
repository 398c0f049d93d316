"""A finding's page (SPEC §14) and its actions: the workflow (request completion, sign off,
return), progress notes, its measures (add, edit, delete, done, reopen) and their evidence
(files and links to records), and the finding's form.

Who may do what is asked of supervision.rectification.permissions; the object is looked up
within the caller's scope first (404 outside it), the action's right second (403). A refusal
of the services re-renders the page with the input and the message (nothing written).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from supervision.audit.views import change_rows
from supervision.common.errors import ServiceError
from supervision.common.forms import put_errors, save_form
from supervision.common.permissions import can, require
from supervision.extensions import db
from supervision.org.models import Person
from supervision.rectification import forms as f
from supervision.rectification import page_queries, services
from supervision.rectification.blueprint import bp, member, unit_choices
from supervision.rectification.labels import (
    FINDING_STATUS_LABELS,
    FINDING_TERM_LABELS,
    MEASURE_STATUS_LABELS,
    RECTIFICATION_ACTION_LABELS,
)
from supervision.rectification.models import (
    DEFAULT_CATEGORIES,
    Finding,
    MeasureEvidence,
    RectificationMeasure,
)
from supervision.rectification.permissions import (
    may_act_on_measure,
    may_note,
    may_request_completion,
    measure_clause,
    reads_in_full,
)

#: The page of each record a piece of evidence may link to: (endpoint, its id argument).
LINK_PAGES = {
    "talk": ("talks.detail", "talk_id"),
    "risk_point": ("risks.point", "point_id"),
    "risk_campaign": ("risks.campaign", "campaign_id"),
    "rotation_plan": ("rotation.plan", "plan_id"),
    "deferral": ("rotation.deferrals", None),
}


def link_url(evidence: MeasureEvidence) -> str:
    """The page of a linked record (its own area decides who may open it)."""
    endpoint, arg = LINK_PAGES[evidence.object_type]
    return url_for(endpoint, **({arg: evidence.object_id} if arg else {}))


def _visible_measures(finding: Finding) -> list[RectificationMeasure]:
    return list(
        db.session.scalars(
            sa.select(RectificationMeasure)
            .where(RectificationMeasure.finding_id == finding.id, measure_clause(current_user))
            .options(selectinload(RectificationMeasure.evidence))
            .order_by(RectificationMeasure.number)
        )
    )


#: Fields of the history whose recorded ids are shown as names.
_PERSON_FIELDS = frozenset({"responsible_leader_id", "owner_person_id", "leader_person_id"})
_UNIT_FIELDS = frozenset({"lead_unit_id", "owner_unit_id", "org_unit_id"})


def _history_rows(finding: Finding) -> list[dict]:
    """The finding's history as the audit pages show it (fields by their Chinese names),
    with statuses and terms by their labels and people and units by their names."""
    entries = page_queries.history(db.session, finding)
    rows = [
        {
            "entry": e,
            "action": RECTIFICATION_ACTION_LABELS.get(e.action, e.action),
            "measure": e.object_type == "rectification_measure",
            "changes": change_rows(e),
        }
        for e in entries
    ]
    ids = {"person": set(), "unit": set()}
    for row in rows:
        for c in row["changes"]:
            kind = "person" if c["name"] in _PERSON_FIELDS else "unit"
            if c["name"] in _PERSON_FIELDS | _UNIT_FIELDS:
                ids[kind] |= {int(v) for v in (c["before"], c["after"]) if v.isdigit()}
    units, people = page_queries.names(db.session, ids["unit"], ids["person"])
    for row in rows:
        statuses = MEASURE_STATUS_LABELS if row["measure"] else FINDING_STATUS_LABELS
        for c in row["changes"]:
            table = {
                "status": statuses,
                "term": FINDING_TERM_LABELS,
            }.get(c["name"])
            if c["name"] in _PERSON_FIELDS:
                table = {str(k): v for k, v in people.items()}
            elif c["name"] in _UNIT_FIELDS:
                table = {str(k): v for k, v in units.items()}
            if table:
                c["before"] = table.get(c["before"], c["before"])
                c["after"] = table.get(c["after"], c["after"])
    return rows


def _finding_page(
    finding: Finding, status: int = 200, error: str | None = None, forms: dict | None = None
):
    """The finding's page; `forms` replaces the blank forms by the ones given (bound to the
    input that was refused), keyed as the template names them."""
    forms = forms or {}
    session = db.session
    full = reads_in_full(session, current_user, finding)
    measures = _visible_measures(finding)
    acting = {m.id: may_act_on_measure(session, current_user, m) for m in measures}
    units, people = page_queries.names(
        session,
        [finding.lead_unit_id, *(m.owner_unit_id for m in measures)],
        [finding.responsible_leader_id, *(m.owner_person_id for m in measures)],
    )
    manage = can(current_user, "rectification.manage")
    editable = finding.status != "completed"
    picker = page_queries.picker(session, current_user) if editable and any(acting.values()) else {}
    measure_form = forms.get("measure")
    if measure_form is None and manage and editable:
        measure_form = f.MeasureForm(formdata=None)
        measure_form.set_choices(unit_choices())
    per_measure = {}
    for m in measures:
        done = forms.get(("done", m.id)) or f.DoneForm(formdata=None, prefix=f"done{m.id}")
        upload = forms.get(("file", m.id)) or f.EvidenceFileForm(
            formdata=None, prefix=f"file{m.id}"
        )
        link = forms.get(("link", m.id)) or f.EvidenceLinkForm(formdata=None, prefix=f"link{m.id}")
        link.set_choices(picker)
        if ("done", m.id) not in forms:
            done.result.data = m.result
        per_measure[m.id] = {"done": done, "file": upload, "link": link}
    allowed_status = finding.status in ("open", "in_progress") and finding.term != "long_term"
    return render_template(
        "rectification/finding.html",
        finding=finding,
        inspection=finding.inspection,
        full=full,
        measures=measures,
        acting=acting,
        per_measure=per_measure,
        units=units,
        people=people,
        editable=editable,
        manage=manage,
        may_request=full
        and allowed_status
        and may_request_completion(session, current_user, finding),
        open_numbers=services.open_measure_numbers(finding),
        may_note=full and editable and may_note(session, current_user, finding),
        summary_form=forms.get("summary") or f.SummaryForm(formdata=None),
        comment_form=forms.get("comment") or f.CommentForm(formdata=None),
        note_form=forms.get("note") or f.NoteForm(formdata=None),
        measure_form=measure_form,
        history=_history_rows(finding) if full else [],
        link_url=link_url,
        error=error,
    ), status


def _finding(finding_id: int, lock: bool = False) -> Finding:
    return page_queries.get_finding(db.session, current_user, finding_id, lock=lock)


@bp.get("/findings/<int:finding_id>")
@member
def finding(finding_id: int):
    """A finding: the problem, its measures with evidence, notes, history and the actions
    the caller may take."""
    return _finding_page(_finding(finding_id))


def back_to(finding_id: int):
    """Redirect to the finding's page after an action."""
    return redirect(url_for("rectification.finding", finding_id=finding_id), 303)


def refused(finding_id: int, exc: ServiceError, form=None, key=None):
    """Roll back and show the page again with the refusal: its message above, its errors
    next to the form's inputs (the input kept)."""
    db.session.rollback()
    found = _finding(finding_id)
    if form is not None:
        put_errors(form, exc.errors, "", getattr(form, "FIELD_MAP", None))
    return _finding_page(found, exc.status, str(exc.message), {key: form} if form else None)


def form_action(finding_id: int, form, key, call, success: str):
    """Validate `form`, run `call()` and commit (redirect), or show the page again with the
    refused input (422 or the service's status)."""
    if not form.validate():
        db.session.rollback()
        return _finding_page(_finding(finding_id), 422, None, {key: form})
    try:
        call()
    except ServiceError as exc:
        return refused(finding_id, exc, form, key)
    db.session.commit()
    flash(success, "success")
    return back_to(finding_id)


# ------------------------------------------------------------------ the finding's form


def _finding_form(inspection, finding: Finding | None):
    form = f.FindingForm(obj=finding)
    form.set_choices(unit_choices())
    if not form.is_submitted():
        if finding is None:
            form.number.data = services.next_finding_number(db.session, inspection.id)
        elif finding.responsible_leader_id:
            form.fill_people(
                {"responsible_leader_id": db.session.get(Person, finding.responsible_leader_id)}
            )
    data, errors = form.values() if form.is_submitted() else ({}, {})

    def call():
        if finding is None:
            return services.create_finding(db.session, inspection, data)
        return services.update_finding(db.session, finding, data)

    saved, status = save_form(
        form, lambda: f.run_with(errors, call), success=_("The problem was saved."), together=True
    )
    if saved is not None:
        return redirect(url_for("rectification.finding", finding_id=saved.id), 303)
    categories = list(
        dict.fromkeys(
            [
                *db.session.scalars(
                    sa.select(Finding.category)
                    .where(Finding.inspection_id == inspection.id)
                    .group_by(Finding.category)
                ),
                *DEFAULT_CATEGORIES,
            ]
        )
    )
    return render_template(
        "rectification/finding_form.html",
        form=form,
        inspection=inspection,
        finding=finding,
        categories=categories,
        people=page_queries.leader_suggestions(db.session),
    ), status


@bp.route("/<int:inspection_id>/findings/new", methods=["GET", "POST"])
@member
def new_finding(inspection_id: int):
    """Add a problem to an inspection (the discipline roles)."""
    inspection = page_queries.get_inspection(db.session, current_user, inspection_id)
    require("rectification.manage")
    return _finding_form(inspection, None)


@bp.route("/findings/<int:finding_id>/edit", methods=["GET", "POST"])
@member
def edit_finding(finding_id: int):
    """Edit a problem (the discipline roles; not once signed off)."""
    found = _finding(finding_id)
    require("rectification.manage")
    if found.status == "completed":
        flash(_("This problem has been signed off; it is not changed any more."), "warning")
        return back_to(finding_id)
    return _finding_form(found.inspection, found)


# ------------------------------------------------------------------ workflow and notes


@bp.post("/findings/<int:finding_id>/request-completion")
@member
def request_completion(finding_id: int):
    """Ask for sign-off with a summary (the responsible leader, the lead unit's head, the
    discipline roles)."""
    found = _finding(finding_id, lock=True)
    if not (
        reads_in_full(db.session, current_user, found)
        and may_request_completion(db.session, current_user, found)
    ):
        abort(403)
    form = f.SummaryForm()
    return form_action(
        finding_id,
        form,
        "summary",
        lambda: services.request_completion(db.session, found, form.summary.data),
        _("Sign-off was requested."),
    )


def _review(finding_id: int, action, success: str):
    found = _finding(finding_id, lock=True)
    require("rectification.manage")
    form = f.CommentForm()
    response = form_action(
        finding_id, form, "comment", lambda: action(found, form.comment.data), success
    )
    if request.form.get("next") == "sign-off" and getattr(response, "status_code", 0) == 303:
        return redirect(url_for("rectification.sign_off"), 303)
    return response


@bp.post("/findings/<int:finding_id>/complete")
@member
def complete(finding_id: int):
    """Sign the problem off (销号) with a comment (the discipline roles)."""
    return _review(
        finding_id,
        lambda found, comment: services.complete(db.session, found, comment, current_user.id),
        _("The problem was signed off."),
    )


@bp.post("/findings/<int:finding_id>/return")
@member
def return_finding(finding_id: int):
    """Send the completion request back with a comment (the discipline roles)."""
    return _review(
        finding_id,
        lambda found, comment: services.return_finding(db.session, found, comment),
        _("The problem was returned."),
    )


@bp.post("/findings/<int:finding_id>/notes")
@member
def add_note(finding_id: int):
    """Add a dated progress note."""
    found = _finding(finding_id, lock=True)
    if not may_note(db.session, current_user, found):
        abort(403)
    form = f.NoteForm()
    data = {"noted_on": form.noted_on.data, "text": form.text.data}
    return form_action(
        finding_id,
        form,
        "note",
        lambda: services.add_note(db.session, found, data, current_user.id),
        _("The progress note was added."),
    )


# ------------------------------------------------------------------ measures


@bp.post("/findings/<int:finding_id>/measures")
@member
def add_measure(finding_id: int):
    """Add a measure (the discipline roles)."""
    found = _finding(finding_id, lock=True)
    require("rectification.manage")
    form = f.MeasureForm()
    form.set_choices(unit_choices())
    data, errors = form.values()
    return form_action(
        finding_id,
        form,
        "measure",
        lambda: f.run_with(errors, lambda: services.create_measure(db.session, found, data)),
        _("The measure was added."),
    )


def measure_in_scope(measure_id: int, lock: bool = False) -> RectificationMeasure:
    """The measure if the caller may see it (404 otherwise)."""
    return page_queries.get_measure(db.session, current_user, measure_id, lock=lock)


def require_acting(measure: RectificationMeasure) -> None:
    """403 unless the caller may mark the measure done, reopen it and add its evidence."""
    if not may_act_on_measure(db.session, current_user, measure):
        abort(403)


@bp.route("/measures/<int:measure_id>/edit", methods=["GET", "POST"])
@member
def edit_measure(measure_id: int):
    """Edit a measure (the discipline roles)."""
    measure = measure_in_scope(measure_id, lock=request.method == "POST")
    require("rectification.manage")
    found = measure.finding
    if found.status == "completed":
        flash(_("This problem has been signed off; it is not changed any more."), "warning")
        return back_to(found.id)
    form = f.MeasureForm(obj=measure)
    form.set_choices(unit_choices())
    if not form.is_submitted() and measure.owner_person_id:
        form.fill_people({"owner_person_id": db.session.get(Person, measure.owner_person_id)})
    data, errors = form.values() if form.is_submitted() else ({}, {})
    saved, status = save_form(
        form,
        lambda: f.run_with(errors, lambda: services.update_measure(db.session, measure, data)),
        success=_("The measure was saved."),
        together=True,
    )
    if saved is not None:
        return back_to(found.id)
    return render_template(
        "rectification/measure_form.html",
        form=form,
        measure=measure,
        finding=found,
        people=page_queries.leader_suggestions(db.session),
    ), status


@bp.post("/measures/<int:measure_id>/delete")
@member
def delete_measure(measure_id: int):
    """Remove a measure entered by mistake (the discipline roles)."""
    measure = measure_in_scope(measure_id, lock=True)
    require("rectification.manage")
    finding_id = measure.finding_id
    if not f.ActionForm().validate():
        abort(400)
    try:
        services.delete_measure(db.session, measure)
    except ServiceError as exc:
        return refused(finding_id, exc)
    db.session.commit()
    flash(_("The measure was removed."), "success")
    return back_to(finding_id)


@bp.post("/measures/<int:measure_id>/done")
@member
def mark_done(measure_id: int):
    """Mark a measure done with its result and date."""
    measure = measure_in_scope(measure_id, lock=True)
    require_acting(measure)
    form = f.DoneForm(prefix=f"done{measure.id}")
    return form_action(
        measure.finding_id,
        form,
        ("done", measure.id),
        lambda: services.mark_done(db.session, measure, form.done_on.data, form.result.data),
        _("The measure is done."),
    )


@bp.post("/measures/<int:measure_id>/reopen")
@member
def reopen(measure_id: int):
    """Open a done measure again."""
    measure = measure_in_scope(measure_id, lock=True)
    require_acting(measure)
    finding_id = measure.finding_id
    if not f.ActionForm().validate():
        abort(400)
    try:
        services.reopen(db.session, measure)
    except ServiceError as exc:
        return refused(finding_id, exc)
    db.session.commit()
    flash(_("The measure is open again."), "success")
    return back_to(finding_id)
