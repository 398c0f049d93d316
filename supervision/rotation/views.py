"""Rotation pages (SPEC §7): eligibility list, a person's tenure timeline, plans, deferrals,
holds, and the policy.

Thin views over supervision.rotation.{eligibility,services,plans,policy}. Every page needs
ROTATION_READ (leaders and staff get 403); writes need the role the SPEC names. A hold's
reason is shown only to the discipline roles: HR learns that the committee blocks a move,
never why. The module is longer than most because it holds the six pages of one workflow;
each view stays a few lines over one service call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, selectinload

from supervision.common import clock
from supervision.common.api import MAX_ID
from supervision.common.errors import ServiceError
from supervision.common.pages import DEFAULT_PER_PAGE, PageResult, page_arg, paginate
from supervision.common.permissions import (
    ROTATION_DECIDE,
    ROTATION_HOLD,
    ROTATION_PLAN,
    ROTATION_POLICY,
    ROTATION_READ,
    current_scope,
    require_roles,
    roles_required,
)
from supervision.common.templating import choices
from supervision.extensions import db
from supervision.org import queries
from supervision.org.models import Assignment, OrgUnit, Person, Post
from supervision.rotation import eligibility, labels, plans, rules, services
from supervision.rotation import forms as f
from supervision.rotation.models import (
    RotationDeferral,
    RotationHold,
    RotationPlan,
    RotationPlanItem,
)
from supervision.rotation.policy import get_policy, update_policy

bp = Blueprint("rotation", __name__, url_prefix="/rotation")


def reader(view):
    """Signed in, holding a role that reads rotation (403 otherwise)."""
    return login_required(roles_required(*ROTATION_READ)(view))


def _has(roles) -> bool:
    return current_user.is_authenticated and current_user.has_role(*roles)


@bp.context_processor
def _helpers():
    completion = "rotation_completion.index"
    return {"status_labels": labels.STATUS_LABELS, "status_classes": f.STATUS_CLASSES,
            "reason_labels": labels.REASON_LABELS, "plan_status_labels": labels.PLAN_STATUS_LABELS,
            "plan_status_classes": f.PLAN_STATUS_CLASSES, "problem_labels": f.PROBLEM_LABELS,
            "can_plan": _has(ROTATION_PLAN), "can_decide": _has(ROTATION_DECIDE),
            "can_hold": _has(ROTATION_HOLD), "can_policy": _has(ROTATION_POLICY),
            "completion_endpoint": completion if completion in current_app.view_functions else None,
            "today": clock.today(), "day_before": lambda d: d - timedelta(days=1) if d else None}


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= MAX_ID else None


def _choice(name: str, allowed) -> str | None:
    value = request.args.get(name, "")
    return value if value in allowed else None


# ------------------------------------------------------------------ eligibility


def _as_of() -> tuple[date, str | None]:
    text = request.args.get("as_of", "").strip()
    if not text:
        return clock.today(), None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return clock.today(), _("Not a valid date; showing today.")
    if not 1900 <= day.year <= 2200:
        return clock.today(), _("Not a valid date; showing today.")
    return day, None


def _rows_page(rows: list, page: int) -> PageResult:
    per = DEFAULT_PER_PAGE
    page = min(page, max(1, -(-len(rows) // per)))
    return PageResult(rows[(page - 1) * per: page * per], len(rows), page, per)


@bp.route("/", methods=["GET", "POST"])
@reader
def index():
    """The eligibility list (轮岗资格) with filters, counts by status and, for HR, the form
    that flags the ticked people into a plan."""
    scope = current_scope()
    form = None
    status = 200
    if _has(ROTATION_PLAN):
        form = f.AddCandidatesForm()
        form.set_choices(db.session.scalars(plans.list_plans("draft").limit(200)).all())
    if request.method == "POST":
        require_roles(*ROTATION_PLAN)
        plan, status = _add_candidates(form)
        if plan is not None:
            return redirect(url_for("rotation.plan", plan_id=plan.id))
    unit_id = _int(request.args.get("org_unit_id"))
    unit = None
    if unit_id is not None:
        unit = db.session.scalar(sa.select(OrgUnit).where(OrgUnit.id == unit_id, scope.unit_clause()))
        if unit is None:
            abort(404)
    as_of, as_of_error = _as_of()
    chosen = {"status": _choice("status", rules.STATUSES),
              "post_category": _choice("post_category", dict(choices("category"))),
              "personnel_type": _choice("personnel_type", dict(choices("personnel_type")))}
    rows = eligibility.compute(db.session, as_of, scope=scope, filters=eligibility.Filters(
        unit_path=unit.path if unit else None, post_category=chosen["post_category"],
        personnel_type=chosen["personnel_type"]))
    counts = {s: 0 for s in rules.STATUSES}
    for row in rows:
        counts[row.status] += 1
    if chosen["status"]:
        rows = [r for r in rows if r.status == chosen["status"]]
    return render_template(
        "rotation/index.html", page=_rows_page(rows, page_arg()), counts=counts, unit=unit,
        as_of=as_of, as_of_error=as_of_error, chosen=chosen, form=form,
        checked=set(request.form.getlist("candidate")), unit_options=queries.unit_options(scope),
        categories=choices("category"), personnel_types=choices("personnel_type")), status


def _add_candidates(form):
    pairs = f.parse_candidates(request.form.getlist("candidate"))
    added = []

    def add():
        if not pairs:
            form.form_errors.append(_("Tick at least one person in the list."))
            return None
        if form.plan_id.data:
            plan = plans.get_plan(db.session, form.plan_id.data)
        else:
            plan = plans.create_plan(db.session, {"name": form.new_plan_name.data or "", "items": []},
                                     current_user.id, current_scope())
        added.append(plans.add_candidates(db.session, plan, pairs, current_scope()))
        return plan

    plan, status = f.submit(form, add, {"name": "new_plan_name"})
    if plan is not None:
        flash(_("%(n)s people added to the plan.", n=added[0]), "success")
    return plan, status


# ------------------------------------------------------------------ a person's timeline


@dataclass
class PostTimeline:
    """A sensitive or leadership post the person holds or held, with its stints and gaps."""

    post: Post
    entries: list = field(default_factory=list)
    row: eligibility.Row | None = None


def _timeline(assignments: list[Assignment], rows: dict, policy: dict) -> list[PostTimeline]:
    by_post: dict[int, list[Assignment]] = {}
    for a in assignments:
        if a.post.is_sensitive or a.post.is_leadership:
            by_post.setdefault(a.post_id, []).append(a)
    out = []
    for post_id, stints in by_post.items():
        spans = [(a.start_date, a.end_date) for a in stints]
        # Which stints start a new tenure: the pure rule decides, not the page.
        starts = ({s for s, _e in rules.runs(spans, policy["gap_tolerance_days"])}
                  if policy["tenure_mode"] == "continuous" else {spans[0][0]})
        line = PostTimeline(post=stints[0].post, row=rows.get(post_id))
        for prev, a in zip([None, *stints], stints, strict=False):
            gap = None
            if prev is not None and prev.end_date is not None and (a.start_date - prev.end_date).days > 1:
                gap = {"first": prev.end_date + timedelta(days=1), "last": a.start_date - timedelta(days=1),
                       "days": (a.start_date - prev.end_date).days - 1, "breaks": a.start_date in starts}
            line.entries.append({"assignment": a, "gap": gap})
        out.append(line)
    out.sort(key=lambda t: (t.row is None, -t.entries[-1]["assignment"].start_date.toordinal()))
    return out


@bp.get("/people/<int:person_id>")
@reader
def person(person_id: int):
    """A person's tenure timeline, deferrals, holds (reasons for the committee only) and plans."""
    scope = current_scope()
    who = db.session.scalar(queries.people(scope).where(Person.id == person_id)
                            .options(joinedload(Person.org_unit)))
    if who is None:
        abort(404)
    today = clock.today()
    policy = get_policy(db.session)
    rows = {r.post_id: r for r in eligibility.for_person(db.session, who.id, today, scope=scope)}
    assignments = db.session.scalars(
        sa.select(Assignment).where(Assignment.person_id == who.id)
        .options(joinedload(Assignment.post).joinedload(Post.org_unit))
        .order_by(Assignment.start_date, Assignment.id)).all()
    holds = db.session.scalars(services.list_query(RotationHold, person_id=who.id)).all()
    items = db.session.scalars(
        sa.select(RotationPlanItem).join(RotationPlan).where(RotationPlanItem.person_id == who.id)
        .options(joinedload(RotationPlanItem.plan), joinedload(RotationPlanItem.from_post),
                 joinedload(RotationPlanItem.to_post))
        .order_by(RotationPlan.created_at.desc(), RotationPlan.id.desc())).all()
    return render_template(
        "rotation/person.html", person=who, timeline=_timeline(assignments, rows, policy),
        assignments=assignments, policy=policy,
        deferrals=db.session.scalars(services.list_query(RotationDeferral, person_id=who.id)).all(),
        holds=holds if _has(ROTATION_HOLD) else [],
        blocked=any(h.released_at is None for h in holds), plan_items=items)


