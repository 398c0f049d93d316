"""The rectification ledger (整改台账, SPEC §14) as a spreadsheet: its rows, and the import of
a ledger workbook into an inspection, all or nothing (like the roster).

One row per measure; the finding's columns (序号, 问题类别, 反馈问题, 责任领导, 牵头部门) are
written on its first row and merged down over its other rows (the export), and a row whose
序号 is blank — or repeats the 序号 right above it — continues that finding (the import
reads merged, repeated and blank alike). A finding without measures has one row with the
measure columns blank but for its 整改时限. Cells:

- 问题类别: the category, and the theme on a second line;
- 反馈问题: the title, and the problem as fed back on the following lines;
- 责任领导 / 责任人: a person's name, or 姓名（工号） when the name is not unique; 牵头部门
  a unit's name, or 名称（代码）; 责任人 is 单位／姓名 (either part alone is fine);
- 整改时限: a date (限期整改), 立行立改（YYYY-MM-DD） or 长期整改; every row of a finding
  has the same kind;
- 完成情况: 已完成 or 整改中 on the first line, the result (整改成效) on the following ones;
  完成时间 the day it was done (required with 已完成, empty otherwise);
- 佐证材料: the evidence, one per line. Files cannot travel in a spreadsheet, so the import
  does not read this column (evidence is added on the measure).

The import matches findings by 序号 and a finding's measures by their order; it creates and
updates, never deletes: a finding missing from the sheet stays as it is, and a sheet listing
fewer measures than a finding has is refused. A finding that is signed off or awaiting
sign-off cannot be changed by an import. Any error refuses the whole file; the errors are
listed by sheet, row and column.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from supervision.audit.services import diff, record, snapshot
from supervision.common import clock
from supervision.common.errors import Invalid
from supervision.common.spreadsheet import (
    FormulaCell,
    Problems,
    check_unpacked,
    fatal,
    unneutralise,
    upload_kind,
)
from supervision.org.models import OrgUnit, Person
from supervision.rectification import services
from supervision.rectification.models import (
    Finding,
    Inspection,
    MeasureEvidence,
    RectificationMeasure,
)
from supervision.rectification.notice import load_ledger

#: The ledger's columns, in order (SPEC §14).
COLUMNS = (
    "序号",
    "问题类别",
    "反馈问题",
    "整改措施",
    "责任领导",
    "牵头部门",
    "责任人",
    "整改时限",
    "完成情况",
    "完成时间",
    "佐证材料",
)
#: The finding's columns (merged down over its measure rows).
FINDING_COLUMNS = ("序号", "问题类别", "反馈问题", "责任领导", "牵头部门")
MEASURE_COLUMNS = ("整改措施", "责任人", "整改时限", "完成情况", "完成时间")
SHEET_NAME = "整改台账"
LONG_TERM = "长期整改"
IMMEDIATE = "立行立改"
DONE, OPEN = "已完成", "整改中"
DONE_WORDS = {"已完成", "完成", "已整改"}
OPEN_WORDS = {"整改中", "未完成", "正在整改", "推进中"}
OWNER_SEP = "／"
EVIDENCE_LABELS = {
    "talk": "谈话记录",
    "risk_point": "廉政风险点",
    "risk_campaign": "风险排查活动",
    "rotation_plan": "轮岗计划",
    "deferral": "暂缓轮岗",
}
#: Rows scanned for the header row (title rows above it are skipped).
HEADER_SCAN = 10
MAX_ROWS = 5000
TEXT_LIMITS = {"category": 200, "theme": 200, "title": 200}
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_IMMEDIATE = re.compile(r"^立行立改\s*[（(]\s*(.+?)\s*[)）]$")
_REF = re.compile(r"^(.+?)\s*[（(]\s*([^()（）]+?)\s*[)）]$")


# ---------------------------------------------------------------- export rows


class Names:
    """How people and units are written in the ledger: the name, or the name with the staff
    number (unit code) when another person (unit) has the same name."""

    def __init__(self, session: Session, person_ids: set[int], unit_ids: set[int]):
        people = {
            p.id: p for p in session.scalars(sa.select(Person).where(Person.id.in_(person_ids)))
        }
        units = {
            u.id: u for u in session.scalars(sa.select(OrgUnit).where(OrgUnit.id.in_(unit_ids)))
        }
        shared_people = _shared(session, Person.name, {p.name for p in people.values()})
        shared_units = _shared(session, OrgUnit.name, {u.name for u in units.values()})
        self.people = {
            i: f"{p.name}（{p.staff_no}）" if p.name in shared_people else p.name
            for i, p in people.items()
        }
        self.units = {
            i: f"{u.name}（{u.code}）" if u.name in shared_units and u.code else u.name
            for i, u in units.items()
        }

    def person(self, person_id: int | None) -> str:
        """The person as the ledger writes them ("" for none)."""
        return self.people.get(person_id, "") if person_id else ""

    def unit(self, unit_id: int | None) -> str:
        """The unit as the ledger writes it ("" for none)."""
        return self.units.get(unit_id, "") if unit_id else ""


def _shared(session: Session, column, names: set[str]) -> set[str]:
    """Which of `names` more than one row has."""
    if not names:
        return set()
    return set(
        session.scalars(
            sa.select(column).where(column.in_(names)).group_by(column).having(sa.func.count() > 1)
        )
    )


def due_text(term: str, due: date | None) -> date | str:
    """The 整改时限 cell: a date, 立行立改（date） or 长期整改."""
    if term == "long_term":
        return LONG_TERM
    if term == "immediate":
        return f"{IMMEDIATE}（{due.isoformat() if due else ''}）"
    return due if due is not None else ""


def state_text(measure: RectificationMeasure, as_of: date) -> str:
    """The 完成情况 cell: 已完成 / 整改中, then the result."""
    done = measure.status == "done" and measure.done_on is not None and measure.done_on <= as_of
    lines = [DONE if done else OPEN]
    if measure.result.strip():
        lines.append(measure.result.strip())
    return "\n".join(lines)


def _evidence(session: Session, measure_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    if not measure_ids:
        return out
    rows = session.scalars(
        sa.select(MeasureEvidence)
        .where(MeasureEvidence.measure_id.in_(measure_ids))
        .order_by(MeasureEvidence.measure_id, MeasureEvidence.id)
    )
    for e in rows:
        if e.kind == "file":
            text = e.filename or ""
        else:
            text = f"{EVIDENCE_LABELS.get(e.object_type, e.object_type)} #{e.object_id}"
        out.setdefault(e.measure_id, []).append(text)
    return out


@dataclass
class LedgerBlock:
    """One finding's rows: the finding's cells and one list of cells per measure row."""

    finding: dict[str, Any]
    rows: list[dict[str, Any]]


def ledger_blocks(session: Session, inspection: Inspection, as_of: date) -> list[LedgerBlock]:
    """The ledger of `inspection` as of a day, finding by finding (a handful of queries)."""
    findings, measures = load_ledger(session, inspection.id)
    all_measures = [m for ms in measures.values() for m in ms]
    names = Names(
        session,
        {f.responsible_leader_id for f in findings if f.responsible_leader_id}
        | {m.owner_person_id for m in all_measures if m.owner_person_id},
        {f.lead_unit_id for f in findings if f.lead_unit_id}
        | {m.owner_unit_id for m in all_measures if m.owner_unit_id},
    )
    evidence = _evidence(session, [m.id for m in all_measures])
    blocks = []
    for f in findings:
        head = {
            "序号": f.number,
            "问题类别": "\n".join(x for x in (f.category, f.theme) if x),
            "反馈问题": "\n".join(x for x in (f.title, f.description.strip()) if x),
            "责任领导": names.person(f.responsible_leader_id),
            "牵头部门": names.unit(f.lead_unit_id),
        }
        rows = []
        for m in measures[f.id]:
            owner = [x for x in (names.unit(m.owner_unit_id), names.person(m.owner_person_id)) if x]
            done = m.status == "done" and m.done_on is not None and m.done_on <= as_of
            rows.append(
                {
                    "整改措施": m.description,
                    "责任人": OWNER_SEP.join(owner),
                    "整改时限": due_text(f.term, m.due_on),
                    "完成情况": state_text(m, as_of),
                    "完成时间": m.done_on if done else None,
                    "佐证材料": "\n".join(evidence.get(m.id, [])),
                }
            )
        if not rows:
            rows.append({"整改时限": due_text(f.term, f.deadline)})
        blocks.append(LedgerBlock(head, rows))
    return blocks


# ---------------------------------------------------------------- import: reading


@dataclass
class Cell:
    """A cell value with where it came from."""

    row: int
    column: str
    value: Any


@dataclass
class SheetFinding:
    """A finding as the sheet gives it."""

    row: int
    number: int
    cells: dict[str, Any]
    measures: list[dict[str, Any]] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unneutralise(str(value).replace("\r\n", "\n").strip())


def _date(value: Any) -> date | None:
    """A date from a date cell or text (YYYY-MM-DD, YYYY/MM/DD, YYYY年M月D日); ValueError."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = unicodedata.normalize("NFKC", _text(value))
    m = _DATE.match(text)
    if m is None:
        raise ValueError(text)
    return date(int(m[1]), int(m[2]), int(m[3]))


