"""Rotation plans (SPEC §7): HR flags candidates, the party committee approves or rejects,
HR executes, which moves the people in one transaction.

draft → submitted → approved (meeting date, minutes number) or rejected → executed.
Drafts may leave an item's destination and date open; submitting, approving and executing
check every item again, since holds, probation and assignments may have changed meanwhile.
Each transition is a compare-and-set on the status, so two clicks make one transition.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from supervision.audit.services import diff, record
from supervision.common import clock
from supervision.common.errors import Conflict, Invalid, NotFound, ServiceError
from supervision.org import services as org
from supervision.org.models import Assignment, OrgUnit, Person, Post
from supervision.org.scope import Scope
from supervision.rotation import maintained as tenure_table
from supervision.rotation.models import RotationHold, RotationPlan, RotationPlanItem

ITEM_FIELDS = ("person_id", "from_post_id", "to_post_id", "effective_date")
MAX_NAME = 200
MAX_ITEMS = 1000
#: Problem codes of an item (SPEC §7), with the field they concern.
CODES = (
    "probation",
    "under_review",
    "sworn_only",
    "duplicate_person",
    "not_holding",
    "same_post",
    "already_holding",
    "incomplete",
    "unknown",
    "inactive",
)


class Problem(tuple):
    """(field, code, message) of one item."""

    __slots__ = ()

    def __new__(cls, field: str, code: str, message: str):
        return super().__new__(cls, (field, code, message))


def get_plan(session: Session, plan_id: int) -> RotationPlan:
    """A plan by id (404 otherwise)."""
    plan = session.get(RotationPlan, plan_id)
    if plan is None:
        raise NotFound(_("No %(what)s with id %(id)s.", what=_("rotation plan"), id=plan_id))
    return plan


def _item_snapshot(items) -> list[dict]:
    return [
        {
            f: (getattr(i, f).isoformat() if isinstance(getattr(i, f), date) else getattr(i, f))
            for f in ITEM_FIELDS
        }
        for i in items
    ]


def _plan_snapshot(plan: RotationPlan) -> dict:
    return {"name": plan.name, "status": plan.status, "items": _item_snapshot(plan.items)}


def _lookup(session: Session, items: list[dict], scope: Scope | None):
    """People (in scope), posts, unreleased holds and assignments the items mention: five
    queries whatever the number of items."""
    person_ids = {i.get("person_id") for i in items if isinstance(i.get("person_id"), int)}
    post_ids = {
        i.get(f) for i in items for f in ("from_post_id", "to_post_id") if isinstance(i.get(f), int)
    }
    stmt = (
        sa.select(Person)
        .join(OrgUnit, OrgUnit.id == Person.org_unit_id)
        .where(Person.id.in_(person_ids))
    )
    if scope is not None and not scope.everything:
        stmt = stmt.where(scope.person_clause())
    people = {p.id: p for p in session.scalars(stmt)}
    posts = {p.id: p for p in session.scalars(sa.select(Post).where(Post.id.in_(post_ids)))}
    held = set(
        session.scalars(
            sa.select(RotationHold.person_id).where(
                RotationHold.person_id.in_(person_ids), RotationHold.released_at.is_(None)
            )
        )
    )
    assignments: dict[tuple[int, int], list[Assignment]] = {}
    for a in session.scalars(
        sa.select(Assignment).where(
            Assignment.person_id.in_(person_ids), Assignment.post_id.in_(post_ids)
        )
    ):
        assignments.setdefault((a.person_id, a.post_id), []).append(a)
    return people, posts, held, assignments


def _covering(assignments: list[Assignment], day: date) -> Assignment | None:
    return next(
        (
            a
            for a in assignments
            if a.start_date <= day and (a.end_date is None or a.end_date >= day)
        ),
        None,
    )


def check_items(
    session: Session, items: list[dict], *, complete: bool, scope: Scope | None = None
) -> dict[int, list[Problem]]:
    """{item index: problems} for a list of item dicts; `complete` requires a destination and
    an effective date on every item (submitting, approving, executing)."""
    people, posts, held, assignments = _lookup(session, items, scope)
    problems: dict[int, list[Problem]] = {}
    seen: dict[int, int] = {}
    today = clock.today()
    for index, item in enumerate(items):
        found: list[Problem] = []
        pid, from_id, to_id = (
            item.get("person_id"),
            item.get("from_post_id"),
            item.get("to_post_id"),
        )
        effective = item.get("effective_date")
        person = people.get(pid)
        if person is None:
            found.append(
                Problem(
                    "person_id",
                    "unknown",
                    _("No %(what)s with id %(id)s.", what=_("person"), id=pid),
                )
            )
        else:
            if pid in seen:
                found.append(
                    Problem(
                        "person_id",
                        "duplicate_person",
                        _(
                            "%(name)s is already in this plan (item %(n)s).",
                            name=person.name,
                            n=seen[pid] + 1,
                        ),
                    )
                )
            seen.setdefault(pid, index)
            if not person.is_active:
                found.append(
                    Problem(
                        "person_id",
                        "inactive",
                        _("%(name)s is no longer active.", name=person.name),
                    )
                )
            on_day = effective or today
            if person.probation_until is not None and person.probation_until >= on_day:
                found.append(
                    Problem(
                        "person_id",
                        "probation",
                        _(
                            "%(name)s is on probation until %(day)s and may not be moved.",
                            name=person.name,
                            day=person.probation_until.isoformat(),
                        ),
                    )
                )
            if pid in held:
                found.append(
                    Problem(
                        "person_id",
                        "under_review",
                        _(
                            "%(name)s is blocked by the discipline committee and may not be moved.",
                            name=person.name,
                        ),
                    )
                )
        from_post, to_post = posts.get(from_id), posts.get(to_id)
        if from_post is None:
            found.append(
                Problem(
                    "from_post_id",
                    "unknown",
                    _("No %(what)s with id %(id)s.", what=_("post"), id=from_id),
                )
            )
        if to_id is None:
            if complete:
                found.append(
                    Problem("to_post_id", "incomplete", _("Choose the post the person moves to."))
                )
        elif to_post is None:
            found.append(
                Problem(
                    "to_post_id",
                    "unknown",
                    _("No %(what)s with id %(id)s.", what=_("post"), id=to_id),
                )
            )
        elif to_id == from_id:
            found.append(
                Problem("to_post_id", "same_post", _("The person must move to a different post."))
            )
        if effective is None and complete:
            found.append(
                Problem("effective_date", "incomplete", _("The effective date is required."))
            )
        if person is not None and to_post is not None:
            if to_post.sworn_only and person.personnel_type == "auxiliary":
                found.append(
                    Problem(
                        "to_post_id",
                        "sworn_only",
                        _(
                            "%(post)s is sworn-only: auxiliary police may not hold it.",
                            post=to_post.name,
                        ),
                    )
                )
            if (
                effective is not None
                and to_id != from_id
                and _covering(assignments.get((pid, to_id), []), effective)
            ):
                found.append(
                    Problem(
                        "to_post_id",
                        "already_holding",
                        _(
                            "%(name)s already holds %(post)s on %(day)s.",
                            name=person.name,
                            post=to_post.name,
                            day=effective.isoformat(),
                        ),
                    )
                )
        if person is not None and from_post is not None:
            day_before = (effective - timedelta(days=1)) if effective else today
            if _covering(assignments.get((pid, from_id), []), day_before) is None:
                found.append(
                    Problem(
                        "from_post_id",
                        "not_holding",
                        _(
                            "%(name)s does not hold %(post)s on %(day)s.",
                            name=person.name,
                            post=from_post.name,
                            day=day_before.isoformat(),
                        ),
                    )
                )
        if found:
            problems[index] = found
    return problems


def _raise(problems: dict[int, list[Problem]], message: str) -> None:
    if problems:
        errors: dict = {"items": {}}
        for index, found in problems.items():
            by_field: dict[str, list[str]] = {}
            for field, _code, text in found:
                by_field.setdefault(field, []).append(text)
            errors["items"][index] = by_field
        raise Invalid(message, errors)


def plan_problems(session: Session, plan: RotationPlan) -> dict[int, list[Problem]]:
    """The current problems of a saved plan's items (for the editor and transitions); none
    for an executed or rejected plan, which will not move anyone any more."""
    if plan.status in ("executed", "rejected"):
        return {}
    return check_items(session, [_as_dict(i) for i in plan.items], complete=plan.status != "draft")


def _as_dict(item: RotationPlanItem) -> dict:
    return {f: getattr(item, f) for f in ITEM_FIELDS}


def _clean(data: dict, errors: dict) -> tuple[str | None, list[dict] | None]:
    name = data.get("name")
    if name is not None:
        name = name.strip() if isinstance(name, str) else ""
        if not name:
            errors["name"] = [_("A name is required.")]
        elif len(name) > MAX_NAME:
            errors["name"] = [_("At most %(n)s characters.", n=MAX_NAME)]
    items = data.get("items")
    if items is not None:
        items = [{f: i.get(f) for f in ITEM_FIELDS} for i in items]
        if len(items) > MAX_ITEMS:
            errors["items"] = [_("At most %(n)s items in one plan.", n=MAX_ITEMS)]
    return name, items


def create_plan(
    session: Session, data: dict, user_id: int | None, scope: Scope | None = None
) -> RotationPlan:
    """Create a draft plan (422 listing every item's problems; nothing written then)."""
    errors: dict = {}
    if data.get("name") is None:
        errors["name"] = [_("A name is required.")]
    name, items = _clean(data, errors)
    items = items or []
    if errors:
        raise Invalid(_("Invalid %(what)s", what=_("rotation plan")), errors)
    _raise(
        check_items(session, items, complete=False, scope=scope),
        _("Some items of the plan cannot be accepted."),
    )
    plan = RotationPlan(
        name=name,
        created_by_id=user_id,
        items=[RotationPlanItem(position=i, **item) for i, item in enumerate(items)],
    )
    session.add(plan)
    session.flush()
    record(session, "create", "rotation_plan", plan.id, diff(None, _plan_snapshot(plan)))
    return plan


def update_plan(
    session: Session, plan: RotationPlan, data: dict, scope: Scope | None = None
) -> RotationPlan:
    """Rename a draft or replace its items (409 once submitted)."""
    if plan.status != "draft":
        raise Conflict(_("Only a draft plan can be changed."))
    errors: dict = {}
    name, items = _clean(data, errors)
    if errors:
        raise Invalid(_("Invalid %(what)s", what=_("rotation plan")), errors)
    before = _plan_snapshot(plan)
    if items is not None:
        # Only new or changed items are refused: a person put under a hold (or whose
        # probation was extended) after being flagged must not lock the whole draft. Their
        # problems stay visible in the editor and stop the plan from being submitted.
        saved = {tuple(_as_dict(i)[f] for f in ITEM_FIELDS) for i in plan.items}
        problems = check_items(session, items, complete=False, scope=scope)
        _raise(
            {
                i: found
                for i, found in problems.items()
                if tuple(items[i][f] for f in ITEM_FIELDS) not in saved
            },
            _("Some items of the plan cannot be accepted."),
        )
        plan.items = []
        session.flush()
        plan.items = [RotationPlanItem(position=i, **item) for i, item in enumerate(items)]
    if name is not None:
        plan.name = name
    session.flush()
    record(session, "update", "rotation_plan", plan.id, diff(before, _plan_snapshot(plan)))
    return plan


def add_candidates(
    session: Session, plan: RotationPlan, pairs: list[tuple[int, int]], scope: Scope | None = None
) -> int:
    """Append (person, from post) candidates from the eligibility list to a draft; people
    already in the plan are skipped. Returns how many were added."""
    present = {i.person_id for i in plan.items}
    new = [
        {"person_id": pid, "from_post_id": post_id, "to_post_id": None, "effective_date": None}
        for pid, post_id in dict.fromkeys(pairs)
        if pid not in present
    ]
    unique: dict[int, dict] = {}
    for item in new:
        unique.setdefault(item["person_id"], item)
    items = [_as_dict(i) for i in plan.items] + list(unique.values())
    update_plan(session, plan, {"items": items}, scope=scope)
    return len(unique)


def delete_plan(session: Session, plan: RotationPlan) -> None:
    """Delete a draft (409 once submitted: decisions are kept)."""
    if plan.status != "draft":
        raise Conflict(_("Only a draft plan can be deleted."))
    before = _plan_snapshot(plan)
    session.delete(plan)
    session.flush()
    record(session, "delete", "rotation_plan", plan.id, diff(before, None))


def _transition(session: Session, plan: RotationPlan, expected: str, new: str, **values) -> None:
    """Compare-and-set the status (409 when another request moved it first)."""
    done = session.execute(
        sa.update(RotationPlan)
        .where(RotationPlan.id == plan.id, RotationPlan.status == expected)
        .values(status=new, updated_at=clock.now(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        session.refresh(plan)
        raise Conflict(_("This step is not possible: the plan's status has changed meanwhile."))
    # The statement bypasses the unit of work: the tenure rows of the plan's people (planned
    # or not) are marked stale here.
    tenure_table.mark_plans(session, [plan.id])
    session.refresh(plan)


def submit_plan(session: Session, plan: RotationPlan, user_id: int | None) -> RotationPlan:
    """Send a complete draft to the party committee."""
    if plan.status != "draft":
        raise Conflict(_("Only a draft plan can be submitted."))
    if not plan.items:
        raise Invalid(_("The plan has no items."), {"items": [_("Add at least one person.")]})
    _raise(
        check_items(session, [_as_dict(i) for i in plan.items], complete=True),
        _("Some items of the plan cannot be accepted."),
    )
    _transition(session, plan, "draft", "submitted", submitted_at=clock.now())
    record(session, "submit", "rotation_plan", plan.id, {"status": ["draft", "submitted"]})
    return plan


def approve_plan(
    session: Session, plan: RotationPlan, data: dict, user_id: int | None
) -> RotationPlan:
    """Record the party committee's approval (meeting date and minutes number required)."""
    errors: dict = {}
    meeting = data.get("meeting_date")
    if not isinstance(meeting, date):
        errors["meeting_date"] = [_("The date of the committee meeting is required.")]
    minutes_no = data.get("minutes_no")
    minutes_no = minutes_no.strip() if isinstance(minutes_no, str) else ""
    if not minutes_no:
        errors["minutes_no"] = [_("The minutes number of the committee meeting is required.")]
    elif len(minutes_no) > 64:
        errors["minutes_no"] = [_("At most %(n)s characters.", n=64)]
    comment = (data.get("comment") or "").strip()
    if errors:
        raise Invalid(_("Invalid %(what)s", what=_("decision")), errors)
    if plan.status != "submitted":
        raise Conflict(_("Only a submitted plan can be approved."))
    _raise(
        check_items(session, [_as_dict(i) for i in plan.items], complete=True),
        _("Some items of the plan cannot be accepted."),
    )
    _transition(
        session,
        plan,
        "submitted",
        "approved",
        decided_at=clock.now(),
        decided_by_id=user_id,
        meeting_date=meeting,
        minutes_no=minutes_no,
        decision_comment=comment,
    )
    record(
        session,
        "approve",
        "rotation_plan",
        plan.id,
        {
            "status": ["submitted", "approved"],
            "meeting_date": [None, meeting.isoformat()],
            "minutes_no": [None, minutes_no],
        },
    )
    return plan


def reject_plan(
    session: Session, plan: RotationPlan, data: dict, user_id: int | None
) -> RotationPlan:
    """Record the party committee's rejection, with its reason."""
    comment = data.get("comment")
    comment = comment.strip() if isinstance(comment, str) else ""
    if not comment:
        raise Invalid(
            _("Invalid %(what)s", what=_("decision")),
            {"comment": [_("Say why the plan is rejected.")]},
        )
    if plan.status != "submitted":
        raise Conflict(_("Only a submitted plan can be rejected."))
    values = {"decided_at": clock.now(), "decided_by_id": user_id, "decision_comment": comment}
    if isinstance(data.get("meeting_date"), date):
        values["meeting_date"] = data["meeting_date"]
    if isinstance(data.get("minutes_no"), str) and data["minutes_no"].strip():
        values["minutes_no"] = data["minutes_no"].strip()[:64]
    _transition(session, plan, "submitted", "rejected", **values)
    record(
        session,
        "reject",
        "rotation_plan",
        plan.id,
        {"status": ["submitted", "rejected"], "decision_comment": [None, comment]},
    )
    return plan


def execute_plan(session: Session, plan: RotationPlan, user_id: int | None) -> RotationPlan:
    """Move everyone in an approved plan, all or nothing: close each old assignment the day
    before the effective date, open the new one, and move the person to the new post's unit
    when they leave a post of their own unit for another unit's."""
    if plan.status != "approved":
        raise Conflict(_("Only an approved plan can be executed."))
    _raise(
        check_items(session, [_as_dict(i) for i in plan.items], complete=True),
        _("Some items of the plan cannot be carried out."),
    )
    with session.begin_nested():
        _transition(
            session, plan, "approved", "executed", executed_at=clock.now(), executed_by_id=user_id
        )
        for index, item in enumerate(plan.items):
            try:
                _move(session, item)
            except ServiceError as exc:
                raise Invalid(
                    _("Some items of the plan cannot be carried out."),
                    {"items": {index: exc.errors or {"to_post_id": [exc.message]}}},
                ) from None
        record(
            session,
            "execute",
            "rotation_plan",
            plan.id,
            {
                "status": ["approved", "executed"],
                "moves": [
                    None,
                    [
                        {
                            "person_id": i.person_id,
                            "closed_assignment_id": i.closed_assignment_id,
                            "opened_assignment_id": i.opened_assignment_id,
                        }
                        for i in plan.items
                    ],
                ],
            },
        )
    return plan


def _move(session: Session, item: RotationPlanItem) -> None:
    day_before = item.effective_date - timedelta(days=1)
    old = session.scalars(
        sa.select(Assignment).where(
            Assignment.person_id == item.person_id,
            Assignment.post_id == item.from_post_id,
            Assignment.start_date <= day_before,
            sa.or_(Assignment.end_date.is_(None), Assignment.end_date >= day_before),
        )
    ).first()
    org.update_assignment(session, old, {"end_date": day_before})
    new = org.create_assignment(
        session,
        {
            "person_id": item.person_id,
            "post_id": item.to_post_id,
            "start_date": item.effective_date,
        },
    )
    item.closed_assignment_id, item.opened_assignment_id = old.id, new.id
    person, from_post, to_post = item.person, item.from_post, item.to_post
    if from_post.org_unit_id == person.org_unit_id and to_post.org_unit_id != person.org_unit_id:
        org.update_person(session, person, {"org_unit_id": to_post.org_unit_id})
    session.flush()


def list_plans(status: str | None = None):
    """SELECT of plans, newest first, optionally of one status."""
    stmt = sa.select(RotationPlan).order_by(RotationPlan.created_at.desc(), RotationPlan.id.desc())
    if status is not None:
        stmt = stmt.where(RotationPlan.status == status)
    return stmt
