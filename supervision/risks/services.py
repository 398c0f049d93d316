"""Risk points and their workflow, campaigns and settings (SPEC §5).

draft → submitted → approved, or returned (with a comment) → edited → submitted again;
retired at any time but while submitted. Editing an approved point makes it a new draft
version; its approvals stay frozen in RiskApproval, so a campaign's inventory can always
be reproduced. Services validate, write, audit and flush; the caller commits.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from supervision.audit.services import diff, record, snapshot
from supervision.common import clock
from supervision.common.errors import Conflict, Invalid
from supervision.org.models import OrgUnit, Person, Post
from supervision.risks import rules
from supervision.risks.models import Measure, RiskApproval, RiskCampaign, RiskPoint
from supervision.risks.settings import get_risk_settings

POINT_FIELDS = (
    "org_unit_id",
    "post_id",
    "title",
    "manifestation",
    "category",
    "likelihood",
    "impact",
    "responsible_leader_id",
    "department_owner_id",
    "last_reviewed_on",
)
AUDITED = (*POINT_FIELDS, "status", "version", "campaign_id", "review_due_on", "return_comment")
MEASURE_FIELDS = ("description", "owner_id", "due_on", "status")


def level_expression(settings: rules.RiskSettings):
    """SQL CASE giving the level of RiskPoint rows under `settings` (for filters and sorts)."""
    product = RiskPoint.likelihood * RiskPoint.impact
    return sa.case(
        (product >= settings.high_min_score, "high"),
        (product >= settings.medium_min_score, "medium"),
        else_="low",
    )


# ------------------------------------------------------------------ validation


def _validate(session: Session, data: dict, errors: dict[str, list[str]]) -> None:
    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for field, limit in (("title", 300), ("manifestation", 5000)):
        if field in data and isinstance(data[field], str):
            data[field] = data[field].strip()
            if field == "title" and not data[field]:
                add(field, _("This field is required."))
            elif len(data[field]) > limit:
                add(field, _("At most %(n)s characters.", n=limit))
    if "category" in data and data["category"] not in rules.CATEGORIES:
        add("category", _("Must be one of: %(choices)s.", choices=", ".join(rules.CATEGORIES)))
    for field in ("likelihood", "impact"):
        value = data.get(field)
        if field in data and not (
            isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5
        ):
            add(field, _("Must be a whole number from 1 to 5."))
    unit = None
    if data.get("org_unit_id") is not None:
        unit = session.get(OrgUnit, data["org_unit_id"])
        if unit is None:
            add(
                "org_unit_id",
                _("No %(what)s with id %(id)s.", what=_("org unit"), id=data["org_unit_id"]),
            )
    if data.get("post_id") is not None:
        post = session.get(Post, data["post_id"])
        if post is None:
            add("post_id", _("No %(what)s with id %(id)s.", what=_("post"), id=data["post_id"]))
        elif unit is not None and post.org_unit_id != unit.id:
            add("post_id", _("The post belongs to another unit."))
    for field in ("responsible_leader_id", "department_owner_id"):
        if data.get(field) is not None and session.get(Person, data[field]) is None:
            add(field, _("No %(what)s with id %(id)s.", what=_("person"), id=data[field]))
    if data.get("last_reviewed_on") and data["last_reviewed_on"] > clock.today():
        add("last_reviewed_on", _("The review date is in the future."))


def _validate_measures(
    session: Session, measures: list[dict], errors: dict, point: RiskPoint | None = None
) -> None:
    own_ids = {m.id for m in point.measures} if point is not None else set()
    seen: set[int] = set()
    for i, m in enumerate(measures):
        problems: dict[str, list[str]] = {}
        mid = m.get("id")
        if mid is not None:
            if mid not in own_ids:
                problems["id"] = [_("Not a measure of this risk point.")]
            elif mid in seen:
                problems["id"] = [_("The same measure is listed twice.")]
            seen.add(mid)
        description = (m.get("description") or "").strip()
        m["description"] = description
        if not description:
            problems["description"] = [_("This field is required.")]
        elif len(description) > 2000:
            problems["description"] = [_("At most %(n)s characters.", n=2000)]
        if m.get("status", "open") not in ("open", "done"):
            problems["status"] = [_("Must be one of: %(choices)s.", choices="open, done")]
        if m.get("owner_id") is not None and session.get(Person, m["owner_id"]) is None:
            problems["owner_id"] = [
                _("No %(what)s with id %(id)s.", what=_("person"), id=m["owner_id"])
            ]
        if problems:
            errors.setdefault("measures", {})[i] = problems


# ------------------------------------------------------------------ points


def _apply_measures(session: Session, point: RiskPoint, measures: list[dict]) -> None:
    """Replace the point's measures: entries with an `id` of this point update it, others
    are new, and measures left out are removed."""
    by_id = {m.id: m for m in point.measures}
    kept = []
    for m in measures:
        row = by_id.get(m.get("id")) if m.get("id") is not None else None
        if row is None:
            row = Measure()
        for field in MEASURE_FIELDS:
            if field in m:
                setattr(row, field, m[field])
        row.status = row.status or "open"
        if row.status == "done" and row.done_on is None:
            row.done_on = clock.today()
        elif row.status == "open":
            row.done_on = None
        kept.append(row)
    point.measures = kept


def _measures_snapshot(point: RiskPoint) -> list[dict]:
    return [snapshot(m, ("id", *MEASURE_FIELDS)) for m in point.measures]


def _refresh_review_due(session: Session, point: RiskPoint) -> None:
    settings = get_risk_settings(session)
    point.review_due_on = rules.review_due_on(
        point.last_reviewed_on, rules.level(point.likelihood, point.impact, settings), settings
    )


def create_point(session: Session, data: dict) -> RiskPoint:
    """Create a draft risk point with its measures."""
    data = dict(data)
    measures = list(data.pop("measures", None) or [])
    errors: dict[str, Any] = {}
    for field in ("org_unit_id", "title", "category", "likelihood", "impact"):
        if data.get(field) in (None, ""):
            errors.setdefault(field, []).append(_("This field is required."))
    _validate(session, data, errors)
    _validate_measures(session, measures, errors)
    if errors:
        raise Invalid(_("Invalid %(what)s", what=_("risk point")), errors)
    point = RiskPoint(status="draft", version=1, manifestation="")
    for field in POINT_FIELDS:
        if field in data:
            setattr(point, field, data[field])
    _refresh_review_due(session, point)
    session.add(point)
    _apply_measures(session, point, measures)
    session.flush()
    after = {**snapshot(point, AUDITED), "measures": _measures_snapshot(point)}
    record(session, "create", "risk_point", point.id, diff(None, after))
    return point


def update_point(session: Session, point: RiskPoint, data: dict) -> RiskPoint:
    """Edit a draft, returned or approved point (an approved one becomes a new draft version).

    A submitted point is under review and cannot change until it is returned (409); a
    retired point is closed (409).
    """
    if not rules.can("edit", point.status):
        raise Conflict(
            _("A %(status)s risk point cannot be edited.", status=_status_label(point.status))
        )
    data = dict(data)
    measures = data.pop("measures", None)
    errors: dict[str, Any] = {}
    merged = {**{f: getattr(point, f) for f in POINT_FIELDS}, **data}
    _validate(session, merged, errors)
    if measures is not None:
        measures = list(measures)
        _validate_measures(session, measures, errors, point)
    if errors:
        raise Invalid(_("Invalid %(what)s", what=_("risk point")), errors)
    before = {**snapshot(point, AUDITED), "measures": _measures_snapshot(point)}
    for field in POINT_FIELDS:
        setattr(point, field, merged[field])
    if measures is not None:
        _apply_measures(session, point, measures)
    _refresh_review_due(session, point)
    session.flush()
    after = {**snapshot(point, AUDITED), "measures": _measures_snapshot(point)}
    changed = diff(before, after)
    if changed and point.status == "approved":
        # The approved text stays frozen in RiskApproval; the edit is the next version.
        point.status, point.version, point.campaign_id = "draft", point.version + 1, None
        session.flush()
        changed = diff(before, {**snapshot(point, AUDITED), "measures": _measures_snapshot(point)})
    if changed:
        record(session, "update", "risk_point", point.id, changed)
    return point


def _status_label(status: str) -> str:
    return {
        "draft": _("draft"),
        "submitted": _("submitted"),
        "approved": _("approved"),
        "returned": _("returned"),
        "retired": _("retired"),
    }.get(status, status)


def _campaign(session: Session, campaign_id: int | None) -> RiskCampaign | None:
    if campaign_id is not None:
        campaign = session.get(RiskCampaign, campaign_id)
        if campaign is None:
            raise Invalid(_("No such campaign."), {"campaign_id": [_("No such campaign.")]})
        return campaign
    return session.scalars(
        sa.select(RiskCampaign)
        .where(RiskCampaign.status == "open")
        .order_by(RiskCampaign.id.desc())
    ).first()


def _transition(session: Session, point: RiskPoint, action: str, to: str, **extra: Any) -> None:
    if not rules.can(action, point.status):
        raise Conflict(
            _(
                "Cannot %(action)s a %(status)s risk point.",
                action=_action_label(action),
                status=_status_label(point.status),
            )
        )
    fields = ("status", "campaign_id", "return_comment", "last_reviewed_on", "review_due_on")
    before = snapshot(point, fields)
    point.status = to
    for key, value in extra.items():
        setattr(point, key, value)
    session.flush()
    after = snapshot(point, fields)
    record(session, action, "risk_point", point.id, diff(before, after))


def _action_label(action: str) -> str:
    return {
        "submit": _("submit"),
        "approve": _("approve"),
        "return": _("return"),
        "retire": _("retire"),
    }.get(action, action)


def submit(session: Session, point: RiskPoint, campaign_id: int | None = None) -> RiskPoint:
    """Submit a draft or returned point, to the named campaign or the open one."""
    campaign = _campaign(session, campaign_id)
    if campaign is not None and campaign.status != "open":
        raise Conflict(_("The campaign is closed."))
    _transition(
        session,
        point,
        "submit",
        "submitted",
        campaign_id=campaign.id if campaign else None,
        submitted_at=clock.now(),
    )
    return point


def _check_campaign_matches(point: RiskPoint, campaign: RiskCampaign | None) -> None:
    if campaign is not None and point.campaign_id not in (None, campaign.id):
        raise Conflict(_("The risk point was submitted to another campaign."))


def approve(
    session: Session, point: RiskPoint, approver_id: int | None, campaign_id: int | None = None
) -> RiskPoint:
    """Approve a submitted point: counts as a review, and freezes this version's text."""
    campaign = session.get(RiskCampaign, point.campaign_id) if point.campaign_id else None
    if campaign_id is not None:
        named = _campaign(session, campaign_id)
        _check_campaign_matches(point, named)
        campaign = named
    today = clock.today()
    settings = get_risk_settings(session)
    due = rules.review_due_on(
        today, rules.level(point.likelihood, point.impact, settings), settings
    )
    _transition(
        session,
        point,
        "approve",
        "approved",
        campaign_id=campaign.id if campaign else None,
        return_comment="",
        last_reviewed_on=today,
        review_due_on=due,
    )
    _freeze(session, point, approver_id)
    return point