def read_sheet(data: bytes, filename: str, problems: Problems) -> tuple[str, list]:
    """(sheet title, [(row number, {column: value})]) of the ledger sheet of an upload; formula
    cells and column errors go to `problems`."""
    from openpyxl import load_workbook

    if upload_kind(filename, data) != "xlsx":
        raise fatal(_("Upload the ledger as an .xlsx workbook."))
    check_unpacked(data)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # any parser failure means the upload is not a workbook we can read
        raise fatal(_("The file is not a readable .xlsx workbook.")) from None
    try:
        sheets = sorted(wb.worksheets, key=lambda ws: ws.title != SHEET_NAME)
        for ws in sheets:
            ws.reset_dimensions()
            rows = _rows(ws)
            header = _find_header(rows)
            if header is not None:
                return ws.title, _records(ws.title, header, rows, problems)
    except Invalid:
        raise
    except Exception:
        raise fatal(_("The file is not a readable .xlsx workbook.")) from None
    finally:
        wb.close()
    raise fatal(
        _(
            "No sheet of the workbook has the ledger's header row: %(columns)s.",
            columns="、".join(COLUMNS),
        )
    )


def _rows(ws) -> list[tuple[int, list]]:
    out = []
    for cells in ws.iter_rows(max_row=MAX_ROWS + HEADER_SCAN):
        number = next((c.row for c in cells if getattr(c, "row", None)), len(out) + 1)
        values = [
            FormulaCell(c.value) if getattr(c, "data_type", None) == "f" else c.value for c in cells
        ]
        out.append((number, values))
    return out


