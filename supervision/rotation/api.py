"""JSON API of rotation (SPEC §7, §10): policy, eligibility, deferrals, holds, plans and
the 应轮尽轮 figures.

Permissions (SPEC §4; the grants of supervision.common.permissions):
- Read eligibility, deferrals, plans and 应轮尽轮: `rotation.read` (admin, hr, the
  discipline roles).
- Change the policy: `rotation.policy` (admin, hr). Preview a change (nothing saved):
  `rotation.policy_preview` (admin, hr and the discipline roles).
- Record deferrals, build, submit and execute plans: `rotation.plan` (hr).
- Approve or reject a submitted plan (the party committee's decision): `rotation.decide`.
- Holds, including listing them: `rotation.hold` (the discipline roles) only. HR sees that a
  person is `blocked` (`under_review`) in eligibility and plan problems, never a reason.
- Leaders and staff get 403 on everything here. The role is checked before the input is
  parsed, so a forbidden caller learns nothing from validation messages.

Decisions:
- `current` on deferral and hold lists is three-way: true (in force), false (not in force:
  expired, revoked, released or not yet started), absent (all).
- A plan's `problems` are computed for one plan (GET /rotation/plans/{id} and every write),
  not in the list; executed and rejected plans are history and show none.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Page
from sqlalchemy.orm import selectinload

from supervision.common import clock
from supervision.common.api import ApiBlueprint, SelectPage
from supervision.common.permissions import require, requires
from supervision.extensions import db
from supervision.org.scope import current_scope, unit_in_scope
from supervision.rotation import completion, eligibility, plans, services
from supervision.rotation import preview as policy_preview
from supervision.rotation.models import (
    RotationDeferral,
    RotationHold,
    RotationPlan,
    RotationPlanItem,
)
from supervision.rotation.schemas import (
    ApproveSchema,
    CompletionQuery,
    CompletionSchema,
    DeferralQuery,
    DeferralSchema,
    EligibilityQuery,
    EligibilityRowSchema,
    HoldQuery,
    HoldSchema,
    PlanQuery,
    PlanSchema,
    PlanWriteSchema,
    PolicyPreviewQuery,
    PolicyPreviewSchema,
    PolicySchema,
    RejectSchema,
)
from supervision.rotation.settings import get_rotation_settings, update_rotation_settings

blp = ApiBlueprint(
    "rotation_api",
    __name__,
    description="Rotation: policy, tenure and eligibility, deferrals, holds, plans",
)

PLAN_FIELDS = (
    "id",
    "name",
    "status",
    "created_at",
    "submitted_at",
    "decided_at",
    "meeting_date",
    "minutes_no",
    "decision_comment",
    "executed_at",
)
ITEM_FIELDS = (
    "id",
    "person_id",
    "from_post_id",
    "to_post_id",
    "effective_date",
    "closed_assignment_id",
    "opened_assignment_id",
)
#: Plans whose items may still be stopped by a problem (the others are history).
OPEN_PLAN_STATUSES = ("draft", "submitted", "approved")


# ------------------------------------------------------------------ helpers


def _listing(model, args: dict):
    """SELECT of deferrals or holds for a list request (person and in-force filters)."""
    scope = current_scope()
    stmt = services.list_query(model, person_id=args.get("person_id"), scope=scope)
    current = args.get("current")
    if current is not None:
        # The service owns the "in force" rule; its query is reused as a set of ids.
        in_force = (
            services.list_query(model, current_only=True, scope=scope)
            .with_only_columns(model.id)
            .order_by(None)
        )
        stmt = stmt.where(model.id.in_(in_force) if current else model.id.not_in(in_force))
    return stmt


def _plan(plan_id: int) -> RotationPlan:
    """A plan with its items and their people loaded in two more queries (404 otherwise)."""
    stmt = (
        sa.select(RotationPlan)
        .where(RotationPlan.id == plan_id)
        .options(selectinload(RotationPlan.items).selectinload(RotationPlanItem.person))
    )
    # get_plan raises the service's own 404 when the plan does not exist.
    return db.session.scalar(stmt) or plans.get_plan(db.session, plan_id)


def plan_document(plan: RotationPlan, with_problems: bool = True) -> dict:
    """A plan as the API shows it; with each item's current problems when asked."""
    problems = {}
    if with_problems and plan.status in OPEN_PLAN_STATUSES:
        problems = plans.plan_problems(db.session, plan)
    items = []
    for index, item in enumerate(plan.items):
        doc = {f: getattr(item, f) for f in ITEM_FIELDS}
        doc["person_name"] = item.person.name
        if with_problems:
            doc["problems"] = [
                {"field": field, "code": code, "message": message}
                for field, code, message in problems.get(index, [])
            ]
        items.append(doc)
    return {**{f: getattr(plan, f) for f in PLAN_FIELDS}, "items": items}


