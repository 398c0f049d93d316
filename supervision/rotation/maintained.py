"""The tenure table (issue 14): `tenure_rows` keeps, per person and sensitive or leadership
post held, what the eligibility engine computes (tenure start, due date, threshold, the
inputs of the status), so that the eligibility of today is a filtered SELECT.

Kept up to date through supervision.common.maintained, in the transaction that changes an
input: `watch` names the people whose rows a flush made stale (an assignment opened, closed
or moved; a person's unit, type, dates or activity; a post's flags, category or code; a
hold, deferral or plan; a unit moved or the policy changed: everyone), and `refresh` runs
the engine (`engine.compute_people`, in batches of common.batches.BATCH people) for
them and writes the difference: new rows, changed rows (their `changed_at` moves), rows no
longer held. `rebuild` (CLI `flask rotation rebuild`, the daily scheduler job) does it for
everyone and records the day and policy in `tenure_state`.

What changes with the date is stored as dates (`upcoming_from`, `due_on`,
`near_retirement_from`, `probation_until`, `deferred_until`), so the status of any day from
the rebuild's on is SQL (`status_sql`) until the set of rows itself changes with the date:
an assignment starting or ending, a deferral's meeting day. `answers()` therefore lets the
table answer for today under the saved policy when it was rebuilt today, or earlier with no
such event since; otherwise (between midnight and the daily rebuild on such a day, another
day, a proposed policy) the readers run the engine as before.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from supervision.common import clock
from supervision.common import maintained as mechanism
from supervision.common.batches import BATCH, chunks
from supervision.org.models import Assignment, OrgUnit, Person, Post, in_subtree
from supervision.org.scope import Scope
from supervision.rotation import engine, rules
from supervision.rotation.models import (
    RotationDeferral,
    RotationHold,
    RotationPlan,
    RotationPlanItem,
    TenureRow,
    TenureState,
)
from supervision.rotation.settings import SETTINGS_KEY, get_rotation_settings
from supervision.settings.models import Setting

NAME = "tenure_rows"
T = TenureRow.__table__
S = TenureState.__table__
#: The columns a refresh compares (everything but the key and changed_at).
CONTENT = tuple(c.name for c in T.columns if c.name not in ("person_id", "post_id", "changed_at"))

#: What of a person, a post or a unit the engine reads.
PERSON_FIELDS = (
    "is_active",
    "org_unit_id",
    "personnel_type",
    "staff_no",
    "retirement_date",
    "probation_until",
)
POST_FIELDS = (
    "is_sensitive",
    "is_leadership",
    "is_technical",
    "rotation_years",
    "category",
    "code",
)
UNIT_FIELDS = ("parent_id", "path")


# ------------------------------------------------------------------ keeping it up to date


def _changed(obj, fields) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[f].history.has_changes() for f in fields)


def watch(session: Session, objects: list) -> set[int] | object:
    """The people whose rows this flush made stale, or ALL (a unit moved, the policy)."""
    people: set[int] = set()
    posts: set[int] = set()
    plans: set[int] = set()
    for obj in objects:
        if isinstance(obj, Assignment | RotationHold | RotationDeferral | RotationPlanItem):
            people |= mechanism.history(obj, "person_id")
        elif isinstance(obj, Person):
            if obj in session.new or obj in session.deleted or _changed(obj, PERSON_FIELDS):
                people.add(obj.id)
        elif isinstance(obj, Post):
            if obj in session.deleted or _changed(obj, POST_FIELDS):
                posts.add(obj.id)
        elif isinstance(obj, RotationPlan):
            if obj in session.deleted or _changed(obj, ("status",)):
                plans.add(obj.id)
        elif isinstance(obj, OrgUnit):
            if obj not in session.new and _changed(obj, UNIT_FIELDS):
                return mechanism.ALL
        elif isinstance(obj, Setting) and obj.key == SETTINGS_KEY:
            return mechanism.ALL
    with session.no_autoflush:
        for batch in chunks(sorted(posts)):
            people.update(
                session.execute(
                    sa.select(Assignment.person_id).where(Assignment.post_id.in_(batch)).distinct()
                ).scalars()
            )
        for batch in chunks(sorted(plans)):
            people.update(
                session.execute(
                    sa.select(RotationPlanItem.person_id).where(RotationPlanItem.plan_id.in_(batch))
                ).scalars()
            )
    return people


def mark_plans(session: Session, plan_ids: list[int]) -> None:
    """Mark the people of these plans stale (a status written by a plain UPDATE)."""
    people = set()
    for batch in chunks(sorted(plan_ids)):
        people.update(
            session.execute(
                sa.select(RotationPlanItem.person_id).where(RotationPlanItem.plan_id.in_(batch))
            ).scalars()
        )
    mechanism.mark(session, NAME, people)


def _policy_text(policy: dict) -> str:
    return json.dumps(policy, sort_keys=True)


def _shift(day: date, days: int) -> date:
    try:
        return day - timedelta(days=days)
    except OverflowError:
        return date.min if days > 0 else date.max


def content(row: engine.Row, as_of: date, policy: dict) -> dict:
    """The stored columns of an engine row computed as of `as_of` under `policy`."""
    retirement = row.retirement_date
    return {
        "org_unit_id": row.org_unit_id,
        "path": row.path,
        "staff_no": row.staff_no,
        "personnel_type": row.personnel_type,
        "post_code": row.post_code,
        "post_category": row.post_category,
        "tenure_start": row.tenure_start,
        "tenure_anchor": as_of - timedelta(days=row.tenure_days),
        "threshold_years": row.threshold_years,
        "due_on": row.due_on,
        "upcoming_from": _shift(row.due_on, policy["upcoming_days"]),
        "near_retirement_from": (
            _shift(retirement, policy["retirement_window_days"]) if retirement else None
        ),
        "probation_until": row.probation_until,
        "technical_post": "technical_post" in row.reasons,
        "leader_term": "leader_term" in row.reasons,
        "blocked": "under_review" in row.reasons,
        "plan_id": row.plan_id,
        "deferral_id": row.deferral_id,
        "deferred_until": row.deferral_expires_on,
    }


@dataclass
class Counts:
    """What a refresh wrote."""

    people: int = 0
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0

    def __str__(self) -> str:
        return (
            f"{self.people} people, {self.rows} rows: {self.inserted} inserted, "
            f"{self.updated} updated, {self.deleted} deleted"
        )


def _existing(session: Session, people: list[int]) -> dict[tuple[int, int], dict]:
    stmt = sa.select(T).where(T.c.person_id.in_(people))
    return {
        (r.person_id, r.post_id): {c: r._mapping[c] for c in CONTENT} for r in session.execute(stmt)
    }


def _write(session: Session, computed: dict, existing: dict, counts: Counts) -> None:
    now = clock.now()
    inserts, updates = [], []
    for key, values in computed.items():
        old = existing.get(key)
        if old == values:
            continue
        row = {"person_id": key[0], "post_id": key[1], "changed_at": now, **values}
        (inserts if old is None else updates).append(row)
    deletes = [{"k_person": p, "k_post": q} for p, q in existing.keys() - computed.keys()]
    if inserts:
        session.execute(T.insert(), inserts)
    if updates:
        stmt = (
            T.update()
            .where(T.c.person_id == sa.bindparam("k_person"), T.c.post_id == sa.bindparam("k_post"))
            .values({c: sa.bindparam(f"v_{c}") for c in (*CONTENT, "changed_at")})
        )
        session.execute(
            stmt,
            [
                {"k_person": r["person_id"], "k_post": r["post_id"]}
                | {f"v_{c}": r[c] for c in (*CONTENT, "changed_at")}
                for r in updates
            ],
        )
    if deletes:
        session.execute(
            T.delete().where(
                T.c.person_id == sa.bindparam("k_person"), T.c.post_id == sa.bindparam("k_post")
            ),
            deletes,
        )
    counts.rows += len(computed)
    counts.inserted += len(inserts)
    counts.updated += len(updates)
    counts.deleted += len(deletes)


def _refresh_people(
    session: Session,
    people: list[int],
    as_of: date,
    policy: dict,
    counts: Counts,
    lock: bool = False,
) -> None:
    """Recompute the rows of these people (batches of BATCH) and write the difference.

    With `lock`, the people's rows are locked first (FOR UPDATE on PostgreSQL; SQLite
    serialises writers anyway): two transactions refreshing the same person then take turns,
    and the second computes after the first committed, so neither writes rows computed
    without the other's change."""
    for batch in chunks(people, BATCH):
        if lock:
            session.execute(
                sa.select(Person.id)
                .where(Person.id.in_(batch))
                .order_by(Person.id)
                .with_for_update()
            ).all()
        computed = {
            (r.person_id, r.post_id): content(r, as_of, policy)
            for r in engine.compute_people(session, as_of, batch, policy)
        }
        _write(session, computed, _existing(session, batch), counts)
        counts.people += len(batch)


