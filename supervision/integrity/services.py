"""Integrity files (廉政档案, SPEC §6): one file per leader gathering basic data and post
history, talks received (an index: type, date, period, status, interviewers — never the
contents), obligations of recent periods, the risk points they answer for, and the
committee's supervision notes with attachments, and the rotation record: tenure and
status in each sensitive or leadership post, moves made by executed plans, deferrals and
discipline holds (the file's readers are the discipline roles, who may read hold reasons).

gather() reads a fixed number of statements whatever the size of the file.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, selectinload

from supervision.audit.services import record, snapshot
from supervision.common import clock, storage
from supervision.common.errors import Invalid, NotFound
from supervision.common.periods import Period
from supervision.integrity.models import IntegrityNote, IntegrityNoteAttachment
from supervision.obligations import engine, rules
from supervision.obligations.settings import get_obligation_settings
from supervision.org.models import Assignment, Person
from supervision.org.scope import Scope
from supervision.risks.models import RiskPoint
from supervision.rotation import eligibility
from supervision.rotation.models import (
    RotationDeferral,
    RotationHold,
    RotationPlan,
    RotationPlanItem,
)
from supervision.talks.models import Talk, TalkInterviewer

LEADERSHIP = ("team_member", "department_head")
KINDS = ("inquiry", "accountability_report", "other")
RECENT_PERIODS = {"quarter": 4, "half": 2, "year": 2}
NOTE_FIELDS = ("id", "person_id", "kind", "title", "body", "noted_on")
ATTACHMENT_FIELDS = ("id", "filename", "content_type", "size", "sha256")


@dataclass
class IntegrityFile:
    """Everything one leader's integrity file shows."""

    person: Person
    assignments: list[Assignment] = field(default_factory=list)
    talks: list[Talk] = field(default_factory=list)
    obligations: list[engine.Obligation] = field(default_factory=list)
    risk_points: list[RiskPoint] = field(default_factory=list)
    notes: list[IntegrityNote] = field(default_factory=list)
    rotation: list[eligibility.Row] = field(default_factory=list)
    moves: list[RotationPlanItem] = field(default_factory=list)
    deferrals: list[RotationDeferral] = field(default_factory=list)
    holds: list[RotationHold] = field(default_factory=list)
    generated_on: date | None = None

    @property
    def talks_by_type(self) -> dict[str, list[Talk]]:
        """Talks received grouped by type (in the order of the talk types)."""
        out: dict[str, list[Talk]] = defaultdict(list)
        for talk in self.talks:
            out[talk.type].append(talk)
        return dict(out)


def leaders_select(scope: Scope) -> sa.Select:
    """People with a leadership level in the scope, by unit path and name."""
    from supervision.org.models import OrgUnit

    return (
        sa.select(Person)
        .join(OrgUnit, OrgUnit.id == Person.org_unit_id)
        .where(Person.leadership.in_(LEADERSHIP), scope.person_clause())
        .options(selectinload(Person.org_unit))
        .order_by(OrgUnit.path, Person.name, Person.id)
    )


def get_person(session: Session, scope: Scope, person_id: int) -> Person:
    """The person whose file is asked for, within the scope (404 otherwise)."""
    person = session.scalar(sa.select(Person).where(Person.id == person_id, scope.person_clause()))
    if person is None:
        raise NotFound(_("No %(what)s with id %(id)s.", what=_("person"), id=person_id))
    return person


def recent_periods(today: date, settings: dict) -> list[tuple[Period, list[str]]]:
    """(period, obligation types) of the recent periods shown, newest first per kind."""
    out = []
    for type_ in rules.OBLIGATION_TYPES:
        kind = settings[type_]["frequency"]
        period = Period.of(today, kind)
        for _i in range(RECENT_PERIODS.get(kind, 1)):
            out.append((period, [type_]))
            period = period.previous()
    return out


def gather(session: Session, person: Person, today: date) -> IntegrityFile:
    """The file of one person as of `today` (a bounded number of statements)."""
    file = IntegrityFile(person=person, generated_on=today)
    file.assignments = list(
        session.scalars(
            sa.select(Assignment)
            .where(Assignment.person_id == person.id)
            .options(selectinload(Assignment.post))
            .order_by(Assignment.start_date.desc(), Assignment.id.desc())
        )
    )
    order = {
        t: i
        for i, t in enumerate(
            (
                "integrity_reminder",
                "supervision",
                "heart_to_heart",
                "admonishment",
                "pre_appointment",
            )
        )
    }
    talks = list(
        session.scalars(
            sa.select(Talk)
            .where(Talk.interviewee_id == person.id)
            .options(selectinload(Talk.interviewers).selectinload(TalkInterviewer.person))
            .order_by(Talk.held_at.desc(), Talk.id.desc())
        )
    )
    file.talks = sorted(talks, key=lambda t: order.get(t.type, 99))
    settings = get_obligation_settings(session)
    for period, types in recent_periods(today, settings):
        file.obligations += engine.compute(
            session, period, types, as_of=today, person_id=person.id, settings=settings
        )
    file.risk_points = list(
        session.scalars(
            sa.select(RiskPoint)
            .where(RiskPoint.responsible_leader_id == person.id)
            .options(selectinload(RiskPoint.org_unit), selectinload(RiskPoint.post))
            .order_by(RiskPoint.org_unit_id, RiskPoint.id)
        )
    )
    file.notes = list(
        session.scalars(
            sa.select(IntegrityNote)
            .where(IntegrityNote.person_id == person.id)
            .options(selectinload(IntegrityNote.attachments))
            .order_by(IntegrityNote.noted_on.desc(), IntegrityNote.id.desc())
        )
    )
    _gather_rotation(session, file, today)
    return file