class PlanPage(SelectPage):
    """Plans of one page as documents, without problems (one plan's GET has them)."""

    @property
    def items(self):
        return [plan_document(p, with_problems=False) for p in super().items]


def _saved(plan_id: int) -> dict:
    """Commit, then answer the plan as stored."""
    db.session.commit()
    return plan_document(_plan(plan_id))


# ------------------------------------------------------------------ policy


@blp.route("/rotation/policy")
class Policy(MethodView):
    @requires("rotation.read")
    @blp.response(200, PolicySchema)
    def get(self):
        """The rotation policy (SPEC §7 defaults unless changed)."""
        return get_rotation_settings(db.session)

    @requires("rotation.policy")
    @blp.arguments(PolicySchema)
    @blp.response(200, PolicySchema)
    def put(self, data):
        """Change any subset of the policy (admin, hr; validated as a whole, audited)."""
        result = update_rotation_settings(db.session, data)
        db.session.commit()
        return result


@blp.route("/rotation/policy/preview")
class PolicyPreview(MethodView):
    @requires("rotation.policy_preview")
    @blp.arguments(PolicySchema)
    @blp.arguments(PolicyPreviewQuery, location="query")
    @blp.response(200, PolicyPreviewSchema)
    def post(self, data, query):
        """What the body of a `PUT /rotation/policy` would change, not saved: status changes
        (from, to, count), due people by unit before and after, and up to 500 changed rows.
        Invalid settings are refused with 422 as for the save."""
        as_of = query.get("as_of") or clock.today()
        result = policy_preview.preview(db.session, data, as_of, current_scope())
        db.session.rollback()  # nothing of a preview is ever kept
        return result


# ------------------------------------------------------------------ eligibility


@blp.route("/rotation/eligibility")
class Eligibility(MethodView):
    @requires("rotation.read")
    @blp.arguments(EligibilityQuery, location="query")
    @blp.response(200, EligibilityRowSchema(many=True))
    @blp.paginate(Page)
    def get(self, args):
        """One row per person and sensitive or leadership post held on `as_of`: tenure, due
        date, status and reasons; most urgent first, then by due date."""
        scope = current_scope()
        unit = unit_in_scope(scope, args.get("org_unit_id"))
        filters = eligibility.Filters(
            unit_path=unit.path if unit else None,
            person_id=args.get("person_id"),
            post_category=args.get("post_category"),
            personnel_type=args.get("personnel_type"),
        )
        # Counted and sliced in SQL for today (the maintained table), else by the engine.
        return eligibility.listing(
            db.session,
            args.get("as_of") or clock.today(),
            scope=scope,
            filters=filters,
            status=args.get("status"),
        )


# ------------------------------------------------------------------ deferrals