def _find_header(rows) -> int | None:
    for i, (_number, values) in enumerate(rows[:HEADER_SCAN]):
        texts = {_text(v) for v in values if not isinstance(v, FormulaCell)}
        if "序号" in texts and len(texts & set(COLUMNS)) >= 4:
            return i
    return None


def _records(sheet: str, header_index: int, rows, problems: Problems) -> list:
    from openpyxl.utils import get_column_letter

    header_row, header = rows[header_index]
    positions: dict[str, int] = {}
    for i, raw in enumerate(header):
        name = _text(raw) if not isinstance(raw, FormulaCell) else ""
        if not name:
            continue
        letter = get_column_letter(i + 1)
        if name not in COLUMNS:
            problems.add(
                sheet,
                header_row,
                letter,
                _(
                    "Unknown column %(name)s: the ledger's columns are %(columns)s.",
                    name=name,
                    columns="、".join(COLUMNS),
                ),
            )
        elif name in positions:
            problems.add(sheet, header_row, letter, _("Column %(name)s appears twice.", name=name))
        else:
            positions[name] = i
    for name in COLUMNS:
        if name not in positions:
            problems.add(sheet, header_row, name, _("The column %(name)s is missing.", name=name))
    records = []
    for number, values in rows[header_index + 1 :]:
        record_ = {}
        for name, i in positions.items():
            value = values[i] if i < len(values) else None
            if isinstance(value, FormulaCell):
                problems.add(
                    sheet,
                    number,
                    name,
                    _("A formula cell: the ledger must hold values (paste values only)."),
                )
                value = None
            record_[name] = value
        if any(_text(v) for v in record_.values()):
            records.append((number, record_))
    if len(records) > MAX_ROWS:
        raise fatal(_("The sheet has more than %(n)d rows.", n=MAX_ROWS))
    return records