def return_point(
    session: Session, point: RiskPoint, comment: str, campaign_id: int | None = None
) -> RiskPoint:
    """Return a submitted point to its unit with a comment (required)."""
    comment = (comment or "").strip()
    if not comment:
        raise Invalid(
            _("A comment is required to return a risk point."),
            {"comment": [_("This field is required.")]},
        )
    if campaign_id is not None:
        _check_campaign_matches(point, _campaign(session, campaign_id))
    _transition(session, point, "return", "returned", return_comment=comment[:5000])
    return point


def retire(session: Session, point: RiskPoint) -> RiskPoint:
    """Retire a point that no longer applies (not while it is under review)."""
    _transition(session, point, "retire", "retired")
    return point


def frozen_data(point: RiskPoint, level: str) -> dict[str, Any]:
    """Everything a report shows of a point, with names resolved, as JSON-safe values."""
    return {
        "id": point.id,
        "version": point.version,
        "org_unit_id": point.org_unit_id,
        "org_unit": point.org_unit.name,
        "post_id": point.post_id,
        "post": point.post.name if point.post else "",
        "title": point.title,
        "manifestation": point.manifestation,
        "category": point.category,
        "likelihood": point.likelihood,
        "impact": point.impact,
        "level": level,
        "responsible_leader": point.responsible_leader.name if point.responsible_leader else "",
        "department_owner": point.department_owner.name if point.department_owner else "",
        "last_reviewed_on": point.last_reviewed_on.isoformat() if point.last_reviewed_on else None,
        "review_due_on": point.review_due_on.isoformat() if point.review_due_on else None,
        "measures": [
            {
                "description": m.description,
                "owner": m.owner.name if m.owner else "",
                "due_on": m.due_on.isoformat() if m.due_on else None,
                "status": m.status,
            }
            for m in point.measures
        ],
    }


