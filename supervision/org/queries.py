"""Scoped, filtered selects shared by the org API and pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from supervision.common import clock
from supervision.extensions import db
from supervision.org.models import Assignment, OrgUnit, Person, Post, in_subtree
from supervision.org.paths import ancestor_ids, path_ids
from supervision.org.scope import Scope


def _like(text: str) -> str:
    escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _subtree_of(unit_id: int):
    parent = sa.select(OrgUnit.path).where(OrgUnit.id == unit_id).scalar_subquery()
    return sa.select(OrgUnit.id).where(in_subtree(OrgUnit.path, parent))


def units(
    scope: Scope, q: str | None = None, parent_id: int | None = None, kind: str | None = None
):
    """Units in scope, ordered by path (tree order)."""
    stmt = sa.select(OrgUnit).where(scope.unit_clause())
    if q:
        stmt = stmt.where(
            sa.or_(
                OrgUnit.name.like(_like(q), escape="\\"), OrgUnit.code.like(_like(q), escape="\\")
            )
        )
    if parent_id is not None:
        stmt = stmt.where(OrgUnit.parent_id == parent_id)
    if kind:
        stmt = stmt.where(OrgUnit.kind == kind)
    return stmt.order_by(OrgUnit.path)


def people(
    scope: Scope,
    q: str | None = None,
    org_unit_id: int | None = None,
    personnel_type: str | None = None,
    leadership: str | None = None,
    is_active: bool | None = None,
):
    """People in scope, ordered by staff number."""
    stmt = sa.select(Person).where(scope.person_clause())
    if q:
        stmt = stmt.where(
            sa.or_(
                Person.name.like(_like(q), escape="\\"), Person.staff_no.like(_like(q), escape="\\")
            )
        )
    if org_unit_id is not None:
        stmt = stmt.where(Person.org_unit_id.in_(_subtree_of(org_unit_id)))
    if personnel_type:
        stmt = stmt.where(Person.personnel_type == personnel_type)
    if leadership:
        stmt = stmt.where(Person.leadership == leadership)
    if is_active is not None:
        stmt = stmt.where(Person.is_active.is_(is_active))
    return stmt.order_by(Person.staff_no)


def posts(
    scope: Scope,
    q: str | None = None,
    org_unit_id: int | None = None,
    category: str | None = None,
    is_sensitive: bool | None = None,
):
    """Posts of units in scope, ordered by code."""
    stmt = sa.select(Post).where(Post.org_unit_id.in_(scope.unit_ids_select()))
    if q:
        stmt = stmt.where(
            sa.or_(Post.name.like(_like(q), escape="\\"), Post.code.like(_like(q), escape="\\"))
        )
    if org_unit_id is not None:
        stmt = stmt.where(Post.org_unit_id.in_(_subtree_of(org_unit_id)))
    if category:
        stmt = stmt.where(Post.category == category)
    if is_sensitive is not None:
        stmt = stmt.where(Post.is_sensitive.is_(is_sensitive))
    return stmt.order_by(Post.code)


def assignments(
    scope: Scope,
    person_id: int | None = None,
    post_id: int | None = None,
    current: bool | None = None,
    as_of: date | None = None,
):
    """Assignments of people in scope, newest first; `current` as of `as_of` (see _current)."""
    visible = sa.select(Person.id).where(scope.person_clause())
    stmt = sa.select(Assignment).where(Assignment.person_id.in_(visible))
    if person_id is not None:
        stmt = stmt.where(Assignment.person_id == person_id)
    if post_id is not None:
        stmt = stmt.where(Assignment.post_id == post_id)
    if current is not None:
        held = _current(as_of or clock.today())
        stmt = stmt.where(held if current else sa.not_(held))
    return stmt.order_by(Assignment.start_date.desc(), Assignment.id.desc())


def one(stmt, model, obj_id: int):
    """Add `id == obj_id` to a scoped select."""
    return stmt.where(model.id == obj_id)


# ------------------------------------------------------------ page helpers (read only)


@dataclass
class UnitNode:
    """A unit in the displayed tree, with its direct and subtree counts."""

    unit: OrgUnit
    people: int = 0
    posts: int = 0
    children: list[UnitNode] = field(default_factory=list)
    subtree_people: int = 0
    subtree_posts: int = 0


def _counts_by_unit(column):
    return (
        sa.select(column.label("org_unit_id"), sa.func.count().label("n"))
        .group_by(column)
        .subquery()
    )


def unit_rows(scope: Scope, q: str | None = None):
    """Units in scope with head, supervising leader and direct people/post counts (one select)."""
    people_n = _counts_by_unit(Person.org_unit_id)
    posts_n = _counts_by_unit(Post.org_unit_id)
    return (
        units(scope, q=q)
        .add_columns(sa.func.coalesce(people_n.c.n, 0), sa.func.coalesce(posts_n.c.n, 0))
        .outerjoin(people_n, people_n.c.org_unit_id == OrgUnit.id)
        .outerjoin(posts_n, posts_n.c.org_unit_id == OrgUnit.id)
        .options(joinedload(OrgUnit.head), joinedload(OrgUnit.supervising_leader))
    )


def build_tree(rows) -> list[UnitNode]:
    """Nest (unit, people, posts) rows under their nearest visible ancestor; totals per subtree.

    Works whatever order the database returned (collations differ), children sorted by code.
    """
    nodes: dict[int, UnitNode] = {}
    roots: list[UnitNode] = []
    ordered = sorted(rows, key=lambda r: r[0].depth)
    for unit, people_count, post_count in ordered:
        node = UnitNode(unit, people_count, post_count)
        nodes[unit.id] = node
        parent = next((nodes[a] for a in reversed(ancestor_ids(unit.path)) if a in nodes), None)
        (parent.children if parent else roots).append(node)
    for node in reversed([nodes[r[0].id] for r in ordered]):
        node.subtree_people += node.people + sum(c.subtree_people for c in node.children)
        node.subtree_posts += node.posts + sum(c.subtree_posts for c in node.children)
        node.children.sort(key=lambda c: c.unit.code)
    roots.sort(key=lambda n: n.unit.code)
    return roots


def flatten(nodes: list[UnitNode], level: int = 0):
    """(level, node) pairs in depth-first display order."""
    for node in nodes:
        yield level, node
        yield from flatten(node.children, level + 1)


@dataclass
class _Stub:
    """The columns of a unit that a select option needs."""

    id: int
    path: str
    depth: int
    code: str
    name: str


def unit_options(scope: Scope) -> list[tuple[int, str]]:
    """(id, indented label) for every unit in scope, in tree order, for select fields."""
    rows = db.session.execute(
        units(scope).with_only_columns(
            OrgUnit.id, OrgUnit.path, OrgUnit.depth, OrgUnit.code, OrgUnit.name
        )
    ).all()
    return unit_options_of(rows)


#: A unit filter on a list page lists every unit in scope up to this many; beyond it (a
#: province has 2,001), the top two levels of the scope, the chosen unit's ancestors and its
#: children, so that choosing a unit opens the level below it (issue 14: the whole tree was
#: ~160 KB of every list page).
FILTER_ALL_UNITS = 300


class UnitOptions(list):
    """(id, indented label) choices of a unit filter; `partial` when not every unit is
    listed."""

    partial: bool = False


def unit_filter_options(scope: Scope, chosen: int | None = None) -> UnitOptions:
    """The choices of a list page's unit filter: every unit in scope when there are at most
    FILTER_ALL_UNITS, else the first two levels, the chosen unit's ancestors and children."""
    columns = (OrgUnit.id, OrgUnit.path, OrgUnit.depth, OrgUnit.code, OrgUnit.name)
    rows = db.session.execute(
        units(scope).with_only_columns(*columns).limit(FILTER_ALL_UNITS + 1)
    ).all()
    options = UnitOptions()
    if len(rows) <= FILTER_ALL_UNITS:
        options.extend(unit_options_of(rows))
        return options
    options.partial = True
    top = db.session.scalar(sa.select(sa.func.min(OrgUnit.depth)).where(scope.unit_clause()))
    wanted = [OrgUnit.depth <= top + 1]
    if chosen is not None:
        path = db.session.scalar(sa.select(OrgUnit.path).where(OrgUnit.id == chosen))
        if path is not None:
            wanted += [OrgUnit.id.in_(path_ids(path)), OrgUnit.parent_id == chosen]
    rows = db.session.execute(units(scope).with_only_columns(*columns).where(sa.or_(*wanted)))
    options.extend(unit_options_of(rows.all()))
    return options


