"""The figures of the start page about talks (issue 13, SPEC §6, §8): completion by unit, its
trend, the overdue and escalated obligations, for the committee and for a leader's units.

Everything comes from the obligations engine (`engine.summary`, one run of a fixed handful
of statements per period, whatever the number of people or units), the reminder ladder's
escalation step (supervision.reminders.rules) and the working-day calendar. The page makes
at most TREND_PERIODS + 2 engine runs for the committee.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import g, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from supervision.calendar.services import load_calendar
from supervision.common.periods import Period
from supervision.home.charts import BarChart, LineChart, bar_chart, line_chart, percent
from supervision.obligations import engine, rules
from supervision.org.models import OrgUnit
from supervision.org.scope import Scope
from supervision.reminders import rules as ladder_rules
from supervision.reminders.settings import get_reminder_settings

#: The quarterly integrity reminder (SPEC §0: everyone in a sensitive post, every quarter)
#: is the talk whose completion the start page charts.
CHARTED_TYPE = "integrity_reminder"
#: How many periods the trend line shows, the current one last.
TREND_PERIODS = 4


@dataclass
class Completion:
    """Completion of the charted talk type in one period: total, per unit, the chart."""

    type: str
    period: str
    total: dict
    units: list[dict]
    chart: BarChart
    #: The dashboard of this period (where each unit's drill-down starts).
    href: str


@dataclass
class Overdue:
    """The overdue obligations of one type in its latest ended period."""

    type: str
    period: str
    overdue: int
    escalated: int
    escalation_on: date
    href: str


@dataclass
class Trend:
    """The completion rate over the last periods, oldest first."""

    rows: list[tuple[str, float | None, int, int]] = field(default_factory=list)
    chart: LineChart | None = None


def breakdown_unit(session: Session, scope: Scope) -> OrgUnit | None:
    """The unit whose children the bars show: the scope's single top unit (the bureau for
    the committee, a leader's unit), or None when the scope has several tops or none."""
    stmt = sa.select(OrgUnit).order_by(OrgUnit.path)
    if scope.everything:
        tops = session.scalars(stmt.where(OrgUnit.parent_id.is_(None)).limit(2)).all()
    else:
        # The scope's top units only (a unit whose parent is outside the scope), at most two:
        # not every unit of a leader's subtree (2,000 at a province's head).
        outside = sa.or_(
            OrgUnit.parent_id.is_(None), OrgUnit.parent_id.not_in(scope.unit_ids_select())
        )
        tops = session.scalars(stmt.where(scope.unit_clause(), outside).limit(2)).all()
    return tops[0] if len(tops) == 1 else None


def _dashboard(type_: str, period: Period, **extra) -> str:
    return url_for("obligations.index", type=type_, period=str(period), **extra)


def _summary(session: Session, period: Period, today: date, unit, scope: Scope) -> dict:
    """engine.summary of CHARTED_TYPE, computed once per request for the same figures (a
    copy each time: the callers add rows and links). A scope that holds the unit's whole
    subtree counts exactly what the whole organisation's does for that unit — the bureau's
    head sees the committee's bars in their own section without a second count."""
    if (
        unit is not None
        and not scope.everything
        and any(unit.path.startswith(p) for p in scope.subtree_paths)
    ):
        scope = Scope(everything=True)
    key = (str(period), today, unit.id if unit is not None else None, scope)
    known = g.setdefault("home_summaries", {})
    if key not in known:
        known[key] = engine.summary(
            session, period, [CHARTED_TYPE], as_of=today, unit=unit, scope=scope
        )
    return copy.deepcopy(known[key])


def completion(
    session: Session,
    scope: Scope,
    period: Period,
    today: date,
    unit: OrgUnit | None,
    settings: dict,
) -> tuple[Completion, dict]:
    """Completion of CHARTED_TYPE in `period` by unit (bars with links to each unit's
    drill-down), and the raw summary."""
    found = _summary(session, period, today, unit, scope)
    own = _own_row(unit, found)
    if own is not None:
        found["units"].insert(0, own)
    rows = [
        (
            u["org_unit_name"],
            u["completion_rate"],
            f"{percent(u['completion_rate'])} ({u['done'] + u['done_late']}/{u['required']})",
            _dashboard(CHARTED_TYPE, period, org_unit_id=u["org_unit_id"]),
        )
        for u in found["units"]
    ]
    for u in found["units"]:
        u["href"] = _dashboard(CHARTED_TYPE, period, org_unit_id=u["org_unit_id"])
        u["rate_text"] = percent(u["completion_rate"])
    found["total"]["rate_text"] = percent(found["total"]["completion_rate"])
    return (
        Completion(
            CHARTED_TYPE,
            str(period),
            found["total"],
            found["units"],
            bar_chart(rows),
            _dashboard(CHARTED_TYPE, period, **({"org_unit_id": unit.id} if unit else {})),
        ),
        found,
    )


def _own_row(unit: OrgUnit | None, found: dict) -> dict | None:
    """The people attached to the breakdown unit itself (a station's officers, the bureau's
    leaders), in no child unit: the total less the children, as a row of its own when
    anybody there owes a talk."""
    if unit is None:
        return None
    counts = {s: found["total"][s] - sum(u[s] for u in found["units"]) for s in rules.STATUSES}
    if not any(counts[s] for s in rules.REQUIRED):
        return None
    name = _("%(unit)s (own staff)", unit=unit.name)
    return {"org_unit_id": unit.id, "org_unit_name": name, **rules.completion(counts)}


def trend(
    session: Session, scope: Scope, current: Period, today: date, unit, first: dict
) -> tuple[Trend, dict[str, dict]]:
    """The completion rate of the last TREND_PERIODS periods (`first`: the current period's
    summary, already computed); also {period: summary} for the overdue figures."""
    periods = [current]
    for _step in range(TREND_PERIODS - 1):
        periods.insert(0, periods[0].previous())
    summaries = {str(current): first}
    for p in periods[:-1]:
        summaries[str(p)] = _summary(session, p, today, unit, scope)
    out = Trend()
    for p in periods:
        t = summaries[str(p)]["total"]
        out.rows.append((str(p), t["completion_rate"], t["done"] + t["done_late"], t["required"]))
    out.chart = line_chart([(label, rate) for label, rate, _d, _r in out.rows])
    return out, summaries


def overdue(
    session: Session,
    scope: Scope,
    today: date,
    unit,
    settings: dict,
    known: dict[str, dict],
) -> list[Overdue]:
    """Per talk type, the overdue obligations of its latest ended period and whether they
    are escalated (the ladder's `escalated` step has come: SPEC §8). Summaries already in
    `known` are reused."""
    ladder = get_reminder_settings(session)
    ended = {
        t: Period.of(today, settings[t]["frequency"]).previous() for t in rules.OBLIGATION_TYPES
    }
    calendar = load_calendar(
        session, min(p.due_date for p in ended.values()), max(p.due_date for p in ended.values())
    )
    out = []
    for type_, period in ended.items():
        found = known.get(str(period)) if type_ == CHARTED_TYPE else None
        if found is None:
            found = engine.summary(session, period, [type_], as_of=today, unit=unit, scope=scope)
        steps = dict(ladder_rules.obligation_steps(period.due_date, calendar, ladder))
        late = found["total"]["overdue"]
        out.append(
            Overdue(
                type_,
                str(period),
                late,
                late if today >= steps["escalated"] else 0,
                steps["escalated"],
                _dashboard(type_, period, status="overdue"),
            )
        )
    return out