def rebuild(session: Session) -> Counts:
    """Recompute every row as of today under the saved policy (writing only the difference)
    and record the day: the CLI command, the scheduler's safety net and the first refresh."""
    session.flush()
    today = clock.today()
    policy = get_rotation_settings(session)
    counts = Counts()
    active = list(
        session.execute(sa.select(Person.id).where(Person.is_active.is_(True)).order_by(Person.id))
        .scalars()
        .all()
    )
    _refresh_people(session, active, today, policy, counts)
    # Rows of people no longer active (or gone).
    gone = session.execute(
        T.delete().where(
            T.c.person_id.not_in(sa.select(Person.id).where(Person.is_active.is_(True)))
        )
    )
    counts.deleted += gone.rowcount or 0
    state = {"as_of": today, "policy": _policy_text(policy), "rebuilt_at": clock.now()}
    if not session.execute(S.update().where(S.c.id == 1).values(state)).rowcount:
        session.execute(S.insert().values(id=1, **state))
    return counts


def refresh(session: Session, keys) -> None:
    """The refresher: these people's rows, or everything (ALL, a policy that differs from
    the rebuild's, a table never built)."""
    state = _state(session)
    policy = get_rotation_settings(session)
    if keys is mechanism.ALL or state is None or state.policy != _policy_text(policy):
        rebuild(session)
        return
    _refresh_people(session, sorted(keys), clock.today(), policy, Counts(), lock=True)


