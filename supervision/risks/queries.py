"""Scoped selects of the risk inventory, shared by the API, pages and reports."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from supervision.org.models import OrgUnit, Post, in_subtree
from supervision.org.scope import Scope
from supervision.risks import rules
from supervision.risks.models import Measure, RiskApproval, RiskPoint
from supervision.risks.services import level_expression


def _unit_and_subtree(unit_id: int):
    path = sa.select(OrgUnit.path).where(OrgUnit.id == unit_id).scalar_subquery()
    return sa.select(OrgUnit.id).where(in_subtree(OrgUnit.path, path))


def points(
    scope: Scope,
    settings: rules.RiskSettings,
    *,
    org_unit_id: int | None = None,
    subtree: bool = True,
    post_id: int | None = None,
    level: str | None = None,
    category: str | None = None,
    status: str | None = None,
    likelihood: int | None = None,
    impact: int | None = None,
    q: str | None = None,
    include_retired: bool = False,
    eager: bool = True,
):
    """Risk points in scope with filters, ordered by unit path, level then id."""
    lvl = level_expression(settings)
    stmt = (
        sa.select(RiskPoint)
        .join(OrgUnit, OrgUnit.id == RiskPoint.org_unit_id)
        .where(scope.unit_clause(OrgUnit))
    )
    if org_unit_id is not None:
        stmt = stmt.where(
            RiskPoint.org_unit_id.in_(_unit_and_subtree(org_unit_id))
            if subtree
            else RiskPoint.org_unit_id == org_unit_id
        )
    if post_id is not None:
        stmt = stmt.where(RiskPoint.post_id == post_id)
    if level:
        stmt = stmt.where(lvl == level)
    if category:
        stmt = stmt.where(RiskPoint.category == category)
    if status:
        stmt = stmt.where(RiskPoint.status == status)
    elif not include_retired:
        stmt = stmt.where(RiskPoint.status != "retired")
    if likelihood is not None:
        stmt = stmt.where(RiskPoint.likelihood == likelihood)
    if impact is not None:
        stmt = stmt.where(RiskPoint.impact == impact)
    if q:
        like = "%" + q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            sa.or_(
                RiskPoint.title.like(like, escape="\\"),
                RiskPoint.manifestation.like(like, escape="\\"),
            )
        )
    if eager:
        stmt = stmt.options(
            selectinload(RiskPoint.org_unit),
            selectinload(RiskPoint.post),
            selectinload(RiskPoint.responsible_leader),
            selectinload(RiskPoint.department_owner),
            selectinload(RiskPoint.measures).selectinload(Measure.owner),
        )
    order = sa.case((lvl == "high", 0), (lvl == "medium", 1), else_=2)
    return stmt.order_by(OrgUnit.path, order, RiskPoint.id)


def heat_map(
    session, scope: Scope, settings: rules.RiskSettings, **filters
) -> dict[tuple[int, int], int]:
    """{(likelihood, impact): count} of current points in scope (one grouped query)."""
    base = points(scope, settings, eager=False, **filters).order_by(None).subquery()
    rows = session.execute(
        sa.select(base.c.likelihood, base.c.impact, sa.func.count()).group_by(
            base.c.likelihood, base.c.impact
        )
    ).all()
    return {(lk, im): n for lk, im, n in rows}


def sensitive_posts_without_points(scope: Scope):
    """Sensitive posts in scope with no current (non-retired) risk point, by unit path."""
    covered = sa.select(RiskPoint.post_id).where(
        RiskPoint.post_id.is_not(None), RiskPoint.status != "retired"
    )
    return (
        sa.select(Post)
        .join(OrgUnit, OrgUnit.id == Post.org_unit_id)
        .where(Post.is_sensitive, scope.unit_clause(OrgUnit), Post.id.not_in(covered))
        .options(selectinload(Post.org_unit))
        .order_by(OrgUnit.path, Post.code)
    )


def measures_past_due(scope: Scope, as_of: date):
    """Open measures of current points in scope whose due date is before `as_of`."""
    return (
        sa.select(Measure)
        .join(RiskPoint, RiskPoint.id == Measure.risk_point_id)
        .join(OrgUnit, OrgUnit.id == RiskPoint.org_unit_id)
        .where(
            Measure.status == "open",
            Measure.due_on < as_of,
            RiskPoint.status != "retired",
            scope.unit_clause(OrgUnit),
        )
        .options(
            selectinload(Measure.owner),
            selectinload(Measure.risk_point).selectinload(RiskPoint.org_unit),
            selectinload(Measure.risk_point).selectinload(RiskPoint.post),
        )
        .order_by(Measure.due_on, Measure.id)
    )


def approvals(scope: Scope, campaign_id: int | None, org_unit_id: int | None = None):
    """Frozen approvals of a campaign in scope (with an optional unit subtree), by unit path."""
    stmt = (
        sa.select(RiskApproval)
        .join(OrgUnit, OrgUnit.id == RiskApproval.org_unit_id)
        .where(RiskApproval.campaign_id == campaign_id, scope.unit_clause(OrgUnit))
    )
    if org_unit_id is not None:
        stmt = stmt.where(RiskApproval.org_unit_id.in_(_unit_and_subtree(org_unit_id)))
    return stmt.order_by(OrgUnit.path, RiskApproval.risk_point_id)
