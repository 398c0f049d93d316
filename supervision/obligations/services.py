"""Waivers (SPEC §6): the discipline committee waives one person's obligation for a period,
with a reason. Services validate, write, audit and flush; the caller commits."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from supervision.audit.services import diff, record, snapshot
from supervision.common.errors import Conflict, Invalid
from supervision.obligations import engine
from supervision.obligations.models import ObligationWaiver
from supervision.obligations.settings import get_obligation_settings
from supervision.org.models import Person

WAIVER_FIELDS = ("person_id", "type", "period", "reason", "created_by_id")


def create_waiver(
    session: Session, data: dict, user_id: int | None, settings: dict | None = None
) -> ObligationWaiver:
    """Waive one person's obligation of a type for a period (422 on bad input, 409 if waived)."""
    settings = settings or get_obligation_settings(session)
    errors: dict[str, list[str]] = {}
    person_id = data.get("person_id")
    if person_id is None or session.get(Person, person_id) is None:
        errors["person_id"] = [_("No %(what)s with id %(id)s.", what=_("person"), id=person_id)]
    reason = (data.get("reason") or "").strip()
    if not reason:
        errors["reason"] = [_("A reason is required.")]
    period = None
    if not data.get("type"):
        errors["type"] = [_("Not an obligation type.")]
    else:
        try:
            period, _types = engine.resolve(data.get("period") or "", data["type"], settings)
        except Invalid as exc:
            errors.update(exc.errors)
    if errors:
        raise Invalid(_("Invalid %(what)s", what=_("waiver")), errors)
    key = {"person_id": person_id, "type": data["type"], "period": str(period)}
    if session.scalar(sa.select(ObligationWaiver.id).filter_by(**key)) is not None:
        raise Conflict(_("This obligation is already waived."))
    waiver = ObligationWaiver(**key, reason=reason, created_by_id=user_id)
    try:
        with session.begin_nested():
            session.add(waiver)
            session.flush()
    except IntegrityError:
        raise Conflict(_("This obligation is already waived.")) from None
    record(
        session,
        "create",
        "obligation_waiver",
        waiver.id,
        diff(None, snapshot(waiver, WAIVER_FIELDS)),
    )
    return waiver