mechanism.register(NAME, watch, refresh)

#: Tables whose rows carry a person_id the rows depend on.
_BY_PERSON = {
    m.__table__.name for m in (Assignment, RotationHold, RotationDeferral, RotationPlanItem)
}
#: Tables the engine reads otherwise (a plan's status is marked by plans._transition).
_OTHERS = {m.__table__.name for m in (Person, Post, OrgUnit, Setting)}


@sa.event.listens_for(Session, "do_orm_execute")
def _statement(state) -> None:
    """Writes that bypass the unit of work (bulk INSERT, UPDATE, DELETE statements: imports,
    locks, fixtures): an INSERT with person ids in its rows marks those people; an INSERT of
    people or posts marks nothing (they hold nothing yet); an UPDATE that only touches
    `updated_at` (a row lock) nothing; any other UPDATE or DELETE of an input marks ALL."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    if NAME not in mechanism.tables():  # set aside (a test of the mechanism alone)
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name not in _BY_PERSON and name not in _OTHERS:
        return
    if state.is_insert:
        params = state.parameters
        rows = params if isinstance(params, list) else [params or {}]
        if name in _BY_PERSON:
            values = [r.get("person_id") for r in rows]
            if rows and all(isinstance(v, int) for v in values):
                mechanism.mark(state.session, NAME, values)
                return
        elif name in ("people", "posts", "org_units"):
            return
        mechanism.mark(state.session, NAME)
        return
    if state.is_update:
        touched = {getattr(k, "key", k) for k in (state.statement._values or {})}
        if touched <= {"updated_at"}:
            return
    mechanism.mark(state.session, NAME)


# ------------------------------------------------------------------ reading


def _state(session: Session):
    return session.execute(sa.select(S.c.as_of, S.c.policy).where(S.c.id == 1)).first()


def _crossed(session: Session, since: date, day: date) -> bool:
    """Whether an assignment began or ended, or a deferral was decided, after `since` up to
    `day`: what changes the rows themselves rather than their status."""
    began = sa.exists().where(Assignment.start_date > since, Assignment.start_date <= day)
    ended = sa.exists().where(Assignment.end_date >= since, Assignment.end_date < day)
    decided = sa.exists().where(
        RotationDeferral.meeting_date > since, RotationDeferral.meeting_date <= day
    )
    return bool(session.execute(sa.select(sa.or_(began, ended, decided))).scalar())


def answers(session: Session, as_of: date, policy: dict | None = None) -> bool:
    """Whether the table gives the eligibility of `as_of` under `policy` (None: the saved
    one): only for today, with the table rebuilt under that policy today or on an earlier
    day with no assignment begun or ended and no deferral decided since."""
    if as_of != clock.today():
        return False
    mechanism.settle(session)
    state = _state(session)
    if state is None or (policy is not None and _policy_text(policy) != state.policy):
        return False
    if state.as_of == as_of:
        return True
    return state.as_of < as_of and not _crossed(session, state.as_of, as_of)


def _status_conditions(day: date) -> list[tuple[str, object]]:
    """(status, SQL condition) in SPEC §7's first-match order, for the day `day`."""
    return [
        ("blocked", T.c.blocked.is_(True)),
        ("planned", T.c.plan_id.is_not(None)),
        (
            "deferred",
            sa.or_(
                sa.and_(T.c.deferred_until.is_not(None), T.c.deferred_until >= day),
                sa.and_(T.c.near_retirement_from.is_not(None), T.c.near_retirement_from <= day),
            ),
        ),
        ("due", T.c.due_on <= day),
        ("upcoming", T.c.upcoming_from <= day),
    ]


