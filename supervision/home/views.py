"""The start page (issue 13): one section per role the user holds, each shown once, with
figures and charts read through the domains' queries (supervision.home.figures, .desks).

Sections, each behind a grant of supervision.common.permissions:
- `home.bureau` (secretary, members): this period's completion by unit, the trend, overdue
  and escalated obligations, the open campaign, measures past due, 应轮尽轮, pending grants;
- `home.leader`: talks they owe, their units' completion, risk points due for review;
- `talks.mine` with a person: talks waiting for their signature;
- `home.rotation` (HR): rotations due and upcoming, plans by state, deferrals expiring;
- `home.system` (admin): calendar, scheduler, mail; `home.org_counts`: the organisation;
- the rectification tasks (findings to sign off, answer for, measures owned), when any.
The calendar warning (SPEC §2) stays at the top for `calendar.warnings`.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from supervision.calendar.services import fallback_years
from supervision.common import clock
from supervision.common.periods import Period
from supervision.common.permissions import can
from supervision.extensions import db
from supervision.home import desks, figures
from supervision.obligations.mine_views import owed_by
from supervision.obligations.settings import get_obligation_settings
from supervision.org.scope import EVERYTHING, current_scope, led_scope, risk_scope
from supervision.rectification.page_queries import desk as rectification_desk
from supervision.talks import queries as talk_queries

bp = Blueprint("home", __name__)


def _bureau(today, settings) -> dict:
    """The committee's figures over the whole organisation."""
    session = db.session
    unit = figures.breakdown_unit(session, EVERYTHING)
    period = Period.of(today, settings[figures.CHARTED_TYPE]["frequency"])
    current, raw = figures.completion(session, EVERYTHING, period, today, unit, settings)
    trend, summaries = figures.trend(session, EVERYTHING, period, today, unit, raw)
    return {
        "completion": current,
        "trend": trend,
        "overdue": figures.overdue(session, EVERYTHING, today, unit, settings, summaries),
        "campaign": desks.campaign(session, EVERYTHING),
        "measures": desks.measures_past_due(session, EVERYTHING, today),
        "rotation": desks.rotation_year(session, EVERYTHING, today),
        "grants": desks.pending_grants(session),
    }


def _leader(today, settings) -> dict:
    """What a leader owes and how their units stand."""
    session = db.session
    me = current_user.person_id
    scope = led_scope(current_user)
    out: dict = {"owed": [], "earlier": [], "completion": None}
    if me is not None:
        owed, earlier, _since = owed_by(me)
        out["owed"] = [r for r in owed if r.status in ("pending", "overdue")]
        out["earlier"] = earlier
        shown = [*out["owed"], *earlier][: desks.SHORT_LIST]
        out["people"] = talk_queries.people_by_id(r.person_id for r in shown)
    out["overdue"] = sum(1 for r in out["owed"] if r.status == "overdue") + len(out["earlier"])
    unit = figures.breakdown_unit(session, scope)
    if unit is not None or scope.subtree_paths or scope.unit_ids:
        period = Period.of(today, settings[figures.CHARTED_TYPE]["frequency"])
        out["completion"], _raw = figures.completion(session, scope, period, today, unit, settings)
    out["reviews"] = desks.reviews_due(session, risk_scope(current_user), me, today)
    return out


def _rotation(today) -> dict:
    """HR's rotation desk."""
    scope = current_scope()
    return {
        **desks.rotations(db.session, scope, today),
        "plans": desks.plan_counts(db.session),
        "deferrals": desks.deferrals_expiring(db.session, scope, today),
    }


def sections(today) -> dict:
    """The sections the logged-in user sees, by name (each computed once)."""
    out: dict = {}
    settings = None
    if can(current_user, "home.bureau", "home.leader"):
        settings = get_obligation_settings(db.session)
    if can(current_user, "home.bureau"):
        out["bureau"] = _bureau(today, settings)
    if can(current_user, "home.leader"):
        out["leader"] = _leader(today, settings)
    if can(current_user, "talks.mine") and current_user.person_id is not None:
        out["to_sign"] = desks.to_sign(current_user.person_id)
    if can(current_user, "home.rotation"):
        out["rotation"] = _rotation(today)
    rectification = rectification_desk(db.session, current_user, today)
    if any(rectification.values()):
        out["rectification"] = rectification
    if can(current_user, "home.org_counts"):
        out["org"] = desks.org_counts(db.session, current_scope())
    return out


@bp.get("/")
@login_required
def index():
    """The start page: the sections of each of the user's roles."""
    today = clock.today()
    fallback = (
        fallback_years(db.session, today)
        if can(current_user, "calendar.warnings", "home.system")
        else []
    )
    found = sections(today)
    if can(current_user, "home.system"):
        found["system"] = desks.system(db.session, today, fallback)
    return render_template(
        "home/index.html",
        today=today,
        calendar_fallback=fallback if can(current_user, "calendar.warnings") else [],
        sections=found,
    )