# ------------------------------------------------------------------ plans


@bp.route("/plans", methods=["GET", "POST"])
@reader
def plans_index():
    """Rotation plans, newest first, by status; HR starts a new one here."""
    form = f.PlanForm()
    status = 200
    if request.method == "POST":
        require_roles(*ROTATION_PLAN)
        plan, status = f.submit(form, lambda: plans.create_plan(
            db.session, {"name": form.name.data or "", "items": []}, current_user.id))
        if plan is not None:
            flash(_("Plan created. Add people from the eligibility list or below."), "success")
            return redirect(url_for("rotation.plan", plan_id=plan.id))
    chosen = _choice("status", labels.PLAN_STATUS_LABELS)
    count = (sa.select(sa.func.count(RotationPlanItem.id))
             .where(RotationPlanItem.plan_id == RotationPlan.id).scalar_subquery())
    page = paginate(plans.list_plans(chosen).add_columns(count), scalars=False)
    return render_template("rotation/plans.html", page=page, chosen=chosen, form=form), status


def _plan(plan_id: int) -> RotationPlan:
    """The plan with its items, people and posts loaded in a fixed number of queries."""
    plan = db.session.scalar(sa.select(RotationPlan).where(RotationPlan.id == plan_id).options(
        selectinload(RotationPlan.items).options(
            joinedload(RotationPlanItem.person).joinedload(Person.org_unit),
            joinedload(RotationPlanItem.from_post).joinedload(Post.org_unit),
            joinedload(RotationPlanItem.to_post).joinedload(Post.org_unit),
            joinedload(RotationPlanItem.closed_assignment),
            joinedload(RotationPlanItem.opened_assignment))))
    if plan is None:
        abort(404)
    return plan


