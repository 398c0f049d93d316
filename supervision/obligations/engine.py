"""Talk obligations (SPEC §6): computed set-based for a period, and the completion summary
by unit.

The engine reads a fixed handful of statements whatever the number of people: the people
who owe (one query per rule family), the counting talks, the waivers, and what the
conductors need (unit heads, committee assignments, the secretaries). Everything else is
linear work in Python through the pure rules of supervision.obligations.rules.

Counting talks: status `final` and not superseded (no final talk names it in
`revision_of_id`), of the obligation's type, interviewee and `period` column, held (local
date) on or before `as_of`. Waivers count whatever their date: they are decisions about a
period. Only active people owe talks; leadership and activity are today's values.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, aliased

from supervision.auth.queries import people_holding_select
from supervision.common import clock
from supervision.common.errors import Invalid
from supervision.common.periods import Period
from supervision.common.permissions import SECRETARY
from supervision.obligations import rules
from supervision.obligations.models import ObligationWaiver, TalkConductor
from supervision.obligations.settings import get_obligation_settings
from supervision.org.models import Assignment, OrgUnit, Person, Post, in_subtree
from supervision.org.paths import ancestor_ids, path_ids
from supervision.org.scope import Scope
from supervision.talks.models import Talk


@dataclass
class Obligation:
    """One computed obligation (the public fields, plus the person's unit for aggregation)."""

    person_id: int
    type: str
    period: str
    due_date: date
    status: str
    talk_id: int | None
    conductor_id: int | None
    reason: str | None
    org_unit_id: int
    path: str


def resolve(period_text: str, type_: str | None, settings: dict) -> tuple[Period, list[str]]:
    """Parse the period; the types asked for (all whose frequency is the period's kind when
    `type_` is None). 422 for a malformed period or a type of another frequency."""
    try:
        period = Period.parse(period_text)
    except ValueError:
        raise Invalid(
            _("Invalid period"),
            {"period": [_("Expected YYYY, YYYYQn (n = 1–4) or YYYYHn (n = 1–2).")]},
        ) from None
    if type_ is None:
        return period, rules.types_for(period, settings)
    if type_ not in rules.OBLIGATION_TYPES:
        raise Invalid(_("Invalid type"), {"type": [_("Not an obligation type.")]})
    kind = settings[type_]["frequency"]
    if period.kind != kind:
        raise Invalid(
            _("Invalid period"),
            {
                "period": [
                    _(
                        "%(type)s obligations are owed per %(kind)s: give a period such as "
                        "%(example)s.",
                        type=type_,
                        kind=kind,
                        example=str(Period.of(period.start, kind)),
                    )
                ]
            },
        )
    return period, [type_]


# ------------------------------------------------------------------ engine


def _rows(session: Session, stmt) -> list:
    """Rows of a column select, through Core (no ORM row processing: these are large)."""
    session.flush()
    return session.connection().execute(stmt).all()


def _people_clause(unit_path, person_id, scope, viewer_id, party_secretary_id):
    """Who may appear: active, in the unit's subtree, the one person, in scope (or, for a
    viewer with a partial scope, possibly conducted by the viewer: filtered again later)."""
    conds = [Person.is_active.is_(True)]
    if unit_path is not None:
        conds.append(in_subtree(OrgUnit.path, unit_path))
    if person_id is not None:
        conds.append(Person.id == person_id)
    if scope is not None and not scope.everything:
        visible = [scope.person_clause()]
        if viewer_id is not None:
            visible.append(
                Person.id.in_(
                    sa.select(TalkConductor.person_id).where(
                        TalkConductor.conductor_id == viewer_id
                    )
                )
            )
            if party_secretary_id is not None and party_secretary_id == viewer_id:
                visible.append(Person.leadership == "team_member")
        conds.append(sa.or_(*visible))
    return sa.and_(*conds)


def _visible(scope: Scope | None, person_id: int, unit_id: int, path: str) -> bool:
    if scope is None or scope.everything:
        return True
    return (
        person_id in scope.person_ids
        or unit_id in scope.unit_ids
        or any(path.startswith(p) for p in scope.subtree_paths)
    )


def _integrity_subjects(session, period: Period, clause, min_days: int):
    """(person, unit, path, leadership, Requirement) of everyone on a sensitive post in the
    period: ONE query of the overlapping assignments, runs merged in Python."""
    stmt = (
        sa.select(
            Assignment.person_id,
            Assignment.start_date,
            Assignment.end_date,
            Person.org_unit_id,
            OrgUnit.path,
            Person.leadership,
        )
        .join(Post, Post.id == Assignment.post_id)
        .join(Person, Person.id == Assignment.person_id)
        .join(OrgUnit, OrgUnit.id == Person.org_unit_id)
        .where(
            Post.is_sensitive.is_(True),
            Assignment.start_date <= period.end,
            sa.or_(Assignment.end_date.is_(None), Assignment.end_date >= period.start),
            clause,
        )
    )
    spans: dict[int, list] = defaultdict(list)
    info: dict[int, tuple] = {}
    for pid, start, end, unit_id, path, leadership in _rows(session, stmt):
        spans[pid].append((start, end))
        info[pid] = (unit_id, path, leadership)
    out = []
    first, last = period.start, period.end
    for pid, intervals in spans.items():
        req = rules.integrity_requirement(intervals, first, last, min_days)
        if req is not None:
            out.append(("integrity_reminder", pid, *info[pid], req))
    return out


def _leader_subjects(session, types: Sequence[str], clause, settings: dict):
    """(type, person, unit, path, leadership, None) of the leaders each leadership rule covers."""
    levels = sorted({lv for t in types for lv in settings[t]["leadership"]})
    if not levels:
        return []
    stmt = (
        sa.select(Person.id, Person.org_unit_id, OrgUnit.path, Person.leadership)
        .join(OrgUnit, OrgUnit.id == Person.org_unit_id)
        .where(Person.leadership.in_(levels), clause)
    )
    found = _rows(session, stmt)
    return [
        (t, pid, unit_id, path, lv, None)
        for t in types
        for pid, unit_id, path, lv in found
        if lv in settings[t]["leadership"]
    ]


def _people_filter(column, unit_path, person_id, scope, clause):
    """Restrict talks/waivers to the people concerned (nothing to add for a whole-org run)."""
    if person_id is not None:
        return column == person_id
    if unit_path is None and (scope is None or scope.everything):
        return sa.true()
    return column.in_(
        sa.select(Person.id).join(OrgUnit, OrgUnit.id == Person.org_unit_id).where(clause)
    )


def _counting_talks(session, period: Period, types, as_of: date, who) -> dict:
    """{(interviewee, type): (talk id, local date)}: the earliest counting talk of each."""
    revision = aliased(Talk)
    # An uncorrelated NOT IN: a correlated NOT EXISTS is planned as a scan per talk by
    # SQLite once ANALYZE has run (minutes at 100,000 people).
    superseded = sa.select(revision.revision_of_id).where(
        revision.revision_of_id.is_not(None), revision.status == "final"
    )
    stmt = sa.select(Talk.interviewee_id, Talk.type, Talk.id, Talk.held_at).where(
        Talk.type.in_(types),
        Talk.period == str(period),
        Talk.status == "final",
        Talk.id.not_in(superseded),
        who,
    )
    best: dict[tuple[int, str], tuple] = {}
    zone = clock.zone()
    for pid, type_, talk_id, held_at in _rows(session, stmt):
        # A final talk always has held_at; one without is taken as held in time.
        day = held_at.astimezone(zone).date() if held_at is not None else None
        if day is not None and day > as_of:
            continue
        key = (pid, type_)
        candidate = (day or date.min, talk_id)
        if key not in best or candidate < best[key]:
            best[key] = candidate
    return {k: (talk_id, None if day == date.min else day) for k, (day, talk_id) in best.items()}


def _waivers(session, period: Period, types, who) -> dict:
    stmt = sa.select(
        ObligationWaiver.person_id, ObligationWaiver.type, ObligationWaiver.reason
    ).where(ObligationWaiver.type.in_(types), ObligationWaiver.period == str(period), who)
    return {(pid, t): reason for pid, t, reason in _rows(session, stmt)}


def discipline_secretary_id(session: Session) -> int | None:
    """The discipline secretary (the default conductor of supervision talks): the active
    person, with the lowest id, linked to an enabled user holding that role."""
    return session.scalar(people_holding_select([SECRETARY]).limit(1))


def party_secretary_id(session: Session, settings: dict) -> int | None:
    """The active person whose staff number is the setting party_secretary_staff_no."""
    staff_no = settings["party_secretary_staff_no"]
    if not staff_no:
        return None
    return session.scalar(
        sa.select(Person.id).where(Person.staff_no == staff_no, Person.is_active.is_(True))
    )


def _unit_heads(session) -> dict[int, int]:
    """{unit id: head person id} of units with an active head (one query; units are few)."""
    head = aliased(Person)
    return dict(
        session.execute(
            sa.select(OrgUnit.id, OrgUnit.head_person_id)
            .join(head, head.id == OrgUnit.head_person_id)
            .where(head.is_active.is_(True))
        ).all()
    )


def _reason(req: rules.Requirement | None, period: Period, min_days: int) -> str | None:
    if req is None or req.required:
        return None
    if req.reason == "left":
        return _(
            "Left all sensitive posts on %(day)s, before the end of %(period)s.",
            day=req.last_day.isoformat(),
            period=str(period),
        )
    return _(
        "Held sensitive posts without a break for %(days)s days of %(period)s; "
        "at least %(min)s are needed.",
        days=req.run_days,
        period=str(period),
        min=min_days,
    )


def compute(
    session: Session,
    period: Period,
    types: Iterable[str],
    *,
    as_of: date,
    unit_path: str | None = None,
    person_id: int | None = None,
    scope: Scope | None = None,
    viewer_id: int | None = None,
    settings: dict | None = None,
) -> list[Obligation]:
    """The obligations of `types` for `period` as of `as_of`, for active people in the unit's
    subtree / the one person / the scope; with `viewer_id` and a partial scope, also the
    obligations the viewer conducts. Sorted by person and type."""
    settings = settings or get_obligation_settings(session)
    types = [t for t in rules.OBLIGATION_TYPES if t in set(types)]
    if not types:
        return []
    modes = {settings[t]["conductor"] for t in types}
    party_id = party_secretary_id(session, settings) if "party_secretary" in modes else None
    clause = _people_clause(unit_path, person_id, scope, viewer_id, party_id)
    min_days = settings["integrity_reminder"]["min_days_in_period"]
    subjects = []
    if "integrity_reminder" in types:
        subjects += _integrity_subjects(session, period, clause, min_days)
    lead_types = [t for t in types if t != "integrity_reminder"]
    if lead_types:
        subjects += _leader_subjects(session, lead_types, clause, settings)
    if not subjects:
        return []
    talks = _counting_talks(
        session,
        period,
        types,
        as_of,
        _people_filter(Talk.interviewee_id, unit_path, person_id, scope, clause),
    )
    waivers = _waivers(
        session,
        period,
        types,
        _people_filter(ObligationWaiver.person_id, unit_path, person_id, scope, clause),
    )
    heads = _unit_heads(session) if modes - {"committee"} else {}
    assigned: dict[tuple[int, str], int] = {}
    secretary = None
    if "committee" in modes:
        committee_types = [t for t in types if settings[t]["conductor"] == "committee"]
        assigned = {
            (p, t): c
            for p, t, c in session.execute(
                sa.select(
                    TalkConductor.person_id, TalkConductor.type, TalkConductor.conductor_id
                ).where(TalkConductor.type.in_(committee_types))
            )
        }
        secretary = discipline_secretary_id(session)

    due, label = period.due_date, str(period)
    order = {t: i for i, t in enumerate(rules.OBLIGATION_TYPES)}
    reasons: dict[rules.Requirement, str | None] = {}
    chains: dict[str, tuple[int, ...]] = {}
    out: list[Obligation] = []
    for type_, pid, unit_id, path, leadership, req in subjects:
        chain = chains.get(path)
        if chain is None:
            chain = chains[path] = rules.head_chain(path, heads)
        who = rules.conductor(
            settings[type_]["conductor"],
            pid,
            leadership,
            head=rules.responsible_head(pid, chain),
            assigned=assigned.get((pid, type_)),
            secretary=secretary,
            party_secretary=party_id,
        )
        if viewer_id is not None and who != viewer_id and not _visible(scope, pid, unit_id, path):
            continue
        talk = talks.get((pid, type_))
        waiver = waivers.get((pid, type_))
        not_required = req is not None and not req.required
        status = rules.status(
            due,
            as_of,
            talk_on=talk[1] if talk else None,
            has_talk=talk is not None,
            waived=waiver is not None,
            not_required=not_required,
        )
        if not_required:
            if req not in reasons:
                reasons[req] = _reason(req, period, min_days)
            reason = reasons[req]
        else:
            reason = waiver if status == "waived" else None
        out.append(
            Obligation(
                pid,
                type_,
                label,
                due,
                status,
                talk[0] if talk else None,
                who,
                reason,
                unit_id,
                path,
            )
        )
    out.sort(key=lambda o: (o.person_id, order[o.type]))
    return out


# ------------------------------------------------------------------ summary


def _top_units(session, scope: Scope | None, unit: OrgUnit | None) -> list[tuple]:
    """(id, name, path) of the units a summary breaks down into."""
    stmt = sa.select(OrgUnit.id, OrgUnit.name, OrgUnit.path).order_by(OrgUnit.code)
    scope_clause = scope.unit_clause() if scope is not None else sa.true()
    if unit is not None:
        return session.execute(stmt.where(OrgUnit.parent_id == unit.id, scope_clause)).all()
    if scope is None or scope.everything:
        return session.execute(stmt.where(OrgUnit.parent_id.is_(None))).all()
    found = session.execute(stmt.where(scope_clause)).all()
    ids = {u.id for u in found}
    return [u for u in found if not any(a in ids for a in ancestor_ids(u.path))]


def _row(unit_id, name, counts) -> dict:
    return {"org_unit_id": unit_id, "org_unit_name": name, **rules.completion(counts)}


def summary(
    session: Session,
    period: Period,
    types: Iterable[str],
    *,
    as_of: date,
    unit: OrgUnit | None = None,
    scope: Scope | None = None,
) -> dict:
    """Completion counts for the unit's subtree (or the scope) and per direct child unit (or
    per top unit of the scope): one engine run, aggregated by unit path."""
    rows = compute(
        session,
        period,
        types,
        as_of=as_of,
        scope=scope,
        unit_path=unit.path if unit is not None else None,
    )
    children = _top_units(session, scope, unit)
    counts = {u.id: rules.empty_counts() for u in children}
    total = rules.empty_counts()
    child_of: dict[str, int | None] = {}
    for row in rows:
        total[row.status] += 1
        if row.path not in child_of:
            child_of[row.path] = next((u for u in path_ids(row.path) if u in counts), None)
        uid = child_of[row.path]
        if uid is not None:
            counts[uid][row.status] += 1
    return {
        "total": _row(unit.id if unit else None, unit.name if unit else None, total),
        "units": [_row(u.id, u.name, counts[u.id]) for u in children],
    }
