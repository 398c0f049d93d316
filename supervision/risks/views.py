"""Pages of the integrity-risk inventories (SPEC §5): inventory, points, heat map, campaigns.

Thin views: reads go through the scoped selects of supervision.risks.queries (points outside
the caller's risk scope are 404), writes through supervision.risks.services.
"""

from __future__ import annotations

import dataclasses
import json

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from supervision.audit.models import AuditEntry
from supervision.common import clock
from supervision.common.errors import Invalid, ServiceError
from supervision.common.forms import save_form
from supervision.common.pages import int_arg, paginate
from supervision.common.permissions import can, requires
from supervision.extensions import db
from supervision.org import queries as org_queries
from supervision.org.models import OrgUnit, Post
from supervision.org.scope import current_risk_scope, unit_in_scope
from supervision.risks import queries, rules, services
from supervision.risks.forms import (
    CampaignForm,
    MeasureForm,
    PointForm,
    ReturnForm,
    SettingsForm,
    merge_errors,
    people_choices,
)
from supervision.risks.labels import BY_KIND, risk_label
from supervision.risks.models import RiskCampaign, RiskPoint
from supervision.risks.settings import get_risk_settings, update_risk_settings

bp = Blueprint("risks", __name__, url_prefix="/risks")


def reader(view):
    """Signed in, holding a role that sees risk inventories (403 otherwise)."""
    return login_required(requires("risks.edit")(view))


def reviewer(view):
    """Signed in as a discipline-committee reviewer."""
    return login_required(requires("risks.review")(view))


@bp.context_processor
def _helpers():
    return {
        "risk_label": risk_label,
        "risk_labels": BY_KIND,
        "today": clock.today(),
        "is_reviewer": current_user.is_authenticated and can(current_user, "risks.review"),
        "can_edit_settings": can(current_user, "risks.settings.write"),
    }


def _choice_arg(name: str, allowed) -> str | None:
    value = request.args.get(name, "")
    return value if value in allowed else None


def _point(point_id: int) -> RiskPoint:
    settings = get_risk_settings(db.session)
    point = db.session.scalar(
        queries.points(current_risk_scope(), settings, include_retired=True).where(
            RiskPoint.id == point_id
        )
    )
    if point is None:
        abort(404)
    return point


def _level_of(settings: rules.RiskSettings):
    return lambda p: rules.level(p.likelihood, p.impact, settings)


# ------------------------------------------------------------------ inventory


@bp.get("/")
@reader
def index():
    """The inventory of the chosen unit (with sub-units) or of the whole scope, with filters."""
    scope = current_risk_scope()
    settings = get_risk_settings(db.session)
    unit = unit_in_scope(current_risk_scope(), int_arg("org_unit_id"))
    filters = {
        "org_unit_id": unit.id if unit else None,
        "subtree": request.args.get("subtree") != "0",
        "post_id": int_arg("post_id"),
        "level": _choice_arg("level", rules.LEVELS),
        "category": _choice_arg("category", rules.CATEGORIES),
        "status": _choice_arg("status", rules.STATUSES),
        "likelihood": int_arg("likelihood", 1, 5),
        "impact": int_arg("impact", 1, 5),
        "q": request.args.get("q", "").strip()[:200] or None,
    }
    page = paginate(queries.points(scope, settings, **filters))
    posts = (
        db.session.scalars(
            sa.select(Post).where(Post.org_unit_id == unit.id).order_by(Post.code)
        ).all()
        if unit
        else []
    )
    return render_template(
        "risks/index.html",
        page=page,
        unit=unit,
        posts=posts,
        filters=filters,
        unit_options=org_queries.unit_filter_options(scope, unit.id if unit else None),
        level_of=_level_of(settings),
        open_campaign=_open_campaign(),
    )


@bp.get("/heat-map")
@reader
def heat_map():
    """Likelihood × impact grid of current points with counts, coloured by level."""
    scope = current_risk_scope()
    settings = get_risk_settings(db.session)
    unit = unit_in_scope(current_risk_scope(), int_arg("org_unit_id"))
    counts = queries.heat_map(db.session, scope, settings, org_unit_id=unit.id if unit else None)
    return render_template(
        "risks/heat_map.html",
        unit=unit,
        counts=counts,
        total=sum(counts.values()),
        level=lambda lk, im: rules.level(lk, im, settings),
        unit_options=org_queries.unit_filter_options(scope, unit.id if unit else None),
    )


@bp.get("/uncovered-posts")
@reader
def uncovered_posts():
    """Sensitive posts in scope that have no current risk point."""
    page = paginate(queries.sensitive_posts_without_points(current_risk_scope()))
    return render_template("risks/uncovered.html", page=page)


