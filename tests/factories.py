"""Builders of test data through the real services (so audit and rules apply).

Each builder takes the session first and writes through the service a page or the API
would call (which flushes); none commits: the caller commits once its setup is complete.
`unit`, `person`, `post`, `assign` and `holder` take the rows they refer to; `draft_talk`,
`final_talk`, `risk_point` and `rotation_plan` take rows or their ids. Codes and staff
numbers come from one counter, so rows made later sort later; unit and post names are
numbered too (分局12), people's names are kept as given.

- `unit`, `person`, `post`, `assign`, `user`: one row each.
- `small_bureau`: the tree most tests start from (bureau > station > team, traffic) with
  its chief and station head.
- `holder`: a person holding a (sensitive) post.
- `draft_talk`, `final_talk`: talk records, a draft or signed and finalised.
- `risk_point`: a draft risk point with a measure.
- `rotation_plan`: a rotation plan, taken as far as draft, submitted, approved or executed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from supervision.auth import services as auth_services
from supervision.org import services as org
from supervision.org.models import OrgUnit, Person, Post
from supervision.risks import services as risks
from supervision.risks.models import RiskPoint
from supervision.rotation import plans
from supervision.rotation.models import RotationPlan
from supervision.talks import services as talks
from supervision.talks.models import Talk

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def unit(session, name="单位", kind="department", parent=None, code=None, **extra):
    """An org unit."""
    n = next(_seq)
    return org.create_unit(
        session,
        {
            "code": code or f"U{n:04d}",
            "name": f"{name}{n}",
            "kind": kind,
            "parent_id": parent.id if parent else None,
            **extra,
        },
    )


def person(session, org_unit, name="张三", personnel_type="police", staff_no=None, **extra):
    """A person in `org_unit`."""
    n = next(_seq)
    return org.create_person(
        session,
        {
            "staff_no": staff_no or f"S{n:05d}",
            "name": name,
            "personnel_type": personnel_type,
            "org_unit_id": org_unit.id,
            **extra,
        },
    )


def post(session, org_unit, name="岗位", code=None, **extra):
    """A post of `org_unit`."""
    n = next(_seq)
    return org.create_post(
        session,
        {"code": code or f"P{n:04d}", "name": f"{name}{n}", "org_unit_id": org_unit.id, **extra},
    )


def assign(session, who, where, start=date(2020, 1, 1), end=None):
    """An assignment of `who` to post `where`."""
    return org.create_assignment(
        session, {"person_id": who.id, "post_id": where.id, "start_date": start, "end_date": end}
    )


def user(session, username, roles, person=None, password=PASSWORD):
    """A user account."""
    return auth_services.create_user(
        session, username, password, list(roles), staff_no=person.staff_no if person else None
    )


def _id(row) -> int | None:
    """The id of a row, or the id itself (None stays None)."""
    return row if row is None or isinstance(row, int) else row.id


def small_bureau(
    session,
    *,
    chief: str | None = "局长",
    head: str | None = "所长",
    team: bool = True,
    traffic: bool = True,
    chief_heads_bureau: bool = True,
) -> dict:
    """A small bureau, the organisation most tests start from::

        分局 (branch; head: the chief, a team member)
        ├── 派出所 (station; head: the station head, a department head)
        │   └── 社区中队 (team; no head)
        └── 交警大队 (department; no head)

    Returns the rows by key: "bureau", "station", "team", "traffic", "chief", "head" (a key
    is missing when its row was left out). `chief`/`head` are the people's names (None: no
    such person, and the unit has no head); `team=False`/`traffic=False` leave those units
    out; `chief_heads_bureau=False` leaves the bureau without a head while keeping its
    chief. The units are made first, in the order above, then the chief and the head; the
    heads are set on the units directly (no audit entry), as the organisation would stand
    before the test starts. Posts are the caller's (see `post` and `holder`).
    """
    rows: dict = {"bureau": unit(session, "分局", kind="branch")}
    rows["station"] = unit(session, "派出所", kind="station", parent=rows["bureau"])
    if team:
        rows["team"] = unit(session, "社区中队", kind="team", parent=rows["station"])
    if traffic:
        rows["traffic"] = unit(session, "交警大队", parent=rows["bureau"])
    if chief is not None:
        rows["chief"] = person(session, rows["bureau"], chief, leadership="team_member")
    if head is not None:
        rows["head"] = person(session, rows["station"], head, leadership="department_head")
    session.flush()
    if chief is not None and chief_heads_bureau:
        rows["bureau"].head_person_id = rows["chief"].id
    if head is not None:
        rows["station"].head_person_id = rows["head"].id
    return rows


def holder(
    session,
    post: Post,
    name: str = "张三",
    start: date = date(2020, 1, 1),
    end: date | None = None,
    org_unit: OrgUnit | None = None,
    **extra,
) -> Person:
    """A person holding `post` from `start` (to `end`, open when None).

    The person belongs to `org_unit`, by default the post's own unit; `extra` are the
    person's other fields (personnel_type, staff_no, leadership, email, ...). For the
    holder of a sensitive post, give a post made with `post(..., is_sensitive=True)`.
    """
    who = person(session, org_unit or post.org_unit, name, **extra)
    assign(session, who, post, start, end)
    return who


#: What a complete talk record says when the test does not care (see `final_talk`).
#: The date of a draft made by `draft_talk` when none is given (a draft needs one).
DRAFT_HELD_AT = datetime.fromisoformat("2025-09-01T09:30:00+08:00")
TALK_TEXT = {
    "location": "谈话室",
    "reason": "季度廉政提醒",
    "content": "提醒内容",
    "response": "接受",
}


def _talk_data(interviewee, interviewers, type_, fields) -> dict:
    return {
        "type": type_,
        "interviewee_id": _id(interviewee),
        "interviewer_ids": [_id(i) for i in interviewers],
        **fields,
    }


def draft_talk(
    session,
    interviewee: Person | int,
    interviewers: Iterable[Person | int] = (),
    *,
    type: str = "integrity_reminder",
    **fields,
) -> Talk:
    """A draft talk record with `interviewee` and `interviewers` (people or ids), saved by
    supervision.talks.services.create_talk; `fields` are its other fields (held_at,
    location, recorder_id, content, period, ...) exactly as given, nothing filled in but
    `held_at` (a draft needs a date), DRAFT_HELD_AT unless given."""
    fields = {"held_at": DRAFT_HELD_AT, **fields}
    return talks.create_talk(session, _talk_data(interviewee, interviewers, type, fields))


def final_talk(
    session,
    interviewee: Person | int,
    interviewers: Sequence[Person | int],
    held_at: datetime,
    *,
    recorder: Person | int | None = None,
    type: str = "integrity_reminder",
    **fields,
) -> Talk:
    """A talk held at `held_at`, as the talk pages leave it when it is done: created
    complete, signed by the interviewee and then by each interviewer in turn, and finalised,
    all through supervision.talks.services (so the period, the audit entries and the
    completeness check are the real ones).

    The recorder is `recorder`, by default the first interviewer; `fields` are the talk's
    other fields (location, reason, content, response, follow_up, period, ...), completed
    from TALK_TEXT where left out. `held_at` must not be in the future (of clock.now()).
    """
    data = {**TALK_TEXT, **fields, "held_at": held_at}
    data["recorder_id"] = _id(recorder if recorder is not None else interviewers[0])
    talk = talks.create_talk(session, _talk_data(interviewee, interviewers, type, data))
    for signer in (interviewee, *interviewers):
        talks.sign(session, talk, _id(signer), None)
    return talks.finalize(session, talk)


def risk_point(
    session,
    org_unit: OrgUnit | int,
    owner: Person | int,
    title: str = "违规处置涉案财物",
    *,
    post: Post | int | None = None,
    measure: str | None = "双人保管",
    due_on: date | None = None,
    **fields,
) -> RiskPoint:
    """A draft risk point of `org_unit`, made by supervision.risks.services.create_point.

    `owner` is its department owner and owns its one measure `measure` (due `due_on` when
    given; `measure=None`: no measure). The point is on `post` when given, of category
    "duty", likelihood 3 and impact 4; `fields` override or add any field of the point
    (manifestation, responsible_leader_id, last_reviewed_on, ..., or `measures=[...]` for
    other measures than the one described).
    """
    data = {
        "org_unit_id": _id(org_unit),
        "title": title,
        "category": "duty",
        "likelihood": 3,
        "impact": 4,
        "department_owner_id": _id(owner),
    }
    if post is not None:
        data["post_id"] = _id(post)
    if measure is not None:
        item = {"description": measure, "owner_id": _id(owner)}
        if due_on is not None:
            item["due_on"] = due_on
        data["measures"] = [item]
    data.update(fields)
    return risks.create_point(session, data)


#: How far `rotation_plan` takes a plan, in order.
PLAN_STEPS = ("draft", "submitted", "approved", "executed")


def rotation_plan(
    session,
    moves: Iterable[tuple],
    *,
    name: str = "轮岗计划",
    status: str = "draft",
    meeting_date: date | None = None,
    minutes_no: str = "党委会〔2025〕1号",
) -> RotationPlan:
    """A rotation plan moving people, taken through supervision.rotation.plans up to
    `status` ("draft", "submitted", "approved" or "executed"; no user acts, as from the CLI).

    Each move is `(person, from_post)` (a draft item: destination and date still open) or
    `(person, from_post, to_post, effective_date)`, with rows or ids. A plan submitted or
    further needs complete moves; an approved or executed one needs `meeting_date` (the
    party committee's meeting) and takes `minutes_no` as the minutes' number.
    """
    if status not in PLAN_STEPS:
        raise ValueError(f"status must be one of {PLAN_STEPS}, not {status!r}")
    step = PLAN_STEPS.index(status)
    if step >= 2 and meeting_date is None:
        raise ValueError("an approved plan needs the meeting_date of its approval")
    items = []
    for move in moves:
        who, from_post, *rest = move
        item = {"person_id": _id(who), "from_post_id": _id(from_post)}
        if rest:
            to_post, effective = rest
            item.update(to_post_id=_id(to_post), effective_date=effective)
        items.append(item)
    plan = plans.create_plan(session, {"name": name, "items": items}, None)
    if step >= 1:
        plans.submit_plan(session, plan, None)
    if step >= 2:
        plans.approve_plan(
            session, plan, {"meeting_date": meeting_date, "minutes_no": minutes_no}, None
        )
    if step >= 3:
        plans.execute_plan(session, plan, None)
    return plan