def status_only(day: date, status: str):
    """SQL: the rows whose status on `day` is `status` — its condition and the negation of
    every earlier one (`_status_conditions`' first-match order, whose conditions are never
    NULL), in plain column conditions that let the planners read the rows of one status in
    due-date order from an index instead of sorting the whole table by a CASE."""
    conditions = _status_conditions(day)
    names = [s for s, _c in conditions]
    earlier = conditions[: names.index(status)] if status in names else conditions
    own = dict(conditions).get(status)
    return sa.and_(*(sa.not_(c) for _s, c in earlier), *([own] if own is not None else []))


def status_sql(day: date):
    """The status of a row on `day` (SQL), the same as rules.status."""
    return sa.case(*((cond, s) for s, cond in _status_conditions(day)), else_="not_due")


def status_order_sql(day: date):
    """The position of the row's status in rules.STATUSES on `day` (SQL)."""
    return sa.case(
        *((cond, rules.STATUSES.index(s)) for s, cond in _status_conditions(day)),
        else_=rules.STATUSES.index("not_due"),
    )


def _where(day: date, scope: Scope | None, filters: engine.Filters, status):
    conds = []
    if filters.unit_path is not None:
        conds.append(in_subtree(T.c.path, filters.unit_path))
    if filters.person_id is not None:
        conds.append(T.c.person_id == filters.person_id)
    if filters.post_category is not None:
        conds.append(T.c.post_category == filters.post_category)
    if filters.personnel_type is not None:
        conds.append(T.c.personnel_type == filters.personnel_type)
    if scope is not None and not scope.everything:
        conds.append(scope.person_clause())
    if isinstance(status, str):
        conds.append(status_only(day, status))
    elif status is not None:
        conds.append(status_sql(day).in_(status))
    return conds


def _joined(stmt, scope: Scope | None):
    """Join the person when the scope's condition needs them."""
    if scope is not None and not scope.everything:
        stmt = stmt.join(Person, Person.id == T.c.person_id)
    return stmt


def counts(
    session: Session,
    day: date,
    scope: Scope | None,
    filters: engine.Filters,
    people: bool = False,
) -> dict[str, int]:
    """Rows (or, with `people`, distinct people) per status on `day` (one grouped COUNT)."""
    status = status_sql(day)
    number = sa.func.count(sa.distinct(T.c.person_id)) if people else sa.func.count()
    stmt = _joined(sa.select(status, number).select_from(T), scope)
    found = dict(
        session.execute(stmt.where(*_where(day, scope, filters, None)).group_by(status)).all()
    )
    return {s: found.get(s, 0) for s in rules.STATUSES}


def people_per_category(
    session: Session, day: date, scope: Scope | None, categories: dict[str, tuple[str, ...]]
) -> dict[str, int]:
    """{category: distinct people with a row due by `day` whose status on `day` is one of
    the category's} (one grouped COUNT DISTINCT; a person counts once per category)."""
    status = status_sql(day)
    named = sa.case(
        *((status.in_(statuses), name) for name, statuses in categories.items()), else_=None
    )
    people = sa.func.count(sa.distinct(T.c.person_id))
    stmt = _joined(sa.select(named, people).select_from(T), scope)
    stmt = stmt.where(*_where(day, scope, engine.Filters(), None), T.c.due_on <= day)
    found = dict(session.execute(stmt.group_by(named)).all())
    return {name: found.get(name, 0) for name in categories}


