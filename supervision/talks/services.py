"""Talk records (SPEC §6): drafts, signatures, attachments, finalising and revisions.

- A draft may be saved incomplete and edited freely. The signatures confirm the record's
  text: changing any of RECORD_FIELDS on a signed draft clears its signatures (the signers
  confirmed other text) and the audit entry shows it.
- `period` is the obligation period the talk fulfils. It defaults to the period of the
  talk's local date (clock.zone()) at the frequency of its type and follows `held_at` and
  `type` while it was not chosen explicitly. An earlier period makes a make-up talk (补谈)
  and is accepted as is: whether that period's obligation was still open, and so whether
  the talk counts as done_late, is the obligations engine's decision. A later period is
  refused. Types without an obligation (admonishment, pre_appointment) have no period.
- A draft names its interviewee and its date (held_at), and that date lies within the
  interviewee's service: not before their hire date, not after they left (an inactive
  person whose assignments have all ended left on the last end date). Texts longer than
  TEXT_LIMITS are refused, never cut. A draft can be deleted, and an attachment removed,
  until the talk is final (by its author or a discipline role: talks.permissions).
- Finalising checks completeness (422 listing what is missing by field) and fixes the period.
  A final talk never changes: `revise` starts a new draft linked by `revision_of_id`; once
  that is final it is the record that counts (`superseded_ids_select`), and both are kept.

Services validate, write, audit and flush; the caller commits. Permissions are the caller's.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, aliased

from supervision.audit.services import diff, record, snapshot
from supervision.common import clock, storage
from supervision.common.errors import Conflict, Forbidden, Invalid
from supervision.common.periods import Period
from supervision.org.models import Assignment, Person
from supervision.talks.models import (
    TALK_TYPES,
    Talk,
    TalkAttachment,
    TalkInterviewer,
    TalkSignature,
)

#: Frequency of the obligation each type fulfils; the others fulfil none (no period).
PERIOD_KINDS = {"integrity_reminder": "quarter", "supervision": "half", "heart_to_heart": "year"}
_EXAMPLES = {"quarter": "2025Q3", "half": "2025H2", "year": "2025"}
TEXT_FIELDS = ("location", "reason", "content", "response", "follow_up")
#: Longest accepted text of each field (characters); longer input is refused, never cut.
TEXT_LIMITS = {
    "location": 200,
    "reason": 2000,
    "content": 50000,
    "response": 20000,
    "follow_up": 5000,
}
SCALAR_FIELDS = (
    "type",
    "held_at",
    "location",
    "interviewee_id",
    "recorder_id",
    "reason",
    "content",
    "response",
    "follow_up",
    "period",
    "reported_to_higher_at",
)
#: What the signers confirm: changing any of these on a signed draft clears the signatures.
RECORD_FIELDS = (
    "type",
    "held_at",
    "location",
    "interviewee_id",
    "interviewer_ids",
    "recorder_id",
    "reason",
    "content",
    "response",
    "follow_up",
)
AUDITED = (*SCALAR_FIELDS, "status", "finalized_at", "revision_of_id")


def own_period(talk_type: str | None, held_at) -> str | None:
    """The period containing the talk's local date at its type's frequency (None if none)."""
    kind = PERIOD_KINDS.get(talk_type or "")
    if kind is None or held_at is None:
        return None
    return str(Period.of(clock.local(held_at).date(), kind))


def _state(talk: Talk) -> dict:
    return {
        **{f: getattr(talk, f) for f in SCALAR_FIELDS},
        "interviewer_ids": [i.person_id for i in talk.interviewers],
    }


def _audit_state(talk: Talk) -> dict:
    return {
        **snapshot(talk, AUDITED),
        "interviewer_ids": [i.person_id for i in talk.interviewers],
        "signatures": [s.person_id for s in talk.signatures],
    }


def _validate(session: Session, data: dict, nameable=None) -> dict[str, list[str]]:
    """Errors of a (possibly incomplete) talk state; normalises texts and the period.

    `nameable` (an SQL condition on Person, None: anyone) limits who may be named: anyone
    else is refused exactly as a person that does not exist, so that existence outside the
    writer's scope does not leak (see talks.permissions.nameable_clause)."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if data.get("type") not in TALK_TYPES:
        add("type", _("Must be one of: %(choices)s.", choices=", ".join(TALK_TYPES)))
    for field in TEXT_FIELDS:
        data[field] = (
            (data.get(field) or "").strip() if field == "location" else (data.get(field) or "")
        )
        if len(data[field]) > TEXT_LIMITS[field]:
            add(
                field,
                _(
                    "At most %(n)s characters (%(count)s given).",
                    n=TEXT_LIMITS[field],
                    count=len(data[field]),
                ),
            )
    interviewers = list(data.get("interviewer_ids") or [])
    if len(set(interviewers)) != len(interviewers):
        add("interviewer_ids", _("The same person is listed twice."))
    named = {p for p in (data.get("interviewee_id"), data.get("recorder_id"), *interviewers) if p}
    known = (
        set(
            session.scalars(
                sa.select(Person.id).where(
                    Person.id.in_(named), sa.true() if nameable is None else nameable
                )
            )
        )
        if named
        else set()
    )
    for field in ("interviewee_id", "recorder_id"):
        if data.get(field) is not None and data[field] not in known:
            add(field, _("No %(what)s with id %(id)s.", what=_("person"), id=data[field]))
    for pid in interviewers:
        if pid not in known:
            add("interviewer_ids", _("No %(what)s with id %(id)s.", what=_("person"), id=pid))
    interviewee = data.get("interviewee_id")
    if interviewee is not None and interviewee in interviewers:
        add("interviewer_ids", _("The interviewee cannot also be an interviewer."))
    if interviewee is not None and interviewee == data.get("recorder_id"):
        add("recorder_id", _("The interviewee cannot also be the recorder."))
    if interviewee is None and "interviewee_id" not in errors:
        add("interviewee_id", _("Choose the interviewee."))
    if data.get("held_at") is None:
        add("held_at", _("Enter the date and time of the talk."))
    elif interviewee in known:
        for message in service_errors(session, interviewee, data["held_at"]):
            add("held_at", message)
    held_at, reported = data.get("held_at"), data.get("reported_to_higher_at")
    if held_at is not None and reported is not None and reported < held_at:
        add("reported_to_higher_at", _("The talk cannot be reported before it was held."))
    if "type" not in errors:
        _validate_period(data, add)
    return errors


