"""The rectification ledger (SPEC §14): inspections, findings, measures, notes and the
finding workflow. Evidence is in `evidence.py`; figures, overdue and snapshots in `figures.py`.

- An inspection's `deadline` (集中整改期限) defaults to `feedback_on` + 90 days and is never
  before it; `onsite_to` is not before `onsite_from`; its status only moves forward,
  `rectifying` → `reported` → `closed`.
- A finding's `number` is unique in its inspection (default: the next one); its `category`
  is free text (the inspection's focus areas differ from round to round; the three usual
  ones are `models.DEFAULT_CATEGORIES`); its `deadline` defaults to the inspection's, is
  none for a `long_term` finding, and is never before the feedback date.
- A measure's `due_on` defaults to its finding's deadline, is never before the feedback
  date, and may fall after the finding's deadline only with a `due_reason`.
- Workflow: `open` → `in_progress` (a measure done or a note added) → `completion_requested`
  (every measure done, with a summary) → `completed` (signed off with a comment; refused
  while a measure is open) or back to `in_progress` (returned with a comment). A `long_term`
  finding never completes. A completed finding is not changed any more: its measures are
  neither added, edited, reopened nor removed. A measure added or reopened while completion
  is requested takes the finding back to `in_progress`.

Services validate, write, audit (every field changed, before and after) and flush; the
caller commits. Who may call which is the caller's question (permissions.py). The module is
longer than most on purpose: every write rule of the ledger is here, in one place, so that
the API, the pages and the ledger import (which calls these functions) cannot differ.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from supervision.audit.services import diff, record, snapshot
from supervision.common import clock
from supervision.common.errors import Conflict, Invalid
from supervision.org.models import OrgUnit, Person
from supervision.rectification.labels import FINDING_STATUS_LABELS
from supervision.rectification.models import (
    FINDING_TERMS,
    Finding,
    FindingNote,
    Inspection,
    RectificationMeasure,
)

DEFAULT_DEADLINE_DAYS = 90
#: The only moves of an inspection's status.
INSPECTION_MOVES = {("rectifying", "reported"), ("reported", "closed")}
INSPECTION_FIELDS = (
    "name",
    "inspector",
    "org_unit_id",
    "onsite_from",
    "onsite_to",
    "feedback_on",
    "deadline",
    "leader_person_id",
    "narrative",
    "publish_from",
    "publish_to",
    "contact",
    "status",
)
FINDING_FIELDS = (
    "category",
    "theme",
    "number",
    "title",
    "description",
    "responsible_leader_id",
    "lead_unit_id",
    "term",
    "deadline",
)
FINDING_AUDITED = (
    "inspection_id",
    *FINDING_FIELDS,
    "status",
    "completion_summary",
    "completed_on",
    "completed_by_id",
    "review_comment",
)
MEASURE_FIELDS = (
    "number",
    "description",
    "owner_unit_id",
    "owner_person_id",
    "due_on",
    "due_reason",
    "result",
)
MEASURE_AUDITED = ("finding_id", *MEASURE_FIELDS, "status", "done_on")
NARRATIVE_SECTIONS = ("duty", "next_steps")
#: Longest accepted text of each field (characters); longer input is refused, never cut.
LIMITS = {
    "name": 200,
    "inspector": 200,
    "contact": 2000,
    "category": 200,
    "theme": 200,
    "title": 200,
    "description": 20000,
    "due_reason": 2000,
    "result": 5000,
    "heading": 200,
    "body": 20000,
    "text": 5000,
    "summary": 5000,
    "comment": 2000,
}


class _Errors(dict):
    """Messages by field."""

    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)

    def raise_if_any(self, what: str) -> None:
        if self:
            raise Invalid(_("Invalid %(what)s", what=what), dict(self))


def _text(errors: _Errors, data: dict, field: str, *, required: bool = False) -> None:
    """Normalise a text field in place (stripped, "" for None) and check it."""
    value = data.get(field)
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.add(field, _("Must be text."))
        return
    value = value.strip()
    data[field] = value
    if required and not value:
        errors.add(field, _("This field is required."))
    elif len(value) > LIMITS[field]:
        errors.add(
            field,
            _("At most %(n)s characters (%(count)s given).", n=LIMITS[field], count=len(value)),
        )


def _exists(session: Session, errors: _Errors, model, field: str, value, what: str) -> None:
    if value is not None and session.get(model, value) is None:
        errors.add(field, _("No %(what)s with id %(id)s.", what=what, id=value))


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


# ------------------------------------------------------------------ inspections


def _narrative_errors(errors: _Errors, value) -> None:
    if value is None:
        return
    shape = _('Expected {"duty": [{"heading", "body"}], "next_steps": [{"heading", "body"}]}.')
    if not isinstance(value, dict) or set(value) - set(NARRATIVE_SECTIONS):
        errors.add("narrative", shape)
        return
    for section in NARRATIVE_SECTIONS:
        paragraphs = value.get(section, [])
        if not isinstance(paragraphs, list):
            errors.add("narrative", shape)
            return
        for paragraph in paragraphs:
            if (
                not isinstance(paragraph, dict)
                or set(paragraph) - {"heading", "body"}
                or not all(isinstance(paragraph.get(k, ""), str) for k in ("heading", "body"))
            ):
                errors.add("narrative", shape)
                return
            if not paragraph.get("body", "").strip():
                errors.add("narrative", _("Every paragraph needs a body."))
                return
            for key in ("heading", "body"):
                if len(paragraph.get(key, "")) > LIMITS[key]:
                    errors.add("narrative", _("At most %(n)s characters.", n=LIMITS[key]))
                    return


def _clean_narrative(value) -> dict:
    value = value or {}
    return {
        section: [
            {"heading": p.get("heading", "").strip(), "body": p["body"].strip()}
            for p in value.get(section, [])
        ]
        for section in NARRATIVE_SECTIONS
    }


def _validate_inspection(session: Session, data: dict, current: str | None) -> _Errors:
    errors = _Errors()
    for field in ("name", "inspector"):
        _text(errors, data, field, required=True)
    _text(errors, data, "contact")
    if data.get("org_unit_id") is None:
        errors.add("org_unit_id", _("This field is required."))
    _exists(session, errors, OrgUnit, "org_unit_id", data.get("org_unit_id"), _("org unit"))
    _exists(session, errors, Person, "leader_person_id", data.get("leader_person_id"), _("person"))
    feedback = data.get("feedback_on")
    if feedback is None:
        errors.add("feedback_on", _("This field is required."))
    elif data.get("deadline") is not None and data["deadline"] < feedback:
        errors.add(
            "deadline",
            _("Cannot be before the feedback date (%(day)s).", day=feedback.isoformat()),
        )
    if (
        data.get("onsite_from")
        and data.get("onsite_to")
        and data["onsite_to"] < data["onsite_from"]
    ):
        errors.add("onsite_to", _("Cannot be before the start of the on-site inspection."))
    if (
        data.get("publish_from")
        and data.get("publish_to")
        and data["publish_to"] < data["publish_from"]
    ):
        errors.add("publish_to", _("Cannot be before the start of the publication period."))
    _narrative_errors(errors, data.get("narrative"))
    status = data.get("status")
    if current is None and status not in (None, "rectifying"):
        errors.add("status", _("A new inspection is being rectified."))
    elif current is not None and status != current and (current, status) not in INSPECTION_MOVES:
        errors.add(
            "status",
            _("The status moves only forward: being rectified, reported, closed."),
        )
    return errors


def create_inspection(session: Session, data: dict) -> Inspection:
    """Record an inspection (deadline default: the feedback date + 90 days)."""
    data = {**{f: None for f in INSPECTION_FIELDS}, **data}
    errors = _validate_inspection(session, data, None)
    errors.raise_if_any(_("inspection"))
    if data["deadline"] is None:
        data["deadline"] = data["feedback_on"] + timedelta(days=DEFAULT_DEADLINE_DAYS)
    data["narrative"] = _clean_narrative(data["narrative"])
    data["status"] = "rectifying"
    inspection = Inspection(**data)
    session.add(inspection)
    session.flush()
    record(
        session, "create", "inspection", inspection.id, diff(None, _inspection_state(inspection))
    )
    return inspection


def _inspection_state(inspection: Inspection) -> dict:
    return snapshot(inspection, INSPECTION_FIELDS)


def update_inspection(session: Session, inspection: Inspection, data: dict) -> Inspection:
    """Edit an inspection (the same rules as creating it; the status only moves forward)."""
    before = _inspection_state(inspection)
    merged = {f: getattr(inspection, f) for f in INSPECTION_FIELDS} | data
    errors = _validate_inspection(session, merged, inspection.status)
    feedback = merged.get("feedback_on")
    if feedback is not None and feedback != inspection.feedback_on and "feedback_on" not in errors:
        earliest = session.execute(
            sa.select(sa.func.min(Finding.deadline), sa.func.min(RectificationMeasure.due_on))
            .select_from(Finding)
            .outerjoin(RectificationMeasure, RectificationMeasure.finding_id == Finding.id)
            .where(Finding.inspection_id == inspection.id)
        ).one()
        if any(day is not None and day < feedback for day in earliest):
            errors.add(
                "feedback_on",
                _("Some problems or measures of this inspection are due before this date."),
            )
    errors.raise_if_any(_("inspection"))
    if merged["deadline"] is None:
        merged["deadline"] = merged["feedback_on"] + timedelta(days=DEFAULT_DEADLINE_DAYS)
    merged["narrative"] = _clean_narrative(merged["narrative"])
    for field in INSPECTION_FIELDS:
        setattr(inspection, field, merged[field])
    session.flush()
    changed = diff(before, _inspection_state(inspection))
    if changed:
        record(session, "update", "inspection", inspection.id, changed)
    return inspection


# ------------------------------------------------------------------ findings


def next_finding_number(session: Session, inspection_id: int) -> int:
    """One more than the inspection's highest finding number."""
    top = session.scalar(
        sa.select(sa.func.max(Finding.number)).where(Finding.inspection_id == inspection_id)
    )
    return (top or 0) + 1