def unit_options_of(rows) -> list[tuple[int, str]]:
    """(id, indented label) of unit rows (id, path, depth, code, name) in tree order."""
    stubs = [(_Stub(r.id, r.path, r.depth, r.code, r.name), 0, 0) for r in rows]
    return [
        (n.unit.id, "\u3000" * level + f"{n.unit.name}（{n.unit.code}）")
        for level, n in flatten(build_tree(stubs))
    ]


def indented_units(scope: Scope) -> list[tuple[int, str]]:
    """(id, name indented by depth) of the units in scope, in path order (one query): the
    unit choices of the report and figure pages."""
    units_ = db.session.execute(
        sa.select(OrgUnit.id, OrgUnit.name, OrgUnit.depth)
        .where(scope.unit_clause())
        .order_by(OrgUnit.path)
    ).all()
    base = min((u.depth for u in units_), default=0)
    return [(u.id, "\u3000" * (u.depth - base) + u.name) for u in units_]


def trail(scope: Scope, unit: OrgUnit | None) -> list[tuple[int, str]]:
    """(id, name) of the unit's ancestors in scope, then the unit: the breadcrumbs."""
    if unit is None:
        return []
    ids = path_ids(unit.path)
    found = dict(
        db.session.execute(
            sa.select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(ids), scope.unit_clause())
        ).all()
    )
    return [(i, found[i]) for i in ids if i in found]