@bp.get("/measures-past-due")
@reader
def measures_past_due():
    """Open measures whose due date has passed."""
    page = paginate(queries.measures_past_due(current_risk_scope(), clock.today()))
    return render_template("risks/past_due.html", page=page)


# ------------------------------------------------------------------ points


def _history(point: RiskPoint) -> list[dict]:
    rows = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.object_type == "risk_point", AuditEntry.object_id == str(point.id))
        .order_by(AuditEntry.id)
        .limit(200)
    ).all()
    out = []
    for e in rows:
        try:
            changes = json.loads(e.changes or "{}")
        except ValueError:
            changes = {}
        comment = (
            (changes.get("return_comment") or [None, None])[1] if e.action == "return" else None
        )
        out.append({"at": e.at, "who": e.actor_name, "action": e.action, "comment": comment})
    return out


def _point_page(
    point: RiskPoint,
    status: int = 200,
    error: str | None = None,
    return_form: ReturnForm | None = None,
):
    settings = get_risk_settings(db.session)
    return render_template(
        "risks/point.html",
        point=point,
        level=rules.level(point.likelihood, point.impact, settings),
        history=_history(point),
        error=error,
        return_form=return_form or ReturnForm(),
        open_campaign=_open_campaign(),
        can=lambda action: rules.can(action, point.status),
    ), status


@bp.get("/points/<int:point_id>")
@reader
def point(point_id: int):
    """One risk point: fields, measures, workflow actions and history."""
    return _point_page(_point(point_id))


def _form_page(form: PointForm, unit: OrgUnit, point: RiskPoint | None, status: int):
    return render_template(
        "risks/point_form.html",
        form=form,
        unit=unit,
        point=point,
        people=people_choices(unit),
        blank_measure=MeasureForm(prefix="measures-__i__-"),
    ), status


def _save(form: PointForm, unit: OrgUnit, write):
    """save_form with the point's references (people by staff number) checked together
    with the service, and errors put on the measure rows they concern."""
    rows: list = []

    def call():
        data, ref_errors, found = form.to_data(current_risk_scope(), unit)
        rows[:] = found
        try:
            obj = write(data)
        except ServiceError as exc:
            if not ref_errors:
                raise
            raise Invalid(exc.message, merge_errors(exc.errors, ref_errors)) from None
        if ref_errors:
            raise Invalid("Unknown reference", merge_errors({}, ref_errors))
        return obj

    return save_form(form, call, put=lambda exc: form.put_errors(exc.message, exc.errors, rows))


@bp.route("/points/new", methods=["GET", "POST"])
@reader
def point_new():
    """Create a draft point of ?org_unit_id= (chosen first), optionally for ?post_id=."""
    unit = unit_in_scope(current_risk_scope(), int_arg("org_unit_id"))
    if unit is None:
        return render_template(
            "risks/choose_unit.html", unit_options=org_queries.unit_options(current_risk_scope())
        )
    form = PointForm()
    form.set_post_choices(
        db.session.scalars(
            sa.select(Post).where(Post.org_unit_id == unit.id).order_by(Post.code)
        ).all()
    )
    if request.method == "GET":
        form.fill(unit=unit, post_id=int_arg("post_id"))
    created, status = _save(form, unit, lambda d: services.create_point(db.session, d))
    if created:
        flash(_("Risk point saved as a draft."), "success")
        return redirect(url_for("risks.point", point_id=created.id))
    return _form_page(form, db.session.get(OrgUnit, unit.id), None, status)


@bp.route("/points/<int:point_id>/edit", methods=["GET", "POST"])
@reader
def point_edit(point_id: int):
    """Edit a draft, returned or approved point and its measures."""
    point = _point(point_id)
    if not rules.can("edit", point.status):
        return _point_page(
            point,
            409,
            _(
                "A %(status)s risk point cannot be edited.",
                status=risk_label("status", point.status),
            ),
        )
    unit = point.org_unit
    form = PointForm()
    form.set_post_choices(
        db.session.scalars(
            sa.select(Post).where(Post.org_unit_id == unit.id).order_by(Post.code)
        ).all()
    )
    if request.method == "GET":
        form.fill(point=point)
    saved, status = _save(form, unit, lambda d: services.update_point(db.session, point, d))
    if saved:
        flash(_("Risk point saved."), "success")
        return redirect(url_for("risks.point", point_id=point_id))
    point = _point(point_id)
    return _form_page(form, point.org_unit, point, status)


def _act(point_id: int, action, done_message: str):
    point = _point(point_id)
    try:
        action(point)
    except ServiceError as exc:
        db.session.rollback()
        return _point_page(_point(point_id), exc.status, str(exc.message))
    db.session.commit()
    flash(done_message, "success")
    return redirect(url_for("risks.point", point_id=point_id))


