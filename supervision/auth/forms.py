"""Login, token and user-administration forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, PasswordField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from supervision.auth.labels import ROLE_LABELS
from supervision.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from supervision.common.permissions import ROLES


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


class TokenForm(FlaskForm):
    """Name and optional expiry date of a new personal API token (the service checks the
    date: after today, at most a year ahead)."""

    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=100)])
    expires_on = DateField(
        _l("Expires on (optional)"),
        validators=[Optional()],
        description=_l("Leave empty for a token that works until you revoke it."),
    )


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
    password = PasswordField(
        _l("Password"),
        validators=[
            Optional(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=_l("A password has %(min)d to %(max)d characters."),
            ),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.roles.choices = _role_choices()


class ChangePasswordForm(FlaskForm):
    """The user's own change of password: the current one, and the new one twice (the
    policy itself is checked by the service, auth.passwords)."""

    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password.")), Length(max=256)],
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Enter a new password.")), Length(max=MAX_PASSWORD_LENGTH)],
    )
    new_password2 = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(_l("Enter the new password a second time.")),
            EqualTo("new_password", _l("The two new passwords differ.")),
        ],
    )