# ---------------------------------------------------------------- import: checking


class _Refs:
    """Resolves the people and units the sheet names (one query each, by name)."""

    def __init__(self, session: Session, person_texts: set[str], unit_texts: set[str]):
        names = {_REF.match(t)[1] if _REF.match(t) else t for t in person_texts | unit_texts}
        self.people: dict[str, list[Person]] = {}
        self.units: dict[str, list[OrgUnit]] = {}
        if names:
            for p in session.scalars(sa.select(Person).where(Person.name.in_(names))):
                self.people.setdefault(p.name, []).append(p)
            for u in session.scalars(sa.select(OrgUnit).where(OrgUnit.name.in_(names))):
                self.units.setdefault(u.name, []).append(u)

    @staticmethod
    def _pick(text: str, table: dict, key) -> tuple[Any, str | None]:
        m = _REF.match(text)
        name, tag = (m[1], m[2]) if m else (text, None)
        candidates = table.get(name, [])
        if tag is not None:
            candidates = [c for c in candidates if key(c) == tag]
        if len(candidates) == 1:
            return candidates[0], None
        if not candidates:
            return None, "unknown"
        return None, "ambiguous"

    def person(self, text: str) -> tuple[Person | None, str | None]:
        """The person written as 姓名 or 姓名（工号）, or why not (a message)."""
        found, why = self._pick(text, self.people, lambda p: p.staff_no)
        if why == "unknown":
            return None, _("No person named %(name)s.", name=text)
        if why == "ambiguous":
            return None, _("Several people are named %(name)s: write 姓名（工号）.", name=text)
        return found, None

    def unit(self, text: str) -> tuple[OrgUnit | None, str | None]:
        """The unit written as 名称 or 名称（代码）, or why not (a message)."""
        found, why = self._pick(text, self.units, lambda u: u.code)
        if why == "unknown":
            return None, _("No unit named %(name)s.", name=text)
        if why == "ambiguous":
            return None, _("Several units are named %(name)s: write 名称（代码）.", name=text)
        return found, None


@dataclass
class Planned:
    """A finding and its measures as the import will write them."""

    row: int
    values: dict[str, Any]
    measures: list[dict[str, Any]]
    measure_rows: list[int]


def _group(sheet: str, records: list, problems: Problems) -> list[SheetFinding]:
    """The rows gathered by finding (see the module doc)."""
    blocks: list[SheetFinding] = []
    seen: dict[int, int] = {}
    for number, cells in records:
        raw = cells.get("序号")
        text = unicodedata.normalize("NFKC", _text(raw))
        current = blocks[-1] if blocks else None
        if text and not (current and text == str(current.number)):
            try:
                value = float(text)
            except ValueError:
                value = 0.5
            if not value.is_integer() or value < 1:
                problems.add(sheet, number, "序号", _("序号 must be a whole number from 1."))
                continue
            value = int(value)
            if value in seen:
                problems.add(
                    sheet,
                    number,
                    "序号",
                    _(
                        "序号 %(n)d is used twice (rows %(a)d and %(b)d).",
                        n=value,
                        a=seen[value],
                        b=number,
                    ),
                )
                continue
            seen[value] = number
            current = SheetFinding(number, value, {c: cells.get(c) for c in FINDING_COLUMNS})
            blocks.append(current)
        elif current is None:
            problems.add(
                sheet, number, "序号", _("序号 is required on the first row of a finding.")
            )
            continue
        else:
            for column in FINDING_COLUMNS[1:]:
                value = _text(cells.get(column))
                if value and value != _text(current.cells.get(column)):
                    problems.add(
                        sheet,
                        number,
                        column,
                        _(
                            "Differs from the first row of finding %(n)d: "
                            "leave it blank or repeat it.",
                            n=current.number,
                        ),
                    )
        current.measures.append({c: cells.get(c) for c in (*MEASURE_COLUMNS, "佐证材料")})
        current.rows.append(number)
    return blocks


