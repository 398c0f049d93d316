"""Rotation pages (SPEC §7): eligibility list, a person's tenure timeline, deferrals, holds,
and the policy; the plan pages are in supervision.rotation.plan_views. Both add routes to
the one blueprint of supervision.rotation.blueprint.

Thin views over supervision.rotation.{eligibility,services,plans,policy}. Every page needs
`rotation.read` (leaders and staff get 403); writes need the role the SPEC names. A hold's
reason is shown only to the discipline roles: HR learns that the committee blocks a move,
never why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import (
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from supervision.common import clock
from supervision.common.errors import ServiceError
from supervision.common.forms import add_errors, put_errors, save_form
from supervision.common.pages import (
    DEFAULT_PER_PAGE,
    PageResult,
    choice_arg,
    int_arg,
    page_arg,
    paginate,
    parse_id,
)
from supervision.common.permissions import can, require, requires
from supervision.extensions import db
from supervision.org import queries
from supervision.org.labels import PERSONNEL_TYPE_LABELS, POST_CATEGORY_LABELS
from supervision.org.models import Assignment, Person, Post
from supervision.org.scope import current_scope, unit_in_scope
from supervision.rotation import eligibility, labels, plans, preview, rules, services
from supervision.rotation import forms as f
from supervision.rotation import queries as rotation_queries
from supervision.rotation.blueprint import bp, reader
from supervision.rotation.models import (
    RotationDeferral,
    RotationHold,
)
from supervision.rotation.settings import get_rotation_settings, update_rotation_settings

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
    return PageResult(rows[(page - 1) * per : page * per], len(rows), page, per)


#: The people HR ticked on the eligibility list, kept in the session across pages and
#: filters until they are added to a plan or cleared ("person:post" keys).
SELECTION_KEY = "rotation_selection"
#: At most this many ticks are kept (the session is a cookie).
MAX_SELECTION = 300
#: The list's arguments a view button carries into the next GET.
VIEW_ARGS = ("org_unit_id", "post_category", "personnel_type", "as_of", "status")


def _merged_selection() -> list[str]:
    """The kept ticks with this page's: a row shown on the posted page is ticked or not as
    its checkbox says; rows of other pages keep their tick. Stored back in the session."""
    shown = set(request.form.getlist("shown"))
    ticked = [f"{p}:{q}" for p, q in f.parse_candidates(request.form.getlist("candidate"))]
    kept = [k for k in session.get(SELECTION_KEY, []) if k not in shown]
    merged = list(dict.fromkeys(kept + ticked))
    if len(merged) > MAX_SELECTION:
        flash(_("At most %(n)s people can be ticked at once.", n=MAX_SELECTION), "warning")
        merged = merged[:MAX_SELECTION]
    session[SELECTION_KEY] = merged
    return merged


def _view_target() -> str:
    """Where a view button of the list form (filter, status, page) leads, as a GET."""
    args = {k: request.form.get(k, "").strip() for k in VIEW_ARGS}
    if "set_status" in request.form:
        args["status"] = request.form["set_status"]
    args["page"] = request.form.get("goto", "")
    if args["as_of"] == clock.today().isoformat():
        args["as_of"] = ""  # the default: keep the address plain
    return url_for("rotation.index", **{k: v for k, v in args.items() if v})


@bp.route("/", methods=["GET", "POST"])
@reader
def index():
    """The eligibility list (轮岗资格) with filters, counts by status and, for HR, the form
    that flags the ticked people into a plan; the ticks survive paging and filtering."""
    scope = current_scope()
    form = None
    status = 200
    if can(current_user, "rotation.plan"):
        form = f.AddCandidatesForm()
        form.set_choices(db.session.scalars(plans.list_plans("draft").limit(200)).all())
    if request.method == "POST":
        require("rotation.plan")
        views = request.form.getlist("view")
        selection = _merged_selection()
        if "clear" in views:
            session.pop(SELECTION_KEY, None)
            return redirect(_view_target(), 303)
        if views and "add" not in views:
            return redirect(_view_target(), 303)
        plan, status = _add_candidates(form, selection)
        if plan is not None:
            session.pop(SELECTION_KEY, None)
            return redirect(url_for("rotation.plan", plan_id=plan.id))
    unit = unit_in_scope(scope, int_arg("org_unit_id"))
    as_of, as_of_error = _as_of()
    chosen = {
        "status": choice_arg("status", rules.STATUSES),
        "post_category": choice_arg("post_category", POST_CATEGORY_LABELS),
        "personnel_type": choice_arg("personnel_type", PERSONNEL_TYPE_LABELS),
    }
    rows = eligibility.listing(
        db.session,
        as_of,
        scope=scope,
        filters=eligibility.Filters(
            unit_path=unit.path if unit else None,
            post_category=chosen["post_category"],
            personnel_type=chosen["personnel_type"],
        ),
        status=chosen["status"],
    )
    counts = rows.counts
    checked = session.get(SELECTION_KEY, []) if form is not None else []
    return render_template(
        "rotation/index.html",
        page=_rows_page(rows, page_arg()),
        counts=counts,
        unit=unit,
        as_of=as_of,
        as_of_error=as_of_error,
        chosen=chosen,
        form=form,
        checked=set(checked),
        ticked_people=rotation_queries.names_of(f.parse_candidates(checked)),
        unit_options=queries.unit_filter_options(scope, unit.id if unit else None),
        categories=list(POST_CATEGORY_LABELS.items()),
        personnel_types=list(PERSONNEL_TYPE_LABELS.items()),
    ), status


def _add_candidates(form, selection: list[str]):
    pairs = f.parse_candidates(selection)
    added = []

    def add():
        if not pairs:
            form.form_errors.append(_("Tick at least one person in the list."))
            return None
        if form.plan_id.data:
            plan = plans.get_plan(db.session, form.plan_id.data)
        else:
            plan = plans.create_plan(
                db.session,
                {"name": form.new_plan_name.data or "", "items": []},
                current_user.id,
                current_scope(),
            )
        added.append(plans.add_candidates(db.session, plan, pairs, current_scope()))
        return plan

    plan, status = save_form(form, add, field_map={"name": "new_plan_name"}, together=True)
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
        starts = (
            {s for s, _e in rules.runs(spans, policy["gap_tolerance_days"])}
            if policy["tenure_mode"] == "continuous"
            else {spans[0][0]}
        )
        line = PostTimeline(post=stints[0].post, row=rows.get(post_id))
        for prev, a in zip([None, *stints], stints, strict=False):
            gap = None
            if (
                prev is not None
                and prev.end_date is not None
                and (a.start_date - prev.end_date).days > 1
            ):
                gap = {
                    "first": prev.end_date + timedelta(days=1),
                    "last": a.start_date - timedelta(days=1),
                    "days": (a.start_date - prev.end_date).days - 1,
                    "breaks": a.start_date in starts,
                }
            line.entries.append({"assignment": a, "gap": gap})
        out.append(line)
    out.sort(key=lambda t: (t.row is None, -t.entries[-1]["assignment"].start_date.toordinal()))
    return out


@bp.get("/people/<int:person_id>")
@reader
def person(person_id: int):
    """A person's tenure timeline, deferrals, holds (reasons for the committee only) and plans."""
    scope = current_scope()
    who = rotation_queries.person_in_scope(scope, person_id)
    today = clock.today()
    policy = get_rotation_settings(db.session)
    rows = {r.post_id: r for r in eligibility.for_person(db.session, who.id, today, scope=scope)}
    assignments = rotation_queries.assignments_of(who.id)
    holds = rotation_queries.holds_of(who.id)
    items = rotation_queries.plan_items_of(who.id)
    return render_template(
        "rotation/person.html",
        person=who,
        timeline=_timeline(assignments, rows, policy),
        assignments=assignments,
        policy=policy,
        deferrals=rotation_queries.deferrals_of(who.id),
        holds=holds if can(current_user, "rotation.hold") else [],
        blocked=any(h.released_at is None for h in holds),
        plan_items=items,
    )


