"""Login, token and user-administration forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from supervision.auth.labels import ROLE_LABELS
from supervision.common.permissions import ROLES


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


class TokenForm(FlaskForm):
    """Name of a new personal API token."""

    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=100)])


def _role_choices():
    return [(r, ROLE_LABELS[r]) for r in ROLES]


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes for one multiple-choice field."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(FlaskForm):
    """Create or edit a user account."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    roles = MultiCheckboxField(
        _l("Roles"), validators=[DataRequired(_l("Choose at least one role."))]
    )
    staff_no = StringField(
        _l("Staff number of the linked person"), validators=[Optional(), Length(max=32)]
    )
    is_enabled = BooleanField(_l("Account enabled"), default=True)
    password = PasswordField(_l("Password"), validators=[Optional(), Length(min=8, max=256)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.roles.choices = _role_choices()