def _lines(value: Any) -> list[str]:
    return [line.strip() for line in _text(value).split("\n")]


def _check_finding(sheet: str, block: SheetFinding, refs: _Refs, problems: Problems) -> Planned:
    """The finding's values from its cells (errors to `problems`)."""
    row = block.row

    def err(column, message):
        problems.add(sheet, row, column, message)

    category, *theme = [x for x in _lines(block.cells.get("问题类别")) if x] or [""]
    title, *description = _lines(block.cells.get("反馈问题")) or [""]
    if not category:
        err("问题类别", _("The category is required."))
    if not title:
        err("反馈问题", _("The problem is required (its title on the first line)."))
    theme_text = " ".join(theme)
    for column, name, value in (
        ("问题类别", "category", category),
        ("问题类别", "theme", theme_text),
        ("反馈问题", "title", title),
    ):
        if len(value) > TEXT_LIMITS[name]:
            err(column, _("At most %(n)d characters on a line.", n=TEXT_LIMITS[name]))
    values: dict[str, Any] = {
        "number": block.number,
        "category": category,
        "theme": theme_text,
        "title": title,
        "description": "\n".join(description).strip(),
        "responsible_leader_id": None,
        "lead_unit_id": None,
    }
    leader = _text(block.cells.get("责任领导"))
    if leader:
        person, why = refs.person(leader)
        if why:
            err("责任领导", why)
        values["responsible_leader_id"] = person.id if person else None
    unit_text = _text(block.cells.get("牵头部门"))
    if unit_text:
        unit, why = refs.unit(unit_text)
        if why:
            err("牵头部门", why)
        values["lead_unit_id"] = unit.id if unit else None
    measures, rows = [], []
    terms: set[str] = set()
    dues: list[date] = []
    for row_no, cells in zip(block.rows, block.measures, strict=True):
        measure, term, due = _check_measure(sheet, row_no, cells, refs, problems)
        if term:
            terms.add(term)
        if due:
            dues.append(due)
        if measure is not None:
            measures.append(measure)
            rows.append(row_no)
    if len(terms) > 1:
        err("整改时限", _("The rows of one finding must share one kind of deadline."))
    values["term"] = terms.pop() if len(terms) == 1 else "time_limited"
    values["deadline"] = None if values["term"] == "long_term" else (max(dues) if dues else None)
    if values["term"] != "long_term" and values["deadline"] is None:
        err("整改时限", _("A deadline is required (a date, 立行立改（日期） or 长期整改)."))
    return Planned(row, values, measures, rows)


def _check_measure(sheet, row, cells, refs: _Refs, problems: Problems):
    """(measure values or None for a finding without measures, term, due date)."""

    def err(column, message):
        problems.add(sheet, row, column, message)

    term, due = None, None
    raw_due = cells.get("整改时限")
    due_text_ = unicodedata.normalize("NFKC", _text(raw_due))
    if due_text_ == LONG_TERM:
        term = "long_term"
    elif due_text_:
        m = _IMMEDIATE.match(due_text_)
        try:
            due = _date(m[1] if m else raw_due)
            term = "immediate" if m else "time_limited"
        except ValueError:
            err(
                "整改时限",
                _("Not a deadline: write a date (YYYY-MM-DD), 立行立改（日期） or 长期整改."),
            )
    description = _text(cells.get("整改措施"))
    others = [
        c for c in MEASURE_COLUMNS if c not in ("整改措施", "整改时限") and _text(cells.get(c))
    ]
    if not description:
        if others:
            err("整改措施", _("The measure is required when its other columns are filled."))
        return None, term, due
    values: dict[str, Any] = {
        "description": description,
        "due_on": due,
        "owner_unit_id": None,
        "owner_person_id": None,
    }
    owner = _text(cells.get("责任人"))
    if owner:
        parts = [p.strip() for p in re.split(r"[／/]", owner) if p.strip()]
        if len(parts) > 2:
            err("责任人", _("Write 单位／姓名, or one of them."))
        elif len(parts) == 2:
            unit, why_u = refs.unit(parts[0])
            person, why_p = refs.person(parts[1])
            for why in (why_u, why_p):
                if why:
                    err("责任人", why)
            values["owner_unit_id"] = unit.id if unit else None
            values["owner_person_id"] = person.id if person else None
        else:
            unit, _why = refs.unit(parts[0])
            if unit is not None:
                values["owner_unit_id"] = unit.id
            else:
                person, why = refs.person(parts[0])
                if why:
                    err("责任人", why)
                values["owner_person_id"] = person.id if person else None
    state, *result = _lines(cells.get("完成情况")) or [""]
    state = state.rstrip("。：:")
    if state in DONE_WORDS:
        values["status"] = "done"
    elif state in OPEN_WORDS or not state:
        values["status"] = "open"
    else:
        err("完成情况", _("Write 已完成 or 整改中 on the first line, the result below it."))
        values["status"] = "open"
    values["result"] = "\n".join(result).strip()
    raw_done = cells.get("完成时间")
    done_on = None
    if _text(raw_done):
        try:
            done_on = _date(raw_done)
        except ValueError:
            err("完成时间", _("Not a date: use YYYY-MM-DD."))
        else:
            if done_on > clock.today():
                err("完成时间", _("The day it was done cannot be in the future."))
    if values["status"] == "done" and done_on is None and not _text(raw_done):
        err("完成时间", _("A measure done needs the day it was done."))
    if values["status"] == "open" and _text(raw_done):
        err("完成时间", _("Leave it blank for a measure not done (or write 已完成)."))
    values["done_on"] = done_on if values["status"] == "done" else None
    return values, term, due