def _validate_finding(
    session: Session, inspection: Inspection, data: dict, finding_id: int | None
) -> _Errors:
    errors = _Errors()
    _text(errors, data, "category", required=True)
    _text(errors, data, "title", required=True)
    for field in ("theme", "description"):
        _text(errors, data, field)
    number = data.get("number")
    if number is not None:
        if not isinstance(number, int) or number < 1:
            errors.add("number", _("Must be a whole number from 1."))
        else:
            taken = session.scalar(
                sa.select(Finding.id).where(
                    Finding.inspection_id == inspection.id,
                    Finding.number == number,
                    Finding.id != (finding_id or 0),
                )
            )
            if taken is not None:
                errors.add(
                    "number", _("This inspection already has a problem numbered %(n)s.", n=number)
                )
    if data.get("term") not in FINDING_TERMS:
        errors.add("term", _("Must be one of: %(choices)s.", choices=", ".join(FINDING_TERMS)))
    elif data["term"] == "long_term" and data.get("deadline") is not None:
        errors.add("deadline", _("A long-term problem has no deadline."))
    deadline = data.get("deadline")
    if deadline is not None and deadline < inspection.feedback_on:
        errors.add(
            "deadline",
            _(
                "Cannot be before the feedback date (%(day)s).",
                day=inspection.feedback_on.isoformat(),
            ),
        )
    _exists(
        session,
        errors,
        Person,
        "responsible_leader_id",
        data.get("responsible_leader_id"),
        _("person"),
    )
    _exists(session, errors, OrgUnit, "lead_unit_id", data.get("lead_unit_id"), _("org unit"))
    return errors