@blp.route("/rotation/deferrals")
class Deferrals(MethodView):
    @requires("rotation.read")
    @blp.arguments(DeferralQuery, location="query")
    @blp.response(200, DeferralSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """Deferrals, newest first."""
        return _listing(RotationDeferral, args)

    @requires("rotation.plan")
    @blp.arguments(DeferralSchema)
    @blp.response(201, DeferralSchema)
    def post(self, data):
        """Record the party committee's deferral of a person's rotation (hr): meeting date,
        minutes number and expiry are required."""
        deferral = services.create_deferral(db.session, data, current_user.id, current_scope())
        db.session.commit()
        return deferral


@blp.route("/rotation/deferrals/<int:deferral_id>")
class DeferralItem(MethodView):
    @requires("rotation.read")
    @blp.response(200, DeferralSchema)
    def get(self, deferral_id):
        """One deferral."""
        return services.get_deferral(db.session, deferral_id, current_scope())

    @requires("rotation.plan")
    @blp.response(204)
    def delete(self, deferral_id):
        """Revoke a deferral entered by mistake (hr; 409 when already revoked); it is kept."""
        deferral = services.get_deferral(db.session, deferral_id, current_scope())
        services.revoke_deferral(db.session, deferral, current_user.id)
        db.session.commit()


# ------------------------------------------------------------------ holds


@blp.route("/rotation/holds")
class Holds(MethodView):
    @requires("rotation.hold")
    @blp.arguments(HoldQuery, location="query")
    @blp.response(200, HoldSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """Discipline holds with their reasons, newest first (discipline roles only)."""
        return _listing(RotationHold, args)

    @requires("rotation.hold")
    @blp.arguments(HoldSchema)
    @blp.response(201, HoldSchema)
    def post(self, data):
        """Block a person's move while under review (不得转任; 409 when already held)."""
        hold = services.create_hold(db.session, data, current_user.id, current_scope())
        db.session.commit()
        return hold


@blp.route("/rotation/holds/<int:hold_id>")
class HoldItem(MethodView):
    @requires("rotation.hold")
    @blp.response(200, HoldSchema)
    def get(self, hold_id):
        """One hold (discipline roles only)."""
        return services.get_hold(db.session, hold_id, current_scope())

    @requires("rotation.hold")
    @blp.response(204)
    def delete(self, hold_id):
        """Release a hold (409 when already released); it is kept as history."""
        hold = services.get_hold(db.session, hold_id, current_scope())
        services.release_hold(db.session, hold, current_user.id)
        db.session.commit()


# ------------------------------------------------------------------ plans


@blp.route("/rotation/plans")
class Plans(MethodView):
    @requires("rotation.read")
    @blp.arguments(PlanQuery, location="query")
    @blp.response(200, PlanSchema(many=True))
    @blp.paginate(PlanPage)
    def get(self, args):
        """Rotation plans with their items, newest first."""
        return plans.list_plans(args.get("status")).options(
            selectinload(RotationPlan.items).selectinload(RotationPlanItem.person)
        )

    @requires("rotation.plan")
    @blp.arguments(PlanWriteSchema)
    @blp.response(201, PlanSchema)
    def post(self, data):
        """Create a draft plan (hr). Item problems answer 422 with errors
        {"items": {index: {field: [messages]}}} and nothing is written."""
        plan = plans.create_plan(db.session, data, current_user.id, current_scope())
        return _saved(plan.id)


@blp.route("/rotation/plans/<int:plan_id>")
class PlanItem(MethodView):
    @requires("rotation.read")
    @blp.response(200, PlanSchema)
    def get(self, plan_id):
        """One plan; each item lists what currently stops it (`problems`)."""
        return plan_document(_plan(plan_id))

    @requires("rotation.plan")
    @blp.arguments(PlanWriteSchema(partial=("name", "items")))
    @blp.response(200, PlanSchema)
    def patch(self, data, plan_id):
        """Rename a draft and/or replace its items (hr; 409 unless draft)."""
        plans.update_plan(db.session, _plan(plan_id), data, current_scope())
        return _saved(plan_id)

    @requires("rotation.plan")
    @blp.response(204)
    def delete(self, plan_id):
        """Delete a draft (hr; 409 once submitted: decisions are kept)."""
        plans.delete_plan(db.session, _plan(plan_id))
        db.session.commit()


@blp.route("/rotation/plans/<int:plan_id>/submit")
class PlanSubmit(MethodView):
    @requires("rotation.plan")
    @blp.response(200, PlanSchema)
    def post(self, plan_id):
        """Send a complete draft to the party committee (hr)."""
        plans.submit_plan(db.session, _plan(plan_id), current_user.id)
        return _saved(plan_id)


@blp.route("/rotation/plans/<int:plan_id>/approve")
class PlanApprove(MethodView):
    @requires("rotation.decide")
    @blp.arguments(ApproveSchema)
    @blp.response(200, PlanSchema)
    def post(self, data, plan_id):
        """Record the party committee's approval: meeting date and minutes number."""
        plans.approve_plan(db.session, _plan(plan_id), data, current_user.id)
        return _saved(plan_id)


@blp.route("/rotation/plans/<int:plan_id>/reject")
class PlanReject(MethodView):
    @requires("rotation.decide")
    @blp.arguments(RejectSchema)
    @blp.response(200, PlanSchema)
    def post(self, data, plan_id):
        """Record the party committee's rejection, with its reason."""
        plans.reject_plan(db.session, _plan(plan_id), data, current_user.id)
        return _saved(plan_id)


@blp.route("/rotation/plans/<int:plan_id>/execute")
class PlanExecute(MethodView):
    @requires("rotation.plan")
    @blp.response(200, PlanSchema)
    def post(self, plan_id):
        """Move everyone in an approved plan at once (hr): each old assignment ends the day
        before the effective date and the new one starts on it."""
        plans.execute_plan(db.session, _plan(plan_id), current_user.id)
        return _saved(plan_id)


@blp.route("/rotation/completion", methods=["GET"])
@blp.arguments(CompletionQuery, location="query")
@blp.response(200, CompletionSchema)
@blp.alt_response(404, description="Unit not found or outside the caller's scope")
@blp.alt_response(422, description="Missing or malformed period")
def completion_figures(query):
    """应轮尽轮 for a period: rotated vs still due per unit, with the lists of people."""
    require("rotation.read")
    scope = current_scope()
    period = completion.parse_period(query["period"])
    unit = unit_in_scope(scope, query.get("org_unit_id"), "org_unit_id")
    return completion.compute(db.session, period, unit=unit, scope=scope)
