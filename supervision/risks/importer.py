"""Import of an existing risk inventory (排查清单) from .xlsx or CSV (issue 3, SPEC §5/§9).

All or nothing, like the roster import: the whole file is read and checked against the
database first; any error rejects it with `{sheet, row, column, message}` errors (`row` is
the spreadsheet row) and nothing is written. File layout and cell values: import_io.py.

References: 单位 by unit code or exact name (within the caller's risk scope; other units
are "not found"); 岗位 by post code or name within that unit (empty: a unit-wide risk);
部门负责人/责任领导 by staff number, by "姓名（工号）", or by an exact name that only one
active person of the bureau bears. When a row leaves a person empty (or the column is
absent), a new point gets the unit's head / supervising leader and an existing point keeps
its value.

Scores: 可能性 and 影响程度 (1–5) if given, and 风险等级 must then agree with them. With only
风险等级, an existing point already at that level keeps its scores; otherwise the pair is
import_io.pair_for_level() under the current settings (with the defaults 一级 → 3×5,
二级 → 2×4, 三级 → 1×1), reported in the summary as `derived_pairs`.

A row whose (unit, post, 风险点) matches a current point updates it through
services.update_point (an approved point becomes the next draft version; a submitted one
is under review and refuses changes); other rows create drafts through
services.create_point. 防控措施 replaces the point's measures: measures whose text is
still listed are kept as they are (owner, due date, status), new ones are open and owned by
the 部门负责人. Unchanged rows are neither written nor audited, so importing the same file
again changes nothing.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session, selectinload

from supervision.common.batches import chunks
from supervision.common.errors import Invalid, ServiceError
from supervision.common.spreadsheet import Problems, max_unpacked
from supervision.org.models import OrgUnit, Person, Post
from supervision.org.scope import Scope
from supervision.risks import import_io, rules, services
from supervision.risks.import_io import Line
from supervision.risks.models import RiskPoint
from supervision.risks.settings import get_risk_settings

CHUNK = 2000
_NAME_WITH_NO = re.compile(r"^(.+?)\s*[（(]\s*([^()（）\s]+)\s*[)）]$")
POINT_COLUMNS = (
    "manifestation",
    "category",
    "likelihood",
    "impact",
    "department_owner_id",
    "responsible_leader_id",
)


def import_inventory(
    session: Session, filename: str, data: bytes, scope: Scope, dry_run: bool = False
) -> dict:
    """Check an uploaded inventory and, unless `dry_run`, write it; Invalid lists every error."""
    cfg = current_app.config
    problems = Problems()
    parsed = import_io.read_upload(
        filename,
        data,
        int(cfg.get("RISK_IMPORT_MAX_ROWS", 5000)),
        max_unpacked(),
        problems,
    )
    job = _Import(session, parsed.lines, scope, problems)
    job.check()
    if not problems and not dry_run:
        job.apply()
    if problems:
        raise Invalid(
            _("The inventory was not imported: correct the listed errors and upload it again."),
            problems.as_list(),
        )
    return job.summary(dry_run, parsed)


def _chunks(values: Iterable, size: int = CHUNK):
    """The distinct values other than None, sorted, in batches of at most `size`."""
    return chunks(sorted({v for v in values if v is not None}, key=str), size)


class _Plan:
    """What one row does: create, update (with the changed fields) or nothing."""

    def __init__(self, line: Line, unit: OrgUnit, post: Post | None, point: RiskPoint | None):
        self.line, self.unit, self.post, self.point = line, unit, post, point
        self.values: dict[str, Any] = {}
        self.measures: list[dict] | None = None
        self.changes: dict[str, Any] = {}
        self.created = False

    @property
    def action(self) -> str:
        """created, updated or unchanged."""
        if self.point is None or self.created:
            return "created"
        return "updated" if self.changes else "unchanged"


class _Import:
    """Validation state and write plan of one import."""

    def __init__(self, session: Session, lines: list[Line], scope: Scope, problems: Problems):
        self.s, self.lines, self.scope, self.problems = session, lines, scope, problems
        self.settings = get_risk_settings(session)
        self.plans: list[_Plan] = []
        self.derived: dict[str, tuple[int, int] | None] = {}

    def _err(self, line: Line, column: str, message: str) -> None:
        line.bad.add(column)
        self.problems.add(line.sheet, line.number, line.column(column), message)

    # ------------------------------------------------------------ loading

    def _load(self) -> None:
        refs = {ln.values.get("org_unit") for ln in self.lines}
        self.units_by_code: dict[str, OrgUnit] = {}
        self.units_by_name: dict[str, list[OrgUnit]] = defaultdict(list)
        for chunk in _chunks(refs):
            stmt = sa.select(OrgUnit).where(
                sa.or_(OrgUnit.code.in_(chunk), OrgUnit.name.in_(chunk)),
                self.scope.unit_clause(OrgUnit),
            )
            for u in self.s.scalars(stmt):
                self.units_by_code[u.code] = u
                self.units_by_name[u.name].append(u)
        ids = {u.id for u in self.units_by_code.values()}
        self.posts: dict[int, list[Post]] = defaultdict(list)
        self.points: dict[tuple, list[RiskPoint]] = defaultdict(list)
        for chunk in _chunks(ids):
            for p in self.s.scalars(
                sa.select(Post).where(Post.org_unit_id.in_(chunk)).order_by(Post.id)
            ):
                self.posts[p.org_unit_id].append(p)
            stmt = (
                sa.select(RiskPoint)
                .where(RiskPoint.org_unit_id.in_(chunk), RiskPoint.status != "retired")
                .options(selectinload(RiskPoint.measures))
                .order_by(RiskPoint.id)
            )
            for rp in self.s.scalars(stmt):
                self.points[(rp.org_unit_id, rp.post_id, rp.title)].append(rp)
        self._load_people()

    def _load_people(self) -> None:
        numbers, names = set(), set()
        for ln in self.lines:
            for col in ("department_owner", "responsible_leader"):
                text = ln.values.get(col)
                if text:
                    m = _NAME_WITH_NO.match(text)
                    numbers.update((m[2],) if m else (text,))
                    names.add(m[1] if m else text)
        self.people_by_no: dict[str, Person] = {}
        self.people_by_name: dict[str, list[Person]] = defaultdict(list)
        for chunk in _chunks(numbers):
            for p in self.s.scalars(sa.select(Person).where(Person.staff_no.in_(chunk))):
                self.people_by_no[p.staff_no] = p
        for chunk in _chunks(names):
            stmt = (
                sa.select(Person)
                .where(Person.name.in_(chunk), Person.is_active)
                .order_by(Person.staff_no)
            )
            for p in self.s.scalars(stmt):
                self.people_by_name[p.name].append(p)

    # ------------------------------------------------------------ resolving

    def _unit(self, line: Line) -> OrgUnit | None:
        ref = line.values.get("org_unit")
        if ref is None:
            if "org_unit" not in line.bad:
                self._err(line, "org_unit", _("This field is required."))
            return None
        if ref in self.units_by_code:
            return self.units_by_code[ref]
        named = self.units_by_name.get(ref, [])
        if len(named) == 1:
            return named[0]
        if named:
            self._err(
                line,
                "org_unit",
                _("Several units are named %(name)s; use the unit code.", name=ref),
            )
        else:
            self._err(
                line, "org_unit", _("No org unit with code or name %(ref)s in your scope.", ref=ref)
            )
        return None

    def _post(self, line: Line, unit: OrgUnit) -> tuple[bool, Post | None]:
        ref = line.values.get("post")
        if ref is None:
            return "post" not in line.bad, None
        posts = self.posts.get(unit.id, [])
        by_code = [p for p in posts if p.code == ref]
        if by_code:
            return True, by_code[0]
        for name in (ref, ref.removesuffix("岗") if ref.endswith("岗") else ref + "岗"):
            named = [p for p in posts if p.name == name]
            if len(named) == 1:
                return True, named[0]
            if named:
                self._err(
                    line,
                    "post",
                    _(
                        "Several posts of %(unit)s are named %(name)s; use the post code.",
                        unit=unit.name,
                        name=ref,
                    ),
                )
                return False, None
        self._err(
            line,
            "post",
            _("No post with code or name %(ref)s in %(unit)s.", ref=ref, unit=unit.name),
        )
        return False, None

    def _person(self, line: Line, column: str) -> tuple[bool, int | None]:
        text = line.values.get(column)
        if text is None:
            return column not in line.bad, None
        m = _NAME_WITH_NO.match(text)
        if m and m[2] in self.people_by_no:
            person = self.people_by_no[m[2]]
            if person.name != m[1]:
                self._err(
                    line,
                    column,
                    _(
                        "Staff number %(no)s is %(name)s, not %(given)s.",
                        no=m[2],
                        name=person.name,
                        given=m[1],
                    ),
                )
                return False, None
            return True, person.id
        if text in self.people_by_no:
            return True, self.people_by_no[text].id
        named = self.people_by_name.get(m[1] if m else text, [])
        if len(named) == 1 and not m:
            return True, named[0].id
        if len(named) > 1 and not m:
            self._err(
                line,
                column,
                _("Several people are named %(name)s; use the staff number.", name=text),
            )
        else:
            self._err(line, column, _("No person with staff number or name %(ref)s.", ref=text))
        return False, None

    # ------------------------------------------------------------ checks

    def check(self) -> None:
        """Validate every row against the database and the file; errors go to `problems`."""
        self._load()
        seen: dict[tuple, Line] = {}
        for line in self.lines:
            unit = self._unit(line)
            post_ok, post = self._post(line, unit) if unit else (False, None)
            title = line.values.get("title")
            if title is None and "title" not in line.bad:
                self._err(line, "title", _("This field is required."))
            if unit is None or not post_ok or title is None:
                continue
            key = (unit.id, post.id if post else None, title)
            if key in seen:
                first = seen[key]
                where = (
                    _("row %(row)d", row=first.number)
                    if first.sheet == line.sheet
                    else _("sheet %(sheet)s row %(row)d", sheet=first.sheet, row=first.number)
                )
                self._err(
                    line,
                    "title",
                    _("Duplicate of %(where)s (same unit, post and risk point).", where=where),
                )
                continue
            seen[key] = line
            existing = self.points.get(key, [])
            if len(existing) > 1:
                self._err(
                    line,
                    "title",
                    _(
                        "Several current risk points of this unit and post have this "
                        "title; merge them in the inventory first."
                    ),
                )
                continue
            self._plan(line, unit, post, existing[0] if existing else None)

    def _plan(self, line: Line, unit: OrgUnit, post: Post | None, point: RiskPoint | None) -> None:
        plan = _Plan(line, unit, post, point)
        v = line.values
        if "manifestation" in v:
            plan.values["manifestation"] = v["manifestation"] or ""
        if v.get("category") is not None:
            plan.values["category"] = v["category"]
        elif "category" not in line.bad and ("category" in v or point is None):
            self._err(line, "category", _("This field is required."))
        self._scores(plan)
        for column, field, default in (
            ("department_owner", "department_owner_id", unit.head_person_id),
            ("responsible_leader", "responsible_leader_id", unit.supervising_leader_id),
        ):
            ok, person_id = self._person(line, column)
            if ok and person_id is not None:
                plan.values[field] = person_id
            elif ok and point is None:
                plan.values[field] = default
        if "measures" in v and "measures" not in line.bad:
            texts = import_io.split_measures(v["measures"])
            if any(len(t) > import_io.MEASURE_LIMIT for t in texts):
                self._err(
                    line,
                    "measures",
                    _("A measure has more than %(n)d characters.", n=import_io.MEASURE_LIMIT),
                )
            owner = plan.values.get(
                "department_owner_id", point.department_owner_id if point else None
            )
            plan.measures = _measures(point, texts, owner)
        if point is not None:
            plan.changes = {f: val for f, val in plan.values.items() if getattr(point, f) != val}
            if plan.measures is not None:
                plan.changes["measures"] = plan.measures
            if plan.changes and point.status == "submitted":
                self._err(
                    line,
                    "title",
                    _(
                        "This risk point is under review (submitted) and cannot be "
                        "changed until the reviewer returns it."
                    ),
                )
        self.plans.append(plan)

    def _scores(self, plan: _Plan) -> None:
        line, v, point = plan.line, plan.line.values, plan.point
        if {"likelihood", "impact", "level"} & line.bad:
            return
        lk, im, lvl = v.get("likelihood"), v.get("impact"), v.get("level")
        if lk is not None or im is not None:
            if lk is None or im is None:
                missing = "likelihood" if lk is None else "impact"
                self._err(line, missing, _("Give both 可能性 and 影响程度 (or only 风险等级)."))
                return
            actual = rules.level(lk, im, self.settings)
            if lvl is not None and lvl != actual:
                self._err(
                    line,
                    "level",
                    _(
                        "风险等级 %(given)s does not match "
                        "可能性 × 影响程度 = %(score)d (%(actual)s).",
                        given=import_io.LEVEL_LABELS[lvl],
                        score=lk * im,
                        actual=import_io.LEVEL_LABELS[actual],
                    ),
                )
                return
            plan.values.update(likelihood=lk, impact=im)
        elif lvl is not None:
            if (
                point is not None
                and rules.level(point.likelihood, point.impact, self.settings) == lvl
            ):
                return
            if lvl not in self.derived:
                self.derived[lvl] = import_io.pair_for_level(lvl, self.settings)
            pair = self.derived[lvl]
            if pair is None:
                self._err(
                    line,
                    "level",
                    _(
                        "No 可能性 × 影响程度 gives this level under the current "
                        "thresholds; give 可能性 and 影响程度."
                    ),
                )
                return
            plan.values.update(likelihood=pair[0], impact=pair[1])
        elif point is None:
            self._err(
                line,
                "level",
                _("Required for a new risk point: give 风险等级, or 可能性 and 影响程度."),
            )

    # ------------------------------------------------------------ writing

    def apply(self) -> None:
        """Create and update through the services (which validate, audit and flush)."""
        for plan in self.plans:
            try:
                if plan.point is None:
                    data = {
                        "org_unit_id": plan.unit.id,
                        "post_id": plan.post.id if plan.post else None,
                        "title": plan.line.values["title"],
                        **plan.values,
                        "measures": plan.measures or [],
                    }
                    plan.point = services.create_point(self.s, data)
                    plan.created = True
                elif plan.changes:
                    services.update_point(self.s, plan.point, dict(plan.changes))
            except ServiceError as exc:  # a rule the checks above missed: report it on the row
                fields = exc.errors if isinstance(exc.errors, dict) else {}
                detail = "; ".join(f"{k}: {v}" for k, v in fields.items())
                self._err(plan.line, "title", f"{exc.message} {detail}".strip())

    def summary(self, dry_run: bool, parsed: import_io.Parsed) -> dict:
        """Counts, what each row did, and the score pairs derived from 风险等级."""
        counts = Counter(p.action for p in self.plans)
        items = []
        for p in self.plans:
            action = p.action
            lk = p.values.get("likelihood", p.point.likelihood if p.point else None)
            im = p.values.get("impact", p.point.impact if p.point else None)
            items.append(
                {
                    "sheet": p.line.sheet,
                    "row": p.line.number,
                    "action": action,
                    "risk_point_id": p.point.id if p.point is not None else None,
                    "org_unit": p.unit.name,
                    "post": p.post.name if p.post else "",
                    "title": p.line.values["title"],
                    "likelihood": lk,
                    "impact": im,
                    "level": rules.level(lk, im, self.settings) if lk and im else None,
                    "changed": sorted(p.changes) if action == "updated" else [],
                }
            )
        return {
            "dry_run": dry_run,
            "rows": len(self.plans),
            "created": counts["created"],
            "updated": counts["updated"],
            "unchanged": counts["unchanged"],
            "sheets": parsed.sheets,
            "ignored_columns": parsed.ignored_columns,
            "derived_pairs": {k: list(v) for k, v in self.derived.items() if v},
            "items": items,
        }


def _measures(point: RiskPoint | None, texts: list[str], owner: int | None) -> list[dict] | None:
    """The measures to save, or None when the point's measures already say the same (order
    aside: measures are listed in the order they were added)."""
    if point is not None and sorted(m.description for m in point.measures) == sorted(texts):
        return None
    pool: dict[str, list] = defaultdict(list)
    for m in point.measures if point is not None else ():
        pool[m.description].append(m)
    out = []
    for text in texts:
        if pool.get(text):
            out.append({"id": pool[text].pop(0).id, "description": text})
        else:
            out.append({"description": text, "owner_id": owner, "status": "open"})
    return out