def _finding_state(finding: Finding) -> dict:
    return snapshot(finding, FINDING_AUDITED)


def create_finding(session: Session, inspection: Inspection, data: dict) -> Finding:
    """Add a problem to an inspection (number: the next one; deadline: the inspection's,
    none for a long-term problem)."""
    data = {**{f: None for f in FINDING_FIELDS}, "term": "time_limited", **data}
    if data["term"] is None:
        data["term"] = "time_limited"
    explicit_deadline = "deadline" in data and data["deadline"] is not None
    errors = _validate_finding(session, inspection, data, None)
    errors.raise_if_any(_("problem"))
    if data["number"] is None:
        data["number"] = next_finding_number(session, inspection.id)
    if data["term"] != "long_term" and not explicit_deadline:
        data["deadline"] = inspection.deadline
    finding = Finding(inspection_id=inspection.id, status="open", **data)
    session.add(finding)
    session.flush()
    record(session, "create", "finding", finding.id, diff(None, _finding_state(finding)))
    return finding


def _require_not_completed(finding: Finding) -> None:
    if finding.status == "completed":
        raise Conflict(_("This problem has been signed off; it is not changed any more."))


def update_finding(session: Session, finding: Finding, data: dict) -> Finding:
    """Edit a problem (not once signed off). Becoming long-term clears the deadline; leaving
    it without a deadline takes the inspection's."""
    _require_not_completed(finding)
    before = _finding_state(finding)
    merged = {f: getattr(finding, f) for f in FINDING_FIELDS} | data
    if merged["term"] == "long_term" and "deadline" not in data:
        merged["deadline"] = None
    errors = _validate_finding(session, finding.inspection, merged, finding.id)
    if merged["term"] == "long_term" and finding.status == "completion_requested":
        errors.add("term", _("Completion has been requested: return the problem first."))
    errors.raise_if_any(_("problem"))
    if merged["number"] is None:
        merged["number"] = finding.number
    if merged["term"] != "long_term" and merged["deadline"] is None:
        merged["deadline"] = finding.inspection.deadline
    for field in FINDING_FIELDS:
        setattr(finding, field, merged[field])
    session.flush()
    changed = diff(before, _finding_state(finding))
    if changed:
        record(session, "update", "finding", finding.id, changed)
    return finding


