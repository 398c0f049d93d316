"""Demo talks (SPEC §6, §11): the dashboards of the demo bureau show realistic figures.

Called once at the end of `loader.load()`, after the risks. The people who owe talks and
who conducts them come from the obligation engine (supervision.obligations.engine), so the
interviewer is always the conductor the engine names. Rows are added in bulk with the
derived fields the services would set: `period`, `finalized_at`, the signatures of the
interviewee and interviewers for final talks.

- previous quarter, integrity reminders: about 78 % held in the quarter (`done`), a few
  make-up talks held after the due date (`done_late`), one waiver (长期病休), the rest open;
- current quarter: some reminders already held, and a couple of drafts;
- leaders: supervision talks for the previous half-year, heart-to-heart talks this year.

Deterministic for a seed and a date.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from supervision.common.periods import Period, overdue_from
from supervision.demo import data
from supervision.obligations import engine
from supervision.obligations.models import ObligationWaiver
from supervision.obligations.settings import get_obligation_settings
from supervision.org.models import Assignment, OrgUnit, Person, Post
from supervision.talks.models import Talk, TalkInterviewer, TalkSignature

DONE_SHARE, LATE_SHARE, CURRENT_SHARE, LEADER_SHARE = 0.74, 0.08, 0.3, 0.5
DRAFTS = 2
WAIVER_REASON = "长期病休"
LOCATIONS = ("谈话室", "办公室", "小会议室", "所长办公室")
CONTENTS = {
    "integrity_reminder": (
        "结合本岗位廉政风险点，提醒严格执行执法办案规定，不得违规插手案件。",
        "提醒严守廉洁纪律，不得接受管理服务对象宴请和礼品礼金。",
        "通报近期典型违纪案例，提醒规范使用执法权力，主动接受监督。",
    ),
    "supervision": (
        "听取履行一岗双责情况汇报，指出分管领域廉政风险防控存在的薄弱环节。",
        "就落实全面从严治党主体责任情况进行监督谈话，提出整改要求。",
    ),
    "heart_to_heart": (
        "谈心谈话，了解思想、工作和家庭情况，提醒注意八小时以外的交往。",
        "交流工作压力和思想动态，提醒保持良好作风，管好身边人。",
    ),
}
RESPONSES = (
    "表示坚决遵守各项纪律规定，主动接受监督。",
    "对提醒内容认识到位，将认真对照检查。",
    "表示将严格落实整改要求，定期自查。",
    "承诺守住底线，不触红线。",
)
REASONS = {
    "integrity_reminder": "季度廉政提醒谈话",
    "supervision": "半年度监督谈话",
    "heart_to_heart": "年度谈心谈话",
}
MAKE_UP_REASON = "补谈：{period}廉政提醒谈话"
FOLLOW_UPS = ("每月开展一次自查。", "对照风险点清单完善防控措施。", "")


def _at(day: date, rng: random.Random) -> datetime:
    """A working-hours instant (09:00–16:xx Beijing time) on `day`, in UTC."""
    return datetime.combine(
        day, time(1 + rng.randint(0, 7), rng.choice((0, 15, 30, 45))), tzinfo=UTC
    )


def _day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))


class _Talks:
    def __init__(
        self,
        session: Session,
        rng: random.Random,
        colleagues: dict[int, list[int]],
        unit_of: dict[int, int],
    ):
        self.session, self.rng = session, rng
        self.colleagues, self.unit_of = colleagues, unit_of
        self.talks: list[Talk] = []

    def recorder(self, interviewee: int, interviewer: int) -> int | None:
        pool = [
            p
            for p in self.colleagues.get(self.unit_of.get(interviewer), [])
            if p not in (interviewee, interviewer)
        ]
        return self.rng.choice(pool) if pool else None

    def add(
        self,
        type_: str,
        period: Period,
        interviewee: int,
        interviewer: int,
        day: date,
        final: bool = True,
        make_up: bool = False,
    ) -> Talk:
        rng = self.rng
        held = _at(day, rng)
        talk = Talk(
            type=type_,
            status="final" if final else "draft",
            held_at=held,
            location=rng.choice(LOCATIONS),
            interviewee_id=interviewee,
            recorder_id=self.recorder(interviewee, interviewer),
            reason=MAKE_UP_REASON.format(period=period) if make_up else REASONS[type_],
            content=rng.choice(CONTENTS[type_]),
            response=rng.choice(RESPONSES) if final else "",
            follow_up=rng.choice(FOLLOW_UPS),
            period=str(period),
            finalized_at=held + timedelta(hours=rng.randint(1, 30)) if final else None,
        )
        talk.interviewers.append(TalkInterviewer(person_id=interviewer, position=0))
        if final:
            talk.signatures += [
                TalkSignature(
                    person_id=interviewee,
                    role="interviewee",
                    signed_at=held + timedelta(minutes=40),
                ),
                TalkSignature(
                    person_id=interviewer,
                    role="interviewer",
                    signed_at=held + timedelta(minutes=45),
                ),
            ]
        self.talks.append(talk)
        return talk


def _secretary(session: Session, posts: dict[str, Post]) -> int | None:
    post = posts.get(data.SECRETARY_SEAT)
    if post is None:
        return None
    return session.scalar(
        sa.select(Assignment.person_id)
        .where(Assignment.post_id == post.id, Assignment.end_date.is_(None))
        .limit(1)
    )


def load(
    session: Session, seed: int, today: date, units: dict[str, OrgUnit], posts: dict[str, Post]
) -> dict[str, int]:
    """Add the demo talks, signatures and a waiver; returns their counts."""
    rng = random.Random(f"demo-talks-{seed}")
    settings = get_obligation_settings(session)
    people = session.execute(
        sa.select(Person.id, Person.org_unit_id)
        .where(Person.is_active.is_(True))
        .order_by(Person.id)
    ).all()
    colleagues: dict[int, list[int]] = {}
    for pid, unit_id in people:
        colleagues.setdefault(unit_id, []).append(pid)
    build = _Talks(session, rng, colleagues, dict(people))
    chief = units[data.ROOT].head_person_id
    fallback = {"supervision": _secretary(session, posts) or chief, "heart_to_heart": chief}

    def owed(period: Period, type_: str) -> list[engine.Obligation]:
        return [
            o
            for o in engine.compute(session, period, [type_], as_of=today, settings=settings)
            if o.status in ("pending", "overdue")
        ]

    # Previous quarter: mostly done, a few make-up talks after the due date, one waiver.
    quarter = Period.of(today, "quarter")
    previous = quarter.previous()
    open_ = [o for o in owed(previous, "integrity_reminder") if o.conductor_id is not None]
    rng.shuffle(open_)
    waived = open_.pop()
    session.add(
        ObligationWaiver(
            person_id=waived.person_id,
            type="integrity_reminder",
            period=str(previous),
            reason=WAIVER_REASON,
        )
    )
    late_from = overdue_from(previous)
    for o in open_:
        draw = rng.random()
        if draw < DONE_SHARE:
            build.add(
                o.type,
                previous,
                o.person_id,
                o.conductor_id,
                _day(rng, max(previous.start, previous.end - timedelta(days=40)), previous.end),
            )
        elif draw < DONE_SHARE + LATE_SHARE and late_from <= today:
            build.add(
                o.type,
                previous,
                o.person_id,
                o.conductor_id,
                _day(rng, late_from, min(today, late_from + timedelta(days=30))),
                make_up=True,
            )

    # Current quarter: some reminders held already, a couple of drafts.
    current = [o for o in owed(quarter, "integrity_reminder") if o.conductor_id is not None]
    rng.shuffle(current)
    held = current[: int(len(current) * CURRENT_SHARE)]
    yesterday = max(quarter.start, today - timedelta(days=1))
    for o in held:
        build.add(o.type, quarter, o.person_id, o.conductor_id, _day(rng, quarter.start, yesterday))
    for o in current[len(held) : len(held) + DRAFTS]:
        build.add(
            o.type,
            quarter,
            o.person_id,
            o.conductor_id,
            _day(rng, quarter.start, yesterday),
            final=False,
        )

    # Leaders: supervision talks for the previous half-year, heart-to-heart talks this year.
    for type_, period, first, last in (
        ("supervision", Period.of(today, "half").previous(), None, None),
        ("heart_to_heart", Period.of(today, "year"), None, yesterday),
    ):
        for o in owed(period, type_):
            conductor = o.conductor_id or fallback[type_]
            if conductor is None or conductor == o.person_id or rng.random() >= LEADER_SHARE:
                continue
            build.add(
                type_,
                period,
                o.person_id,
                conductor,
                _day(rng, first or period.start, last or period.end),
            )

    session.add_all(build.talks)
    session.flush()
    return {
        "talks": len(build.talks),
        "talk_signatures": sum(len(t.signatures) for t in build.talks),
        "obligation_waivers": 1,
    }
