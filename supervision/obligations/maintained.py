"""Keeping the maintained table of obligations current (issue 14, common.maintained).

`watch` turns what a flush changed into stale keys: ("person", id) for a person whose own
obligations may change (their talks, waivers, assignments, conductor assignment, activity,
leadership, unit), ("unit", id) for everyone under a unit whose place or head changed,
("head", id) for everyone under the units a person heads (their activity decides whether
they count as head), ("post", id) for the holders of a post whose sensitivity changed, and
("conductors",) when the discipline or party secretary may have changed (users, roles,
staff numbers): refresh compares them with the ones the table was built with and rebuilds
everything when either changed. A change of the rules rebuilds everything.

`refresh` recomputes the stale people with the engine (the single source of the rules),
for the periods the table holds, in batches of common.batches.BATCH people, and writes only
the difference: new rows, changed rows (with a new `changed_at`) and rows no longer owed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from supervision.auth.models import User, UserRole
from supervision.common import clock, maintained
from supervision.common.batches import chunks
from supervision.common.periods import Period
from supervision.obligations import engine, rules, table
from supervision.obligations.models import (
    ObligationRow,
    ObligationTableState,
    ObligationWaiver,
    TalkConductor,
)
from supervision.obligations.settings import SETTINGS_KEY, get_obligation_settings
from supervision.org.models import Assignment, OrgUnit, Person, Post, in_subtree
from supervision.settings.models import Setting
from supervision.talks.models import Talk

NAME = table.NAME
CONDUCTORS = ("conductors",)
T = ObligationRow.__table__
KEY = ("person_id", "type", "period")
CONTENT = (
    "due_on",
    "org_unit_id",
    "path",
    "leadership",
    "conductor_id",
    "talk_id",
    "talk_on",
    "waiver_reason",
    "exempt",
    "run_days",
    "last_held_on",
)


def _changed(obj, *attrs: str) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[a].history.has_changes() for a in attrs)


def watch(session: Session, objects: list[object]):
    """The keys a flush made stale (see the module's docstring)."""
    keys: set = set()
    new_or_gone = set(map(id, session.new)) | set(map(id, session.deleted))
    for obj in objects:
        whole = id(obj) in new_or_gone
        if isinstance(obj, Talk):
            if "final" in maintained.history(obj, "status"):
                keys |= {("person", p) for p in maintained.history(obj, "interviewee_id")}
                if obj.revision_of_id is not None:
                    keys.add(("talk", obj.revision_of_id))
        elif isinstance(obj, ObligationWaiver | TalkConductor | Assignment):
            keys |= {("person", p) for p in maintained.history(obj, "person_id")}
        elif isinstance(obj, Person):
            if whole or _changed(obj, "is_active", "leadership", "org_unit_id"):
                keys.add(("person", obj.id))
            if whole or _changed(obj, "is_active"):
                keys.add(("head", obj.id))
            if whole or _changed(obj, "is_active", "staff_no"):
                keys.add(CONDUCTORS)
        elif isinstance(obj, OrgUnit):
            if whole or _changed(obj, "parent_id", "path", "head_person_id"):
                keys.add(("unit", obj.id))
        elif isinstance(obj, Post):
            if whole or _changed(obj, "is_sensitive"):
                keys.add(("post", obj.id))
        elif isinstance(obj, UserRole):
            keys.add(CONDUCTORS)
        elif isinstance(obj, User):
            if whole or _changed(obj, "person_id", "is_enabled"):
                keys.add(CONDUCTORS)
        elif isinstance(obj, Setting) and obj.key == SETTINGS_KEY:
            return maintained.ALL
    return keys


#: The models whose rows the engine reads.
_INPUTS = (
    Talk,
    ObligationWaiver,
    TalkConductor,
    Assignment,
    Person,
    OrgUnit,
    Post,
    User,
    UserRole,
    Setting,
)


def _set_columns(statement, parameters) -> set[str] | None:
    """The names of the columns a bulk UPDATE sets (None when it cannot be told)."""
    values = getattr(statement, "_values", None)
    if values:
        return {getattr(k, "key", k) for k in values}
    if isinstance(parameters, dict):
        return set(parameters)
    if isinstance(parameters, list) and parameters and isinstance(parameters[0], dict):
        return set().union(*parameters)
    return None


def bulk(session: Session, model: type, statement, parameters):
    """Keys of a bulk statement on a model the engine reads: everything, but for the
    updates known to change nothing it reads."""
    if not issubclass(model, _INPUTS):
        return None
    if isinstance(statement, sa.Update):
        columns = _set_columns(statement, parameters)
        # The writers' lock on a person (org.services, rotation.services) sets only this.
        if columns is not None and columns <= {"updated_at"}:
            return None
        # org.services moves a subtree's paths after flushing the moved unit's new parent,
        # which has marked the subtree already.
        if model is OrgUnit and columns is not None and columns <= {"path", "depth"}:
            return None
    return maintained.ALL


def _people_of(session: Session, keys: Iterable) -> set[int]:
    """The ids of the people the keys name (set-based: a statement per kind and batch)."""
    by_kind: dict[str, set[int]] = {}
    for key in keys:
        if key != CONDUCTORS:
            by_kind.setdefault(key[0], set()).add(key[1])
    people = set(by_kind.get("person", ()))
    for batch in chunks(sorted(by_kind.get("talk", ()))):
        people |= set(session.scalars(sa.select(Talk.interviewee_id).where(Talk.id.in_(batch))))
    for batch in chunks(sorted(by_kind.get("post", ()))):
        people |= set(
            session.scalars(sa.select(Assignment.person_id).where(Assignment.post_id.in_(batch)))
        )
    units = set(by_kind.get("unit", ()))
    for batch in chunks(sorted(by_kind.get("head", ()))):
        units |= set(
            session.scalars(sa.select(OrgUnit.id).where(OrgUnit.head_person_id.in_(batch)))
        )
    paths: set[str] = set()
    for batch in chunks(sorted(units)):
        paths |= set(session.scalars(sa.select(OrgUnit.path).where(OrgUnit.id.in_(batch))))
    # Nested subtrees are covered by their ancestor's.
    tops = sorted(p for p in paths if not any(p != q and p.startswith(q) for q in paths))
    for path in tops:
        people |= set(
            session.scalars(
                sa.select(Person.id)
                .join(OrgUnit, OrgUnit.id == Person.org_unit_id)
                .where(in_subtree(OrgUnit.path, path))
            )
        )
    people.discard(None)
    return people


def _content(f: engine.Fact, period: Period) -> tuple:
    req = f.requirement
    exempt = req is not None and not req.required
    return (
        period.due_date,
        f.org_unit_id,
        f.path,
        f.leadership,
        f.conductor_id,
        f.talk[0] if f.talk else None,
        f.talk[1] if f.talk else None,
        f.waiver,
        req.reason if exempt else None,
        req.run_days if exempt else 0,
        req.last_day if exempt else None,
    )


@dataclass
class Result:
    """What a refresh wrote."""

    people: int | str = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    rows: int = 0


def _write(session: Session, wanted: dict, existing: dict, result: Result) -> None:
    """Insert, update and delete the difference between `existing` and `wanted` rows
    ({(person, type, period): content})."""
    now = clock.now()
    inserts = [
        {**dict(zip(KEY, k, strict=True)), **dict(zip(CONTENT, v, strict=True)), "changed_at": now}
        for k, v in wanted.items()
        if k not in existing
    ]
    updates = [
        {
            **{f"k_{c}": x for c, x in zip(KEY, k, strict=True)},
            **dict(zip(CONTENT, v, strict=True)),
            "changed_at": now,
        }
        for k, v in wanted.items()
        if k in existing and existing[k] != v
    ]
    deletes = [
        {f"k_{c}": x for c, x in zip(KEY, k, strict=True)} for k in existing if k not in wanted
    ]
    where = [T.c[c] == sa.bindparam(f"k_{c}") for c in KEY]
    if inserts:
        session.execute(sa.insert(T), inserts)
    if updates:
        session.execute(sa.update(T).where(*where), updates)
    if deletes:
        session.execute(sa.delete(T).where(*where), deletes)
    result.inserted += len(inserts)
    result.updated += len(updates)
    result.deleted += len(deletes)


def _existing(session: Session, pairs, person_ids: Sequence[int] | None) -> dict:
    cols = [T.c[c] for c in (*KEY, *CONTENT)]
    stmt = sa.select(*cols).where(
        sa.or_(*(sa.and_(T.c.type == t, T.c.period == str(p)) for t, p in pairs))
    )
    if person_ids is not None:
        stmt = stmt.where(T.c.person_id.in_(person_ids))
    return {tuple(r[:3]): tuple(r[3:]) for r in session.execute(stmt)}


def _wanted(session, pairs, settings, context, person_ids) -> dict:
    out = {}
    for type_, period in pairs:
        for f in engine.facts(
            session,
            period,
            [type_],
            as_of=None,
            settings=settings,
            person_ids=person_ids,
            context=context,
        ):
            out[(f.person_id, f.type, str(period))] = _content(f, period)
    return out


def rebuild(session: Session, today: date | None = None) -> Result:
    """Recompute the whole table for the open periods of `today` (default: today), drop
    the rows of other periods, and record the state. Idempotent: unchanged rows are not
    written."""
    today = today or clock.today()
    settings = get_obligation_settings(session)
    pairs = table.open_periods(today, settings)
    context = engine.conductors(session, rules.OBLIGATION_TYPES, settings)
    result = Result(people="all")
    wanted = _wanted(session, pairs, settings, context, None)
    existing = _existing(session, pairs, None)
    _write(session, wanted, existing, result)
    keep = [str(p) for _t, p in pairs]
    stale = sa.delete(T).where(
        sa.not_(
            sa.or_(
                *(
                    sa.and_(T.c.type == t, T.c.period == p)
                    for (t, _), p in zip(pairs, keep, strict=True)
                )
            )
        )
    )
    result.deleted += session.execute(stale).rowcount or 0
    secretary = engine.discipline_secretary_id(session)
    party = engine.party_secretary_id(session, settings)
    values = {
        "periods": table.periods_key(pairs),
        "secretary_id": secretary,
        "party_secretary_id": party,
        "built_at": clock.now(),
    }
    ST = ObligationTableState.__table__
    if session.execute(sa.update(ST).where(ST.c.id == 1).values(**values)).rowcount == 0:
        session.execute(sa.insert(ST).values(id=1, **values))
    result.rows = len(wanted)
    return result


def refresh_people(session: Session, person_ids: Iterable[int]) -> Result:
    """Recompute the rows of these people for the periods the table holds."""
    current = table.state(session)
    if current is None:
        return rebuild(session)
    pairs = table.parse_key(current.periods)
    settings = get_obligation_settings(session)
    context = engine.conductors(session, rules.OBLIGATION_TYPES, settings)
    ids = sorted(set(person_ids))
    result = Result(people=len(ids))
    for batch in chunks(ids):
        wanted = _wanted(session, pairs, settings, context, batch)
        _write(session, wanted, _existing(session, pairs, batch), result)
    return result


def refresh(session: Session, keys) -> None:
    """common.maintained's refresher: the stale keys' people, or everything."""
    current = table.state(session)
    if keys is maintained.ALL or current is None:
        rebuild(session)
        return
    if CONDUCTORS in keys:
        settings = get_obligation_settings(session)
        found = (
            engine.discipline_secretary_id(session),
            engine.party_secretary_id(session, settings),
        )
        if found != (current.secretary_id, current.party_secretary_id):
            # Everyone's conductor may have changed; keep the periods the table holds.
            rebuild_periods(session, current)
            return
    people = _people_of(session, keys)
    if people:
        refresh_people(session, people)


def rebuild_periods(session: Session, current: ObligationTableState) -> Result:
    """Recompute everyone for the periods the table holds (not today's: a reader compares
    those with today's open periods), and record the secretaries."""
    pairs = table.parse_key(current.periods)
    settings = get_obligation_settings(session)
    context = engine.conductors(session, rules.OBLIGATION_TYPES, settings)
    result = Result(people="all")
    _write(
        session,
        _wanted(session, pairs, settings, context, None),
        _existing(session, pairs, None),
        result,
    )
    ST = ObligationTableState.__table__
    session.execute(
        sa.update(ST)
        .where(ST.c.id == 1)
        .values(
            secretary_id=engine.discipline_secretary_id(session),
            party_secretary_id=engine.party_secretary_id(session, settings),
        )
    )
    return result


maintained.register(NAME, watch, refresh, bulk)