def _move(session: Session, finding: Finding, status: str, action: str, **extra) -> None:
    """Change a finding's status (and the fields given), audited."""
    before = _finding_state(finding)
    finding.status = status
    for key, value in extra.items():
        setattr(finding, key, value)
    session.flush()
    record(session, action, "finding", finding.id, diff(before, _finding_state(finding)))


def started(session: Session, finding: Finding) -> None:
    """A measure done or a note added: an open finding is in progress (audited; the ledger
    import calls it too)."""
    if finding.status == "open":
        _move(session, finding, "in_progress", "progress")


def _back_in_progress(session: Session, finding: Finding) -> None:
    """Work reopened while completion is requested: the request no longer holds."""
    if finding.status == "completion_requested":
        _move(session, finding, "in_progress", "progress")


def add_note(
    session: Session, finding: Finding, data: dict, author_id: int | None = None
) -> FindingNote:
    """A dated progress note (date default today, never in the future)."""
    data = dict(data)
    errors = _Errors()
    _text(errors, data, "text", required=True)
    noted_on = data.get("noted_on") or clock.today()
    if noted_on > clock.today():
        errors.add("noted_on", _("Cannot be in the future."))
    errors.raise_if_any(_("progress note"))
    note = FindingNote(
        finding_id=finding.id, noted_on=noted_on, text=data["text"], author_id=author_id
    )
    session.add(note)
    finding.notes.append(note)
    session.flush()
    record(
        session,
        "note",
        "finding",
        finding.id,
        {"note": [None, snapshot(note, ("id", "noted_on", "text"))]},
    )
    started(session, finding)
    return note


def open_measure_numbers(finding: Finding) -> list[int]:
    """The numbers of the finding's measures not done yet."""
    return [m.number for m in finding.measures if m.status != "done"]


def _open_measures_conflict(finding: Finding) -> Conflict | None:
    numbers = open_measure_numbers(finding)
    if not numbers:
        return None
    return Conflict(
        _(
            "Measures %(numbers)s are not done yet.",
            numbers=", ".join(str(n) for n in numbers),
        ),
        {"measures": [_("Every measure must be done first.")]},
    )


