"""Demo risk inventory: risk points of the demo bureau's sensitive posts and an open campaign.

Called once at the end of `loader.load()`. Like the rest of the demo, rows are added in bulk
(the load is one `demo_load` audit entry), with the derived fields the services would set:
`review_due_on` from the review date and the current settings, `version` 1, the campaign,
`submitted_at`, and a frozen RiskApproval (services.frozen_data) for every approved point.

The campaign "<year>年度廉政风险点排查" is open; units with sensitive posts are in a mix of
states: some approved, some submitted, one returned with a comment, the rest not started
(draft points). A few sensitive posts of not-started units have no risk point yet, and a
few open measures are past due. Deterministic for a seed and a date.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from supervision.demo import data, risk_data
from supervision.org.models import OrgUnit, Post
from supervision.risks import rules, services
from supervision.risks.models import Measure, RiskApproval, RiskCampaign, RiskPoint
from supervision.risks.settings import get_risk_settings

#: How many units (with sensitive posts) end in each campaign state; the rest are not started.
APPROVED_UNITS, SUBMITTED_UNITS, RETURNED_UNITS = 5, 4, 1
UNCOVERED_POSTS = 4
PAST_DUE_MEASURES = 6


def _templates(post: Post) -> tuple[risk_data.Template, ...]:
    for keyword, templates in risk_data.NAME_RISKS.items():
        if keyword in post.name:
            return templates
    return risk_data.CATEGORY_RISKS.get(post.category) or risk_data.CATEGORY_RISKS["other"]


def _instant(day: date) -> datetime:
    """10:00 Beijing time on `day`, in UTC."""
    return datetime.combine(day, time(2, 0), tzinfo=UTC)


def load(
    session: Session, seed: int, today: date, units: dict[str, OrgUnit], posts: dict[str, Post]
) -> dict[str, int]:
    """Add the campaign, risk points, measures and approvals; returns their counts."""
    rng = random.Random(f"demo-risks-{seed}")
    settings = get_risk_settings(session)
    campaign = RiskCampaign(
        name=f"{today.year}年度廉政风险点排查",
        year=today.year,
        deadline=min(today + timedelta(days=45), date(today.year, 12, 31)),
        status="open",
    )
    session.add(campaign)
    session.flush()

    unit_code = {u.id: code for code, u in units.items()}
    sensitive: dict[str, list[Post]] = {}
    for post in posts.values():
        if post.is_sensitive:
            sensitive.setdefault(unit_code[post.org_unit_id], []).append(post)
    order = [spec.code for spec in data.UNITS if spec.code in sensitive]
    rng.shuffle(order)
    cut1, cut2 = APPROVED_UNITS, APPROVED_UNITS + SUBMITTED_UNITS
    state = {code: "approved" for code in order[:cut1]}
    state.update({code: "submitted" for code in order[cut1:cut2]})
    state.update({code: "returned" for code in order[cut2 : cut2 + RETURNED_UNITS]})
    not_started = [code for code in order if code not in state]
    uncovered = set(
        rng.sample([p.code for code in not_started for p in sensitive[code]], UNCOVERED_POSTS)
    )

    points: list[RiskPoint] = []
    for code in [spec.code for spec in data.UNITS if spec.code in sensitive]:
        unit = units[code]
        unit_points = []
        for post in sensitive[code]:
            if post.code in uncovered:
                continue
            templates = _templates(post)
            for template in rng.sample(templates, rng.randint(1, min(3, len(templates)))):
                unit_points.append(_point(rng, today, unit, post, template))
        if rng.random() < 0.5:
            unit_points.append(_point(rng, today, unit, None, rng.choice(risk_data.UNIT_RISKS)))
        _set_state(rng, today, campaign, state.get(code, "not_started"), unit_points)
        points.extend(unit_points)
    _past_due(rng, today, points)
    for p in points:
        p.review_due_on = rules.review_due_on(
            p.last_reviewed_on, rules.level(p.likelihood, p.impact, settings), settings
        )
    session.add_all(points)
    session.flush()

    approvals = []
    for p in points:
        if p.status == "approved":
            frozen = services.frozen_data(p, rules.level(p.likelihood, p.impact, settings))
            approvals.append(
                RiskApproval(
                    campaign_id=campaign.id,
                    risk_point_id=p.id,
                    org_unit_id=p.org_unit_id,
                    version=1,
                    data=json.dumps(frozen, ensure_ascii=False, sort_keys=True),
                    approved_at=_instant(p.last_reviewed_on),
                    approved_by_id=None,
                )
            )
    session.add_all(approvals)
    session.flush()
    return {
        "risk_campaigns": 1,
        "risk_points": len(points),
        "risk_measures": sum(len(p.measures) for p in points),
        "risk_approvals": len(approvals),
    }


def _point(
    rng: random.Random, today: date, unit: OrgUnit, post: Post | None, template: risk_data.Template
) -> RiskPoint:
    title, manifestation, category, likelihood, impact, measures = template
    owner = unit.head_person_id
    point = RiskPoint(
        org_unit_id=unit.id,
        post_id=post.id if post else None,
        title=title,
        manifestation=manifestation,
        category=category,
        likelihood=likelihood,
        impact=impact,
        responsible_leader_id=unit.supervising_leader_id,
        department_owner_id=owner,
        status="draft",
        version=1,
        return_comment="",
        # Most points were reviewed in last year's screening; some are new this year.
        last_reviewed_on=today - timedelta(days=rng.randint(150, 420))
        if rng.random() < 0.7
        else None,
    )
    for text in measures:
        done = rng.random() < 0.35
        due = today + timedelta(days=rng.randint(20, 240))
        point.measures.append(
            Measure(
                description=text,
                owner_id=owner,
                status="done" if done else "open",
                due_on=today - timedelta(days=rng.randint(20, 200)) if done else due,
                done_on=today - timedelta(days=rng.randint(1, 19)) if done else None,
            )
        )
    return point


def _set_state(
    rng: random.Random, today: date, campaign: RiskCampaign, state: str, points: list[RiskPoint]
) -> None:
    if state == "not_started" or not points:
        return
    submitted_on = today - timedelta(days=rng.randint(5, 20))
    for p in points:
        p.campaign, p.status, p.submitted_at = campaign, "submitted", _instant(submitted_on)
        if state == "approved":
            p.status = "approved"
            p.last_reviewed_on = submitted_on + timedelta(days=rng.randint(1, 4))
    if state == "returned":
        returned = rng.choice(points)
        returned.status = "returned"
        returned.return_comment = rng.choice(risk_data.RETURN_COMMENTS)


def _past_due(rng: random.Random, today: date, points: list[RiskPoint]) -> None:
    """Make a few open measures late (the "measures past due" view has content)."""
    open_measures = [m for p in points for m in p.measures if m.status == "open"]
    for m in rng.sample(open_measures, min(PAST_DUE_MEASURES, len(open_measures))):
        m.due_on = today - timedelta(days=rng.randint(3, 60))
