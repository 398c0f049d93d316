"""Rotation plan pages: the list, the editor, the party committee's decision and the
execution, as routes of the rotation blueprint (supervision.rotation.views)."""

from __future__ import annotations

from flask import (
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from supervision.common.errors import ServiceError
from supervision.common.forms import add_errors, save_form
from supervision.common.pages import choice_arg, paginate, parse_id
from supervision.common.permissions import require
from supervision.extensions import db
from supervision.org.scope import current_scope
from supervision.rotation import forms as f
from supervision.rotation import labels, plans
from supervision.rotation import queries as rotation_queries
from supervision.rotation.blueprint import bp, reader
from supervision.rotation.models import (
    RotationPlan,
)


@bp.route("/plans", methods=["GET", "POST"])
@reader
def plans_index():
    """Rotation plans, newest first, by status; HR starts a new one here."""
    form = f.PlanForm()
    status = 200
    if request.method == "POST":
        require("rotation.plan")
        plan, status = save_form(
            form,
            lambda: plans.create_plan(
                db.session, {"name": form.name.data or "", "items": []}, current_user.id
            ),
            together=True,
        )
        if plan is not None:
            flash(_("Plan created. Add people from the eligibility list or below."), "success")
            return redirect(url_for("rotation.plan", plan_id=plan.id))
    chosen = choice_arg("status", labels.PLAN_STATUS_LABELS)
    page = paginate(rotation_queries.plans_with_sizes(chosen), scalars=False)
    return render_template("rotation/plans.html", page=page, chosen=chosen, form=form), status


def _plan(plan_id: int) -> RotationPlan:
    """The plan with everything its editor shows (404 when there is none)."""
    return rotation_queries.plan_for_editor(plan_id)


def _plan_page(plan: RotationPlan, status: int = 200, error: str | None = None, **forms):
    problems = (
        {} if plan.status in ("rejected", "executed") else plans.plan_problems(db.session, plan)
    )
    forms.setdefault("edit_form", f.PlanEditForm.of(plan))
    forms.setdefault("add_form", f.AddItemForm(formdata=None))
    forms.setdefault("approve_form", f.ApproveForm(formdata=None))
    forms.setdefault("reject_form", f.RejectForm(formdata=None))
    forms.setdefault("row_errors", {})
    post_options = rotation_queries.first_posts()
    return render_template(
        "rotation/plan.html",
        plan=plan,
        problems=problems,
        error=error,
        items_by_person={i.person_id: i for i in plan.items},
        problems_by_person={plan.items[i].person_id: found for i, found in problems.items()},
        post_options=post_options,
        **forms,
    ), status


@bp.get("/plans/<int:plan_id>")
@reader
def plan(plan_id: int):
    """A plan: the draft editor for HR, the decision forms for the secretary, the moves."""
    return _plan_page(_plan(plan_id))


@bp.post("/plans/<int:plan_id>")
@reader
def plan_save(plan_id: int):
    """Save a draft's name, destinations and dates; with action=submit also submit it."""
    require("rotation.plan")
    plan = _plan(plan_id)
    form = f.PlanEditForm()
    valid = form.validate()
    by_person = {i.person_id: i for i in plan.items}
    rows = [r for r in form.items if parse_id(r.person_id.data) in by_person]
    items = [
        {
            "person_id": by_person[parse_id(r.person_id.data)].person_id,
            "from_post_id": by_person[parse_id(r.person_id.data)].from_post_id,
            "to_post_id": f.post_id(r.to_post_code),
            "effective_date": r.effective_date.data,
        }
        for r in rows
    ]
    submit = request.form.get("action") == "submit"
    try:
        plans.update_plan(db.session, plan, {"name": form.name.data or "", "items": items})
        if submit and valid and not form.has_errors():
            plans.submit_plan(db.session, plan, current_user.id)
    except ServiceError as exc:
        db.session.rollback()
        on_row = form.put_service_errors(exc, rows)
        return _plan_page(_plan(plan_id), exc.status, edit_form=form, row_errors=on_row)
    if not valid or form.has_errors():
        db.session.rollback()
        return _plan_page(_plan(plan_id), 422, edit_form=form)
    db.session.commit()
    flash(_("Plan submitted to the party committee.") if submit else _("Plan saved."), "success")
    return redirect(url_for("rotation.plan", plan_id=plan_id))


@bp.post("/plans/<int:plan_id>/add")
@reader
def plan_add(plan_id: int):
    """Add one person (staff number) leaving one post (code) to a draft."""
    require("rotation.plan")
    plan = _plan(plan_id)
    form = f.AddItemForm()
    current = [{k: getattr(i, k) for k in plans.ITEM_FIELDS} for i in plan.items]

    def call():
        if not form.staff_no.data:
            add_errors(form.staff_no, [_("A staff number is required.")])
        if not form.from_post_code.data:
            add_errors(form.from_post_code, [_("A post code is required.")])
        new = {
            "person_id": f.person_id(form.staff_no),
            "from_post_id": f.post_id(form.from_post_code),
            "to_post_id": None,
            "effective_date": None,
        }
        if form.errors:
            return None
        try:
            plans.update_plan(db.session, plan, {"items": [*current, new]})
        except ServiceError as exc:
            # The new item's messages go on its fields; the other items' on top of the form.
            items = (exc.errors or {}).get("items")
            if isinstance(items, dict):
                others = [
                    m
                    for i, by in items.items()
                    if i != len(current)
                    for ms in by.values()
                    for m in ms
                ]
                exc.errors = {
                    **items.get(len(current), {}),
                    **({"items": others} if others else {}),
                }
            raise
        return plan

    saved, status = save_form(form, call, together=True)
    if saved is not None:
        flash(_("Person added to the plan."), "success")
        return redirect(url_for("rotation.plan", plan_id=plan_id))
    return _plan_page(_plan(plan_id), status, add_form=form)


@bp.post("/plans/<int:plan_id>/remove")
@reader
def plan_remove(plan_id: int):
    """Take one person out of a draft."""
    require("rotation.plan")
    plan = _plan(plan_id)
    gone = parse_id(request.form.get("person_id"))
    items = [
        {k: getattr(i, k) for k in plans.ITEM_FIELDS} for i in plan.items if i.person_id != gone
    ]
    form = f.ConfirmForm()
    saved, status = save_form(
        form, lambda: plans.update_plan(db.session, plan, {"items": items}), together=True
    )
    if saved is None:
        return _plan_page(
            _plan(plan_id),
            status,
            error=" ".join(
                [_("The person could not be taken out of the plan."), *form.form_errors]
            ),
        )
    flash(_("Person taken out of the plan."), "success")
    return redirect(url_for("rotation.plan", plan_id=plan_id))


@bp.route("/plans/<int:plan_id>/delete", methods=["GET", "POST"])
@reader
def plan_delete(plan_id: int):
    """Delete a draft, after a confirmation page."""
    require("rotation.plan")
    plan = _plan(plan_id)
    form = f.ConfirmForm()
    done, status = save_form(
        form, lambda: plans.delete_plan(db.session, plan) or True, together=True
    )
    if done:
        flash(_("Plan deleted."), "success")
        return redirect(url_for("rotation.plans_index"))
    return render_template("rotation/plan_delete.html", plan=_plan(plan_id), form=form), status


@bp.post("/plans/<int:plan_id>/approve")
@reader
def plan_approve(plan_id: int):
    """Record the party committee's approval: meeting date and minutes number."""
    require("rotation.decide")
    plan = _plan(plan_id)
    form = f.ApproveForm()
    done, status = save_form(
        form,
        lambda: plans.approve_plan(
            db.session,
            plan,
            {
                "meeting_date": form.meeting_date.data,
                "minutes_no": form.minutes_no.data or "",
                "comment": form.comment.data or "",
            },
            current_user.id,
        ),
        together=True,
    )
    if done:
        flash(_("The party committee's approval is recorded."), "success")
        return redirect(url_for("rotation.plan", plan_id=plan_id))
    return _plan_page(_plan(plan_id), status, approve_form=form)


@bp.post("/plans/<int:plan_id>/reject")
@reader
def plan_reject(plan_id: int):
    """Record the party committee's rejection, with its reason."""
    require("rotation.decide")
    plan = _plan(plan_id)
    form = f.RejectForm()
    done, status = save_form(
        form,
        lambda: plans.reject_plan(
            db.session, plan, {"comment": form.comment.data or ""}, current_user.id
        ),
        together=True,
    )
    if done:
        flash(_("The party committee's rejection is recorded."), "success")
        return redirect(url_for("rotation.plan", plan_id=plan_id))
    return _plan_page(_plan(plan_id), status, reject_form=form)


@bp.route("/plans/<int:plan_id>/execute", methods=["GET", "POST"])
@reader
def plan_execute(plan_id: int):
    """Carry out an approved plan after a page listing every move."""
    require("rotation.plan")
    plan = _plan(plan_id)
    form = f.ConfirmForm()
    done, status = save_form(
        form, lambda: plans.execute_plan(db.session, plan, current_user.id), together=True
    )
    if done:
        flash(_("Plan carried out: the assignments are updated."), "success")
        return redirect(url_for("rotation.plan", plan_id=plan_id))
    plan = _plan(plan_id)
    if plan.status != "approved" and status == 200:
        status = 409
        form.form_errors.append(_("Only an approved plan can be carried out."))
    return render_template("rotation/plan_execute.html", plan=plan, form=form), status


@bp.get("/posts.json")
@login_required
def post_options():
    """Posts whose code or name contains ?q= (at most 30), for the destination field."""
    require("rotation.plan")
    q = request.args.get("q", "").strip()[:64]
    return jsonify(
        [
            {"code": p.code, "label": f"{p.name} · {p.org_unit.name}"}
            for p in rotation_queries.matching_posts(current_scope(), q)
        ]
    )