def rows(
    session: Session,
    day: date,
    *,
    scope: Scope | None = None,
    filters: engine.Filters | None = None,
    status: str | tuple[str, ...] | None = None,
    offset: int = 0,
    limit: int | None = None,
    by_due: bool = False,
    only=None,
) -> list[engine.Row]:
    """The engine's rows of `day` read from the table, in the engine's order (or, `by_due`,
    soonest due first, then by staff number); `only`: a further SQL condition."""
    filters = filters or engine.Filters()
    stmt = (
        sa.select(
            T,
            Person.name.label("person_name"),
            Person.retirement_date,
            OrgUnit.name.label("org_unit_name"),
            Post.name.label("post_name"),
            Post.org_unit_id.label("post_unit_id"),
        )
        .select_from(T)
        .join(Person, Person.id == T.c.person_id)
        .join(OrgUnit, OrgUnit.id == T.c.org_unit_id)
        .join(Post, Post.id == T.c.post_id)
        .where(*_where(day, scope, filters, status))
    )
    if only is not None:
        stmt = stmt.where(only)
    order = [T.c.due_on, T.c.path, T.c.staff_no, T.c.post_code]
    if not isinstance(status, str):  # one status: its rows share the first key
        order.insert(0, status_order_sql(day))
    if by_due:
        order = [T.c.due_on, T.c.staff_no, *order]
    stmt = stmt.order_by(*order, T.c.person_id, T.c.post_id)
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [row_of(r._mapping, day) for r in session.execute(stmt)]


def row_of(m, day: date) -> engine.Row:
    """An eligibility row for `day` from a stored row (with the person's, unit's and post's
    names): status and reasons by the pure rules."""
    near = m["near_retirement_from"] is not None and m["near_retirement_from"] <= day
    deferred = m["deferred_until"] is not None and m["deferred_until"] >= day
    return engine.Row(
        person_id=m["person_id"],
        post_id=m["post_id"],
        tenure_start=m["tenure_start"],
        tenure_days=(day - m["tenure_anchor"]).days,
        threshold_years=m["threshold_years"],
        due_on=m["due_on"],
        status=rules.status(
            due_on=m["due_on"],
            as_of=day,
            upcoming_days=(m["due_on"] - m["upcoming_from"]).days,
            blocked=m["blocked"],
            planned=m["plan_id"] is not None,
            deferred=deferred or near,
        ),
        reasons=rules.reasons(
            near_retirement=near,
            on_probation=m["probation_until"] is not None and m["probation_until"] >= day,
            under_review=m["blocked"],
            deferred=deferred,
            technical_post=m["technical_post"],
            leader_term=m["leader_term"],
        ),
        person_name=m["person_name"],
        staff_no=m["staff_no"],
        personnel_type=m["personnel_type"],
        org_unit_id=m["org_unit_id"],
        org_unit_name=m["org_unit_name"],
        path=m["path"],
        post_name=m["post_name"],
        post_code=m["post_code"],
        post_category=m["post_category"],
        post_unit_id=m["post_unit_id"],
        retirement_date=m["retirement_date"],
        probation_until=m["probation_until"],
        deferral_id=m["deferral_id"] if deferred else None,
        deferral_expires_on=m["deferred_until"] if deferred else None,
        plan_id=m["plan_id"],
    )


class Listing(Sequence):
    """The rows of a list page from the table: the counts per status in one grouped COUNT,
    and each slice one SELECT with OFFSET and LIMIT (what the pagers take)."""

    def __init__(self, session, day, scope, filters, status):
        self.session, self.day, self.scope, self.filters, self.status = (
            session,
            day,
            scope,
            filters,
            status,
        )
        self.counts = counts(session, day, scope, filters)

    def __len__(self) -> int:
        if self.status:
            return self.counts[self.status]
        return sum(self.counts.values())

    def __getitem__(self, index):
        if not isinstance(index, slice):
            found = self[index : index + 1] if index >= 0 else []
            if not found:
                raise IndexError(index)
            return found[0]
        start, stop, step = index.indices(len(self))
        if step != 1:
            raise ValueError("a listing is sliced with step 1")
        # The rows come status by status (the counts say where each begins), each status
        # read in due-date order: a page is one or two short reads, not a sort of the table.
        out, first = [], 0
        for status in [self.status] if self.status else rules.STATUSES:
            lo, hi = max(start - first, 0), min(stop - first, self.counts[status])
            if lo < hi:
                out += rows(
                    self.session,
                    self.day,
                    scope=self.scope,
                    filters=self.filters,
                    status=status,
                    offset=lo,
                    limit=hi - lo,
                )
            first += self.counts[status]
        return out