@bp.post("/points/<int:point_id>/submit")
@reader
def point_submit(point_id: int):
    """Submit a draft or returned point (to the open campaign, if any)."""
    return _act(point_id, lambda p: services.submit(db.session, p), _("Risk point submitted."))


@bp.post("/points/<int:point_id>/retire")
@reviewer
def point_retire(point_id: int):
    """Retire a point that no longer applies (the committee's decision, as in the API)."""
    return _act(point_id, lambda p: services.retire(db.session, p), _("Risk point retired."))


@bp.post("/points/<int:point_id>/approve")
@reviewer
def point_approve(point_id: int):
    """Approve a submitted point (counts as a review; freezes this version)."""
    return _act(
        point_id,
        lambda p: services.approve(db.session, p, current_user.id),
        _("Risk point approved."),
    )


@bp.post("/points/<int:point_id>/return")
@reviewer
def point_return(point_id: int):
    """Return a submitted point to its unit with a comment."""
    point = _point(point_id)
    form = ReturnForm()
    if not form.validate_on_submit():
        return _point_page(point, 422, return_form=form)
    try:
        services.return_point(db.session, point, form.comment.data or "")
    except ServiceError as exc:
        db.session.rollback()
        for key, messages in exc.errors.items():
            if key == "comment":
                form.comment.errors = [*form.comment.errors, *map(str, messages)]
        return _point_page(
            _point(point_id), exc.status, None if exc.errors else str(exc.message), return_form=form
        )
    db.session.commit()
    flash(_("Risk point returned to the unit."), "success")
    return redirect(url_for("risks.point", point_id=point_id))


# ------------------------------------------------------------------ campaigns


def _open_campaign() -> RiskCampaign | None:
    return db.session.scalars(
        sa.select(RiskCampaign)
        .where(RiskCampaign.status == "open")
        .order_by(RiskCampaign.id.desc())
    ).first()


def _campaigns_page(form: CampaignForm, status: int = 200):
    campaigns = paginate(
        sa.select(RiskCampaign).order_by(RiskCampaign.year.desc(), RiskCampaign.id.desc())
    )
    return render_template("risks/campaigns.html", campaigns=campaigns, form=form), status


@bp.get("/campaigns")
@reader
def campaigns():
    """Screening campaigns, newest first, and (for reviewers) the form to open one."""
    form = CampaignForm()
    form.year.data = clock.today().year
    return _campaigns_page(form)


@bp.post("/campaigns")
@reviewer
def campaign_open():
    """Open a screening campaign (only one at a time)."""
    form = CampaignForm()
    campaign, status = save_form(
        form,
        lambda: services.open_campaign(
            db.session,
            {"name": form.name.data, "year": form.year.data, "deadline": form.deadline.data},
        ),
        success=_("Campaign opened."),
    )
    if campaign is None:
        return _campaigns_page(form, status)
    return redirect(url_for("risks.campaign", campaign_id=campaign.id))


def _campaign(campaign_id: int) -> RiskCampaign:
    campaign = db.session.get(RiskCampaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


@bp.get("/campaigns/<int:campaign_id>")
@reader
def campaign(campaign_id: int):
    """A campaign: each unit's state, and the points awaiting review."""
    campaign = _campaign(campaign_id)
    scope = current_risk_scope()
    settings = get_risk_settings(db.session)
    states = services.campaign_unit_states(db.session, campaign, scope.unit_ids_select())
    waiting = paginate(
        queries.points(scope, settings, status="submitted").where(
            RiskPoint.campaign_id == campaign.id
        )
    )
    tally = {s: sum(1 for row in states if row["state"] == s) for s in rules.UNIT_STATES}
    return render_template(
        "risks/campaign.html",
        campaign=campaign,
        states=states,
        waiting=waiting,
        tally=tally,
        level_of=_level_of(settings),
    )


@bp.post("/campaigns/<int:campaign_id>/close")
@reviewer
def campaign_close(campaign_id: int):
    """Close a campaign (its approvals stay reproducible)."""
    campaign = _campaign(campaign_id)
    try:
        services.close_campaign(db.session, campaign)
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("Campaign closed."), "success")
    return redirect(url_for("risks.campaign", campaign_id=campaign_id))


# ------------------------------------------------------------------ settings


@bp.route("/settings", methods=["GET", "POST"])
@login_required
@requires("risks.settings.write")
def settings():
    """Level thresholds and review cycles (administrators)."""
    current = get_risk_settings(db.session)
    form = SettingsForm(data=dataclasses.asdict(current) if request.method == "GET" else None)
    saved, status = save_form(
        form,
        lambda: update_risk_settings(db.session, form.to_data()),
        success=_("Risk settings saved."),
    )
    if saved is not None:
        return redirect(url_for("risks.settings"))
    return render_template("risks/settings.html", form=form), status