def service_span(session: Session, person_id: int):
    """(first day, last day) of a person's service, either None when unknown: the hire date,
    and for someone no longer active whose assignments have all ended, the last end date."""
    row = session.execute(
        sa.select(
            Person.hire_date,
            Person.is_active,
            sa.func.max(Assignment.end_date),
            sa.func.count(Assignment.id),
            sa.func.count(Assignment.end_date),
        )
        .outerjoin(Assignment, Assignment.person_id == Person.id)
        .where(Person.id == person_id)
        .group_by(Person.id, Person.hire_date, Person.is_active)
    ).first()
    if row is None:
        return None, None
    hire, active, last_end, assignments, ended = row
    left = last_end if not active and assignments and assignments == ended else None
    return hire, left


def service_errors(session: Session, person_id: int, held_at) -> list[str]:
    """Why a talk on `held_at` (its local date) falls outside the interviewee's service."""
    day = clock.local(held_at).date()
    hire, left = service_span(session, person_id)
    if hire is not None and day < hire:
        return [
            _(
                "The talk date (%(day)s) is before the interviewee was hired (%(hire)s).",
                day=day.isoformat(),
                hire=hire.isoformat(),
            )
        ]
    if left is not None and day > left:
        return [
            _(
                "The talk date (%(day)s) is after the interviewee left (%(left)s).",
                day=day.isoformat(),
                left=left.isoformat(),
            )
        ]
    return []


