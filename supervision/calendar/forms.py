"""Forms of the calendar admin page."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from supervision.calendar.services import NOTE_MAX


class DayForm(FlaskForm):
    """Set one day to a working day or a day off, with a note."""

    is_workday = SelectField(
        _l("Kind of day"),
        choices=[SelectChoice("1", _l("Working day")), SelectChoice("0", _l("Day off"))],
        validators=[InputRequired()],
    )
    note = StringField(
        _l("Note"),
        validators=[Length(max=NOTE_MAX)],
        description=_l("For example the holiday's name."),
    )


class ActionForm(FlaskForm):
    """A button that changes something (sync, reset): only the CSRF token."""
