"""Evidence of a rectification measure (佐证材料, SPEC §14): stored files (PDF, JPEG, PNG,
DOCX, XLSX, checked by their content, within the attachment size limit of §6), and links to
records the service holds (a talk, risk point, risk campaign, rotation plan or deferral)
that the caller may read (permissions.link_readable: a link never discloses a record its
author could not see, and a record they cannot see is refused as one that does not exist).

Files are stored like talk attachments (common/storage.py, by sha256): the backup and the
orphan cleanup find them from the schema (backup/files.py). Not changed once the measure's
problem is signed off. Audited on the measure.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from supervision.audit.services import record, snapshot
from supervision.common import storage
from supervision.common.errors import Conflict, Invalid
from supervision.rectification.models import (
    EVIDENCE_OBJECT_TYPES,
    MeasureEvidence,
    RectificationMeasure,
)
from supervision.rectification.permissions import link_readable

#: What evidence files may be (by their content).
FILE_TYPES = storage.DEFAULT_TYPES | {storage.DOCX, storage.XLSX}
FIELDS = (
    "id",
    "kind",
    "filename",
    "content_type",
    "size",
    "sha256",
    "object_type",
    "object_id",
    "note",
)
NOTE_LIMIT = 2000


def _object_name(object_type: str) -> str:
    return {
        "talk": _("talk"),
        "risk_point": _("risk point"),
        "risk_campaign": _("campaign"),
        "rotation_plan": _("rotation plan"),
        "deferral": _("deferral"),
    }[object_type]


def _require_open(measure: RectificationMeasure) -> None:
    if measure.finding.status == "completed":
        raise Conflict(_("This problem has been signed off; it is not changed any more."))


def _note(note: str | None) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        raise Invalid(
            _("Invalid %(what)s", what=_("evidence")),
            {"note": [_("At most %(n)s characters.", n=NOTE_LIMIT)]},
        )
    return note


def _audit(session: Session, measure: RectificationMeasure, action: str, before, after) -> None:
    record(session, action, "rectification_measure", measure.id, {"evidence": [before, after]})


def add_file(
    session: Session,
    measure: RectificationMeasure,
    filename: str,
    data: bytes,
    note: str | None = None,
    created_by_id: int | None = None,
) -> MeasureEvidence:
    """Attach a file (its type read from its bytes; 413 above the size limit)."""
    _require_open(measure)
    text = _note(note)
    fields = storage.stored_fields(filename, data, created_by_id, FILE_TYPES)
    evidence = MeasureEvidence(
        kind="file",
        filename=fields["filename"],
        content_type=fields["content_type"],
        size=fields["size"],
        sha256=fields["sha256"],
        note=text,
        created_by_id=created_by_id,
    )
    measure.evidence.append(evidence)
    session.flush()
    _audit(session, measure, "attach", None, snapshot(evidence, FIELDS))
    return evidence


def add_link(
    session: Session,
    measure: RectificationMeasure,
    user,
    object_type: str | None,
    object_id: int | None,
    note: str | None = None,
) -> MeasureEvidence:
    """Link a record the user may read (422 otherwise, worded as a record that does not
    exist, so that existence does not leak)."""
    _require_open(measure)
    errors: dict[str, list[str]] = {}
    if object_type not in EVIDENCE_OBJECT_TYPES:
        errors["object_type"] = [
            _("Must be one of: %(choices)s.", choices=", ".join(EVIDENCE_OBJECT_TYPES))
        ]
    if not isinstance(object_id, int) or object_id < 1:
        errors["object_id"] = [_("This field is required.")]
    elif "object_type" not in errors and not link_readable(session, user, object_type, object_id):
        errors["object_id"] = [
            _("No %(what)s with id %(id)s.", what=_object_name(object_type), id=object_id)
        ]
    if errors:
        raise Invalid(_("Invalid %(what)s", what=_("evidence")), errors)
    text = _note(note)
    duplicate = next(
        (
            e
            for e in measure.evidence
            if e.kind == "link" and e.object_type == object_type and e.object_id == object_id
        ),
        None,
    )
    if duplicate is not None:
        raise Conflict(_("This record is already linked to the measure."))
    evidence = MeasureEvidence(
        kind="link",
        object_type=object_type,
        object_id=object_id,
        note=text,
        created_by_id=getattr(user, "id", None),
    )
    measure.evidence.append(evidence)
    session.flush()
    _audit(session, measure, "link", None, snapshot(evidence, FIELDS))
    return evidence


def remove(session: Session, measure: RectificationMeasure, evidence: MeasureEvidence) -> None:
    """Remove a piece of evidence (the stored file stays: others may share it)."""
    _require_open(measure)
    before = snapshot(evidence, FIELDS)
    measure.evidence.remove(evidence)
    session.flush()
    _audit(session, measure, "detach", before, None)


def record_download(session: Session, measure: RectificationMeasure, evidence: MeasureEvidence):
    """Audit that the caller downloaded an evidence file."""
    record(session, "read", "rectification_measure", measure.id, {"evidence_id": evidence.id})