def _validate_period(data: dict, add) -> None:
    kind = PERIOD_KINDS.get(data["type"])
    text = data.get("period")
    if text is None or text == "":
        data["period"] = None
        return
    if kind is None:
        add("period", _("This type of talk fulfils no obligation: leave the period empty."))
        return
    try:
        period = Period.parse(text)
    except ValueError:
        add("period", _("Invalid period: expected YYYY, YYYYQn (n = 1–4) or YYYYHn (n = 1–2)."))
        return
    if period.kind != kind:
        add(
            "period",
            _("This type of talk takes a period such as %(example)s.", example=_EXAMPLES[kind]),
        )
        return
    data["period"] = str(period)
    own = own_period(data["type"], data.get("held_at"))
    if own is not None and period > Period.parse(own):
        add("period", _("The period cannot be after the talk's own period (%(own)s).", own=own))


def _apply(talk: Talk, data: dict) -> None:
    for field in SCALAR_FIELDS:
        setattr(talk, field, data.get(field))
    wanted = list(data.get("interviewer_ids") or [])
    existing = {i.person_id: i for i in talk.interviewers}
    rows = []
    for position, pid in enumerate(wanted):
        row = existing.get(pid) or TalkInterviewer(person_id=pid)
        row.position = position
        rows.append(row)
    talk.interviewers = rows


def create_talk(
    session: Session, data: dict, created_by_id: int | None = None, nameable=None
) -> Talk:
    """Save a new draft (type, interviewee and date required); the period defaults to the
    talk's own.
    `nameable`: who the writer may name (see `_validate`)."""
    data = {**{f: None for f in SCALAR_FIELDS}, "interviewer_ids": [], **data}
    errors = _validate(session, data, nameable)
    if errors:
        raise Invalid(_("Invalid %(what)s", what=_("talk")), errors)
    if data["period"] is None:
        data["period"] = own_period(data["type"], data["held_at"])
    talk = Talk(status="draft", created_by_id=created_by_id)
    _apply(talk, data)
    session.add(talk)
    session.flush()
    record(session, "create", "talk", talk.id, diff(None, _audit_state(talk)))
    return talk


def _require_draft(talk: Talk) -> None:
    if talk.status != "draft":
        raise Conflict(_("A final talk record cannot be changed: revise it instead."))


def update_talk(session: Session, talk: Talk, data: dict, nameable=None) -> Talk:
    """Edit a draft (409 when final). Changing the record's text clears its signatures.
    `nameable`: who the writer may name besides the talk's present participants."""
    _require_draft(talk)
    current = _state(talk)
    merged = {**current, **data}
    if "period" not in data and talk.period in (None, own_period(talk.type, talk.held_at)):
        merged["period"] = None  # it followed the default: keep following it
    if nameable is not None:
        present = {current["interviewee_id"], current["recorder_id"], *current["interviewer_ids"]}
        nameable = sa.or_(nameable, Person.id.in_(present - {None}))
    errors = _validate(session, merged, nameable)
    if errors:
        raise Invalid(_("Invalid %(what)s", what=_("talk")), errors)
    if merged["period"] is None:
        merged["period"] = own_period(merged["type"], merged["held_at"])
    before = _audit_state(talk)
    if talk.signatures and any(merged[f] != current[f] for f in RECORD_FIELDS):
        talk.signatures = []
    _apply(talk, merged)
    session.flush()
    changed = diff(before, _audit_state(talk))
    if changed:
        record(session, "update", "talk", talk.id, changed)
    return talk


def delete_draft(session: Session, talk: Talk) -> None:
    """Delete a draft with its interviewers, signatures and attachment rows (409 when final;
    the stored files stay: others may share them). The audit entry keeps what it held."""
    if talk.status != "draft":
        raise Conflict(_("A final talk record is never deleted."))
    before = {
        **_audit_state(talk),
        "attachments": [
            snapshot(a, ("id", "kind", "filename", "sha256")) for a in talk.attachments
        ],
    }
    talk_id = talk.id
    session.delete(talk)
    session.flush()
    record(session, "delete", "talk", talk_id, diff(before, None))


