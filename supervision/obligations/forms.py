"""Forms of the completion dashboard (SPEC §6): a waiver, and the obligation rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from supervision.common.input import MAX_ID
from supervision.obligations import rules
from supervision.obligations.labels import CONDUCTOR_LABELS


class WaiverForm(FlaskForm):
    """Waive one person's obligation of a type for a period."""

    person_id = HiddenField(validators=[InputRequired()])
    type = HiddenField(validators=[InputRequired()])
    period = HiddenField(validators=[InputRequired()])
    reason = TextAreaField(
        _l("Reason"), validators=[DataRequired(_l("A reason is required.")), Length(max=2000)]
    )

    def to_data(self) -> dict:
        """The waiver fields for obligations.create_waiver."""
        try:
            person_id = int(self.person_id.data)
        except (TypeError, ValueError):
            person_id = None
        if person_id is not None and not 1 <= person_id <= MAX_ID:
            person_id = None
        return {
            "person_id": person_id,
            "type": self.type.data,
            "period": self.period.data,
            "reason": (self.reason.data or "").strip(),
        }


def _conductor_field(label):
    return SelectField(
        label,
        choices=[SelectChoice(c, CONDUCTOR_LABELS[c]) for c in rules.CONDUCTORS],
        validators=[InputRequired()],
    )


class RulesForm(FlaskForm):
    """The obligation rules a person may change (frequencies are fixed)."""

    min_days_in_period = IntegerField(
        _l("Minimum days on sensitive posts in the quarter"), validators=[InputRequired()]
    )
    integrity_reminder_conductor = _conductor_field(_l("Conducted by (integrity reminder talks)"))
    supervision_conductor = _conductor_field(_l("Conducted by (routine reminder talks)"))
    heart_to_heart_conductor = _conductor_field(_l("Conducted by (heart-to-heart talks)"))
    party_secretary_staff_no = StringField(
        _l("Staff number of the party secretary"), validators=[Optional(), Length(max=32)]
    )

    #: Service error keys -> form field names.
    #: Service field -> input (the rules' errors are named by dotted path).
    FIELD_MAP = {
        "integrity_reminder.min_days_in_period": "min_days_in_period",
        "integrity_reminder.conductor": "integrity_reminder_conductor",
        "supervision.conductor": "supervision_conductor",
        "heart_to_heart.conductor": "heart_to_heart_conductor",
        "party_secretary_staff_no": "party_secretary_staff_no",
    }

    @classmethod
    def data_of(cls, settings: dict) -> dict:
        """Form data from the rules."""
        return {
            "min_days_in_period": settings["integrity_reminder"]["min_days_in_period"],
            **{f"{t}_conductor": settings[t]["conductor"] for t in rules.OBLIGATION_TYPES},
            "party_secretary_staff_no": settings["party_secretary_staff_no"],
        }

    def to_changes(self) -> dict:
        """The changes for obligations.update_rules."""
        changes: dict = {
            t: {"conductor": getattr(self, f"{t}_conductor").data} for t in rules.OBLIGATION_TYPES
        }
        changes["integrity_reminder"]["min_days_in_period"] = self.min_days_in_period.data
        changes["party_secretary_staff_no"] = (self.party_secretary_staff_no.data or "").strip()
        return changes
