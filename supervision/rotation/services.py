"""Deferrals (暂缓, HR with the committee's decision) and holds (不得转任, discipline roles).

Every function validates, writes, records the audit entry and flushes; the caller commits.
Input is a dict of already-typed values (API schema or form). Nothing is deleted: revoking
a deferral or releasing a hold stamps it, so the history stays.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from supervision.audit.services import diff, record, snapshot
from supervision.common import clock
from supervision.common.errors import Conflict, Invalid, NotFound
from supervision.org.models import OrgUnit, Person
from supervision.org.scope import Scope
from supervision.rotation.models import RotationDeferral, RotationHold

DEFERRAL_FIELDS = ("person_id", "reason", "meeting_date", "minutes_no", "expires_on")
HOLD_FIELDS = ("person_id", "reason")
MAX_REASON = 2000
MAX_MINUTES_NO = 64


def _person(session: Session, person_id, scope: Scope | None, errors: dict) -> Person | None:
    """The person named by `person_id`, in scope and active, or an error on `person_id`."""
    person = None
    if isinstance(person_id, int) and not isinstance(person_id, bool):
        stmt = (
            sa.select(Person)
            .join(OrgUnit, OrgUnit.id == Person.org_unit_id)
            .where(Person.id == person_id)
        )
        if scope is not None and not scope.everything:
            stmt = stmt.where(scope.person_clause())
        person = session.scalars(stmt).first()
    if person is None:
        errors["person_id"] = [_("No %(what)s with id %(id)s.", what=_("person"), id=person_id)]
    elif not person.is_active:
        errors["person_id"] = [_("%(name)s is no longer active.", name=person.name)]
    return person


def _text(data: dict, field: str, max_len: int, errors: dict, label_required: str) -> str:
    value = data.get(field)
    value = value.strip() if isinstance(value, str) else ""
    if not value:
        errors[field] = [label_required]
    elif len(value) > max_len:
        errors[field] = [_("At most %(n)s characters.", n=max_len)]
    return value


def _date(data: dict, field: str, errors: dict, required_message: str) -> date | None:
    value = data.get(field)
    if not isinstance(value, date):
        errors[field] = [required_message]
        return None
    return value


# ------------------------------------------------------------------ deferrals


def create_deferral(
    session: Session, data: dict, user_id: int | None, scope: Scope | None = None
) -> RotationDeferral:
    """Record the committee's decision to defer a person's rotation (422 when the meeting
    date, minutes number, expiry or reason is missing)."""
    errors: dict[str, list[str]] = {}
    _person(session, data.get("person_id"), scope, errors)
    reason = _text(data, "reason", MAX_REASON, errors, _("A reason is required."))
    minutes_no = _text(
        data,
        "minutes_no",
        MAX_MINUTES_NO,
        errors,
        _("The minutes number of the committee meeting is required."),
    )
    meeting = _date(
        data, "meeting_date", errors, _("The date of the committee meeting is required.")
    )
    expires = _date(data, "expires_on", errors, _("The expiry date is required."))
    if meeting and expires and expires < meeting:
        errors["expires_on"] = [_("The deferral cannot expire before the meeting that decided it.")]
    if errors:
        raise Invalid(_("Invalid %(what)s", what=_("deferral")), errors)
    deferral = RotationDeferral(
        person_id=data["person_id"],
        reason=reason,
        meeting_date=meeting,
        minutes_no=minutes_no,
        expires_on=expires,
        created_by_id=user_id,
    )
    session.add(deferral)
    session.flush()
    record(
        session,
        "create",
        "rotation_deferral",
        deferral.id,
        diff(None, snapshot(deferral, DEFERRAL_FIELDS)),
    )
    return deferral


def revoke_deferral(session: Session, deferral: RotationDeferral, user_id: int | None) -> None:
    """Withdraw a deferral entered by mistake (409 when already revoked)."""
    if deferral.revoked_at is not None:
        raise Conflict(_("This deferral was already revoked."))
    deferral.revoked_at = clock.now()
    deferral.revoked_by_id = user_id
    session.flush()
    record(
        session,
        "revoke",
        "rotation_deferral",
        deferral.id,
        {"revoked_at": [None, deferral.revoked_at.isoformat()]},
    )


def get_deferral(
    session: Session, deferral_id: int, scope: Scope | None = None
) -> RotationDeferral:
    """A deferral by id, within the scope (404 otherwise)."""
    return _get(session, RotationDeferral, deferral_id, scope, _("deferral"))


# ------------------------------------------------------------------ holds


def create_hold(
    session: Session, data: dict, user_id: int | None, scope: Scope | None = None
) -> RotationHold:
    """Block a person's move while the discipline committee reviews them (409 when a hold
    is already in force)."""
    errors: dict[str, list[str]] = {}
    person = _person(session, data.get("person_id"), scope, errors)
    reason = _text(data, "reason", MAX_REASON, errors, _("A reason is required."))
    if errors:
        raise Invalid(_("Invalid %(what)s", what=_("hold")), errors)
    # Serialise concurrent holds on the same person (row lock on PostgreSQL, write lock on
    # SQLite) before checking that none is in force.
    session.execute(
        sa.update(Person)
        .where(Person.id == person.id)
        .values(updated_at=Person.updated_at)
        .execution_options(synchronize_session=False)
    )
    if session.scalar(
        sa.select(RotationHold.id).where(
            RotationHold.person_id == person.id, RotationHold.released_at.is_(None)
        )
    ):
        raise Conflict(_("%(name)s is already under a hold.", name=person.name))
    hold = RotationHold(person_id=person.id, reason=reason, created_by_id=user_id)
    session.add(hold)
    session.flush()
    record(session, "create", "rotation_hold", hold.id, diff(None, snapshot(hold, HOLD_FIELDS)))
    return hold


def release_hold(session: Session, hold: RotationHold, user_id: int | None) -> None:
    """Lift a hold (409 when already released); the row stays as history."""
    if hold.released_at is not None:
        raise Conflict(_("This hold was already released."))
    hold.released_at = clock.now()
    hold.released_by_id = user_id
    session.flush()
    record(
        session,
        "release",
        "rotation_hold",
        hold.id,
        {"released_at": [None, hold.released_at.isoformat()]},
    )


def get_hold(session: Session, hold_id: int, scope: Scope | None = None) -> RotationHold:
    """A hold by id, within the scope (404 otherwise)."""
    return _get(session, RotationHold, hold_id, scope, _("hold"))


def _get(session: Session, model, obj_id: int, scope: Scope | None, label: str):
    stmt = (
        sa.select(model)
        .join(Person, Person.id == model.person_id)
        .join(OrgUnit, OrgUnit.id == Person.org_unit_id)
        .where(model.id == obj_id)
    )
    if scope is not None and not scope.everything:
        stmt = stmt.where(scope.person_clause())
    obj = session.scalars(stmt).first()
    if obj is None:
        raise NotFound(_("No %(what)s with id %(id)s.", what=label, id=obj_id))
    return obj


def list_query(
    model,
    *,
    person_id: int | None = None,
    current_only: bool = False,
    as_of: date | None = None,
    scope: Scope | None = None,
):
    """SELECT of deferrals or holds, newest first, optionally one person's or those in force."""
    stmt = (
        sa.select(model)
        .join(Person, Person.id == model.person_id)
        .join(OrgUnit, OrgUnit.id == Person.org_unit_id)
    )
    if scope is not None and not scope.everything:
        stmt = stmt.where(scope.person_clause())
    if person_id is not None:
        stmt = stmt.where(model.person_id == person_id)
    if current_only:
        if model is RotationHold:
            stmt = stmt.where(RotationHold.released_at.is_(None))
        else:
            day = as_of or clock.today()
            stmt = stmt.where(
                RotationDeferral.revoked_at.is_(None),
                RotationDeferral.meeting_date <= day,
                RotationDeferral.expires_on >= day,
            )
    return stmt.order_by(model.created_at.desc(), model.id.desc())