def sign(session: Session, talk: Talk, person_id: int | None, user_id: int | None) -> TalkSignature:
    """Record the signature of the interviewee or an interviewer (idempotent)."""
    if person_id is None:
        raise Forbidden(_("Your account is not linked to a person, so it cannot sign."))
    if person_id == talk.interviewee_id:
        role = "interviewee"
    elif person_id in {i.person_id for i in talk.interviewers}:
        role = "interviewer"
    else:
        raise Forbidden(_("Only the interviewee and the interviewers sign a talk record."))
    for signature in talk.signatures:
        if signature.person_id == person_id:
            return signature
    _require_draft(talk)
    signature = TalkSignature(
        person_id=person_id, role=role, signed_at=clock.now(), user_id=user_id
    )
    talk.signatures.append(signature)
    session.flush()
    record(
        session,
        "sign",
        "talk",
        talk.id,
        {
            "signature": [
                None,
                {
                    "person_id": person_id,
                    "role": role,
                    "signed_at": signature.signed_at.isoformat(),
                },
            ]
        },
    )
    return signature


def _role_label(role: str) -> str:
    return {"interviewee": _("interviewee"), "interviewer": _("interviewer")}.get(role, role)


def missing_for_final(session: Session, talk: Talk) -> dict[str, list[str]]:
    """What the talk lacks to become final, by field (empty when complete)."""
    errors: dict[str, list[str]] = {}
    required = _("This field is required.")
    if talk.held_at is None:
        errors["held_at"] = [required]
    elif talk.held_at > clock.now():
        errors["held_at"] = [_("The talk has not been held yet.")]
    elif talk.interviewee_id is not None:
        outside = service_errors(session, talk.interviewee_id, talk.held_at)
        if outside:
            errors["held_at"] = outside
    for field in ("location", "interviewee_id", "recorder_id", "content", "response"):
        if getattr(talk, field) in (None, ""):
            errors[field] = [required]
    if not talk.interviewers:
        errors["interviewer_ids"] = [_("At least one interviewer is required.")]
    kinds = {a.kind for a in talk.attachments}
    if "signed_form" not in kinds:
        signed = {s.person_id for s in talk.signatures}
        wanted = [(talk.interviewee_id, "interviewee")] if talk.interviewee_id is not None else []
        wanted += [(i.person_id, "interviewer") for i in talk.interviewers]
        wanted = [(pid, role) for pid, role in wanted if pid not in signed]
        names = (
            dict(
                session.execute(
                    sa.select(Person.id, Person.name).where(
                        Person.id.in_([pid for pid, _role in wanted])
                    )
                ).all()
            )
            if wanted
            else {}
        )
        missing = [
            _("Missing: %(name)s (%(role)s)", name=names.get(pid, pid), role=_role_label(role))
            for pid, role in wanted
        ]
        if missing:
            errors["signatures"] = missing
    if talk.type == "admonishment":
        if "written_explanation" not in kinds:
            errors.setdefault("attachments", []).append(
                _("An admonishment needs the signed written explanation (书面说明/检讨) attached.")
            )
        if talk.reported_to_higher_at is None:
            errors["reported_to_higher_at"] = [required]
    return errors


def finalize(session: Session, talk: Talk) -> Talk:
    """Make a complete draft final (422 listing what is missing); fixes its period."""
    _require_draft(talk)
    errors = missing_for_final(session, talk)
    if errors:
        raise Invalid(_("The talk record is incomplete."), errors)
    before = _audit_state(talk)
    talk.status, talk.finalized_at = "final", clock.now()
    if talk.period is None:
        talk.period = own_period(talk.type, talk.held_at)
    session.flush()
    record(session, "finalize", "talk", talk.id, diff(before, _audit_state(talk)))
    return talk