FINDING_FIELDS = (
    "category",
    "theme",
    "title",
    "description",
    "responsible_leader_id",
    "lead_unit_id",
    "term",
    "deadline",
)
MEASURE_FIELDS = (
    "description",
    "owner_unit_id",
    "owner_person_id",
    "due_on",
    "status",
    "done_on",
    "result",
)
#: Findings an import may not change: signed off or waiting for it.
LOCKED = ("completed", "completion_requested")


def import_ledger(
    session: Session, inspection: Inspection, filename: str, data: bytes, dry_run: bool = False
) -> dict:
    """Check an uploaded ledger and, unless `dry_run`, write it into `inspection`, all or
    nothing; Invalid lists every error by sheet, row and column. Audited per object."""
    problems = Problems()
    sheet, records = read_sheet(data, filename, problems)
    blocks = _group(sheet, records, problems)
    persons, units = set(), set()
    for block in blocks:
        persons.add(_text(block.cells.get("责任领导")))
        units.add(_text(block.cells.get("牵头部门")))
        for m in block.measures:
            parts = [p.strip() for p in re.split(r"[／/]", _text(m.get("责任人")))]
            persons.update(parts)
            units.update(parts)
    refs = _Refs(session, persons - {""}, units - {""})
    plans = [_check_finding(sheet, b, refs, problems) for b in blocks]
    if not records and not problems:
        problems.add(sheet, None, None, _("The sheet lists no finding."))
    findings, measures = load_ledger(session, inspection.id) if plans else ([], {})
    existing = {f.number: f for f in findings}
    for plan in plans:
        finding = existing.get(plan.values["number"])
        if finding is None:
            continue
        current = measures[finding.id]
        if len(plan.measures) < len(current):
            problems.add(
                sheet,
                plan.row,
                "整改措施",
                _(
                    "Finding %(n)d has %(have)d measures but the sheet lists %(listed)d: "
                    "remove measures on the finding's page, not by leaving out rows.",
                    n=finding.number,
                    have=len(current),
                    listed=len(plan.measures),
                ),
            )
        if finding.status in LOCKED and _changes(finding, current, plan):
            problems.add(
                sheet,
                plan.row,
                "序号",
                _(
                    "Finding %(n)d is signed off or awaiting sign-off: it cannot be changed "
                    "by an import.",
                    n=finding.number,
                ),
            )
        if finding.term == plan.values["term"]:
            for i, (row_no, values) in enumerate(
                zip(plan.measure_rows, plan.measures, strict=True)
            ):
                measure = current[i] if i < len(current) else None
                _check_due(sheet, row_no, finding, measure, values, problems)
    if problems:
        raise Invalid(
            _("The ledger was not imported: correct the listed errors and upload it again."),
            problems.as_list(),
        )
    summary = {
        "dry_run": dry_run,
        "findings": {"created": 0, "updated": 0, "unchanged": 0},
        "measures": {"created": 0, "updated": 0, "unchanged": 0},
        "ignored_columns": ["佐证材料"],
    }
    for plan in plans:
        _apply(
            session,
            inspection,
            existing.get(plan.values["number"]),
            measures,
            plan,
            summary,
            dry_run,
        )
    if not dry_run:
        record(
            session,
            "import",
            "inspection",
            inspection.id,
            {"ledger": [None, {k: v for k, v in summary.items() if k != "dry_run"}]},
        )
        session.flush()
    return summary