def _freeze(session: Session, point: RiskPoint, approver_id: int | None) -> None:
    data = frozen_data(
        point, rules.level(point.likelihood, point.impact, get_risk_settings(session))
    )
    stmt = sa.select(RiskApproval).where(RiskApproval.risk_point_id == point.id)
    stmt = stmt.where(
        RiskApproval.campaign_id.is_(None)
        if point.campaign_id is None
        else RiskApproval.campaign_id == point.campaign_id
    )
    row = session.scalars(stmt).first() or RiskApproval(
        campaign_id=point.campaign_id, risk_point_id=point.id
    )
    row.org_unit_id = point.org_unit_id
    row.version = point.version
    row.data = json.dumps(data, ensure_ascii=False, sort_keys=True)
    row.approved_at = clock.now()
    row.approved_by_id = approver_id
    session.add(row)
    session.flush()


# ------------------------------------------------------------------ campaigns

CAMPAIGN_FIELDS = ("name", "year", "deadline", "status")


def open_campaign(session: Session, data: dict) -> RiskCampaign:
    """Open a screening campaign; only one may be open at a time (409 otherwise)."""
    errors: dict[str, list[str]] = {}
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = [_("This field is required.")]
    elif len(name) > 200:
        errors["name"] = [_("At most %(n)s characters.", n=200)]
    year = data.get("year")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        errors["year"] = [_("Must be a year between 2000 and 2100.")]
    deadline = data.get("deadline")
    if not isinstance(deadline, date):
        errors["deadline"] = [_("This field is required.")]
    if errors:
        raise Invalid(_("Invalid %(what)s", what=_("campaign")), errors)
    if session.scalar(sa.select(RiskCampaign.id).where(RiskCampaign.status == "open")):
        raise Conflict(_("Another campaign is still open; close it first."))
    campaign = RiskCampaign(name=name, year=year, deadline=deadline, status="open")
    session.add(campaign)
    session.flush()
    record(
        session,
        "create",
        "risk_campaign",
        campaign.id,
        diff(None, snapshot(campaign, CAMPAIGN_FIELDS)),
    )
    return campaign


