"""JSON API: /obligations, /obligations/summary, /obligations/waivers, /obligations/rules
(SPEC §6, §10).

Decisions:
- `period` is required; `type` is optional: without it, every obligation type whose
  frequency is the period's kind (default: 2025Q3 → integrity_reminder, 2025H2 →
  supervision, 2025 → heart_to_heart). A type of another frequency is 422 on `period`.
- Who sees obligations: the discipline roles see all; a leader sees the people of their
  scope (units they head or supervise, their own unit, themselves) and the obligations
  they conduct. The summary of a leader covers their scope only. hr, admin and staff get
  403 (SPEC §4 gives staff their talks, not obligations).
- An `org_unit_id` outside the caller's scope is 404; a `person_id` is a plain filter
  (an empty list when that person is not visible), so existence does not leak.
- Waivers: the discipline roles create and list them. Rules: read by admin, the discipline
  roles and leaders; changed by admin and the discipline secretary.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Page

from supervision.common import clock
from supervision.common.api import (
    ApiBlueprint,
    SelectPage,
)
from supervision.common.permissions import require
from supervision.extensions import db
from supervision.obligations import engine
from supervision.obligations.models import ObligationWaiver
from supervision.obligations.permissions import readable_obligations
from supervision.obligations.schemas import (
    ObligationQuery,
    ObligationSchema,
    RulesSchema,
    SummaryQuery,
    SummarySchema,
    WaiverQuery,
    WaiverSchema,
)
from supervision.obligations.services import create_waiver
from supervision.obligations.settings import get_obligation_settings, update_obligation_settings
from supervision.org.scope import unit_in_scope

blp = ApiBlueprint(
    "obligations_api",
    __name__,
    description="Talk obligations: computed status by period, completion "
    "summary by unit, waivers, and the obligation rules",
)


# ------------------------------------------------------------------ helpers


# ------------------------------------------------------------------ routes


@blp.route("/obligations")
class Obligations(MethodView):
    @blp.arguments(ObligationQuery, location="query")
    @blp.response(200, ObligationSchema(many=True))
    @blp.paginate(Page)
    def get(self, args):
        """Computed obligations of a period (by person, then type), as of a date."""
        scope, viewer = readable_obligations()
        settings = get_obligation_settings(db.session)
        period, types = engine.resolve(args["period"], args.get("type"), settings)
        unit = unit_in_scope(scope, args.get("org_unit_id"))
        rows = engine.compute(
            db.session,
            period,
            types,
            as_of=args.get("as_of") or clock.today(),
            unit_path=unit.path if unit else None,
            person_id=args.get("person_id"),
            scope=scope,
            viewer_id=viewer,
            settings=settings,
        )
        if args.get("status"):
            rows = [r for r in rows if r.status == args["status"]]
        return rows


@blp.route("/obligations/summary")
class Summary(MethodView):
    @blp.arguments(SummaryQuery, location="query")
    @blp.response(200, SummarySchema)
    def get(self, args):
        """Completion counts and rate over a unit's subtree (or the scope) and per child unit."""
        scope, _viewer = readable_obligations()
        settings = get_obligation_settings(db.session)
        period, types = engine.resolve(args["period"], args.get("type"), settings)
        unit = unit_in_scope(scope, args.get("org_unit_id"))
        return engine.summary(
            db.session,
            period,
            types,
            unit=unit,
            scope=scope,
            as_of=args.get("as_of") or clock.today(),
        )


@blp.route("/obligations/waivers")
class Waivers(MethodView):
    @blp.arguments(WaiverQuery, location="query")
    @blp.response(200, WaiverSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """Waivers, newest first (discipline roles)."""
        require("obligations.waive")
        stmt = sa.select(ObligationWaiver).order_by(ObligationWaiver.id.desc())
        for key in ("person_id", "type"):
            if args.get(key) is not None:
                stmt = stmt.where(getattr(ObligationWaiver, key) == args[key])
        if args.get("period"):
            stmt = stmt.where(ObligationWaiver.period == args["period"].strip().upper())
        return stmt

    @blp.arguments(WaiverSchema)
    @blp.response(201, WaiverSchema)
    def post(self, data):
        """Waive a person's obligation for a period, with a reason (discipline roles; 409 if
        already waived)."""
        require("obligations.waive")
        waiver = create_waiver(db.session, data, current_user.id)
        db.session.commit()
        return waiver


@blp.route("/obligations/rules")
class Rules(MethodView):
    @blp.response(200, RulesSchema)
    def get(self):
        """The obligation rules (SPEC §6 defaults unless changed)."""
        require("obligations.rules.read")
        return get_obligation_settings(db.session)

    @blp.arguments(RulesSchema(partial=True))
    @blp.response(200, RulesSchema)
    def put(self, data):
        """Change any part of the rules (admin, discipline secretary; validated as a whole)."""
        require("obligations.rules.write")
        result = update_obligation_settings(db.session, data)
        db.session.commit()
        return result
