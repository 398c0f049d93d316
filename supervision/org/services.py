"""Create, change and delete units, people, posts and assignments, with the §3 rules.

Every function takes the session, validates, writes, records the audit entry and flushes;
the caller commits. Input is a dict of already-typed values (API schema or form).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from supervision.audit.services import diff, record, snapshot
from supervision.common.errors import Conflict, Invalid, NotFound
from supervision.org.models import (
    LEADERSHIP,
    PERSONNEL_TYPES,
    POST_CATEGORIES,
    UNIT_KINDS,
    Assignment,
    OrgUnit,
    Person,
    Post,
    in_subtree,
)
from supervision.org.paths import path_ids

UNIT_FIELDS = ("code", "name", "kind", "parent_id", "head_person_id", "supervising_leader_id")
PERSON_FIELDS = (
    "staff_no",
    "name",
    "personnel_type",
    "org_unit_id",
    "leadership",
    "birth_date",
    "hire_date",
    "retirement_date",
    "probation_until",
    "email",
    "is_active",
)
POST_FIELDS = (
    "code",
    "name",
    "org_unit_id",
    "category",
    "is_sensitive",
    "sworn_only",
    "is_technical",
    "is_leadership",
    "rotation_years",
)
ASSIGNMENT_FIELDS = ("person_id", "post_id", "start_date", "end_date")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class _Errors:
    """Collects field errors and raises them together."""

    def __init__(self):
        self.by_field: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        """Record `message` for `field`, once (the required-field loops and the per-field
        checks may both find an empty field)."""
        messages = self.by_field.setdefault(field, [])
        if message not in messages:
            messages.append(message)

    def raise_if_any(self, what: str) -> None:
        if self.by_field:
            raise Invalid(_("Invalid %(what)s", what=what), self.by_field)


def _text(errs: _Errors, data: dict, field: str, max_len: int, required: bool = True) -> None:
    if field not in data:
        return
    value = data[field]
    if isinstance(value, str):
        value = value.strip()
        data[field] = value
    if required and not value:
        errs.add(field, _("This field is required."))
    elif value and len(value) > max_len:
        errs.add(field, _("At most %(n)s characters.", n=max_len))
    elif isinstance(value, str) and _CONTROL.search(value):
        errs.add(field, _("Contains control characters."))


def _choice(errs: _Errors, data: dict, field: str, choices: tuple[str, ...]) -> None:
    if field in data and data[field] not in choices:
        errs.add(field, _("Must be one of: %(choices)s.", choices=", ".join(choices)))


def _exists(session: Session, errs: _Errors, model, data: dict, field: str, label: str) -> Any:
    ref = data.get(field)
    if ref is None:
        return None
    obj = session.get(model, ref)
    if obj is None:
        errs.add(field, _("No %(what)s with id %(id)s.", what=label, id=ref))
    return obj


def _apply(obj: Any, data: dict, fields: tuple[str, ...]) -> None:
    for f in fields:
        if f in data:
            setattr(obj, f, data[f])


# ---------------------------------------------------------------- units


def _unit_path(parent: OrgUnit | None, unit_id: int) -> str:
    return f"{parent.path if parent else ''}{unit_id}/"


def create_unit(session: Session, data: dict) -> OrgUnit:
    """Create an org unit under `parent_id` (or as a root)."""
    data = dict(data)
    errs = _Errors()
    for f in ("code", "name", "kind"):
        if f not in data:
            errs.add(f, _("This field is required."))
    _validate_unit(session, errs, data)
    errs.raise_if_any(_l("org unit"))
    _unique(session, OrgUnit, "code", data["code"], _l("Org unit code"))
    unit = OrgUnit()
    _apply(unit, data, UNIT_FIELDS)
    session.add(unit)
    session.flush()
    parent = session.get(OrgUnit, unit.parent_id) if unit.parent_id else None
    unit.path = _unit_path(parent, unit.id)
    unit.depth = parent.depth + 1 if parent else 0
    session.flush()
    record(session, "create", "org_unit", unit.id, diff(None, snapshot(unit, UNIT_FIELDS)))
    return unit


def _validate_unit(session: Session, errs: _Errors, data: dict) -> None:
    _text(errs, data, "code", 64)
    _text(errs, data, "name", 200)
    _choice(errs, data, "kind", UNIT_KINDS)
    _exists(session, errs, OrgUnit, data, "parent_id", _l("org unit"))
    _exists(session, errs, Person, data, "head_person_id", _l("person"))
    leader = _exists(session, errs, Person, data, "supervising_leader_id", _l("person"))
    if leader is not None and leader.leadership != "team_member":
        errs.add(
            "supervising_leader_id", _("The supervising leader must be a leadership-team member.")
        )


def _unique(session: Session, model, field: str, value: Any, label: str, exclude_id=None) -> None:
    stmt = sa.select(model.id).where(getattr(model, field) == value)
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    if session.scalar(stmt) is not None:
        raise Conflict(
            _("%(what)s %(value)s is already in use.", what=label, value=value),
            {field: [_("Already in use.")]},
        )


def update_unit(session: Session, unit: OrgUnit, data: dict) -> OrgUnit:
    """Change a unit; moving it re-roots its whole subtree in one statement."""
    data = dict(data)
    errs = _Errors()
    _validate_unit(session, errs, data)
    new_parent_id = data.get("parent_id", unit.parent_id)
    if "parent_id" in data and new_parent_id is not None and not errs.by_field:
        new_parent = session.get(OrgUnit, new_parent_id)
        if new_parent.path.startswith(unit.path):
            errs.add("parent_id", _("A unit cannot be moved under itself or its own sub-unit."))
    errs.raise_if_any(_l("org unit"))
    if "code" in data:
        _unique(session, OrgUnit, "code", data["code"], _l("Org unit code"), exclude_id=unit.id)
    before = snapshot(unit, UNIT_FIELDS)
    _apply(unit, data, UNIT_FIELDS)
    if before["parent_id"] != unit.parent_id:
        _move_subtree(session, unit)
    session.flush()
    record(session, "update", "org_unit", unit.id, diff(before, snapshot(unit, UNIT_FIELDS)))
    return unit


def _move_subtree(session: Session, unit: OrgUnit) -> None:
    parent = session.get(OrgUnit, unit.parent_id) if unit.parent_id else None
    old_path, old_depth = unit.path, unit.depth
    new_path = _unit_path(parent, unit.id)
    shift = (parent.depth + 1 if parent else 0) - old_depth
    session.flush()
    session.execute(
        sa.update(OrgUnit)
        .where(in_subtree(OrgUnit.path, old_path))
        .values(
            path=sa.literal(new_path) + sa.func.substr(OrgUnit.path, len(old_path) + 1),
            depth=OrgUnit.depth + shift,
        )
        .execution_options(synchronize_session=False)
    )
    session.expire_all()


def delete_unit(session: Session, unit: OrgUnit) -> None:
    """Delete an empty unit; one with sub-units, people or posts is refused (409)."""
    blockers = []
    if session.scalar(sa.select(sa.func.count()).where(OrgUnit.parent_id == unit.id)):
        blockers.append(_l("sub-units"))
    if session.scalar(sa.select(sa.func.count()).where(Person.org_unit_id == unit.id)):
        blockers.append(_l("people"))
    if session.scalar(sa.select(sa.func.count()).where(Post.org_unit_id == unit.id)):
        blockers.append(_l("posts"))
    if blockers:
        raise Conflict(
            _(
                "The unit still has %(what)s; move or delete them first.",
                what=", ".join(str(b) for b in blockers),
            )
        )
    before = snapshot(unit, UNIT_FIELDS)
    session.delete(unit)
    session.flush()
    record(session, "delete", "org_unit", unit.id, diff(before, None))


def subtree_ids(session: Session, unit: OrgUnit):
    """SELECT of the ids of `unit` and all units below it."""
    return sa.select(OrgUnit.id).where(in_subtree(OrgUnit.path, unit.path))


def responsible_head_id(session: Session, person: Person) -> int | None:
    """The head of the person's unit, or of the nearest ancestor with a head other than them."""
    ids = path_ids(person.org_unit.path)
    heads = dict(
        session.execute(
            sa.select(OrgUnit.id, OrgUnit.head_person_id).where(OrgUnit.id.in_(ids))
        ).all()
    )
    for unit_id in reversed(ids):
        head = heads.get(unit_id)
        if head is not None and head != person.id:
            return head
    return None