def _gather_rotation(session: Session, file: IntegrityFile, today: date) -> None:
    """Tenure and status today, executed moves, deferrals and holds of the file's person."""
    pid = file.person.id
    file.rotation = eligibility.for_person(session, pid, today)
    file.moves = list(
        session.scalars(
            sa.select(RotationPlanItem)
            .join(RotationPlan)
            .where(RotationPlanItem.person_id == pid, RotationPlan.status == "executed")
            .options(
                selectinload(RotationPlanItem.plan),
                selectinload(RotationPlanItem.from_post),
                selectinload(RotationPlanItem.to_post),
            )
            .order_by(RotationPlanItem.effective_date.desc())
        )
    )
    file.deferrals = list(
        session.scalars(
            sa.select(RotationDeferral)
            .where(RotationDeferral.person_id == pid)
            .order_by(RotationDeferral.meeting_date.desc(), RotationDeferral.id.desc())
        )
    )
    file.holds = list(
        session.scalars(
            sa.select(RotationHold)
            .where(RotationHold.person_id == pid)
            .order_by(RotationHold.created_at.desc(), RotationHold.id.desc())
        )
    )


def record_read(session: Session, person_id: int) -> None:
    """Audit that the caller read a person's integrity file (page or PDF)."""
    record(session, "read", "integrity_file", person_id)


def _validate_note(data: dict, today: date) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if data.get("kind") not in KINDS:
        errors["kind"] = [_("Must be one of: %(choices)s.", choices=", ".join(KINDS))]
    title = (data.get("title") or "").strip()
    if not title:
        errors["title"] = [_("This field is required.")]
    elif len(title) > 200:
        errors["title"] = [_("At most %(n)s characters.", n=200)]
    noted_on = data.get("noted_on")
    if not isinstance(noted_on, date):
        errors["noted_on"] = [_("This field is required.")]
    elif noted_on > today:
        errors["noted_on"] = [_("Cannot be in the future.")]
    if not isinstance(data.get("body") or "", str):
        errors["body"] = [_("Must be text.")]
    return errors


def create_note(
    session: Session, person: Person, data: dict, created_by_id: int | None = None
) -> IntegrityNote:
    """Add a supervision note to a person's file (validated and audited)."""
    errors = _validate_note(data, clock.today())
    if errors:
        raise Invalid(_("Invalid %(what)s", what=_("note")), errors)
    note = IntegrityNote(
        person_id=person.id,
        kind=data["kind"],
        title=data["title"].strip(),
        body=(data.get("body") or "").strip(),
        noted_on=data["noted_on"],
        created_by_id=created_by_id,
    )
    session.add(note)
    session.flush()
    record(
        session,
        "create",
        "integrity_note",
        note.id,
        {k: [None, v] for k, v in snapshot(note, NOTE_FIELDS).items()},
    )
    return note


def get_note(session: Session, person_id: int, note_id: int) -> IntegrityNote:
    """A note of the person's file (404 otherwise)."""
    note = session.scalar(
        sa.select(IntegrityNote).where(
            IntegrityNote.id == note_id, IntegrityNote.person_id == person_id
        )
    )
    if note is None:
        raise NotFound(_("No %(what)s with id %(id)s.", what=_("note"), id=note_id))
    return note


def add_attachment(
    session: Session,
    note: IntegrityNote,
    filename: str,
    data: bytes,
    uploaded_by_id: int | None = None,
) -> IntegrityNoteAttachment:
    """Attach a PDF, JPEG or PNG file (checked by its bytes) to a note (audited)."""
    attachment = IntegrityNoteAttachment(**storage.stored_fields(filename, data, uploaded_by_id))
    note.attachments.append(attachment)
    session.flush()
    record(
        session,
        "attach",
        "integrity_note",
        note.id,
        {"attachment": [None, snapshot(attachment, ATTACHMENT_FIELDS)]},
    )
    return attachment


def get_attachment(
    session: Session, person_id: int, note_id: int, attachment_id: int
) -> IntegrityNoteAttachment:
    """An attachment of a note of the person's file (404 otherwise)."""
    found = session.scalar(
        sa.select(IntegrityNoteAttachment)
        .join(IntegrityNote)
        .where(
            IntegrityNoteAttachment.id == attachment_id,
            IntegrityNote.id == note_id,
            IntegrityNote.person_id == person_id,
        )
    )
    if found is None:
        raise NotFound(_("No %(what)s with id %(id)s.", what=_("attachment"), id=attachment_id))
    return found


def record_attachment_read(session: Session, note_id: int, attachment_id: int) -> None:
    """Audit that the caller downloaded a note's attachment."""
    record(session, "read", "integrity_note", note_id, {"attachment_id": attachment_id})