def _plan_page(plan: RotationPlan, status: int = 200, error: str | None = None, **forms):
    problems = {} if plan.status in ("rejected", "executed") else plans.plan_problems(db.session, plan)
    forms.setdefault("edit_form", f.PlanEditForm.of(plan))
    forms.setdefault("add_form", f.AddItemForm(formdata=None))
    forms.setdefault("approve_form", f.ApproveForm(formdata=None))
    forms.setdefault("reject_form", f.RejectForm(formdata=None))
    forms.setdefault("row_errors", {})
    post_options = db.session.execute(sa.select(Post.code, Post.name).order_by(Post.code).limit(100)).all()
    return render_template("rotation/plan.html", plan=plan, problems=problems, error=error,
                           items_by_person={i.person_id: i for i in plan.items},
                           problems_by_person={plan.items[i].person_id: found
                                               for i, found in problems.items()},
                           post_options=post_options, **forms), status


@bp.get("/plans/<int:plan_id>")
@reader
def plan(plan_id: int):
    """A plan: the draft editor for HR, the decision forms for the secretary, the moves."""
    return _plan_page(_plan(plan_id))


@bp.post("/plans/<int:plan_id>")
@reader
def plan_save(plan_id: int):
    """Save a draft's name, destinations and dates; with action=submit also submit it."""
    require_roles(*ROTATION_PLAN)
    plan = _plan(plan_id)
    form = f.PlanEditForm()
    valid = form.validate()
    by_person = {i.person_id: i for i in plan.items}
    rows = [r for r in form.items if _int(r.person_id.data) in by_person]
    items = [{"person_id": by_person[_int(r.person_id.data)].person_id,
              "from_post_id": by_person[_int(r.person_id.data)].from_post_id,
              "to_post_id": f.post_id(r.to_post_code), "effective_date": r.effective_date.data}
             for r in rows]
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
    require_roles(*ROTATION_PLAN)
    plan = _plan(plan_id)
    form = f.AddItemForm()
    current = [{k: getattr(i, k) for k in plans.ITEM_FIELDS} for i in plan.items]

    def call():
        if not form.staff_no.data:
            f.add_errors(form.staff_no, [_("A staff number is required.")])
        if not form.from_post_code.data:
            f.add_errors(form.from_post_code, [_("A post code is required.")])
        new = {"person_id": f.person_id(form.staff_no), "from_post_id": f.post_id(form.from_post_code),
               "to_post_id": None, "effective_date": None}
        if form.errors:
            return None
        try:
            plans.update_plan(db.session, plan, {"items": [*current, new]})
        except ServiceError as exc:
            # The new item's messages go on its fields; the other items' on top of the form.
            items = (exc.errors or {}).get("items")
            if isinstance(items, dict):
                others = [m for i, by in items.items() if i != len(current)
                          for ms in by.values() for m in ms]
                exc.errors = {**items.get(len(current), {}), **({"items": others} if others else {})}
            raise
        return plan

    saved, status = f.submit(form, call)
    if saved is not None:
        flash(_("Person added to the plan."), "success")
        return redirect(url_for("rotation.plan", plan_id=plan_id))
    return _plan_page(_plan(plan_id), status, add_form=form)