# ------------------------------------------------------------------ deferrals and holds


def _listing(model, template: str, endpoint: str):
    show = "all" if request.args.get("show") == "all" else "current"
    stmt = services.list_query(model, current_only=show == "current", scope=current_scope())
    page = paginate(stmt.options(joinedload(model.person).joinedload(Person.org_unit)))
    return render_template(template, page=page, show=show, endpoint=endpoint)


def _prefilled(form) -> None:
    """Put ?person_id='s staff number into a new form."""
    pid = parse_id(request.args.get("person_id"))
    if pid and not form.is_submitted():
        found = db.session.scalar(queries.people(current_scope()).where(Person.id == pid))
        form.staff_no.data = found.staff_no if found else ""


def _by_staff_no(form) -> int | None:
    if not form.staff_no.data:
        add_errors(form.staff_no, [_("A staff number is required.")])
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
    require("rotation.plan")
    form = f.DeferralForm()
    _prefilled(form)
    done, status = save_form(
        form,
        lambda: services.create_deferral(
            db.session, form.to_data(_by_staff_no(form)), current_user.id, current_scope()
        ),
        together=True,
    )
    if done:
        flash(_("Deferral recorded."), "success")
        return redirect(url_for("rotation.person", person_id=done.person_id))
    return render_template("rotation/deferral_form.html", form=form), status


