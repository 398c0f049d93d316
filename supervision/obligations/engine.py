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

As of today and for the open periods, `compute` and `summary` answer from the maintained
table that this engine fills (obligations.table reads it, obligations.maintained keeps it);
`recompute` is the engine itself. The module is long because it holds the whole engine:
the subjects, the counting talks, the conductors and the two readers' dispatch.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, aliased

from supervision.auth.queries import people_holding_select
from supervision.common import clock
from supervision.common.errors import Invalid
from supervision.common.periods import Period
from supervision.common.permissions import SECRETARY
from supervision.obligations import rules, table
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


def _people_clause(unit_path, person_id, scope, viewer_id, party_secretary_id, person_ids=None):
    """Who may appear: active, in the unit's subtree, the one person (or those of
    `person_ids`, a batch), in scope (or, for a viewer with a partial scope, possibly
    conducted by the viewer: filtered again later)."""
    conds = [Person.is_active.is_(True)]
    if unit_path is not None:
        conds.append(in_subtree(OrgUnit.path, unit_path))
    if person_id is not None:
        conds.append(Person.id == person_id)
    if person_ids is not None:
        conds.append(Person.id.in_(person_ids))
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


def _people_filter(column, unit_path, person_id, scope, clause, person_ids=None):
    """Restrict talks/waivers to the people concerned (nothing to add for a whole-org run)."""
    if person_id is not None:
        return column == person_id
    if person_ids is not None:
        return column.in_(person_ids)
    if unit_path is None and (scope is None or scope.everything):
        return sa.true()
    return column.in_(
        sa.select(Person.id).join(OrgUnit, OrgUnit.id == Person.org_unit_id).where(clause)
    )


@functools.cache
def _superseded() -> sa.Select:
    """SELECT of the ids of talks a final revision supersedes (built once: statements are
    immutable, and building an alias's columns is costly when the engine runs often)."""
    revision = aliased(Talk)
    # An uncorrelated NOT IN: a correlated NOT EXISTS is planned as a scan per talk by
    # SQLite once ANALYZE has run (minutes at 100,000 people).
    return sa.select(revision.revision_of_id).where(
        revision.revision_of_id.is_not(None), revision.status == "final"
    )


def _counting_talks(session, period: Period, types, as_of: date | None, who) -> dict:
    """{(interviewee, type): (talk id, local date)}: the earliest counting talk of each (held
    on or before `as_of`; whatever its date when `as_of` is None)."""
    stmt = sa.select(Talk.interviewee_id, Talk.type, Talk.id, Talk.held_at).where(
        Talk.type.in_(types),
        Talk.period == str(period),
        Talk.status == "final",
        Talk.id.not_in(_superseded()),
        who,
    )
    best: dict[tuple[int, str], tuple] = {}
    zone = clock.zone()
    for pid, type_, talk_id, held_at in _rows(session, stmt):
        # A final talk always has held_at; one without is taken as held in time.
        day = held_at.astimezone(zone).date() if held_at is not None else None
        if day is not None and as_of is not None and day > as_of:
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
    return dict(session.execute(_unit_heads_select()).all())


@functools.cache
def _unit_heads_select() -> sa.Select:
    head = aliased(Person)
    return (
        sa.select(OrgUnit.id, OrgUnit.head_person_id)
        .join(head, head.id == OrgUnit.head_person_id)
        .where(head.is_active.is_(True))
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


class Fact(NamedTuple):
    """What an obligation's status is made of, before the date is applied."""

    type: str
    person_id: int
    org_unit_id: int
    path: str
    leadership: str
    #: The integrity reminder's requirement (None for the leadership rules).
    requirement: rules.Requirement | None
    #: (talk id, local date or None) of the earliest counting talk, or None.
    talk: tuple[int, date | None] | None
    #: The waiver's reason, or None.
    waiver: str | None
    conductor_id: int | None


@dataclass(frozen=True)
class Conductors:
    """What the conductor rules read besides the person: unit heads, committee assignments,
    the discipline secretary and the party secretary (read once for many runs)."""

    heads: dict[int, int]
    assigned: dict[tuple[int, str], int]
    secretary: int | None
    party_id: int | None


def conductors(session: Session, types: Sequence[str], settings: dict) -> Conductors:
    """The conductor inputs that `types` need (a handful of statements)."""
    modes = {settings[t]["conductor"] for t in types}
    party_id = party_secretary_id(session, settings) if "party_secretary" in modes else None
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
    return Conductors(heads, assigned, secretary, party_id)


def facts(
    session: Session,
    period: Period,
    types: Iterable[str],
    *,
    as_of: date | None,
    settings: dict,
    unit_path: str | None = None,
    person_id: int | None = None,
    person_ids: Sequence[int] | None = None,
    scope: Scope | None = None,
    viewer_id: int | None = None,
    context: Conductors | None = None,
) -> list[Fact]:
    """The inputs of every obligation of `types` for `period`, for the people `compute`
    would consider (before the viewer's filter); talks held after `as_of` do not count
    (any talk counts when `as_of` is None: the earliest one is kept). `person_ids` is one
    batch of people (the maintained table's refresh)."""
    types = [t for t in rules.OBLIGATION_TYPES if t in set(types)]
    if not types:
        return []
    context = context or conductors(session, types, settings)
    clause = _people_clause(unit_path, person_id, scope, viewer_id, context.party_id, person_ids)
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
        _people_filter(Talk.interviewee_id, unit_path, person_id, scope, clause, person_ids),
    )
    waivers = _waivers(
        session,
        period,
        types,
        _people_filter(ObligationWaiver.person_id, unit_path, person_id, scope, clause, person_ids),
    )
    chains: dict[str, tuple[int, ...]] = {}
    out: list[Fact] = []
    for type_, pid, unit_id, path, leadership, req in subjects:
        chain = chains.get(path)
        if chain is None:
            chain = chains[path] = rules.head_chain(path, context.heads)
        who = rules.conductor(
            settings[type_]["conductor"],
            pid,
            leadership,
            head=rules.responsible_head(pid, chain),
            assigned=context.assigned.get((pid, type_)),
            secretary=context.secretary,
            party_secretary=context.party_id,
        )
        out.append(
            Fact(
                type_,
                pid,
                unit_id,
                path,
                leadership,
                req,
                talks.get((pid, type_)),
                waivers.get((pid, type_)),
                who,
            )
        )
    return out