# ---------------------------------------------------------------- people


def _validate_person(session: Session, errs: _Errors, data: dict) -> None:
    _text(errs, data, "staff_no", 32)
    _text(errs, data, "name", 100)
    _choice(errs, data, "personnel_type", PERSONNEL_TYPES)
    _choice(errs, data, "leadership", LEADERSHIP)
    _exists(session, errs, OrgUnit, data, "org_unit_id", _l("org unit"))
    if data.get("email"):
        data["email"] = data["email"].strip()
        if not _EMAIL.match(data["email"]) or len(data["email"]) > 254:
            errs.add("email", _("Not a valid e-mail address."))
    elif "email" in data:
        data["email"] = None
    birth, hire = data.get("birth_date"), data.get("hire_date")
    if birth and hire and hire < birth:
        errs.add("hire_date", _("The hire date is before the birth date."))
    if birth and data.get("retirement_date") and data["retirement_date"] < birth:
        errs.add("retirement_date", _("The retirement date is before the birth date."))


def create_person(session: Session, data: dict) -> Person:
    """Create a person."""
    data = {"leadership": "none", "is_active": True, **data}
    errs = _Errors()
    for f in ("staff_no", "name", "personnel_type", "org_unit_id"):
        if data.get(f) in (None, ""):
            errs.add(f, _("This field is required."))
    _validate_person(session, errs, data)
    errs.raise_if_any(_l("person"))
    _unique(session, Person, "staff_no", data["staff_no"], _l("Staff number"))
    person = Person()
    _apply(person, data, PERSON_FIELDS)
    session.add(person)
    session.flush()
    record(session, "create", "person", person.id, diff(None, snapshot(person, PERSON_FIELDS)))
    return person


