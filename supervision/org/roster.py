"""Roster import (SPEC §3): units, people, posts and assignments from .xlsx or CSV.

File formats and cell values are in roster_io.py; the export is in roster_export.py.

An import is all or nothing. The whole file is read and checked against the database and
itself first (types, enumerations, required values, references by code, duplicate keys,
unit cycles, assignment overlaps, auxiliary police in sworn-only posts); any error rejects
the file with `{sheet, row, column, message}` errors and nothing is written. Otherwise rows
are upserted by natural key (unit code, staff_no, post code, and staff_no + post code +
start_date for assignments); unchanged rows are neither written nor audited. Columns a
sheet does not know are listed in the summary as `ignored_columns`. Existing rows
are read in a few set-based queries per sheet, never one query per row. Rows missing from
the file are kept (an import never deletes); a column missing from a sheet keeps the current
values, while an empty cell clears an optional value.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from supervision.audit.services import diff, record, snapshot
from supervision.common.batches import chunks
from supervision.common.errors import Conflict, Invalid
from supervision.common.spreadsheet import max_unpacked
from supervision.org import roster_io
from supervision.org.models import Assignment, OrgUnit, Person, Post
from supervision.org.roster_io import Problems, Row, Sheet
from supervision.org.services import ASSIGNMENT_FIELDS, PERSON_FIELDS, POST_FIELDS, UNIT_FIELDS

CHUNK = 5000
_FAR = date.max
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: Values used for an empty cell of a column whose empty value is not "nothing".
DEFAULTS = {
    "leadership": "none",
    "is_active": True,
    "category": "other",
    "is_sensitive": False,
    "sworn_only": False,
    "is_technical": False,
    "is_leadership": False,
}
REQUIRED = {
    "units": ("name", "kind"),
    "people": ("name", "personnel_type", "org_unit_code"),
    "posts": ("name", "org_unit_code"),
    "assignments": (),
}
KEYS = {
    "units": ("code",),
    "people": ("staff_no",),
    "posts": ("code",),
    "assignments": ("staff_no", "post_code", "start_date"),
}
MODELS = {
    "units": (OrgUnit, "org_unit", UNIT_FIELDS),
    "people": (Person, "person", PERSON_FIELDS),
    "posts": (Post, "post", POST_FIELDS),
    "assignments": (Assignment, "assignment", ASSIGNMENT_FIELDS),
}


class NewRef(NamedTuple):
    """A reference to a row this import creates (its id is known only after the insert)."""

    sheet: str
    key: str


def import_roster(
    session: Session, filename: str, data: bytes, kind: str | None = None, dry_run: bool = False
) -> dict:
    """Check an uploaded roster and, unless `dry_run`, upsert it; Invalid lists every error."""
    cfg = current_app.config
    problems = Problems()
    sheets = roster_io.read_upload(
        filename,
        data,
        kind,
        int(cfg.get("ROSTER_MAX_ROWS", 200_000)),
        problems,
        max_unpacked(),
    )
    importer = _Import(session, sheets, problems, lock=not dry_run)
    importer.check()
    if problems:
        raise Invalid(
            _("The roster was not imported: correct the listed errors and upload it again."),
            problems.as_list(),
        )
    if not dry_run:
        importer.apply()
    return importer.summary(dry_run)


def _chunks(values: Iterable, size: int = CHUNK):
    """The distinct values, sorted, in batches of at most `size` (common/batches)."""
    return chunks(sorted(set(values), key=str), size)


class _Import:
    """Validation state and the write plan of one import."""

    def __init__(self, session: Session, sheets: list[Sheet], problems: Problems, lock: bool):
        self.s = session
        self.sheets = {sh.kind: sh for sh in sheets}
        self.problems = problems
        self.lock = lock
        self.rows = {k: self._keyed(k) for k in roster_io.SHEET_COLUMNS}
        #: Per sheet: key -> desired model values (NewRef for objects this import creates).
        self.desired: dict[str, dict[Any, dict]] = {k: {} for k in KEYS}
        #: Per sheet: key -> fields that differ from the database (existing rows only).
        self.changes: dict[str, dict[Any, dict]] = {k: {} for k in KEYS}
        self.created: dict[str, dict[Any, Any]] = {k: {} for k in KEYS}

    # ------------------------------------------------------------ reading the file and DB

    def _keyed(self, kind: str) -> dict[Any, Row]:
        sheet = self.sheets.get(kind)
        if sheet is None:
            return {}
        out: dict[Any, Row] = {}
        missing = [f for f in KEYS[kind] if f not in sheet.headers]
        for f in missing:
            label = sheet.column(f)
            self.problems.add(
                sheet.title,
                sheet.header_row,
                label,
                _("Required column %(column)s is missing.", column=label),
            )
        if missing:
            return out
        for row in sheet.rows:
            parts = [row.values.get(f) for f in KEYS[kind]]
            if any(p is None for p in parts):
                for f, p in zip(KEYS[kind], parts, strict=True):
                    if p is None and f not in row.bad:
                        self._err(kind, row, f, _("This field is required."))
                continue
            key = parts[0] if len(parts) == 1 else tuple(parts)
            if key in out:
                self._err(
                    kind, row, KEYS[kind][0], _("Duplicate of row %(row)d.", row=out[key].number)
                )
                continue
            out[key] = row
        return out

    def _err(self, kind: str, row: Row, column: str, message: str) -> None:
        sheet = self.sheets[kind]
        self.problems.add(sheet.title, row.number, sheet.column(column), message)

    def _load(self) -> None:
        r = self.rows
        self.units = {u.code: u for u in self.s.scalars(sa.select(OrgUnit))}
        self.unit_codes = {u.id: u.code for u in self.units.values()}
        staff = set(r["people"]) | {k[0] for k in r["assignments"]}
        for row in r["units"].values():
            staff.update(
                row.values.get(f) for f in ("head_staff_no", "supervising_leader_staff_no")
            )
        self.people = self._by(Person, Person.staff_no, staff - {None}, lock=self.lock)
        self.posts = self._by(Post, Post.code, set(r["posts"]) | {k[1] for k in r["assignments"]})
        staff_of = {p.id: no for no, p in self.people.items()}
        code_of = {p.id: code for code, p in self.posts.items()}
        ids = {self.people[k[0]].id for k in r["assignments"] if k[0] in self.people}
        #: Existing assignments of the file's people to the file's posts, by natural key.
        self.assignments: dict[tuple, Assignment] = {}
        for chunk in _chunks(ids):
            for a in self.s.scalars(sa.select(Assignment).where(Assignment.person_id.in_(chunk))):
                if a.post_id in code_of:
                    self.assignments[(staff_of[a.person_id], code_of[a.post_id], a.start_date)] = a

    def _by(self, model, column, keys: set, lock: bool = False) -> dict:
        out = {}
        for chunk in _chunks(keys):
            stmt = sa.select(model).where(column.in_(chunk))
            if lock:
                stmt = stmt.with_for_update()
            out.update((getattr(o, column.key), o) for o in self.s.scalars(stmt))
        return out

    # ------------------------------------------------------------ final values

    def _unit_ref(self, code: str | None):
        if code is None:
            return None
        return self.units[code].id if code in self.units else NewRef("units", code)

    def _person_ref(self, staff_no: str | None):
        if staff_no is None:
            return None
        return self.people[staff_no].id if staff_no in self.people else NewRef("people", staff_no)

    def _final(self, sheet: str, key, field: str, db: dict):
        wanted = self.desired[sheet].get(key)
        if wanted is not None and field in wanted:
            return wanted[field]
        obj = db.get(key)
        return getattr(obj, field) if obj is not None else DEFAULTS.get(field)

    def _exists(self, sheet: str, key, db: dict) -> bool:
        return key in db or key in self.desired[sheet]

    def _plain(self, row: Row, renames: dict[str, str], skip: tuple[str, ...] = ()) -> dict:
        """The row's values as model fields (unit references resolved), defaults for empty cells."""
        out = {}
        for name, value in row.values.items():
            if name in row.bad or name in skip:
                continue
            if name in renames:
                out[renames[name]] = self._unit_ref(value)
            else:
                out[name] = DEFAULTS.get(name, value) if value is None else value
        return out

    def _required(self, kind: str, key, row: Row, exists: bool) -> None:
        for f in REQUIRED[kind]:
            if f in row.bad:
                continue
            if f in row.values and row.values[f] is None:
                self._err(kind, row, f, _("This field is required."))
            elif f not in row.values and not exists:
                self._err(
                    kind,
                    row,
                    f,
                    _(
                        "Required for a new row: add the column %(column)s.",
                        column=self.sheets[kind].column(f),
                    ),
                )

    def _plan(self, kind: str, key, row: Row, values: dict, db: dict) -> None:
        self.desired[kind][key] = values
        obj = db.get(key)
        if obj is not None:
            changed = {f: v for f, v in values.items() if getattr(obj, f) != v}
            if changed:
                self.changes[kind][key] = changed

    # ------------------------------------------------------------ checks

    def check(self) -> None:
        """Validate everything; errors go to `problems`."""
        self._load()
        self._check_units()
        self._check_people()
        self._check_posts()
        self._check_unit_people()
        self._check_assignments()
        self._check_type_changes()

    def _check_units(self) -> None:
        for code, row in self.rows["units"].items():
            self._required("units", code, row, code in self.units)
            parent = row.values.get("parent_code")
            if parent is not None and parent not in self.units and parent not in self.rows["units"]:
                self._err(
                    "units", row, "parent_code", _("No org unit with code %(code)s.", code=parent)
                )
                row.bad.add("parent_code")
            self.desired["units"][code] = self._plain(
                row,
                {"parent_code": "parent_id"},
                skip=("head_staff_no", "supervising_leader_staff_no"),
            )
        parents = {u.code: self.unit_codes.get(u.parent_id) for u in self.units.values()}
        for code, row in self.rows["units"].items():
            if "parent_code" in row.values and "parent_code" not in row.bad:
                parents[code] = row.values["parent_code"]
        for code, row in self.rows["units"].items():
            seen, cur = {code}, parents.get(code)
            while cur is not None and cur not in seen:
                seen.add(cur)
                cur = parents.get(cur)
            if cur == code:
                self._err(
                    "units",
                    row,
                    "parent_code",
                    _(
                        "This parent makes a cycle: a unit cannot be "
                        "under itself or its own sub-unit."
                    ),
                )
        self.parents = parents

    def _check_people(self) -> None:
        for no, row in self.rows["people"].items():
            self._required("people", no, row, no in self.people)
            ref = row.values.get("org_unit_code")
            if ref is not None and not self._exists("units", ref, self.units):
                self._err(
                    "people", row, "org_unit_code", _("No org unit with code %(code)s.", code=ref)
                )
                row.bad.add("org_unit_code")
            email = row.values.get("email")
            if email is not None and not _EMAIL.match(email):
                self._err("people", row, "email", _("Not a valid e-mail address."))
                row.bad.add("email")
            self._plan(
                "people", no, row, self._plain(row, {"org_unit_code": "org_unit_id"}), self.people
            )
            birth = self._final("people", no, "birth_date", self.people)
            for f, message in (
                ("hire_date", _("The hire date is before the birth date.")),
                ("retirement_date", _("The retirement date is before the birth date.")),
            ):
                other = self._final("people", no, f, self.people)
                if birth and other and other < birth:
                    self._err("people", row, f if f in row.values else "birth_date", message)

    def _check_posts(self) -> None:
        for code, row in self.rows["posts"].items():
            self._required("posts", code, row, code in self.posts)
            ref = row.values.get("org_unit_code")
            if ref is not None and not self._exists("units", ref, self.units):
                self._err(
                    "posts", row, "org_unit_code", _("No org unit with code %(code)s.", code=ref)
                )
                row.bad.add("org_unit_code")
            years = row.values.get("rotation_years")
            if years is not None and not 1 <= years <= 50:
                self._err(
                    "posts", row, "rotation_years", _("Must be between 1 and 50 years, or empty.")
                )
                row.bad.add("rotation_years")
            self._plan(
                "posts", code, row, self._plain(row, {"org_unit_code": "org_unit_id"}), self.posts
            )

    def _check_unit_people(self) -> None:
        """Heads and supervising leaders exist (in the database or the file), after people."""
        for code, row in self.rows["units"].items():
            values = self.desired["units"][code]
            for col, target in (
                ("head_staff_no", "head_person_id"),
                ("supervising_leader_staff_no", "supervising_leader_id"),
            ):
                if col not in row.values or col in row.bad:
                    continue
                no = row.values[col]
                if no is not None and not self._exists("people", no, self.people):
                    self._err("units", row, col, _("No person with staff number %(no)s.", no=no))
                    continue
                if (
                    no is not None
                    and col.startswith("supervising")
                    and self._final("people", no, "leadership", self.people) != "team_member"
                ):
                    self._err(
                        "units",
                        row,
                        col,
                        _("The supervising leader must be a leadership-team member."),
                    )
                    continue
                values[target] = self._person_ref(no)
            self._plan("units", code, row, values, self.units)

    def _check_assignments(self) -> None:
        pairs: dict[tuple, list] = defaultdict(list)
        for key, row in self.rows["assignments"].items():
            no, code, start = key
            ok = True
            if not self._exists("people", no, self.people):
                self._err(
                    "assignments", row, "staff_no", _("No person with staff number %(no)s.", no=no)
                )
                ok = False
            if not self._exists("posts", code, self.posts):
                self._err(
                    "assignments", row, "post_code", _("No post with code %(code)s.", code=code)
                )
                ok = False
            if not ok:
                continue
            existing = self.assignments.get(key)
            if "end_date" in row.values and "end_date" not in row.bad:
                end = row.values["end_date"]
            else:
                end = existing.end_date if existing else None
            if end is not None and end < start:
                self._err(
                    "assignments", row, "end_date", _("The end date is before the start date.")
                )
                continue
            values = {
                "person_id": self._person_ref(no),
                "post_id": self._post_ref(code),
                "start_date": start,
                "end_date": end,
            }
            self._plan("assignments", key, row, values, self.assignments)
            changed = existing is None or key in self.changes["assignments"]
            aux = self._final("people", no, "personnel_type", self.people) == "auxiliary"
            if (
                aux
                and self._final("posts", code, "sworn_only", self.posts)
                and (changed or end is None)
            ):
                self._err(
                    "assignments",
                    row,
                    "post_code",
                    _("This post is sworn-only: auxiliary police may not hold it."),
                )
            pairs[(no, code)].append((start, end or _FAR, row))
        self._check_overlaps(pairs)

    def _post_ref(self, code: str):
        return self.posts[code].id if code in self.posts else NewRef("posts", code)

    def _check_overlaps(self, pairs: dict[tuple, list]) -> None:
        for (no, code, start), a in self.assignments.items():
            if (no, code) in pairs and (no, code, start) not in self.rows["assignments"]:
                pairs[(no, code)].append((start, a.end_date or _FAR, None))
        for spans in pairs.values():
            spans.sort(key=lambda s: (s[0], s[1]))
            last = None
            for span in spans:
                if last is not None and span[0] <= last[1]:
                    row, other = (span[2], last) if span[2] is not None else (last[2], span)
                    until = other[1].isoformat() if other[1] != _FAR else _("now")
                    where = (
                        _("row %(row)d", row=other[2].number)
                        if other[2] is not None
                        else _("the database")
                    )
                    self._err(
                        "assignments",
                        row,
                        "start_date",
                        _(
                            "Overlaps the assignment to the same post from %(start)s to %(end)s "
                            "(%(where)s).",
                            start=other[0].isoformat(),
                            end=until,
                            where=where,
                        ),
                    )
                if last is None or span[1] > last[1]:
                    last = span

    def _check_type_changes(self) -> None:
        """People turned auxiliary, or posts made sworn-only, while such a person holds the post."""
        to_aux = [
            p.id
            for no, p in self.people.items()
            if no in self.rows["people"]
            and p.personnel_type != "auxiliary"
            and self._final("people", no, "personnel_type", self.people) == "auxiliary"
        ]
        to_sworn = [
            p.id
            for code, p in self.posts.items()
            if code in self.rows["posts"]
            and not p.sworn_only
            and self._final("posts", code, "sworn_only", self.posts)
        ]
        for column, ids, sheet, attr in (
            (Assignment.person_id, to_aux, "people", "personnel_type"),
            (Assignment.post_id, to_sworn, "posts", "sworn_only"),
        ):
            for chunk in _chunks(ids):
                held = self.s.execute(
                    sa.select(Person.staff_no, Post.code, Assignment.start_date)
                    .join(Person, Person.id == Assignment.person_id)
                    .join(Post, Post.id == Assignment.post_id)
                    .where(column.in_(chunk), Assignment.end_date.is_(None))
                ).all()
                for no, code, start in held:
                    if (no, code, start) in self.rows["assignments"]:
                        continue  # the assignment row itself is checked (and may close it)
                    if self._final(
                        "people", no, "personnel_type", self.people
                    ) == "auxiliary" and self._final("posts", code, "sworn_only", self.posts):
                        key = no if sheet == "people" else code
                        self._err(
                            sheet,
                            self.rows[sheet][key],
                            attr,
                            _(
                                "%(no)s (auxiliary police) holds sworn-only post %(post)s; end "
                                "that "
                                "assignment first.",
                                no=no,
                                post=code,
                            ),
                        )

    # ------------------------------------------------------------ writing

    def summary(self, dry_run: bool) -> dict:
        """Created / updated / unchanged counts per sheet present in the file."""
        out: dict[str, Any] = {"dry_run": dry_run, "sheets": {}}
        for kind, rows in self.rows.items():
            if kind not in self.sheets:
                continue
            created = sum(1 for k in rows if k not in self._db(kind))
            updated = len(self.changes[kind])
            out["sheets"][kind] = {
                "created": created,
                "updated": updated,
                "unchanged": len(rows) - created - updated,
            }
        for what in ("created", "updated", "unchanged"):
            out[what] = sum(s[what] for s in out["sheets"].values())
        out["ignored_columns"] = [
            {"sheet": sh.title, "column": text}
            for sh in self.sheets.values()
            for text in sh.ignored
        ]
        return out

    def _db(self, kind: str) -> dict:
        return {
            "units": self.units,
            "people": self.people,
            "posts": self.posts,
            "assignments": self.assignments,
        }[kind]

    def _resolve(self, value):
        if isinstance(value, NewRef):
            return self.created[value.sheet][value.key].id
        return value

    def apply(self) -> None:
        """Write the plan in dependency order and audit every real change."""
        audits: list[tuple[str, str, Any, dict | None]] = []
        try:
            self._apply_units(audits)
            self._apply("people", self.people, audits)
            self._apply_unit_people()
            self._apply("posts", self.posts, audits)
            self._apply("assignments", self.assignments, audits)
        except sa.exc.IntegrityError:
            raise Conflict(
                _("The roster changed while it was being imported; upload it again.")
            ) from None
        for kind, action, obj, before in audits:
            _model, object_type, fields = MODELS[kind]
            record(self.s, action, object_type, obj.id, diff(before, snapshot(obj, fields)))

    def _apply_units(self, audits: list) -> None:
        new = [c for c in self.rows["units"] if c not in self.units]
        depth: dict[str, int] = {}

        def level(code: str) -> int:
            if code not in depth:
                parent = self.parents.get(code)
                depth[code] = 0 if parent is None or parent in self.units else level(parent) + 1
            return depth[code]

        for lvl in sorted({level(c) for c in new}):
            batch = {}
            for code in (c for c in new if depth[c] == lvl):
                values = {
                    k: v
                    for k, v in self.desired["units"][code].items()
                    if k not in ("head_person_id", "supervising_leader_id")
                }
                batch[code] = {**values, "path": "", "depth": 0}
            self._insert("units", batch, audits)
        moved = bool(new)
        for code, changed in self.changes["units"].items():
            unit = self.units[code]
            audits.append(("units", "update", unit, snapshot(unit, UNIT_FIELDS)))
            for f, v in changed.items():
                if f not in ("head_person_id", "supervising_leader_id"):
                    moved |= f == "parent_id"
                    setattr(unit, f, self._resolve(v))
        if moved:
            self._repath([*self.units.values(), *self.created["units"].values()])
        self.s.flush()

    def _repath(self, units: list[OrgUnit]) -> None:
        children: dict[int | None, list[OrgUnit]] = defaultdict(list)
        for u in units:
            children[u.parent_id].append(u)
        stack = [(u, "", 0) for u in children[None]]
        while stack:
            unit, prefix, depth = stack.pop()
            path = f"{prefix}{unit.id}/"
            if unit.path != path:
                unit.path = path
            if unit.depth != depth:
                unit.depth = depth
            stack.extend((c, path, depth + 1) for c in children[unit.id])

    def _apply_unit_people(self) -> None:
        for code, values in self.desired["units"].items():
            unit = self.created["units"].get(code) or self.units[code]
            for f in ("head_person_id", "supervising_leader_id"):
                if f in values and getattr(unit, f) != self._resolve(values[f]):
                    setattr(unit, f, self._resolve(values[f]))
        self.s.flush()

    def _insert(self, kind: str, new: dict[Any, dict], audits: list) -> None:
        """Insert rows in batches (one executemany each), then read them back for their ids."""
        if not new:
            return
        model, _type, fields = MODELS[kind]
        defaults = {f: DEFAULTS[f] for f in fields if f in DEFAULTS}
        rows = [
            {**defaults, **{k: self._resolve(v) for k, v in values.items()}}
            for values in new.values()
        ]
        for i in range(0, len(rows), CHUNK):
            self.s.execute(sa.insert(model), rows[i : i + CHUNK])
        if kind == "assignments":
            ids = {
                (r["person_id"], r["post_id"], r["start_date"]): key
                for key, r in zip(new, rows, strict=True)
            }
            loaded = {}
            for chunk in _chunks({r["person_id"] for r in rows}):
                for a in self.s.scalars(
                    sa.select(Assignment).where(Assignment.person_id.in_(chunk))
                ):
                    key = ids.get((a.person_id, a.post_id, a.start_date))
                    if key is not None:
                        loaded[key] = a
        else:
            loaded = self._by(model, Person.staff_no if kind == "people" else model.code, set(new))
        for key in new:
            self.created[kind][key] = loaded[key]
            audits.append((kind, "create", loaded[key], None))

    def _apply(self, kind: str, db: dict, audits: list) -> None:
        self._insert(kind, {k: v for k, v in self.desired[kind].items() if k not in db}, audits)
        _model, _type, fields = MODELS[kind]
        for key, changed in self.changes[kind].items():
            obj = db[key]
            audits.append((kind, "update", obj, snapshot(obj, fields)))
            for f, v in changed.items():
                setattr(obj, f, self._resolve(v))
        self.s.flush()
