"""Forms of the org pages; they map to the service dicts, and service errors map back to fields.

The forms only check the shape of the input (dates, numbers, lengths); the rules live in
supervision/org/services.py, whose Invalid/Conflict errors are put next to the right field.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from supervision.common.errors import Invalid, ServiceError
from supervision.org import queries
from supervision.org.labels import (
    LEADERSHIP_LABELS,
    PERSONNEL_TYPE_LABELS,
    POST_CATEGORY_LABELS,
    UNIT_KIND_LABELS,
)
from supervision.org.scope import current_scope
from supervision.org.services import PERSON_FIELDS, POST_FIELDS


def duration(start: date, end: date | None, today: date) -> tuple[int, int, int] | None:
    """(years, months, days) in a post: through `end` (inclusive) once ended, else up to today.

    Whole months count on the monthly anniversary (a 31st start completes a month on the
    last day of a shorter month), as the tenure rules do; None when the post starts later.
    """
    until = end + timedelta(days=1) if end is not None and end < today else today
    if until < start:
        return None
    month_end = until.day == calendar.monthrange(until.year, until.month)[1]
    borrow = until.day < start.day and not month_end
    months = (until.year - start.year) * 12 + until.month - start.month - borrow
    return months // 12, months % 12, (until - start).days


class References:
    """People and posts named by staff number or code in a form, resolved within the scope.

    Unknown references are reported together with the service's own errors; a refusal is
    rolled back by supervision.common.forms.save_form, so nothing is written.
    """

    def __init__(self):
        self.errors: dict[str, list[str]] = {}

    def person(self, field, key: str) -> int | None:
        """The id of the person whose staff number is in `field`."""
        found = queries.person_by_staff_no(current_scope(), field.data) if field.data else None
        if field.data and found is None:
            self.errors[key] = [_("No person with this staff number.")]
        return found.id if found else None

    def post(self, field, key: str) -> int | None:
        """The id of the post whose code is in `field`."""
        found = queries.post_by_code(current_scope(), field.data) if field.data else None
        if field.data and found is None:
            self.errors[key] = [_("No post with this code.")]
        return found.id if found else None

    def run(self, call):
        """Call the service; add the unknown references to its errors, or raise them alone."""
        try:
            obj = call()
        except ServiceError as exc:
            exc.errors = {**(exc.errors or {}), **self.errors}
            raise
        if self.errors:
            raise Invalid("Unknown reference", self.errors)
        return obj


class _Mandatory:
    """Marks a field as required (asterisk, `required` attribute); the service checks it."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        return None


def _int_or_none(value):
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # not among the choices: "Not a valid choice"


def options(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def _date(label, required=False):
    return DateField(label, validators=[Optional(), *([_Mandatory()] if required else [])])


def _text(label, max_len, required=False):
    marks = [_Mandatory()] if required else []
    return StringField(label, validators=[*marks, Length(max=max_len)], filters=[_strip])


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class UnitForm(FlaskForm):
    """An org unit; the parent is chosen from the indented tree, the head by staff number."""

    code = _text(_l("Code"), 64, required=True)
    name = _text(_l("Name"), 200, required=True)
    kind = SelectField(
        _l("Kind"), choices=options(UNIT_KIND_LABELS.items()), validators=[_Mandatory()]
    )
    parent_id = SelectField(_l("Parent unit"), coerce=_int_or_none)
    head_staff_no = _text(_l("Head (staff number)"), 32)
    supervising_leader_id = SelectField(_l("Supervising leader"), coerce=_int_or_none)

    #: Service field -> form field.
    FIELD_MAP = {"head_person_id": "head_staff_no"}

    def set_choices(self, unit_options, leaders) -> None:
        """Fill the unit and leader selects."""
        self.parent_id.choices = options([("", _("— none (top level) —")), *unit_options])
        self.supervising_leader_id.choices = options(
            [("", _("— none —")), *[(p.id, f"{p.name}（{p.staff_no}）") for p in leaders]]
        )


class PersonForm(FlaskForm):
    """A person with every §3 field."""

    staff_no = _text(_l("Staff number"), 32, required=True)
    name = _text(_l("Full name"), 100, required=True)
    personnel_type = SelectField(
        _l("Personnel type"),
        choices=options(PERSONNEL_TYPE_LABELS.items()),
        validators=[_Mandatory()],
    )
    org_unit_id = SelectField(_l("Unit"), coerce=_int_or_none, validators=[_Mandatory()])
    leadership = SelectField(
        _l("Leadership position"), choices=options(LEADERSHIP_LABELS.items()), default="none"
    )
    birth_date = _date(_l("Birth date"))
    hire_date = _date(_l("Hire date"))
    retirement_date = _date(_l("Planned retirement date"))
    probation_until = _date(_l("Probation until"))
    email = _text(_l("E-mail"), 254)
    is_active = BooleanField(_l("Active"), default=True)

    FIELD_MAP: dict[str, str] = {}

    def set_choices(self, unit_options) -> None:
        """Fill the unit select."""
        self.org_unit_id.choices = options([("", _("— choose —")), *unit_options])

    def to_data(self) -> dict:
        """The service dict."""
        return {f: getattr(self, f).data for f in PERSON_FIELDS}


class PostForm(FlaskForm):
    """A post of a unit."""

    code = _text(_l("Code"), 64, required=True)
    name = _text(_l("Name"), 200, required=True)
    org_unit_id = SelectField(_l("Unit"), coerce=_int_or_none, validators=[_Mandatory()])
    category = SelectField(
        _l("Category"), choices=options(POST_CATEGORY_LABELS.items()), default="other"
    )
    is_sensitive = BooleanField(_l("Sensitive post"))
    sworn_only = BooleanField(_l("Sworn police only (auxiliary police may not hold it)"))
    is_technical = BooleanField(_l("Special technical post"))
    is_leadership = BooleanField(_l("Leadership position"))
    rotation_years = IntegerField(
        _l("Rotation threshold in years (overrides the policy)"), validators=[Optional()]
    )

    FIELD_MAP: dict[str, str] = {}

    def set_choices(self, unit_options) -> None:
        """Fill the unit select."""
        self.org_unit_id.choices = options([("", _("— choose —")), *unit_options])

    def to_data(self) -> dict:
        """The service dict."""
        return {f: getattr(self, f).data for f in POST_FIELDS}


class AssignmentForm(FlaskForm):
    """A person (by staff number) in a post (by code) from a start date to an optional end date."""

    staff_no = _text(_l("Staff number"), 32, required=True)
    post_code = _text(_l("Post code"), 64, required=True)
    start_date = _date(_l("Start date"), required=True)
    end_date = _date(_l("End date (last day in the post; empty while current)"))

    FIELD_MAP = {"person_id": "staff_no", "post_id": "post_code"}


class EndAssignmentForm(FlaskForm):
    """The last day in the post."""

    end_date = DateField(_l("Last day in the post"), validators=[InputRequired()])

    FIELD_MAP: dict[str, str] = {}
