"""Build the demo bureau (units, people, posts, eight years of assignments) in a few flushes.

Deterministic: the same seed and the same "today" give the same data. Rows are added in
bulk rather than through the org services (which flush and audit one object at a time);
the data is valid by construction (no overlapping assignment of a person to the same post,
no auxiliary in a sworn-only post) and the load is recorded as ONE audit entry,
`demo_load`, whose changes hold the row counts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from supervision.audit.services import record
from supervision.common import clock
from supervision.demo import data
from supervision.demo import rectification as demo_rectification
from supervision.demo import risks as demo_risks
from supervision.demo import rotation as demo_rotation
from supervision.demo import talks as demo_talks
from supervision.org.models import Assignment, OrgUnit, Person, Post

DEFAULT_SEED = 2026
YEAR = 365


def add_years(day: date, years: int) -> date:
    """The anniversary `years` after `day` (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def history_start(today: date) -> date:
    """First day of the assignment history: the 1st of the month 7 years 11 months ago."""
    months = today.year * 12 + today.month - 1 - (7 * 12 + 11)
    return date(months // 12, months % 12 + 1, 1)


def is_empty(session: Session) -> bool:
    """Whether no org unit, person or post exists yet."""
    return not any(
        session.scalar(sa.select(model.id).limit(1)) is not None
        for model in (OrgUnit, Person, Post)
    )


@dataclass
class _Plan:
    """A person being generated, with the post they hold now."""

    person: Person
    unit: str
    seat: str | None = None
    current_post: str | None = None
    spans: list[tuple[str, date, date | None]] = field(default_factory=list)


class _Builder:
    """Generates the rows for one load."""

    def __init__(self, seed: int, today: date):
        self.rng = random.Random(seed)
        self.today = today
        self.start = history_start(today)
        self.names: set[str] = set()
        self.police_no = 0
        self.aux_no = 0
        self.posts: dict[str, Post] = {}
        self.post_unit: dict[str, str] = {}
        self.plans: list[_Plan] = []

    # ------------------------------------------------------------ people

    def name(self) -> str:
        """A Chinese name not used before in this load."""
        rng = self.rng
        weights = [1 / (rank + 4) for rank in range(len(data.SURNAMES))]
        while True:
            surname = rng.choices(data.SURNAMES, weights)[0]
            given = "".join(rng.sample(data.GIVEN_CHARS, 2 if rng.random() < 0.7 else 1))
            if surname + given not in self.names:
                self.names.add(surname + given)
                return surname + given

    def person(
        self, unit: str, ptype: str, leadership: str = "none", senior: bool = False
    ) -> Person:
        """A person with plausible dates; a few recent hires are still on probation."""
        rng, today = self.rng, self.today
        if ptype == "police":
            self.police_no += 1
            staff_no = f"{330100 + self.police_no}"
        else:
            self.aux_no += 1
            staff_no = f"FJ{self.aux_no:05d}"
        # Age today first, so that nobody still active is past a 60-year retirement date.
        if senior:
            age = rng.randint(40, 57)
        elif ptype == "police":
            age = rng.choice([rng.randint(23, 57), rng.randint(24, 45)])
            if rng.random() < 0.06:  # retiring within two years
                age = rng.randint(58, 59)
        else:
            age = rng.randint(20, 52)
        if not senior and rng.random() < 0.06:  # recent recruits, still on probation
            hire = today - timedelta(days=rng.randint(30, 330 if ptype == "police" else 170))
            birth = add_years(hire, -rng.randint(20, 27)) - timedelta(days=rng.randint(0, 364))
        else:
            birth = add_years(today, -age) - timedelta(days=rng.randint(0, 364))
            joined_at = rng.randint(21, 27) if ptype == "police" else rng.randint(19, 30)
            hire = add_years(birth, joined_at) + timedelta(days=rng.randint(0, 200))
            if ptype == "auxiliary":  # the auxiliary force was built up from 2010
                hire = max(hire, date(2010, 1, 1) + timedelta(days=rng.randint(0, 2500)))
            if hire > today - timedelta(days=400):
                hire = today - timedelta(days=rng.randint(400, 900))
        probation = hire + timedelta(days=YEAR) if ptype == "police" else hire + timedelta(days=182)
        return Person(
            staff_no=staff_no,
            name=self.name(),
            personnel_type=ptype,
            leadership=leadership,
            birth_date=birth,
            hire_date=hire,
            retirement_date=add_years(birth, 60) if ptype == "police" else None,
            probation_until=probation if probation > today else None,
            email=f"{staff_no.lower()}@{data.EMAIL_DOMAIN}",
            is_active=True,
        )

    # ------------------------------------------------------------ posts

    def build_posts(self, unit_ids: dict[str, int]) -> list[Post]:
        """Leadership seats, a head's post for every unit with a head, and the units' posts."""
        rows = []

        def add(code: str, unit: str, **values) -> None:
            post = Post(code=code, org_unit_id=unit_ids[unit], **values)
            self.posts[code] = post
            self.post_unit[code] = unit
            rows.append(post)

        for code, title in data.SEATS:
            add(
                code,
                data.TEAM_UNIT,
                name=title,
                category="other",
                sworn_only=True,
                is_leadership=True,
            )
        for spec in data.UNITS:
            if spec.head_title:
                add(
                    f"{spec.code}-H",
                    spec.code,
                    name=spec.head_title,
                    category="other",
                    sworn_only=True,
                    is_leadership=True,
                )
            for p in data.POSTS.get(spec.code, ()):
                add(
                    f"{spec.code}-P{p.suffix}",
                    spec.code,
                    name=p.name,
                    category=p.category,
                    is_sensitive=p.is_sensitive,
                    sworn_only=p.sworn_only,
                    is_technical=p.is_technical,
                    rotation_years=p.rotation_years,
                )
        return rows

    def ordinary_posts(self, unit: str, ptype: str) -> list[tuple[str, int]]:
        """(code, weight) of the non-leadership posts of `unit` that `ptype` may hold."""
        return [
            (f"{unit}-P{p.suffix}", p.weight)
            for p in data.POSTS.get(unit, ())
            if ptype == "police" or not p.sworn_only
        ]

    # ------------------------------------------------------------ plan

    def plan_people(self) -> list[Person]:
        """Everyone, with the post each holds now (every post of a unit gets a holder first)."""
        for code, _title in data.SEATS:
            self.plans.append(
                _Plan(
                    self.person(data.TEAM_UNIT, "police", "team_member", True),
                    data.TEAM_UNIT,
                    seat=code,
                    current_post=code,
                )
            )
        for spec in data.UNITS:
            if not spec.head_title:
                continue
            self.plans.append(
                _Plan(
                    self.person(spec.code, "police", "department_head", True),
                    spec.code,
                    seat=f"{spec.code}-H",
                    current_post=f"{spec.code}-H",
                )
            )
            members = [
                _Plan(self.person(spec.code, "police"), spec.code) for _ in range(spec.police - 1)
            ]
            members += [
                _Plan(self.person(spec.code, "auxiliary"), spec.code) for _ in range(spec.auxiliary)
            ]
            self._allocate(spec.code, members)
            self.plans.extend(members)
        self._retire_some()
        return [p.person for p in self.plans]

    def _allocate(self, unit: str, members: list[_Plan]) -> None:
        waiting = list(members)
        self.rng.shuffle(waiting)
        for p in data.POSTS.get(unit, ()):  # one holder per post first, police for sworn-only
            holder = next(
                (m for m in waiting if not p.sworn_only or m.person.personnel_type == "police"),
                None,
            )
            if holder:
                holder.current_post = f"{unit}-P{p.suffix}"
                waiting.remove(holder)
        for m in waiting:
            options = self.ordinary_posts(unit, m.person.personnel_type)
            m.current_post = self.rng.choices([c for c, _ in options], [w for _, w in options])[0]

    def _retire_some(self) -> None:
        """Mark a few people inactive (left the bureau); never a leader or a post's sole holder."""
        holders: dict[str, int] = {}
        for p in self.plans:
            holders[p.current_post] = holders.get(p.current_post, 0) + 1
        for p in self.plans:
            if (
                p.seat is None
                and holders[p.current_post] > 1
                and p.person.probation_until is None
                and self.rng.random() < 0.03
            ):
                p.person.is_active = False
                holders[p.current_post] -= 1

    # ------------------------------------------------------------ history

    def history(self) -> list[Assignment]:
        """Each person's assignments from the history start (or hire) until today."""
        rows: list[Assignment] = []
        for plan in self.plans:
            self._timeline(plan)
            self._concurrent(plan)
            for code, start, end in plan.spans:
                rows.append(
                    Assignment(
                        person_id=plan.person.id,
                        post_id=self.posts[code].id,
                        start_date=start,
                        end_date=end,
                    )
                )
        return rows

    def _timeline(self, plan: _Plan) -> None:
        rng, person = self.rng, plan.person
        first = max(self.start, person.hire_date)
        last: date | None = None
        if not person.is_active:
            last = self.today - timedelta(days=rng.randint(30, 400))
            if last <= first:
                last = first + timedelta(days=rng.randint(10, 60))
        code = plan.current_post
        end = last
        latest = True
        while True:
            if latest:
                long_tenure = rng.random() < 0.35
                length = (
                    rng.randint(4 * YEAR, 8 * YEAR) if long_tenure else rng.randint(60, 4 * YEAR)
                )
            else:
                length = rng.randint(YEAR, 4 * YEAR)
            until = end or self.today
            begin = max(first, until - timedelta(days=length - 1))
            plan.spans.append((code, begin, end))
            if begin <= first + timedelta(days=90):
                if begin != first:
                    plan.spans[-1] = (code, first, end)
                break
            end = begin - timedelta(days=1)
            code = self._earlier_post(plan, code)
            latest = False

    def _earlier_post(self, plan: _Plan, later: str) -> str:
        """The post held before `later`: a unit head's post for team members, else ordinary."""
        rng, ptype = self.rng, plan.person.personnel_type
        if plan.person.leadership == "team_member":
            heads = [f"{u.code}-H" for u in data.UNITS if u.head_title]
            return rng.choice([h for h in heads if h != later])
        unit = plan.unit
        if rng.random() < 0.25:
            unit = rng.choice([u.code for u in data.UNITS if u.code in data.POSTS])
        options = [c for c, _ in self.ordinary_posts(unit, ptype) if c != later]
        if not options:
            options = [c for c, _ in self.ordinary_posts(plan.unit, ptype) if c != later]
        return rng.choice(options)

    def _concurrent(self, plan: _Plan) -> None:
        """Some active staff also hold a second post of their unit at the same time."""
        person = plan.person
        if plan.seat or not person.is_active or self.rng.random() > 0.08:
            return
        used = {code for code, _, _ in plan.spans}
        options = [
            c for c, _ in self.ordinary_posts(plan.unit, person.personnel_type) if c not in used
        ]
        if not options:
            return
        current_start = plan.spans[0][1]
        start = current_start + timedelta(
            days=self.rng.randint(0, (self.today - current_start).days)
        )
        plan.spans.append((self.rng.choice(options), start, None))


def load(session: Session, seed: int = DEFAULT_SEED, today: date | None = None) -> dict[str, int]:
    """Insert the demo bureau into an empty database; returns the row counts (caller commits)."""
    b = _Builder(seed, today or clock.today())
    units: dict[str, OrgUnit] = {}
    for spec in data.UNITS:  # parents come first in data.UNITS
        units[spec.code] = OrgUnit(
            code=spec.code,
            name=spec.name,
            kind=spec.kind,
            parent=units[spec.parent] if spec.parent else None,
        )
    session.add_all(units.values())
    session.flush()
    unit_ids = {code: u.id for code, u in units.items()}
    _set_paths(data.UNITS, units)

    session.add_all(b.build_posts(unit_ids))
    people = b.plan_people()
    for plan in b.plans:
        plan.person.org_unit_id = unit_ids[plan.unit]
    session.add_all(people)
    session.flush()

    assignments = b.history()
    session.add_all(assignments)
    _set_leaders(b, units)
    session.flush()
    counts = {
        "org_units": len(units),
        "people": len(people),
        "posts": len(b.posts),
        "sensitive_posts": sum(1 for p in b.posts.values() if p.is_sensitive),
        "assignments": len(assignments),
    }
    counts.update(demo_risks.load(session, seed, b.today, units, b.posts))
    counts.update(demo_talks.load(session, seed, b.today, units, b.posts))
    counts.update(demo_rotation.load(session, seed, b.today, b.posts))
    counts.update(demo_rectification.load(session, seed, b.today, units, b.posts))
    record(session, "demo_load", "demo", seed, {k: [0, v] for k, v in counts.items()})
    return counts


def _set_paths(specs, units: dict[str, OrgUnit]) -> None:
    for spec in specs:
        unit = units[spec.code]
        parent = units[spec.parent] if spec.parent else None
        unit.path = f"{parent.path if parent else ''}{unit.id}/"
        unit.depth = parent.depth + 1 if parent else 0


def _set_leaders(b: _Builder, units: dict[str, OrgUnit]) -> None:
    seat_holder = {p.seat: p.person.id for p in b.plans if p.seat}
    chief = seat_holder[data.CHIEF_SEAT]
    units[data.ROOT].head_person_id = chief
    units[data.TEAM_UNIT].head_person_id = chief
    for spec in data.UNITS:
        if spec.head_title:
            units[spec.code].head_person_id = seat_holder[f"{spec.code}-H"]
        if spec.supervisor:
            units[spec.code].supervising_leader_id = seat_holder[spec.supervisor]


# ---------------------------------------------------------------- demo accounts

#: The one password of every demo account (documented in the README and printed by the CLI).
DEMO_PASSWORD = "demo-password-2026"


def _current_holders(post_code: str):
    return (
        sa.select(Person.id)
        .join(Assignment, Assignment.person_id == Person.id)
        .join(Post, Post.id == Assignment.post_id)
        .where(Post.code == post_code, Assignment.end_date.is_(None), Person.is_active)
        .order_by(Person.staff_no)
    )


def _unit_head(unit_code: str):
    return (
        sa.select(Person.id)
        .join(OrgUnit, OrgUnit.head_person_id == Person.id)
        .where(OrgUnit.code == unit_code)
    )


def _unit_members(unit_code: str, ptype: str | None = "police", sensitive_only: bool = False):
    stmt = (
        sa.select(Person.id)
        .join(OrgUnit, OrgUnit.id == Person.org_unit_id)
        .where(OrgUnit.code == unit_code, Person.leadership == "none", Person.is_active)
        .order_by(Person.staff_no)
    )
    if ptype:
        stmt = stmt.where(Person.personnel_type == ptype)
    if sensitive_only:
        stmt = stmt.where(
            sa.select(Assignment.id)
            .join(Post, Post.id == Assignment.post_id)
            .where(
                Assignment.person_id == Person.id, Assignment.end_date.is_(None), Post.is_sensitive
            )
            .exists()
        )
    return stmt


#: username, roles, and the query of suitable people to link (first one without an account).
DEMO_ACCOUNTS = (
    ("admin", ("admin",), None),
    (
        "secretary",
        ("discipline_secretary", "leader"),
        lambda: _current_holders(data.SECRETARY_SEAT),
    ),
    ("member", ("discipline_member",), lambda: _unit_members("DH-JW")),
    ("hr", ("hr",), lambda: _current_holders("DH-ZG-P01")),
    ("leader", ("leader",), lambda: _unit_head("DH-PCS1")),
    ("staff", ("staff",), lambda: _unit_members("DH-PCS1", sensitive_only=True)),
)


def ensure_accounts(session: Session) -> list[dict]:
    """Create the missing demo accounts (linked to demo people when present); idempotent."""
    from supervision.auth.models import User
    from supervision.auth.services import create_user

    rows = []
    for username, roles, candidates in DEMO_ACCOUNTS:
        user = session.scalar(sa.select(User).where(User.username == username))
        created = user is None
        if created:
            person = _free_person(session, candidates) if candidates else None
            user = create_user(
                session,
                username,
                DEMO_PASSWORD,
                list(roles),
                staff_no=person.staff_no if person else None,
            )
        rows.append(
            {
                "username": username,
                "roles": sorted(user.roles),
                "person": f"{user.person.staff_no} {user.person.name}" if user.person else "",
                "created": created,
            }
        )
    return rows


def _free_person(session: Session, candidates) -> Person | None:
    from supervision.auth.models import User

    taken = sa.select(User.person_id).where(User.person_id.is_not(None))
    person_id = session.scalar(candidates().where(Person.id.not_in(taken)).limit(1))
    return session.get(Person, person_id) if person_id else None