def request_completion(session: Session, finding: Finding, summary: str | None) -> Finding:
    """Ask for sign-off: every measure done, with a summary of what was rectified."""
    if finding.term == "long_term":
        raise Conflict(_("A long-term problem is never signed off; it reports its progress."))
    if finding.status not in ("open", "in_progress"):
        raise Conflict(
            _(
                "Completion cannot be requested for a problem that is %(status)s.",
                status=FINDING_STATUS_LABELS[finding.status],
            )
        )
    data = {"summary": summary}
    errors = _Errors()
    _text(errors, data, "summary", required=True)
    if not finding.measures:
        errors.add("measures", _("Add the measures taken first."))
    errors.raise_if_any(_("problem"))
    conflict = _open_measures_conflict(finding)
    if conflict is not None:
        raise conflict
    _move(
        session,
        finding,
        "completion_requested",
        "request_completion",
        completion_summary=data["summary"],
        completion_requested_at=clock.now(),
    )
    return finding


def _comment(comment: str | None) -> str:
    data = {"comment": comment}
    errors = _Errors()
    _text(errors, data, "comment", required=True)
    errors.raise_if_any(_("review"))
    return data["comment"]


def complete(
    session: Session, finding: Finding, comment: str | None, user_id: int | None = None
) -> Finding:
    """Sign a problem off (销号) with a comment; refused while a measure is open."""
    if finding.status != "completion_requested":
        raise Conflict(_("Only a problem whose completion was requested is signed off."))
    text = _comment(comment)
    conflict = _open_measures_conflict(finding)
    if conflict is not None:
        raise conflict
    _move(
        session,
        finding,
        "completed",
        "complete",
        completed_on=clock.today(),
        completed_by_id=user_id,
        review_comment=text,
    )
    return finding


def return_finding(session: Session, finding: Finding, comment: str | None) -> Finding:
    """Send a completion request back (in progress again), with a comment."""
    if finding.status != "completion_requested":
        raise Conflict(_("Only a problem whose completion was requested is returned."))
    text = _comment(comment)
    _move(session, finding, "in_progress", "return", review_comment=text)
    return finding


# ------------------------------------------------------------------ measures


def next_measure_number(session: Session, finding_id: int) -> int:
    """One more than the finding's highest measure number."""
    top = session.scalar(
        sa.select(sa.func.max(RectificationMeasure.number)).where(
            RectificationMeasure.finding_id == finding_id
        )
    )
    return (top or 0) + 1


def _validate_measure(
    session: Session, finding: Finding, data: dict, measure_id: int | None
) -> _Errors:
    errors = _Errors()
    _text(errors, data, "description", required=True)
    for field in ("due_reason", "result"):
        _text(errors, data, field)
    number = data.get("number")
    if number is not None:
        if not isinstance(number, int) or number < 1:
            errors.add("number", _("Must be a whole number from 1."))
        elif session.scalar(
            sa.select(RectificationMeasure.id).where(
                RectificationMeasure.finding_id == finding.id,
                RectificationMeasure.number == number,
                RectificationMeasure.id != (measure_id or 0),
            )
        ):
            errors.add("number", _("This problem already has a measure numbered %(n)s.", n=number))
    _exists(session, errors, OrgUnit, "owner_unit_id", data.get("owner_unit_id"), _("org unit"))
    _exists(session, errors, Person, "owner_person_id", data.get("owner_person_id"), _("person"))
    due = data.get("due_on")
    feedback = finding.inspection.feedback_on
    if due is not None and due < feedback:
        errors.add(
            "due_on", _("Cannot be before the feedback date (%(day)s).", day=feedback.isoformat())
        )
    elif (
        due is not None
        and finding.deadline is not None
        and due > finding.deadline
        and not data.get("due_reason")
    ):
        errors.add(
            "due_reason",
            _(
                "The measure is due after its problem's deadline (%(day)s): say why.",
                day=finding.deadline.isoformat(),
            ),
        )
    return errors


def _measure_state(measure: RectificationMeasure) -> dict:
    return snapshot(measure, MEASURE_AUDITED)


