"""Integrity files (廉政档案, SPEC §6): the leaders whose files exist, audited reads, and
the committee's supervision notes with their attachments. What a file shows is built by
supervision.integrity.builder (one builder for the page and the PDF)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, selectinload

from supervision.audit.services import record, snapshot
from supervision.common import clock, storage
from supervision.common.errors import Invalid, NotFound
from supervision.integrity.models import IntegrityNote, IntegrityNoteAttachment
from supervision.org.models import OrgUnit, Person
from supervision.org.scope import Scope

LEADERSHIP = ("team_member", "department_head")
KINDS = ("inquiry", "accountability_report", "other")
NOTE_FIELDS = ("id", "person_id", "kind", "title", "body", "noted_on")
ATTACHMENT_FIELDS = ("id", "filename", "content_type", "size", "sha256")


def leaders_select(scope: Scope) -> sa.Select:
    """People with a leadership level in the scope, by unit path and name."""
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
