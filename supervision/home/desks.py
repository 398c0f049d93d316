"""The other figures of the start page (issue 13), each read through its domain's queries:
screening campaign, measures past due, 应轮尽轮, pending role grants (the committee); talks
owed and risk points due for review (a leader); rotations, plans and deferrals (HR); talks to
sign (everyone with talks); the system's health (the admin); the organisation's size.

Each function runs a fixed number of statements whatever the data size: counts are one
query, short lists are one page (SHORT_LIST rows) with their eager loads.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from supervision.auth import grants
from supervision.calendar.services import watched_years
from supervision.common.pages import paginate
from supervision.common.periods import Period
from supervision.home.charts import bar_chart, percent
from supervision.org.models import Assignment, OrgUnit, Person, Post
from supervision.org.scope import EVERYTHING, Scope
from supervision.reminders import outbox
from supervision.reminders.models import MailMessage, Notification, SchedulerJob
from supervision.risks import queries as risk_queries
from supervision.risks.labels import UNIT_STATE_LABELS
from supervision.risks.models import RiskCampaign, RiskPoint
from supervision.risks.rules import UNIT_STATES
from supervision.risks.services import campaign_unit_states
from supervision.risks.settings import get_risk_settings
from supervision.rotation import completion as rotation_completion
from supervision.rotation import eligibility
from supervision.rotation import queries as rotation_queries
from supervision.rotation import services as rotation_services
from supervision.rotation.models import RotationDeferral
from supervision.talks import queries as talk_queries

#: How many rows a list on the start page shows (the rest is one click away).
SHORT_LIST = 5
#: A risk point is "due for review" on the start page this many days before its date.
REVIEW_SOON_DAYS = 30
#: A deferral "expires soon" within this many days.
DEFERRAL_SOON_DAYS = 60
#: Eligibility statuses HR acts on, in the order the start page lists them.
ROTATION_STATUSES = ("due", "upcoming", "planned", "deferred", "blocked")
#: Chart colours of the campaign states (home.css).
CAMPAIGN_TONES = {
    "not_started": "poor",
    "returned": "fair",
    "submitted": "info",
    "approved": "good",
}


# ------------------------------------------------------------------ the committee


def campaign(session: Session, scope: Scope) -> dict | None:
    """The open screening campaign, how many units are in each state (one bar per state,
    as a share of the units concerned) and the first units lagging, or None when no
    campaign is open."""
    found = session.scalars(
        sa.select(RiskCampaign)
        .where(RiskCampaign.status == "open")
        .order_by(RiskCampaign.id.desc())
        .limit(1)
    ).first()
    if found is None:
        return None
    states = campaign_unit_states(session, found, scope.unit_ids_select())
    tally = Counter(row["state"] for row in states)
    total = len(states)
    rows = [
        (str(UNIT_STATE_LABELS[s]), tally.get(s, 0), str(tally.get(s, 0)), None)
        for s in UNIT_STATES
    ]
    return {
        "chart": bar_chart(
            rows, maximum=total or 1, tones=[CAMPAIGN_TONES[s] for s in UNIT_STATES]
        ),
        "campaign": found,
        "tally": [(s, tally.get(s, 0)) for s in UNIT_STATES],
        "units": total,
        "lagging": [r for r in states if r["state"] in ("not_started", "returned")][:SHORT_LIST],
        "lagging_total": tally.get("not_started", 0) + tally.get("returned", 0),
    }


def measures_past_due(session: Session, scope: Scope, today: date):
    """The open measures past their due date in scope: total and the first few."""
    return paginate(risk_queries.measures_past_due(scope, today), page=1, per_page=SHORT_LIST)


def rotation_year(session: Session, scope: Scope, today: date) -> dict:
    """应轮尽轮 of the current year so far (SPEC §7): the total row of the rotation report."""
    period = Period("year", today.year)
    total = rotation_completion.totals(session, period, scope=scope, today=today)
    return {**total, "period": str(period), "rate_text": percent(total["rate"])}


def pending_grants(session: Session) -> int:
    """How many role grants wait for a discipline secretary's confirmation."""
    return session.scalar(
        sa.select(sa.func.count()).select_from(grants.pending_select().subquery())
    )


# ------------------------------------------------------------------ a leader