@bp.route("/deferrals/<int:deferral_id>/revoke", methods=["GET", "POST"])
@reader
def deferral_revoke(deferral_id: int):
    """Revoke a deferral entered by mistake, after a confirmation page."""
    require("rotation.plan")
    deferral = services.get_deferral(db.session, deferral_id, current_scope())
    form = f.ConfirmForm()
    done, status = save_form(
        form,
        lambda: services.revoke_deferral(db.session, deferral, current_user.id) or True,
        together=True,
    )
    if done:
        flash(_("Deferral revoked."), "success")
        return redirect(url_for("rotation.deferrals"))
    deferral = services.get_deferral(db.session, deferral_id, current_scope())
    return render_template("rotation/deferral_revoke.html", deferral=deferral, form=form), status


def _holder(view):
    return login_required(requires("rotation.hold")(view))


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
    done, status = save_form(
        form,
        lambda: services.create_hold(
            db.session,
            {"person_id": _by_staff_no(form), "reason": form.reason.data or ""},
            current_user.id,
            current_scope(),
        ),
        together=True,
    )
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
    done, status = save_form(
        form,
        lambda: services.release_hold(db.session, hold, current_user.id) or True,
        together=True,
    )
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
    current = get_rotation_settings(db.session)
    form = f.PolicyForm(data=current if request.method == "GET" else None)
    status = 200
    if request.method == "POST":
        require("rotation.policy")
        done, status = save_form(
            form, lambda: update_rotation_settings(db.session, form.to_changes()), together=True
        )
        if done:
            flash(_("Rotation policy saved."), "success")
            return redirect(url_for("rotation.policy"))
    return _policy_page(form, current, status)


def _policy_page(form, current: dict, status: int, effect=None):
    return render_template(
        "rotation/policy.html",
        form=form,
        policy=current,
        mode_labels=labels.TENURE_MODE_LABELS,
        can_preview=can(current_user, "rotation.policy_preview"),
        effect=effect,
    ), status


@bp.post("/policy/preview")
@login_required
@requires("rotation.policy_preview")
def policy_preview():
    """The policy page again with the effect of the submitted values (预览影响): how many
    people change status, by unit, with the list. Nothing is saved; invalid values are
    shown on the form as a save would show them."""
    current = get_rotation_settings(db.session)
    form = f.PolicyForm()
    effect, status = None, 422
    valid = form.validate_on_submit()
    try:
        if valid:
            effect = preview.preview(db.session, form.to_changes(), clock.today(), current_scope())
            status = 200
    except ServiceError as exc:
        put_errors(form, exc.errors, exc.message)
        status = exc.status
    db.session.rollback()  # a preview writes nothing
    return _policy_page(form, current, status, effect)
