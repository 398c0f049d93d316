"""The grouped inbox (SPEC §8): a reader's notifications grouped by step, type, period and
unit, with counts and the list to drill down to ("交通管理大队 7 人逾期未谈").

A group is the notifications of one recipient with the same
- step (`overdue`, `escalated`, ...);
- kind: the talk type for obligations, the object type otherwise (`rotation`,
  `risk_point`, `measure`; `""` for digests, `user` for account notices);
- period: the obligation period; none for the others, whose `period` is a due date or a
  week and would make a group of each item;
- unit: the unit just below the top of the organisation that held the person the item is
  about when it was created (a 中队's people count with their 大队 or 派出所, which is what
  the drill-down of that unit lists; stored on the notification, `unit_id`); none for
  digests and account notices.

Statements: one GROUP BY over the reader's notifications (a row per group), one for the
units' names, one for the items of the groups on the page (each group's newest read from an
index), and the names their texts need (texts.render): a fixed number whatever the size of
the inbox.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from supervision.audit.services import record
from supervision.auth.grants import PENDING_GRANTS_PATH
from supervision.common import clock
from supervision.common.batches import rows_in
from supervision.common.pages import PageResult
from supervision.common.permissions import can
from supervision.obligations.permissions import obligation_scope
from supervision.org.models import OrgUnit
from supervision.reminders import rectification, texts
from supervision.reminders.models import Notification
from supervision.reminders.outbox import kind_of

#: Groups on one page of the inbox.
GROUPS_PER_PAGE = 20
#: Items shown when a group is expanded (the drill-down lists them all): the newest, read
#: from the database per group (a group of a province's HR holds thousands).
ITEMS_PER_GROUP = 10
READ_STATES = ("all", "unread", "read")
#: Among groups of the same moment, the most pressing first.
_SEVERITY = {"escalated": 0, "overdue": 1, "rotation_due": 2, "review_overdue": 3}
_LIT_OBLIGATION = sa.literal_column("'obligation'")
_LIT_EMPTY = sa.literal_column("''")


@dataclass(frozen=True)
class Filters:
    """What the reader chose: a step, a kind, a period, a read state, one group's unit."""

    step: str | None = None
    kind: str | None = None
    period: str | None = None
    read: str = "all"
    unit_id: int | None = None


@dataclass(frozen=True)
class GroupKey:
    step: str
    kind: str
    period: str
    unit_id: int | None


@dataclass
class Group:
    """One group of the inbox: its key, counts and (once loaded) texts and items."""

    key: GroupKey
    object_type: str
    count: int = 0
    unread: int = 0
    latest: datetime | None = None
    first_due: date | None = None
    last_due: date | None = None
    unit_name: str | None = None
    unit_depth: int = 0
    items: list = field(default_factory=list)
    #: The list to drill down to (None when the reader may not open one).
    link: str | None = None

    def add(self, count, unread, latest, first_due, last_due) -> None:
        self.count += count
        self.unread += unread or 0
        self.latest = max(filter(None, (self.latest, latest)), default=None)
        self.first_due = min(filter(None, (self.first_due, first_due)), default=None)
        self.last_due = max(filter(None, (self.last_due, last_due)), default=None)


def _kind():
    n = Notification
    return sa.case(
        (n.object_type == _LIT_OBLIGATION, sa.func.coalesce(n.type, _LIT_EMPTY)),
        else_=n.object_type,
    )


def _period():
    return sa.case(
        (Notification.object_type == _LIT_OBLIGATION, Notification.period), else_=_LIT_EMPTY
    )


def _where(stmt: sa.Select, person_id: int, filters: Filters) -> sa.Select:
    n = Notification
    stmt = stmt.where(n.recipient_id == person_id)
    if filters.step:
        stmt = stmt.where(n.step == filters.step)
    if filters.kind is not None:
        stmt = stmt.where(_kind() == filters.kind)
    if filters.period:
        stmt = stmt.where(n.object_type == "obligation", n.period == filters.period)
    if filters.read == "unread":
        stmt = stmt.where(n.read_at.is_(None))
    elif filters.read == "read":
        stmt = stmt.where(n.read_at.is_not(None))
    return stmt