def reviews_due(session: Session, scope: Scope, person_id: int | None, today: date):
    """Current risk points of the leader's units, or where they are department owner or
    responsible leader, whose review falls due within REVIEW_SOON_DAYS (or is past)."""
    settings = get_risk_settings(session)
    mine = (
        sa.or_(
            RiskPoint.department_owner_id == person_id,
            RiskPoint.responsible_leader_id == person_id,
        )
        if person_id is not None
        else sa.false()
    )
    stmt = (
        risk_queries.points(EVERYTHING, settings, eager=False)
        .where(
            sa.or_(scope.unit_clause(OrgUnit), mine),
            RiskPoint.review_due_on <= today + timedelta(days=REVIEW_SOON_DAYS),
        )
        .options(selectinload(RiskPoint.org_unit))
        .order_by(None)
        .order_by(RiskPoint.review_due_on, RiskPoint.id)
    )
    return paginate(stmt, page=1, per_page=SHORT_LIST)


# ------------------------------------------------------------------ HR


def rotations(session: Session, scope: Scope, today: date) -> dict:
    """People per eligibility status, and the first due or upcoming (read from the tenure
    table for today: a grouped COUNT and a short SELECT)."""
    people = eligibility.people_per_status(session, today, scope=scope)
    return {
        "counts": [(s, people[s]) for s in ROTATION_STATUSES],
        "soon": eligibility.soonest(session, today, ("due", "upcoming"), SHORT_LIST, scope=scope),
    }


def plan_counts(session: Session) -> list[tuple[str, int]]:
    """(status, number of plans) of every plan state, in workflow order."""
    return rotation_queries.plan_counts(session)


def deferrals_expiring(session: Session, scope: Scope, today: date):
    """Deferrals in force that expire within DEFERRAL_SOON_DAYS, soonest first."""
    stmt = (
        rotation_services.list_query(RotationDeferral, current_only=True, as_of=today, scope=scope)
        .where(RotationDeferral.expires_on <= today + timedelta(days=DEFERRAL_SOON_DAYS))
        .options(selectinload(RotationDeferral.person))
        .order_by(None)
        .order_by(RotationDeferral.expires_on, RotationDeferral.id)
    )
    return paginate(stmt, page=1, per_page=SHORT_LIST)


# ------------------------------------------------------------------ everyone with talks


def to_sign(person_id: int) -> list:
    """The drafts waiting for this person's signature (interviewee or interviewer)."""
    return talk_queries.awaiting_signature(person_id)


# ------------------------------------------------------------------ the admin


def system(session: Session, today: date, fallback: list[int]) -> dict:
    """The calendar of the watched years, the scheduler's jobs (next run as APScheduler
    stored it), the latest sweep and delivery seen in the data, and the mail outbox."""
    jobs = session.execute(
        sa.select(SchedulerJob.id, SchedulerJob.next_run_time).order_by(SchedulerJob.id)
    ).all()
    last_sweep, last_sent = session.execute(
        sa.select(
            sa.select(sa.func.max(Notification.created_at)).scalar_subquery(),
            sa.select(sa.func.max(MailMessage.sent_at)).scalar_subquery(),
        )
    ).one()
    return {
        "years": [(y, y in fallback) for y in watched_years(today)],
        "jobs": [
            (job_id, datetime.fromtimestamp(ts).astimezone() if ts else None) for job_id, ts in jobs
        ],
        "last_sweep": last_sweep,
        "last_sent": last_sent,
        "mail": outbox.counts(session),
    }


def org_counts(session: Session, scope: Scope) -> dict[str, int]:
    """Units, active people, posts, sensitive posts and people in sensitive posts of the
    scope (the start page's counters before issue 13, now for admin and HR)."""
    units = session.scalar(
        sa.select(sa.func.count()).select_from(OrgUnit).where(scope.unit_clause())
    )
    people = session.scalar(
        sa.select(sa.func.count())
        .select_from(Person)
        .where(scope.person_clause(), Person.is_active)
    )
    posts = session.execute(
        sa.select(sa.func.count(), sa.func.count().filter(Post.is_sensitive)).where(
            Post.org_unit_id.in_(scope.unit_ids_select())
        )
    ).one()
    in_sensitive = session.scalar(
        sa.select(sa.func.count(sa.distinct(Assignment.person_id)))
        .join(Post, Post.id == Assignment.post_id)
        .where(
            Assignment.end_date.is_(None),
            Post.is_sensitive,
            Post.org_unit_id.in_(scope.unit_ids_select()),
        )
    )
    return {
        "units": units,
        "people": people,
        "posts": posts[0],
        "sensitive_posts": posts[1],
        "people_in_sensitive": in_sensitive,
    }
