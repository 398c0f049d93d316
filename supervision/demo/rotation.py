"""Demo rotation (SPEC §7): the rotation pages of the demo bureau show realistic cases.

Called once at the end of `loader.load()`. The candidates come from the eligibility engine
(supervision.rotation.eligibility) on the demo history, so every case is one the engine
really computes. Rows are added in bulk with what the services would set (the load is one
`demo_load` audit entry):

- an executed plan about two months ago: a few people who were due then moved to another
  post of their unit (old assignment closed the day before, new one opened), so the
  应轮尽轮 figures of this year have people rotated;
- among those due today: one deferral by the party committee (meeting, minutes number,
  expiry), one discipline hold (不得转任), a plan submitted to the party committee awaiting
  its decision, and a draft plan with flagged candidates whose destination HR still has to
  choose; the rest stay `due`.

Deterministic for a seed and a date.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from supervision.org.models import Assignment, Person, Post
from supervision.rotation import eligibility
from supervision.rotation.models import (
    RotationDeferral,
    RotationHold,
    RotationPlan,
    RotationPlanItem,
)

EXECUTED_MOVES, SUBMITTED_MOVES, DRAFT_CANDIDATES = 4, 2, 3
HOLD_REASON = "信访举报反映问题线索，纪委正在初核"
DEFERRAL_REASON = "承办重大专案，案件办结前暂缓轮岗"


def _instant(day: date) -> datetime:
    return datetime.combine(day, time(2, 0), tzinfo=UTC)  # 10:00 in Beijing


def _first_of_month(day: date) -> date:
    return day.replace(day=1)


class _Rotation:
    def __init__(self, session: Session, rng: random.Random, posts: dict[str, Post]):
        self.s, self.rng = session, rng
        self.posts_by_unit: dict[int, list[Post]] = {}
        for post in sorted(posts.values(), key=lambda p: p.code):
            if not post.is_leadership:
                self.posts_by_unit.setdefault(post.org_unit_id, []).append(post)
        self.people = {p.id: p for p in session.scalars(sa.select(Person))}
        self.used: set[int] = set()

    def candidates(self, as_of: date) -> list[eligibility.Row]:
        """Due rows of ordinary posts whose holders are free to move on `as_of`."""
        rows = [
            r
            for r in eligibility.compute(self.s, as_of)
            if r.status == "due"
            and r.person_id not in self.used
            and "leader_term" not in r.reasons
            and "probation" not in r.reasons
        ]
        self.rng.shuffle(rows)
        return rows

    def destination(self, row: eligibility.Row, day: date) -> Post | None:
        """Another post of the same unit the person may hold and does not hold on `day`."""
        person = self.people[row.person_id]
        held = set(
            self.s.scalars(
                sa.select(Assignment.post_id).where(
                    Assignment.person_id == person.id,
                    Assignment.start_date <= day,
                    sa.or_(Assignment.end_date.is_(None), Assignment.end_date >= day),
                )
            )
        )
        options = [
            p
            for p in self.posts_by_unit.get(row.post_unit_id, [])
            if p.id not in held and not (p.sworn_only and person.personnel_type == "auxiliary")
        ]
        return self.rng.choice(options) if options else None

    def pick(self, rows: list[eligibility.Row], count: int, day: date | None) -> list[tuple]:
        """Up to `count` (row, destination) pairs of distinct people (destination None when
        `day` is None: flagged candidates)."""
        out = []
        for row in rows:
            if len(out) == count:
                break
            if row.person_id in self.used:
                continue
            target = self.destination(row, day) if day else None
            if day and target is None:
                continue
            self.used.add(row.person_id)
            out.append((row, target))
        return out


def load(session: Session, seed: int, today: date, posts: dict[str, Post]) -> dict[str, int]:
    """Add the demo plans, a deferral and a hold; returns their counts."""
    rng = random.Random(f"demo-rotation-{seed}")
    r = _Rotation(session, rng, posts)
    year = today.year

    # An executed plan: effective on the first of the month about two months ago.
    effective = _first_of_month(today - timedelta(days=60))
    moves = r.pick(r.candidates(effective - timedelta(days=1)), EXECUTED_MOVES, effective)
    meeting = effective - timedelta(days=20)
    executed = RotationPlan(
        name=f"{year}年重要敏感岗位轮岗交流（第一批）",
        status="executed",
        created_at=_instant(meeting - timedelta(days=14)),
        submitted_at=_instant(meeting - timedelta(days=7)),
        decided_at=_instant(meeting),
        meeting_date=meeting,
        minutes_no=f"党委会〔{meeting.year}〕9号",
        executed_at=_instant(effective - timedelta(days=3)),
    )
    for position, (row, target) in enumerate(moves):
        old = session.scalars(
            sa.select(Assignment).where(
                Assignment.person_id == row.person_id,
                Assignment.post_id == row.post_id,
                Assignment.end_date.is_(None),
            )
        ).first()
        if old is None:  # the demo history ends this stint before today: nothing to close
            continue
        old.end_date = effective - timedelta(days=1)
        new = Assignment(person_id=row.person_id, post_id=target.id, start_date=effective)
        session.add(new)
        session.flush()
        executed.items.append(
            RotationPlanItem(
                position=position,
                person_id=row.person_id,
                from_post_id=row.post_id,
                to_post_id=target.id,
                effective_date=effective,
                closed_assignment_id=old.id,
                opened_assignment_id=new.id,
            )
        )
    session.add(executed)
    session.flush()

    due = r.candidates(today)
    hold = deferral = 0
    for row, _target in r.pick(due, 1, None):
        session.add(
            RotationHold(
                person_id=row.person_id,
                reason=HOLD_REASON,
                created_at=_instant(today - timedelta(days=12)),
            )
        )
        hold += 1
    for row, _target in r.pick(due, 1, None):
        session.add(
            RotationDeferral(
                person_id=row.person_id,
                reason=DEFERRAL_REASON,
                meeting_date=today - timedelta(days=30),
                minutes_no=f"党委会〔{year}〕21号",
                expires_on=today + timedelta(days=180),
                created_at=_instant(today - timedelta(days=29)),
            )
        )
        deferral += 1

    next_month = _first_of_month(today.replace(day=28) + timedelta(days=10))
    submitted = RotationPlan(
        name=f"{year}年重要敏感岗位轮岗交流（第二批）",
        status="submitted",
        created_at=_instant(today - timedelta(days=10)),
        submitted_at=_instant(today - timedelta(days=3)),
    )
    for position, (row, target) in enumerate(r.pick(due, SUBMITTED_MOVES, next_month)):
        submitted.items.append(
            RotationPlanItem(
                position=position,
                person_id=row.person_id,
                from_post_id=row.post_id,
                to_post_id=target.id,
                effective_date=next_month,
            )
        )
    draft = RotationPlan(
        name=f"{year + 1}年轮岗交流人选（拟）",
        status="draft",
        created_at=_instant(today - timedelta(days=1)),
    )
    for position, (row, _target) in enumerate(r.pick(due, DRAFT_CANDIDATES, None)):
        draft.items.append(
            RotationPlanItem(position=position, person_id=row.person_id, from_post_id=row.post_id)
        )
    session.add_all([submitted, draft])
    session.flush()
    return {
        "rotation_plans": 3,
        "rotation_moves": len(executed.items),
        "rotation_deferrals": deferral,
        "rotation_holds": hold,
    }
