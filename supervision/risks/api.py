"""JSON API: /risk-points, /risk-campaigns, /risks/settings (SPEC §5, §10).

Permissions (SPEC §4):
- Risk inventories are read and edited by `risks.edit` (discipline secretary and members:
  every unit; leaders: the units of their risk scope). Other roles (hr, admin, staff) have
  no inventories: every /risk-points and /risk-campaigns operation answers them 403, whatever
  the id, so nothing about existence leaks.
- A point outside the caller's risk scope is 404. The scope is checked before the role of
  the action: a leader approving a point of their own unit gets 403, a point of another
  unit 404.
- A leader may only place a point (create, or PATCH `org_unit_id`/`post_id`) in a unit of
  their scope: anything else is 422 on that field with the same message as a unit or post
  that does not exist, so it tells nothing about units outside the scope.
- Approve, return and retire a point, open and close a campaign: `risks.review` only.
- Settings: read by `risks.settings.read`, changed by `risks.settings.write` (admin).
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Page
from sqlalchemy.orm import selectinload, subqueryload

from supervision.common.api import ApiBlueprint, SelectPage
from supervision.common.errors import Invalid, NotFound
from supervision.common.permissions import require
from supervision.extensions import db
from supervision.org.models import OrgUnit, Post
from supervision.org.scope import current_risk_scope
from supervision.risks import queries, services
from supervision.risks.models import RiskCampaign, RiskPoint
from supervision.risks.schemas import (
    RiskCampaignQuery,
    RiskCampaignRefSchema,
    RiskCampaignSchema,
    RiskCampaignUnitQuery,
    RiskCampaignUnitSchema,
    RiskPointQuery,
    RiskPointSchema,
    RiskReturnSchema,
    RiskSettingsSchema,
    current_settings,
)
from supervision.risks.settings import get_risk_settings, update_risk_settings

blp = ApiBlueprint(
    "risks_api",
    __name__,
    description="Integrity-risk inventories: risk points and their control measures, "
    "screening campaigns, settings",
)


def _require_inventory_role() -> None:
    """403 for roles that have no risk inventories at all (hr, admin, staff)."""
    require("risks.edit")


def _point(point_id: int) -> RiskPoint:
    stmt = queries.points(
        current_risk_scope(), current_settings(), include_retired=True, eager=False
    ).where(RiskPoint.id == point_id)
    point = db.session.scalar(stmt.options(selectinload(RiskPoint.measures)))
    if point is None:
        raise NotFound(_("No %(what)s with id %(id)s.", what=_("risk point"), id=point_id))
    return point


def _campaign(campaign_id: int) -> RiskCampaign:
    campaign = db.session.get(RiskCampaign, campaign_id)
    if campaign is None:
        raise NotFound(_("No %(what)s with id %(id)s.", what=_("campaign"), id=campaign_id))
    return campaign


def _check_placement(data: dict) -> None:
    """A caller with a partial scope may only name units and posts of that scope (else 422,
    worded as for a unit or post that does not exist)."""
    scope = current_risk_scope()
    if scope.everything:
        return
    errors = {}
    unit_id, post_id = data.get("org_unit_id"), data.get("post_id")
    if (
        unit_id is not None
        and db.session.scalar(
            sa.select(OrgUnit.id).where(OrgUnit.id == unit_id, scope.unit_clause())
        )
        is None
    ):
        errors["org_unit_id"] = [_("No %(what)s with id %(id)s.", what=_("org unit"), id=unit_id)]
    if (
        post_id is not None
        and db.session.scalar(
            sa.select(Post.id)
            .join(OrgUnit, OrgUnit.id == Post.org_unit_id)
            .where(Post.id == post_id, scope.unit_clause())
        )
        is None
    ):
        errors["post_id"] = [_("No %(what)s with id %(id)s.", what=_("post"), id=post_id)]
    if errors:
        raise Invalid(_("Invalid %(what)s", what=_("risk point")), errors)


def _check_measure_ids(measures: list[dict] | None, point: RiskPoint | None) -> None:
    """Measure ids must name measures of this point, each at most once (else 422)."""
    known = {m.id for m in point.measures} if point is not None else set()
    seen: set[int] = set()
    errors = {}
    for i, m in enumerate(measures or []):
        mid = m.get("id")
        if mid is None:
            continue
        if mid not in known:
            errors[i] = {"id": [_("Not a measure of this risk point.")]}
        elif mid in seen:
            errors[i] = {"id": [_("This measure is listed twice.")]}
        seen.add(mid)
    if errors:
        raise Invalid(_("Invalid %(what)s", what=_("risk point")), {"measures": errors})


@blp.route("/risk-points")
class RiskPoints(MethodView):
    @blp.arguments(RiskPointQuery, location="query")
    @blp.response(200, RiskPointSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """Risk points in the caller's risk scope (retired ones only with status=retired),
        by unit, level and id; org_unit_id covers the unit's subtree."""
        _require_inventory_role()
        stmt = queries.points(current_risk_scope(), current_settings(), eager=False, **args)
        # One query for the measures of the whole page, however large (selectinload would
        # split a 1000-row page into IN batches of 500).
        return stmt.options(subqueryload(RiskPoint.measures))

    @blp.arguments(RiskPointSchema)
    @blp.response(201, RiskPointSchema)
    def post(self, data):
        """Create a draft risk point with its measures."""
        _require_inventory_role()
        _check_placement(data)
        _check_measure_ids(data.get("measures"), None)
        point = services.create_point(db.session, data)
        db.session.commit()
        return point