def groups(session: Session, person_id: int | None, filters: Filters) -> list[Group]:
    """Every group of the person's notifications that `filters` keep: unread groups first,
    then the newest; counts, unread counts and due dates (without items or texts). One
    GROUP BY over the notifications (a row per group) and one query for the units' names."""
    if person_id is None:
        return []
    n = Notification
    kind, period = _kind().label("kind"), _period().label("gperiod")
    stmt = sa.select(
        n.step,
        n.object_type,
        kind,
        period,
        n.unit_id,
        sa.func.count(),
        sa.func.sum(sa.case((n.read_at.is_(None), 1), else_=0)),
        sa.func.max(n.created_at),
        sa.func.min(n.due_on),
        sa.func.max(n.due_on),
    ).group_by(n.step, n.object_type, kind, period, n.unit_id)
    if filters.unit_id is not None:
        stmt = stmt.where(n.unit_id == filters.unit_id)
    rows = session.execute(_where(stmt, person_id, filters)).all()
    units = _named_units(session, {r[4] for r in rows if r[4] is not None})
    found: dict[GroupKey, Group] = {}
    for step, object_type, kind_, period_, unit_id, *counts in rows:
        key = GroupKey(step, kind_, period_, unit_id)
        group = found.get(key)
        if group is None:
            group = found[key] = Group(key, object_type)
            if unit_id is not None:
                group.unit_name, group.unit_depth = units.get(unit_id, ("", 0))
        group.add(*counts)
    out = list(found.values())
    out.sort(key=lambda g: g.unit_name or "")
    out.sort(key=lambda g: g.key.period, reverse=True)
    out.sort(key=lambda g: (g.unread == 0, -_stamp(g.latest), _SEVERITY.get(g.key.step, 9)))
    return out


def _named_units(session: Session, unit_ids: set[int]) -> dict[int, tuple[str, int]]:
    """{unit: (name, depth)}."""
    stmt = sa.select(OrgUnit.id, OrgUnit.name, OrgUnit.depth)
    return {uid: (name, depth) for uid, name, depth in rows_in(session, stmt, OrgUnit.id, unit_ids)}


def _stamp(value: datetime | None) -> float:
    return value.timestamp() if value else 0.0