def update_person(session: Session, person: Person, data: dict) -> Person:
    """Change a person; turning them auxiliary while in a sworn-only post is refused."""
    data = dict(data)
    errs = _Errors()
    _validate_person(session, errs, data)
    if data.get("personnel_type") == "auxiliary" and person.personnel_type != "auxiliary":
        held = session.scalar(
            sa.select(Post.code)
            .join(Assignment, Assignment.post_id == Post.id)
            .where(
                Assignment.person_id == person.id, Assignment.end_date.is_(None), Post.sworn_only
            )
            .limit(1)
        )
        if held:
            errs.add(
                "personnel_type",
                _("Holds sworn-only post %(post)s; end that assignment first.", post=held),
            )
    errs.raise_if_any(_l("person"))
    if "staff_no" in data:
        _unique(
            session, Person, "staff_no", data["staff_no"], _l("Staff number"), exclude_id=person.id
        )
    before = snapshot(person, PERSON_FIELDS)
    _apply(person, data, PERSON_FIELDS)
    session.flush()
    record(session, "update", "person", person.id, diff(before, snapshot(person, PERSON_FIELDS)))
    return person


# ---------------------------------------------------------------- posts


def _validate_post(session: Session, errs: _Errors, data: dict) -> None:
    _text(errs, data, "code", 64)
    _text(errs, data, "name", 200)
    _choice(errs, data, "category", POST_CATEGORIES)
    _exists(session, errs, OrgUnit, data, "org_unit_id", _l("org unit"))
    years = data.get("rotation_years")
    if years is not None and not (1 <= years <= 50):
        errs.add("rotation_years", _("Must be between 1 and 50 years, or empty."))


def create_post(session: Session, data: dict) -> Post:
    """Create a post."""
    data = {"category": "other", **data}
    errs = _Errors()
    for f in ("code", "name", "org_unit_id"):
        if data.get(f) in (None, ""):
            errs.add(f, _("This field is required."))
    _validate_post(session, errs, data)
    errs.raise_if_any(_l("post"))
    _unique(session, Post, "code", data["code"], _l("Post code"))
    post = Post()
    _apply(post, data, POST_FIELDS)
    session.add(post)
    session.flush()
    record(session, "create", "post", post.id, diff(None, snapshot(post, POST_FIELDS)))
    return post


def update_post(session: Session, post: Post, data: dict) -> Post:
    """Change a post in place (a rename keeps its id and so everyone's tenure)."""
    data = dict(data)
    errs = _Errors()
    _validate_post(session, errs, data)
    if data.get("sworn_only") and not post.sworn_only:
        aux = session.scalar(
            sa.select(Person.staff_no)
            .join(Assignment, Assignment.person_id == Person.id)
            .where(
                Assignment.post_id == post.id,
                Assignment.end_date.is_(None),
                Person.personnel_type == "auxiliary",
            )
            .limit(1)
        )
        if aux:
            errs.add(
                "sworn_only",
                _(
                    "Auxiliary %(staff_no)s holds this post now; end that assignment first.",
                    staff_no=aux,
                ),
            )
    errs.raise_if_any(_l("post"))
    if "code" in data:
        _unique(session, Post, "code", data["code"], _l("Post code"), exclude_id=post.id)
    before = snapshot(post, POST_FIELDS)
    _apply(post, data, POST_FIELDS)
    session.flush()
    record(session, "update", "post", post.id, diff(before, snapshot(post, POST_FIELDS)))
    return post


