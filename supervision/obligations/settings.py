"""The obligation rules as settings (SPEC §6: each rule is a setting): read over the
defaults, changed as a whole and audited."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from supervision.obligations import rules
from supervision.org.models import Person
from supervision.settings.store import get_settings, put_settings

SETTINGS_KEY = "obligations"

_RULE_MESSAGES = {
    rules.NOT_AN_OBJECT: _l("Must be an object."),
    rules.UNKNOWN_FIELD: _l("Unknown field."),
    rules.FIXED_FREQUENCY: _l("Cannot be changed: talks of this type carry periods of this kind."),
    rules.BAD_CONDUCTOR: _l("Must be one of: responsible_head, committee, party_secretary."),
    rules.BAD_LEADERSHIP: _l(
        "Must be a list of: team_member, department_head (each at most once)."
    ),
    rules.BAD_MIN_DAYS: _l("Must be a whole number from 1 to the length of the shortest period."),
    rules.BAD_STAFF_NO: _l("Must be a staff number (at most 32 characters) or empty."),
}


def get_obligation_settings(session: Session) -> dict:
    """The obligation rules: stored values over the SPEC §6 defaults."""
    return rules.with_defaults(get_settings(session, SETTINGS_KEY, rules.DEFAULT_SETTINGS))


def update_obligation_settings(session: Session, changes: dict[str, Any]) -> dict:
    """Change any part of the rules (a rule's fields may be given partly), validated as a whole."""
    current = get_obligation_settings(session)
    merged_changes = {
        k: {**current[k], **v} if isinstance(current.get(k), dict) and isinstance(v, dict) else v
        for k, v in changes.items()
    }

    def validate(values: dict) -> dict[str, list[str]]:
        errors = {
            f: [str(_RULE_MESSAGES.get(m, m)) for m in msgs]
            for f, msgs in rules.validate_settings(values).items()
        }
        staff_no = values.get("party_secretary_staff_no")
        if (
            not errors.get("party_secretary_staff_no")
            and staff_no
            and session.scalar(sa.select(Person.id).where(Person.staff_no == staff_no)) is None
        ):
            errors["party_secretary_staff_no"] = [
                _("No person has the staff number %(no)s.", no=staff_no)
            ]
        return errors

    put_settings(session, SETTINGS_KEY, rules.DEFAULT_SETTINGS, merged_changes, validate)
    return get_obligation_settings(session)
