"""Forms of the calendar admin page."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange

from supervision.calendar.services import MAX_YEAR, MIN_YEAR, NOTE_MAX, NOTICE_MAX


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


class NoticeForm(FlaskForm):
    """The State Council's holiday notice, pasted (SPEC §2)."""

    year = IntegerField(
        _l("Year"),
        validators=[InputRequired(), NumberRange(min=MIN_YEAR, max=MAX_YEAR)],
    )
    text = TextAreaField(
        _l("Text of the notice"),
        validators=[InputRequired(), Length(max=NOTICE_MAX)],
        description=_l(
            "Paste the whole notice (国务院办公厅关于YYYY年部分节假日安排的通知): every "
            "“M月D日…放假” range and every “M月D日（周X）上班” day is read."
        ),
    )