def revise(session: Session, talk: Talk, created_by_id: int | None = None) -> Talk:
    """Start a correction of a final talk: a new draft with its fields (not its signatures,
    nor a signed form, which confirmed the old text); the old record stays final."""
    if talk.status != "final":
        raise Conflict(_("Only a final talk record is revised; edit the draft instead."))
    newer = session.execute(
        sa.select(Talk.id, Talk.status)
        .where(Talk.revision_of_id == talk.id)
        .order_by(Talk.id.desc())
        .limit(1)
    ).first()
    if newer is not None:
        if newer.status == "draft":
            raise Conflict(
                _("Talk %(id)s is already a draft revision of this record.", id=newer.id)
            )
        raise Conflict(_("This record was corrected by talk %(id)s: revise that one.", id=newer.id))
    copy = Talk(status="draft", revision_of_id=talk.id, created_by_id=created_by_id)
    _apply(copy, _state(talk))
    copy.attachments = [
        TalkAttachment(
            kind=a.kind,
            filename=a.filename,
            content_type=a.content_type,
            size=a.size,
            sha256=a.sha256,
            uploaded_at=a.uploaded_at,
            uploaded_by_id=a.uploaded_by_id,
        )
        for a in talk.attachments
        if a.kind != "signed_form"
    ]
    session.add(copy)
    session.flush()
    record(session, "create", "talk", copy.id, diff(None, _audit_state(copy)))
    record(session, "revise", "talk", talk.id, {"revised_by_id": [None, copy.id]})
    return copy


def superseded_ids_select() -> sa.Select:
    """SELECT of the ids of final talks corrected by a final revision (they no longer count).

    Use `Talk.id.not_in(superseded_ids_select())` next to `Talk.status == "final"`.
    """
    revision = aliased(Talk)
    return sa.select(revision.revision_of_id).where(
        revision.status == "final", revision.revision_of_id.is_not(None)
    )


def counted_clause():
    """SQL condition on Talk: final and not superseded, i.e. the records that count."""
    return sa.and_(Talk.status == "final", Talk.id.not_in(superseded_ids_select()))


def revised_by_map(session: Session, talk_ids) -> dict[int, int]:
    """{talk id: id of its newest revision} for the talks among `talk_ids` that have one."""
    ids = list(talk_ids)
    if not ids:
        return {}
    rows = session.execute(
        sa.select(Talk.revision_of_id, sa.func.max(Talk.id))
        .where(Talk.revision_of_id.in_(ids))
        .group_by(Talk.revision_of_id)
    )
    return dict(rows.all())


def record_read(session: Session, talk: Talk) -> None:
    """Audit that the caller read the talk's confidential contents."""
    record(session, "read", "talk", talk.id, {})


# ------------------------------------------------------------------ attachments

ATTACHMENT_KINDS = ("signed_form", "written_explanation", "other")


def add_attachment(
    session: Session,
    talk: Talk,
    kind: str,
    filename: str,
    data: bytes,
    uploaded_by_id: int | None = None,
) -> TalkAttachment:
    """Attach a PDF, JPEG or PNG file (checked by its bytes) to a draft."""
    _require_draft(talk)
    if kind not in ATTACHMENT_KINDS:
        raise Invalid(
            _("Invalid %(what)s", what=_("attachment")),
            {"kind": [_("Must be one of: %(choices)s.", choices=", ".join(ATTACHMENT_KINDS))]},
        )
    attachment = TalkAttachment(kind=kind, **storage.stored_fields(filename, data, uploaded_by_id))
    talk.attachments.append(attachment)
    session.flush()
    record(
        session,
        "attach",
        "talk",
        talk.id,
        {
            "attachment": [
                None,
                snapshot(attachment, ("id", "kind", "filename", "content_type", "size", "sha256")),
            ]
        },
    )
    return attachment


def remove_attachment(session: Session, talk: Talk, attachment: TalkAttachment) -> None:
    """Remove an attachment from a draft (the stored file stays: others may share it)."""
    _require_draft(talk)
    before = snapshot(attachment, ("id", "kind", "filename", "content_type", "size", "sha256"))
    talk.attachments.remove(attachment)
    session.flush()
    record(session, "detach", "talk", talk.id, {"attachment": [before, None]})


def record_attachment_read(session: Session, talk: Talk, attachment: TalkAttachment) -> None:
    """Audit that the caller downloaded a confidential attachment."""
    record(session, "read", "talk", talk.id, {"attachment_id": attachment.id})