def create_measure(session: Session, finding: Finding, data: dict) -> RectificationMeasure:
    """Add a measure (number: the next; due: the problem's deadline unless given)."""
    _require_not_completed(finding)
    data = {**{f: None for f in MEASURE_FIELDS}, **data}
    if data["due_on"] is None:
        data["due_on"] = finding.deadline
    errors = _validate_measure(session, finding, data, None)
    errors.raise_if_any(_("measure"))
    if data["number"] is None:
        data["number"] = next_measure_number(session, finding.id)
    measure = RectificationMeasure(finding_id=finding.id, status="open", **data)
    finding.measures.append(measure)
    session.flush()
    record(
        session, "create", "rectification_measure", measure.id, diff(None, _measure_state(measure))
    )
    _back_in_progress(session, finding)
    return measure


def update_measure(
    session: Session, measure: RectificationMeasure, data: dict
) -> RectificationMeasure:
    """Edit a measure (its status moves by `mark_done` and `reopen`)."""
    finding = measure.finding
    _require_not_completed(finding)
    before = _measure_state(measure)
    merged = {f: getattr(measure, f) for f in MEASURE_FIELDS} | data
    if merged["due_on"] is None and "due_on" in data:
        merged["due_on"] = finding.deadline
    errors = _validate_measure(session, finding, merged, measure.id)
    errors.raise_if_any(_("measure"))
    if merged["number"] is None:
        merged["number"] = measure.number
    for field in MEASURE_FIELDS:
        setattr(measure, field, merged[field])
    session.flush()
    changed = diff(before, _measure_state(measure))
    if changed:
        record(session, "update", "rectification_measure", measure.id, changed)
    return measure


def delete_measure(session: Session, measure: RectificationMeasure) -> None:
    """Remove a measure entered by mistake, with its evidence rows (not once its problem
    is signed off; the stored files stay: others may share them)."""
    finding = measure.finding
    _require_not_completed(finding)
    before = {
        **_measure_state(measure),
        "evidence": [
            snapshot(e, ("id", "kind", "filename", "sha256", "object_type", "object_id"))
            for e in measure.evidence
        ],
    }
    measure_id = measure.id
    finding.measures.remove(measure)
    session.delete(measure)
    session.flush()
    record(session, "delete", "rectification_measure", measure_id, diff(before, None))


def mark_done(
    session: Session,
    measure: RectificationMeasure,
    done_on: date | None = None,
    result: str | None = None,
) -> RectificationMeasure:
    """Mark a measure done (date default today, not in the future nor before the feedback
    date), with its result (整改成效) if given; the problem is in progress then."""
    finding = measure.finding
    _require_not_completed(finding)
    if measure.status == "done":
        raise Conflict(_("This measure is already done."))
    data = {"result": measure.result if result is None else result}
    errors = _Errors()
    _text(errors, data, "result")
    day = done_on or clock.today()
    if day > clock.today():
        errors.add("done_on", _("Cannot be in the future."))
    elif day < finding.inspection.feedback_on:
        errors.add(
            "done_on",
            _(
                "Cannot be before the feedback date (%(day)s).",
                day=finding.inspection.feedback_on.isoformat(),
            ),
        )
    errors.raise_if_any(_("measure"))
    before = _measure_state(measure)
    measure.status, measure.done_on, measure.result = "done", day, data["result"]
    session.flush()
    record(
        session, "done", "rectification_measure", measure.id, diff(before, _measure_state(measure))
    )
    started(session, finding)
    return measure


def reopen(session: Session, measure: RectificationMeasure) -> RectificationMeasure:
    """Open a done measure again (not once its problem is signed off); a pending
    completion request no longer holds."""
    finding = measure.finding
    _require_not_completed(finding)
    if measure.status != "done":
        raise Conflict(_("This measure is not done."))
    before = _measure_state(measure)
    measure.status, measure.done_on = "open", None
    session.flush()
    record(
        session,
        "reopen",
        "rectification_measure",
        measure.id,
        diff(before, _measure_state(measure)),
    )
    _back_in_progress(session, finding)
    return measure