def page_of(items: list, page: int, per_page: int = GROUPS_PER_PAGE) -> PageResult:
    """One page of a list (a page past the end shows the last page)."""
    last = max(1, -(-len(items) // per_page))
    page = min(max(1, page), last)
    return PageResult(items[(page - 1) * per_page : page * per_page], len(items), page, per_page)


def _group_clause(group: Group):
    """The notifications of a group, in plain column conditions that an index answers (not
    the CASE of `_kind` and `_period`, which the planners cannot estimate)."""
    k, n = group.key, Notification
    if group.object_type == "obligation":
        kind = n.type.is_(None) | (n.type == "") if k.kind == "" else n.type == k.kind
        what = sa.and_(n.object_type == "obligation", kind, n.period == k.period)
    else:
        what = n.object_type == group.object_type
    unit = n.unit_id.is_(None) if k.unit_id is None else n.unit_id == k.unit_id
    return sa.and_(n.step == k.step, unit, what)


def load_items(session: Session, person_id: int, shown: list[Group], filters: Filters) -> None:
    """Fill the items of the groups shown (newest first, at most ITEMS_PER_GROUP each) with
    one query: a UNION ALL of each group's newest ids, each read newest first from the index
    on (recipient, step, unit, created_at, id), so that the rows read do not grow with the
    size of the groups."""
    if not shown:
        return
    order = (Notification.created_at.desc(), Notification.id.desc())
    newest = [
        _where(sa.select(Notification.id), person_id, filters)
        .where(_group_clause(g))
        .order_by(*order)
        .limit(ITEMS_PER_GROUP)
        .subquery()
        for g in shown
    ]
    ids = sa.union_all(*(sa.select(q.c.id) for q in newest)).subquery()
    stmt = sa.select(Notification).where(Notification.id.in_(sa.select(ids.c.id)))
    by_key = {g.key: g for g in shown}
    for item in session.scalars(stmt.order_by(*order)):
        kind = kind_of(item.object_type, item.type)
        period = item.period if item.object_type == "obligation" else ""
        group = by_key.get(GroupKey(item.step, kind, period, item.unit_id))
        if group is not None and len(group.items) < ITEMS_PER_GROUP:
            group.items.append(item)


def mark_group_read(session: Session, person_id: int | None, group: Group) -> int:
    """Mark the unread notifications of one group read (one statement); how many."""
    if person_id is None:
        return 0
    stmt = (
        sa.update(Notification)
        .where(
            Notification.recipient_id == person_id,
            Notification.read_at.is_(None),
            _group_clause(group),
        )
        .values(read_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    count = session.execute(stmt).rowcount or 0
    if count:
        k = group.key
        record(
            session,
            "read_all",
            "notification",
            "",
            {
                "recipient_id": [None, person_id],
                "read": [0, count],
                "group": [None, f"{k.step}/{k.kind}/{k.period}/{k.unit_id or ''}"],
            },
        )
    return count


def find_group(session: Session, person_id: int | None, key: GroupKey) -> Group | None:
    """The reader's group with `key` (None when they have none)."""
    filters = Filters(step=key.step, kind=key.kind, period=key.period or None, unit_id=key.unit_id)
    for group in groups(session, person_id, filters):
        if group.key == key:
            return group
    return None


def unit_label(group: Group) -> str:
    """The unit a group is about, for its title."""
    return group.unit_name or _("Unknown unit")


def title(group: Group) -> str:
    """A group's title in the current locale."""
    k = group.key
    return texts.group_title(
        k.step, group.object_type, k.kind, k.period, unit_label(group), group.count
    )


#: The obligation status the dashboard lists for each step.
_OBLIGATION_STATUS = {"upcoming": "pending"}
_ROTATION_STATUS = {"rotation_upcoming": "upcoming", "rotation_due": "due"}


def add_links(session: Session, user, shown: list[Group]) -> None:
    """Set each group's drill-down link: the completion dashboard's unit list for
    obligations (when the unit is in the reader's scope, else "my talks"), the eligibility
    list, the risk inventory or the measures past due, the pending grants; none for what
    the reader may not open (one query for the obligation scope)."""
    units = {g.key.unit_id for g in shown if g.object_type == "obligation" and g.key.unit_id}
    visible = _obligation_units(session, user, units)
    for g in shown:
        g.link = _link(user, g, visible)


def _obligation_units(session: Session, user, units: set[int]) -> set[int]:
    if not units or not can(user, "obligations.read"):
        return set()
    scope, _viewer = obligation_scope(user)
    return set(
        session.scalars(sa.select(OrgUnit.id).where(OrgUnit.id.in_(units), scope.unit_clause()))
    )


def _link(user, g: Group, visible: set[int]) -> str | None:
    k = g.key
    if g.object_type == "obligation":
        if k.unit_id in visible:
            return url_for(
                "obligations.index",
                type=k.kind,
                period=k.period,
                org_unit_id=k.unit_id,
                status=_OBLIGATION_STATUS.get(k.step, "overdue"),
            )
        return url_for("my_talks.index") if can(user, "talks.mine") else None
    if g.object_type == "rotation" and can(user, "rotation.read"):
        return url_for("rotation.index", org_unit_id=k.unit_id, status=_ROTATION_STATUS[k.step])
    if g.object_type == "measure" and k.step == "review_overdue" and can(user, "risks.edit"):
        return url_for("risks.measures_past_due")
    if g.object_type in ("risk_point", "measure") and can(user, "risks.edit"):
        return url_for("risks.index", org_unit_id=k.unit_id)
    if g.object_type == "user" and can(user, "users.confirm_grants"):
        return PENDING_GRANTS_PATH
    if g.object_type in rectification.OBJECT_TYPES:  # rectification (SPEC §14)
        return rectification.group_link(user)
    return None


def periods(session: Session, person_id: int | None) -> list[str]:
    """The obligation periods of the person's notifications, newest first (the filter's
    choices)."""
    if person_id is None:
        return []
    stmt = (
        sa.select(Notification.period)
        .where(Notification.recipient_id == person_id, Notification.object_type == "obligation")
        .distinct()
    )
    return sorted(session.scalars(stmt), reverse=True)