def close_campaign(session: Session, campaign: RiskCampaign) -> RiskCampaign:
    """Close a campaign: no more submissions to it; its approvals stay reproducible."""
    if campaign.status == "closed":
        raise Conflict(_("The campaign is closed."))
    campaign.status, campaign.closed_at = "closed", clock.now()
    session.flush()
    record(session, "close", "risk_campaign", campaign.id, {"status": ["open", "closed"]})
    return campaign


def campaign_unit_states(session: Session, campaign: RiskCampaign, unit_ids_select) -> list[dict]:
    """Per unit with sensitive posts (among `unit_ids_select`): counts and derived state.

    One grouped query over the points, one over the units; no query per unit.
    """
    in_campaign = RiskPoint.campaign_id == campaign.id
    current = RiskPoint.status != "retired"
    counts = (
        sa.select(
            RiskPoint.org_unit_id.label("unit_id"),
            sa.func.count().filter(current).label("current"),
            sa.func.count().filter(in_campaign, RiskPoint.status == "returned").label("returned"),
            sa.func.count().filter(in_campaign, RiskPoint.status == "approved").label("approved"),
            sa.func.count().filter(in_campaign, RiskPoint.status == "submitted").label("submitted"),
            sa.func.count().filter(RiskPoint.status.in_(("draft",))).label("draft"),
        )
        .group_by(RiskPoint.org_unit_id)
        .subquery()
    )
    sensitive_units = sa.select(Post.org_unit_id).where(Post.is_sensitive).distinct()
    rows = session.execute(
        sa.select(
            OrgUnit,
            counts.c.current,
            counts.c.returned,
            counts.c.approved,
            counts.c.submitted,
            counts.c.draft,
        )
        .outerjoin(counts, counts.c.unit_id == OrgUnit.id)
        .where(OrgUnit.id.in_(sensitive_units), OrgUnit.id.in_(unit_ids_select))
        .order_by(OrgUnit.path)
    ).all()
    out = []
    for unit, cur, ret, appr, sub, draft in rows:
        cur, ret, appr, sub, draft = (x or 0 for x in (cur, ret, appr, sub, draft))
        out.append(
            {
                "org_unit_id": unit.id,
                "org_unit": unit,
                "current": cur,
                "returned": ret,
                "approved": appr,
                "submitted": sub,
                "draft": draft,
                "state": rules.unit_state(cur, ret, appr, sub + appr),
            }
        )
    return out