@bp.post("/plans/<int:plan_id>/remove")
@reader
def plan_remove(plan_id: int):
    """Take one person out of a draft."""
    require_roles(*ROTATION_PLAN)
    plan = _plan(plan_id)
    gone = _int(request.form.get("person_id"))
    items = [{k: getattr(i, k) for k in plans.ITEM_FIELDS} for i in plan.items if i.person_id != gone]
    form = f.ConfirmForm()
    saved, status = f.submit(form, lambda: plans.update_plan(db.session, plan, {"items": items}))
    if saved is None:
        return _plan_page(_plan(plan_id), status, error=" ".join(
            [_("The person could not be taken out of the plan."), *form.form_errors]))
    flash(_("Person taken out of the plan."), "success")
    return redirect(url_for("rotation.plan", plan_id=plan_id))


@bp.route("/plans/<int:plan_id>/delete", methods=["GET", "POST"])
@reader
def plan_delete(plan_id: int):
    """Delete a draft, after a confirmation page."""
    require_roles(*ROTATION_PLAN)
    plan = _plan(plan_id)
    form = f.ConfirmForm()
    done, status = f.submit(form, lambda: plans.delete_plan(db.session, plan) or True)
    if done:
        flash(_("Plan deleted."), "success")
        return redirect(url_for("rotation.plans_index"))
    return render_template("rotation/plan_delete.html", plan=_plan(plan_id), form=form), status


@bp.post("/plans/<int:plan_id>/approve")
@reader
def plan_approve(plan_id: int):
    """Record the party committee's approval: meeting date and minutes number."""
    require_roles(*ROTATION_DECIDE)
    plan = _plan(plan_id)
    form = f.ApproveForm()
    done, status = f.submit(form, lambda: plans.approve_plan(db.session, plan, {
        "meeting_date": form.meeting_date.data, "minutes_no": form.minutes_no.data or "",
        "comment": form.comment.data or ""}, current_user.id))
    if done:
        flash(_("The party committee's approval is recorded."), "success")
        return redirect(url_for("rotation.plan", plan_id=plan_id))
    return _plan_page(_plan(plan_id), status, approve_form=form)


@bp.post("/plans/<int:plan_id>/reject")
@reader
def plan_reject(plan_id: int):
    """Record the party committee's rejection, with its reason."""
    require_roles(*ROTATION_DECIDE)
    plan = _plan(plan_id)
    form = f.RejectForm()
    done, status = f.submit(form, lambda: plans.reject_plan(
        db.session, plan, {"comment": form.comment.data or ""}, current_user.id))
    if done:
        flash(_("The party committee's rejection is recorded."), "success")
        return redirect(url_for("rotation.plan", plan_id=plan_id))
    return _plan_page(_plan(plan_id), status, reject_form=form)


@bp.route("/plans/<int:plan_id>/execute", methods=["GET", "POST"])
@reader
def plan_execute(plan_id: int):
    """Carry out an approved plan after a page listing every move."""
    require_roles(*ROTATION_PLAN)
    plan = _plan(plan_id)
    form = f.ConfirmForm()
    done, status = f.submit(form, lambda: plans.execute_plan(db.session, plan, current_user.id))
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
    require_roles(*ROTATION_PLAN)
    q = request.args.get("q", "").strip()[:64]
    stmt = queries.posts(current_scope(), q=q or None).options(joinedload(Post.org_unit)).limit(30)
    return jsonify([{"code": p.code, "label": f"{p.name} · {p.org_unit.name}"}
                    for p in db.session.scalars(stmt)])


# ------------------------------------------------------------------ deferrals and holds