@blp.route("/risk-points/<int:point_id>")
class RiskPointItem(MethodView):
    @blp.response(200, RiskPointSchema)
    def get(self, point_id):
        """One risk point with its measures."""
        _require_inventory_role()
        return _point(point_id)

    @blp.arguments(RiskPointSchema(partial=True))
    @blp.response(200, RiskPointSchema)
    def patch(self, data, point_id):
        """Edit a draft, returned or approved point (an approved one becomes the next draft
        version; 409 while submitted or retired). `measures` replaces the whole list."""
        _require_inventory_role()
        point = _point(point_id)
        _check_placement(data)
        _check_measure_ids(data.get("measures"), point)
        services.update_point(db.session, point, data)
        db.session.commit()
        return point


@blp.route("/risk-points/<int:point_id>/submit")
class RiskPointSubmit(MethodView):
    @blp.arguments(RiskCampaignRefSchema, required=False)
    @blp.response(200, RiskPointSchema)
    def post(self, data, point_id):
        """Submit a draft or returned point to the named campaign or the open one (409
        otherwise)."""
        _require_inventory_role()
        point = _point(point_id)
        services.submit(db.session, point, (data or {}).get("campaign_id"))
        db.session.commit()
        return point


@blp.route("/risk-points/<int:point_id>/approve")
class RiskPointApprove(MethodView):
    @blp.arguments(RiskCampaignRefSchema, required=False)
    @blp.response(200, RiskPointSchema)
    def post(self, data, point_id):
        """Approve a submitted point (`risks.review`): counts as its review, freezes this
        version."""
        _require_inventory_role()
        point = _point(point_id)
        require("risks.review")
        services.approve(db.session, point, current_user.id, (data or {}).get("campaign_id"))
        db.session.commit()
        return point


@blp.route("/risk-points/<int:point_id>/return")
class RiskPointReturn(MethodView):
    @blp.arguments(RiskReturnSchema)
    @blp.response(200, RiskPointSchema)
    def post(self, data, point_id):
        """Return a submitted point to its unit with a comment (`risks.review`)."""
        _require_inventory_role()
        point = _point(point_id)
        require("risks.review")
        services.return_point(db.session, point, data["comment"], data.get("campaign_id"))
        db.session.commit()
        return point


@blp.route("/risk-points/<int:point_id>/retire")
class RiskPointRetire(MethodView):
    @blp.response(200, RiskPointSchema)
    def post(self, point_id):
        """Retire a point that no longer applies (`risks.review`; 409 while submitted)."""
        _require_inventory_role()
        point = _point(point_id)
        require("risks.review")
        services.retire(db.session, point)
        db.session.commit()
        return point


@blp.route("/risk-campaigns")
class Campaigns(MethodView):
    @blp.arguments(RiskCampaignQuery, location="query")
    @blp.response(200, RiskCampaignSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """Screening campaigns, newest first."""
        _require_inventory_role()
        stmt = sa.select(RiskCampaign)
        if args.get("status"):
            stmt = stmt.where(RiskCampaign.status == args["status"])
        if args.get("year"):
            stmt = stmt.where(RiskCampaign.year == args["year"])
        return stmt.order_by(RiskCampaign.year.desc(), RiskCampaign.id.desc())

    @blp.arguments(RiskCampaignSchema)
    @blp.response(201, RiskCampaignSchema)
    def post(self, data):
        """Open a campaign (`risks.review`; 409 while another is open)."""
        require("risks.review")
        campaign = services.open_campaign(db.session, data)
        db.session.commit()
        return campaign


@blp.route("/risk-campaigns/<int:campaign_id>")
class CampaignItem(MethodView):
    @blp.response(200, RiskCampaignSchema)
    def get(self, campaign_id):
        """One campaign."""
        _require_inventory_role()
        return _campaign(campaign_id)


@blp.route("/risk-campaigns/<int:campaign_id>/close")
class CampaignClose(MethodView):
    @blp.response(200, RiskCampaignSchema)
    def post(self, campaign_id):
        """Close a campaign (`risks.review`; 409 when already closed): no more submissions to it."""
        require("risks.review")
        campaign = _campaign(campaign_id)
        services.close_campaign(db.session, campaign)
        db.session.commit()
        return campaign


@blp.route("/risk-campaigns/<int:campaign_id>/units")
class CampaignUnits(MethodView):
    @blp.arguments(RiskCampaignUnitQuery, location="query")
    @blp.response(200, RiskCampaignUnitSchema(many=True))
    @blp.paginate(Page)
    def get(self, args, campaign_id):
        """Per unit with sensitive posts in the caller's risk scope: state and point counts."""
        _require_inventory_role()
        campaign = _campaign(campaign_id)
        rows = services.campaign_unit_states(
            db.session, campaign, current_risk_scope().unit_ids_select()
        )
        return [
            {
                "org_unit_id": r["org_unit_id"],
                "org_unit_name": r["org_unit"].name,
                "state": r["state"],
                "counts": {
                    k: r[k] for k in ("current", "submitted", "approved", "returned", "draft")
                },
            }
            for r in rows
            if args.get("state") in (None, r["state"])
        ]


@blp.route("/risks/settings")
class Settings(MethodView):
    @blp.response(200, RiskSettingsSchema)
    def get(self):
        """Level thresholds and review cycles (admin and risk-inventory roles)."""
        require("risks.settings.read")
        return dataclasses.asdict(get_risk_settings(db.session))

    @blp.arguments(RiskSettingsSchema)
    @blp.response(200, RiskSettingsSchema)
    def put(self, data):
        """Change any subset of the settings (admin only; validated as a whole)."""
        require("risks.settings.write")
        settings = update_risk_settings(db.session, data)
        db.session.commit()
        return settings