def recompute(
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
    """`compute` by the engine itself, from the history (never from the maintained table)."""
    settings = settings or get_obligation_settings(session)
    found = facts(
        session,
        period,
        types,
        as_of=as_of,
        settings=settings,
        unit_path=unit_path,
        person_id=person_id,
        scope=scope,
        viewer_id=viewer_id,
    )
    min_days = settings["integrity_reminder"]["min_days_in_period"]
    due, label = period.due_date, str(period)
    order = {t: i for i, t in enumerate(rules.OBLIGATION_TYPES)}
    reasons: dict[rules.Requirement, str | None] = {}
    out: list[Obligation] = []
    for f in found:
        if (
            viewer_id is not None
            and f.conductor_id != viewer_id
            and not _visible(scope, f.person_id, f.org_unit_id, f.path)
        ):
            continue
        talk, req = f.talk, f.requirement
        not_required = req is not None and not req.required
        status = rules.status(
            due,
            as_of,
            talk_on=talk[1] if talk else None,
            has_talk=talk is not None,
            waived=f.waiver is not None,
            not_required=not_required,
        )
        if not_required:
            if req not in reasons:
                reasons[req] = _reason(req, period, min_days)
            reason = reasons[req]
        else:
            reason = f.waiver if status == "waived" else None
        out.append(
            Obligation(
                f.person_id,
                f.type,
                label,
                due,
                status,
                talk[0] if talk else None,
                f.conductor_id,
                reason,
                f.org_unit_id,
                f.path,
            )
        )
    out.sort(key=lambda o: (o.person_id, order[o.type]))
    return out


def from_row(row: table.Row, period: Period, min_days: int, reasons: dict) -> Obligation:
    """An Obligation of a maintained-table row (the reason text made as the engine makes it;
    `reasons` caches them across rows)."""
    if row.status == "not_required":
        req = rules.Requirement(False, row.exempt, row.run_days, row.last_held_on)
        if req not in reasons:
            reasons[req] = _reason(req, period, min_days)
        reason = reasons[req]
    else:
        reason = row.waiver_reason if row.status == "waived" else None
    return Obligation(
        row.person_id,
        row.type,
        row.period,
        row.due_on,
        row.status,
        row.talk_id,
        row.conductor_id,
        reason,
        row.org_unit_id,
        row.path,
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
    changed_since: datetime | None = None,
    statuses: tuple[str, ...] | None = None,
) -> list[Obligation]:
    """The obligations of `types` for `period` as of `as_of`, for active people in the unit's
    subtree / the one person / the scope; with `viewer_id` and a partial scope, also the
    obligations the viewer conducts. Sorted by person and type.

    As of today and for an open period, read from the maintained table (issue 14), which
    the engine keeps; any other date or period is computed by the engine. `changed_since`
    (the reminder sweep's increments) keeps only the table's rows changed after that
    instant, and `statuses` only the rows of those statuses (a drill-down); the engine's
    computation ignores both, so the caller gets a superset to filter."""
    settings = settings or get_obligation_settings(session)
    types = [t for t in rules.OBLIGATION_TYPES if t in set(types)]
    if not types:
        return []
    if as_of == clock.today():
        rows = table.read(
            session,
            [(t, period) for t in types],
            as_of,
            settings,
            unit_path=unit_path,
            person_id=person_id,
            scope=scope,
            viewer_id=viewer_id,
            changed_since=changed_since,
            statuses=statuses,
        )
        if rows is not None:
            min_days = settings["integrity_reminder"]["min_days_in_period"]
            reasons: dict = {}
            return [from_row(r, period, min_days, reasons) for r in rows]
    return recompute(
        session,
        period,
        types,
        as_of=as_of,
        unit_path=unit_path,
        person_id=person_id,
        scope=scope,
        viewer_id=viewer_id,
        settings=settings,
    )


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
    per top unit of the scope): counts by unit path and status, from the maintained table
    (a GROUP BY) as of today for an open period, else from one engine run."""
    types = list(types)
    unit_path = unit.path if unit is not None else None
    by_path = None
    if as_of == clock.today():
        settings = get_obligation_settings(session)
        by_path = table.counts(
            session,
            [(t, period) for t in types if t in rules.OBLIGATION_TYPES],
            as_of,
            settings,
            unit_path=unit_path,
            scope=scope,
        )
    if by_path is None:
        by_path = defaultdict(int)
        for row in recompute(session, period, types, as_of=as_of, scope=scope, unit_path=unit_path):
            by_path[(row.path, row.status)] += 1
    children = _top_units(session, scope, unit)
    counts = {u.id: rules.empty_counts() for u in children}
    total = rules.empty_counts()
    child_of: dict[str, int | None] = {}
    for (path, status), n in by_path.items():
        total[status] += n
        if path not in child_of:
            child_of[path] = next((u for u in path_ids(path) if u in counts), None)
        uid = child_of[path]
        if uid is not None:
            counts[uid][status] += n
    return {
        "total": _row(unit.id if unit else None, unit.name if unit else None, total),
        "units": [_row(u.id, u.name, counts[u.id]) for u in children],
    }