def _listing(model, template: str, endpoint: str):
    show = "all" if request.args.get("show") == "all" else "current"
    stmt = services.list_query(model, current_only=show == "current", scope=current_scope())
    page = paginate(stmt.options(joinedload(model.person).joinedload(Person.org_unit)))
    return render_template(template, page=page, show=show, endpoint=endpoint)


def _prefilled(form) -> None:
    """Put ?person_id='s staff number into a new form."""
    pid = _int(request.args.get("person_id"))
    if pid and not form.is_submitted():
        found = db.session.scalar(queries.people(current_scope()).where(Person.id == pid))
        form.staff_no.data = found.staff_no if found else ""


def _by_staff_no(form) -> int | None:
    if not form.staff_no.data:
        f.add_errors(form.staff_no, [_("A staff number is required.")])
        return None
    return f.person_id(form.staff_no)


@bp.get("/deferrals")
@reader
def deferrals():
    """Deferrals (暂缓轮岗) in force, or all of them with revoked and expired ones."""
    return _listing(RotationDeferral, "rotation/deferrals.html", "rotation.deferrals")


@bp.route("/deferrals/new", methods=["GET", "POST"])
@reader
def deferral_new():
    """Record the party committee's decision to defer a person's rotation (HR)."""
    require_roles(*ROTATION_PLAN)
    form = f.DeferralForm()
    _prefilled(form)
    done, status = f.submit(form, lambda: services.create_deferral(
        db.session, form.to_data(_by_staff_no(form)), current_user.id, current_scope()))
    if done:
        flash(_("Deferral recorded."), "success")
        return redirect(url_for("rotation.person", person_id=done.person_id))
    return render_template("rotation/deferral_form.html", form=form), status


@bp.route("/deferrals/<int:deferral_id>/revoke", methods=["GET", "POST"])
@reader
def deferral_revoke(deferral_id: int):
    """Revoke a deferral entered by mistake, after a confirmation page."""
    require_roles(*ROTATION_PLAN)
    deferral = services.get_deferral(db.session, deferral_id, current_scope())
    form = f.ConfirmForm()
    done, status = f.submit(form, lambda: services.revoke_deferral(db.session, deferral, current_user.id) or True)
    if done:
        flash(_("Deferral revoked."), "success")
        return redirect(url_for("rotation.deferrals"))
    deferral = services.get_deferral(db.session, deferral_id, current_scope())
    return render_template("rotation/deferral_revoke.html", deferral=deferral, form=form), status


def _holder(view):
    return login_required(roles_required(*ROTATION_HOLD)(view))


@bp.get("/holds")
@_holder
def holds():
    """Holds (不得转任) in force, or all of them, with their reasons (discipline roles)."""
    return _listing(RotationHold, "rotation/holds.html", "rotation.holds")


@bp.route("/holds/new", methods=["GET", "POST"])
@_holder
def hold_new():
    """Block a person's move while the committee reviews them."""
    form = f.HoldForm()
    _prefilled(form)
    done, status = f.submit(form, lambda: services.create_hold(
        db.session, {"person_id": _by_staff_no(form), "reason": form.reason.data or ""},
        current_user.id, current_scope()))
    if done:
        flash(_("Hold placed."), "success")
        return redirect(url_for("rotation.holds"))
    return render_template("rotation/hold_form.html", form=form), status


@bp.route("/holds/<int:hold_id>/release", methods=["GET", "POST"])
@_holder
def hold_release(hold_id: int):
    """Lift a hold, after a confirmation page."""
    hold = services.get_hold(db.session, hold_id, current_scope())
    form = f.ConfirmForm()
    done, status = f.submit(form, lambda: services.release_hold(db.session, hold, current_user.id) or True)
    if done:
        flash(_("Hold released."), "success")
        return redirect(url_for("rotation.holds"))
    hold = services.get_hold(db.session, hold_id, current_scope())
    return render_template("rotation/hold_release.html", hold=hold, form=form), status


# ------------------------------------------------------------------ policy


@bp.route("/policy", methods=["GET", "POST"])
@reader
def policy():
    """The rotation policy; admins and HR change it."""
    current = get_policy(db.session)
    form = f.PolicyForm(data=current if request.method == "GET" else None)
    status = 200
    if request.method == "POST":
        require_roles(*ROTATION_POLICY)
        done, status = f.submit(form, lambda: update_policy(db.session, form.to_changes()))
        if done:
            flash(_("Rotation policy saved."), "success")
            return redirect(url_for("rotation.policy"))
    return render_template("rotation/policy.html", form=form, policy=current,
                           mode_labels=f.TENURE_MODE_LABELS), status