def ancestors(scope: Scope, unit: OrgUnit) -> list[OrgUnit]:
    """The unit's ancestors that are in scope, root first."""
    ids = ancestor_ids(unit.path)
    if not ids:
        return []
    return list(
        db.session.scalars(
            units(scope).where(OrgUnit.id.in_(ids)).order_by(None).order_by(OrgUnit.depth)
        )
    )


def ancestry_of(scope: Scope, found: list[OrgUnit]) -> dict[int, list[OrgUnit]]:
    """For each unit, its in-scope ancestors (root first), fetched in one query."""
    wanted = {a for u in found for a in ancestor_ids(u.path)}
    if not wanted:
        return {u.id: [] for u in found}
    by_id = {u.id: u for u in db.session.scalars(units(scope).where(OrgUnit.id.in_(wanted)))}
    return {u.id: [by_id[a] for a in ancestor_ids(u.path) if a in by_id] for u in found}


def team_members(scope: Scope):
    """Leadership-team members in scope (candidates for supervising leader), by name."""
    return (
        sa.select(Person)
        .where(scope.person_clause(), Person.leadership == "team_member")
        .order_by(Person.name, Person.staff_no)
    )


def people_list(scope: Scope, **filters):
    """People with their unit and posts eager-loaded, for list pages."""
    return people(scope, **filters).options(
        joinedload(Person.org_unit),
        selectinload(Person.assignments).joinedload(Assignment.post),
    )


def posts_list(scope: Scope, as_of: date, **filters):
    """(post, current holder count) rows with the unit eager-loaded."""
    holders = (
        sa.select(Assignment.post_id, sa.func.count().label("n"))
        .where(_current(as_of))
        .group_by(Assignment.post_id)
        .subquery()
    )
    return (
        posts(scope, **filters)
        .add_columns(sa.func.coalesce(holders.c.n, 0))
        .outerjoin(holders, holders.c.post_id == Post.id)
        .options(joinedload(Post.org_unit))
    )


def _current(as_of: date):
    """Held on `as_of`: started, and not ended before it (end_date is the last day in post)."""
    return sa.and_(
        Assignment.start_date <= as_of,
        sa.or_(Assignment.end_date.is_(None), Assignment.end_date >= as_of),
    )


def assignment_list(
    scope: Scope,
    as_of: date,
    current: bool = False,
    org_unit_id: int | None = None,
    sensitive: bool = False,
    q: str | None = None,
    person_id: int | None = None,
    post_id: int | None = None,
):
    """Assignments of people in scope with person, post and units eager-loaded, newest first."""
    stmt = assignments(scope, person_id=person_id, post_id=post_id)
    if current:
        stmt = stmt.where(_current(as_of))
    if org_unit_id is not None or sensitive:
        post_ids = sa.select(Post.id)
        if org_unit_id is not None:
            post_ids = post_ids.where(Post.org_unit_id.in_(_subtree_of(org_unit_id)))
        if sensitive:
            post_ids = post_ids.where(Post.is_sensitive)
        stmt = stmt.where(Assignment.post_id.in_(post_ids))
    if q:
        like = _like(q)
        stmt = stmt.where(
            sa.or_(
                Assignment.person_id.in_(
                    sa.select(Person.id).where(
                        sa.or_(
                            Person.name.like(like, escape="\\"),
                            Person.staff_no.like(like, escape="\\"),
                        )
                    )
                ),
                Assignment.post_id.in_(
                    sa.select(Post.id).where(
                        sa.or_(Post.name.like(like, escape="\\"), Post.code.like(like, escape="\\"))
                    )
                ),
            )
        )
    return stmt.options(
        joinedload(Assignment.person).joinedload(Person.org_unit),
        joinedload(Assignment.post).joinedload(Post.org_unit),
    )


def person_by_staff_no(scope: Scope, staff_no: str) -> Person | None:
    """The person in scope with this staff number."""
    return db.session.scalar(people(scope).where(Person.staff_no == staff_no.strip()))


def post_by_code(scope: Scope, code: str) -> Post | None:
    """The post in scope with this code."""
    return db.session.scalar(posts(scope).where(Post.code == code.strip()))