def _check_due(sheet, row, finding: Finding, measure, values, problems: Problems) -> None:
    """A measure due after its finding's deadline needs a reason (SPEC §14), which is given
    on the measure, not in the ledger: such a change is refused unless the reason is there."""
    due, deadline = values["due_on"], finding.deadline
    reason = (measure.due_reason or "").strip() if measure is not None else ""
    if due and deadline and due > deadline and not reason:
        problems.add(
            sheet,
            row,
            "整改时限",
            _("Later than the finding's deadline: give the reason on the measure's page."),
        )


def _changes(finding: Finding, current: list, plan: Planned) -> bool:
    values = plan.values
    if any(getattr(finding, f) != values[f] for f in FINDING_FIELDS if f != "deadline"):
        return True
    if len(plan.measures) != len(current):
        return True
    return any(
        getattr(m, f) != v[f]
        for m, v in zip(current, plan.measures, strict=True)
        for f in MEASURE_FIELDS
    )


def _apply(session, inspection, finding, measures, plan: Planned, summary, dry_run) -> None:
    """Create or update one finding and its measures (counted in `summary`)."""
    values = dict(plan.values)
    if finding is not None and values["term"] != "long_term" and finding.deadline:
        values["deadline"] = (
            finding.deadline if finding.term == values["term"] else values["deadline"]
        )
    if finding is None:
        finding = Finding(inspection_id=inspection.id, status="open", **values)
        current: list = []
        summary["findings"]["created"] += 1
        if not dry_run:
            session.add(finding)
            session.flush()
            record(
                session,
                "create",
                "finding",
                finding.id,
                diff(None, snapshot(finding, ("number", *FINDING_FIELDS))),
            )
    else:
        current = measures[finding.id]
        before = snapshot(finding, FINDING_FIELDS)
        changed = {
            f: v for f, v in values.items() if f in FINDING_FIELDS and getattr(finding, f) != v
        }
        summary["findings"]["updated" if changed else "unchanged"] += 1
        if changed and not dry_run:
            for f, v in changed.items():
                setattr(finding, f, v)
            record(
                session,
                "update",
                "finding",
                finding.id,
                diff(before, snapshot(finding, FINDING_FIELDS)),
            )
    any_done = False
    for number, mvalues in enumerate(plan.measures, start=1):
        any_done = any_done or mvalues["status"] == "done"
        measure = current[number - 1] if number <= len(current) else None
        if measure is None:
            summary["measures"]["created"] += 1
            if not dry_run:
                measure = RectificationMeasure(finding_id=finding.id, number=number, **mvalues)
                session.add(measure)
                session.flush()
                record(
                    session,
                    "create",
                    "rectification_measure",
                    measure.id,
                    diff(None, snapshot(measure, MEASURE_FIELDS)),
                )
            continue
        before = snapshot(measure, MEASURE_FIELDS)
        changed = {f: v for f, v in mvalues.items() if getattr(measure, f) != v}
        summary["measures"]["updated" if changed else "unchanged"] += 1
        if changed and not dry_run:
            for f, v in changed.items():
                setattr(measure, f, v)
            record(
                session,
                "update",
                "rectification_measure",
                measure.id,
                diff(before, snapshot(measure, MEASURE_FIELDS)),
            )
    if not dry_run and any_done:
        services.started(session, finding)  # the workflow's rule: a measure done starts it
    if not dry_run:
        session.flush()