# ---------------------------------------------------------------- assignments


def _overlaps(
    session: Session,
    person_id: int,
    post_id: int,
    start: date,
    end: date | None,
    exclude_id: int | None = None,
) -> Assignment | None:
    far = date.max
    stmt = sa.select(Assignment).where(
        Assignment.person_id == person_id,
        Assignment.post_id == post_id,
        Assignment.start_date <= (end or far),
        sa.func.coalesce(Assignment.end_date, far) >= start,
    )
    if exclude_id is not None:
        stmt = stmt.where(Assignment.id != exclude_id)
    return session.scalars(stmt.limit(1)).first()


def _check_assignment(session: Session, values: dict, exclude_id: int | None = None) -> None:
    errs = _Errors()
    for f in ("person_id", "post_id", "start_date"):
        if values.get(f) is None:
            errs.add(f, _("This field is required."))
    person = _exists(session, errs, Person, values, "person_id", _l("person"))
    post = _exists(session, errs, Post, values, "post_id", _l("post"))
    start, end = values.get("start_date"), values.get("end_date")
    if start and end and end < start:
        errs.add("end_date", _("The end date is before the start date."))
    if person and post and post.sworn_only and person.personnel_type == "auxiliary":
        errs.add("post_id", _("This post is sworn-only: auxiliary police may not hold it."))
    errs.raise_if_any(_l("assignment"))
    # Serialise writers for this person before the overlap check: an UPDATE takes the row
    # lock on PostgreSQL and the database write lock on SQLite (where FOR UPDATE is a no-op).
    session.execute(
        sa.update(Person)
        .where(Person.id == person.id)
        .values(updated_at=Person.updated_at)
        .execution_options(synchronize_session=False)
    )
    clash = _overlaps(session, person.id, post.id, start, end, exclude_id)
    if clash:
        until = clash.end_date.isoformat() if clash.end_date else _("now")
        raise Conflict(
            _(
                "%(name)s already holds this post from %(start)s to %(end)s.",
                name=person.name,
                start=clash.start_date.isoformat(),
                end=until,
            ),
            {"start_date": [_("Overlaps an existing assignment to the same post.")]},
        )


def create_assignment(session: Session, data: dict) -> Assignment:
    """Assign a person to a post (409 on overlap with the same post, 422 sworn-only)."""
    values = {"end_date": None, **data}
    _check_assignment(session, values)
    a = Assignment()
    _apply(a, values, ASSIGNMENT_FIELDS)
    session.add(a)
    session.flush()
    record(session, "create", "assignment", a.id, diff(None, snapshot(a, ASSIGNMENT_FIELDS)))
    return a


def update_assignment(session: Session, a: Assignment, data: dict) -> Assignment:
    """Change an assignment's dates or post with the same checks as creation."""
    values = {**snapshot_raw(a), **data}
    _check_assignment(session, values, exclude_id=a.id)
    before = snapshot(a, ASSIGNMENT_FIELDS)
    _apply(a, values, ASSIGNMENT_FIELDS)
    session.flush()
    record(session, "update", "assignment", a.id, diff(before, snapshot(a, ASSIGNMENT_FIELDS)))
    return a


def snapshot_raw(a: Assignment) -> dict:
    """The assignment's fields as Python values."""
    return {f: getattr(a, f) for f in ASSIGNMENT_FIELDS}


def delete_assignment(session: Session, a: Assignment) -> None:
    """Delete an assignment (a correction of a mistaken record)."""
    before = snapshot(a, ASSIGNMENT_FIELDS)
    session.delete(a)
    session.flush()
    record(session, "delete", "assignment", a.id, diff(before, None))


def get_or_404(session: Session, model, obj_id: int, label: str):
    """Fetch by id or raise NotFound."""
    obj = session.get(model, obj_id)
    if obj is None:
        raise NotFound(_("No %(what)s with id %(id)s.", what=label, id=obj_id))
    return obj
