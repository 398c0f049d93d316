"""Forms and labels of the rotation pages (SPEC §7).

The forms only check the shape of the input (dates, numbers, lengths); the rules live in
supervision/rotation/{services,plans,policy}.py, whose Invalid/Conflict errors are put next
to the right field. People and posts are typed by staff number and post code and resolved
here within the caller's scope.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from supervision.common.errors import ServiceError
from supervision.common.forms import add_errors
from supervision.common.input import MAX_ID
from supervision.org import queries
from supervision.org.scope import current_scope
from supervision.rotation import rules
from supervision.rotation.labels import TENURE_MODE_LABELS

#: Bootstrap badge classes of the statuses.
STATUS_CLASSES = {
    "blocked": "text-bg-dark",
    "planned": "text-bg-info",
    "deferred": "text-bg-secondary",
    "due": "text-bg-danger",
    "upcoming": "text-bg-warning",
    "not_due": "text-bg-light border",
}
PLAN_STATUS_CLASSES = {
    "draft": "text-bg-light border",
    "submitted": "text-bg-info",
    "approved": "text-bg-success",
    "rejected": "text-bg-danger",
    "executed": "text-bg-secondary",
}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _int_or_none(value):
    if value in (None, "", "None"):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return -1  # not among the choices: "Not a valid choice"
    return number if 1 <= number <= MAX_ID else -1


class _Mandatory:
    """Marks a field as required (asterisk); the service says what is missing."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        return None


def _text(label, max_len, required=False):
    return StringField(
        label,
        validators=[*([_Mandatory()] if required else []), Length(max=max_len)],
        filters=[_strip],
    )


def _date(label, required=False):
    return DateField(label, validators=[Optional(), *([_Mandatory()] if required else [])])


def person_id(field) -> int | None:
    """The id of the person in scope whose staff number is in `field` (an error on the
    field when there is none)."""
    if not field.data:
        return None
    found = queries.person_by_staff_no(current_scope(), field.data)
    if found is None:
        add_errors(field, [_("No person with this staff number.")])
    return found.id if found else None


def post_id(field) -> int | None:
    """The id of the post whose code is in `field` (an error on the field when unknown)."""
    if not field.data:
        return None
    found = queries.post_by_code(current_scope(), field.data)
    if found is None:
        add_errors(field, [_("No post with this code.")])
    return found.id if found else None


def parse_candidates(values: list[str]) -> list[tuple[int, int]]:
    """(person id, post id) pairs from the checkboxes of the eligibility list ("12:34");
    malformed values are ignored."""
    pairs = []
    for value in values[:1000]:
        left, _sep, right = value.partition(":")
        if (
            left.isdigit()
            and right.isdigit()
            and 0 < int(left) <= MAX_ID
            and 0 < int(right) <= MAX_ID
        ):
            pairs.append((int(left), int(right)))
    return pairs


class AddCandidatesForm(FlaskForm):
    """Flag the ticked people of the eligibility list into a draft plan or a new one."""

    plan_id = SelectField(_l("Rotation plan"), coerce=_int_or_none)
    new_plan_name = _text(_l("Name of a new plan"), 200)

    def set_choices(self, drafts) -> None:
        """Offer the draft plans, and a new plan first."""
        self.plan_id.choices = [
            SelectChoice("", _("— a new plan —")),
            *[SelectChoice(p.id, p.name) for p in drafts],
        ]

    def validate_new_plan_name(self, field) -> None:
        """A new plan needs a name."""
        if self.plan_id.data is None and not field.data:
            raise ValidationError(_("Give the new plan a name, or choose a draft plan."))


class PlanForm(FlaskForm):
    """A new plan: its name."""

    name = _text(_l("Plan name"), 200, required=True)


class PlanItemForm(Form):
    """One row of the plan editor: where the person goes and from when."""

    person_id = HiddenField()
    to_post_code = _text(_l("Destination post (code)"), 64)
    effective_date = _date(_l("Effective date"))


class PlanEditForm(FlaskForm):
    """The draft editor: the name and every item's destination and date."""

    name = _text(_l("Plan name"), 200, required=True)
    items = FieldList(FormField(PlanItemForm), max_entries=1000)

    #: Item fields of the service -> fields of a row.
    ROW_FIELDS = {"to_post_id": "to_post_code", "effective_date": "effective_date"}

    @classmethod
    def of(cls, plan) -> PlanEditForm:
        """The editor filled from a saved plan."""
        return cls(
            formdata=None,
            data={
                "name": plan.name,
                "items": [
                    {
                        "person_id": i.person_id,
                        "to_post_code": i.to_post.code if i.to_post else "",
                        "effective_date": i.effective_date,
                    }
                    for i in plan.items
                ],
            },
        )

    def has_errors(self) -> bool:
        """Whether anything is wrong (the rows' errors added after validation included)."""
        return bool(self.errors) or any(row.form.errors for row in self.items)

    def put_service_errors(self, exc: ServiceError, rows: list) -> dict[str, list[str]]:
        """Spread a plan refusal over the editor: each item's destination and date messages
        on its row's fields; its other messages returned by person id for the row."""
        on_row: dict[str, list[str]] = {}
        errors = exc.errors or {}
        items = errors.get("items")
        if isinstance(items, list):
            self.form_errors.extend(str(m) for m in items)
        for index, by_field in items.items() if isinstance(items, dict) else ():
            row = rows[int(index)] if int(index) < len(rows) else None
            for key, messages in by_field.items():
                target = row[self.ROW_FIELDS[key]] if row and key in self.ROW_FIELDS else None
                if target is not None:
                    add_errors(target, [] if target.errors else messages)
                elif row is not None:
                    on_row.setdefault(row.person_id.data, []).extend(str(m) for m in messages)
                else:
                    self.form_errors.extend(str(m) for m in messages)
        if "name" in errors:
            add_errors(self.name, errors["name"])
        if not errors:
            self.form_errors.append(str(exc.message))
        return on_row


class AddItemForm(FlaskForm):
    """Add one person to a draft: who, and the post they leave."""

    staff_no = _text(_l("Staff number"), 32, required=True)
    from_post_code = _text(_l("Post left (code)"), 64, required=True)

    FIELD_MAP = {"person_id": "staff_no", "from_post_id": "from_post_code"}


class ApproveForm(FlaskForm):
    """The party committee's approval of a submitted plan."""

    meeting_date = _date(_l("Date of the party committee meeting"), required=True)
    minutes_no = _text(_l("Minutes number"), 64, required=True)
    comment = TextAreaField(_l("Comment"), validators=[Length(max=2000)], filters=[_strip])


class RejectForm(FlaskForm):
    """The party committee's rejection of a submitted plan, with its reason."""

    comment = TextAreaField(
        _l("Why the plan is rejected"),
        validators=[_Mandatory(), Length(max=2000)],
        filters=[_strip],
    )


class ConfirmForm(FlaskForm):
    """A confirmation step (the CSRF token only)."""


class DeferralForm(FlaskForm):
    """暂缓轮岗: the party committee's decision to defer one person's rotation."""

    staff_no = _text(_l("Staff number"), 32, required=True)
    reason = TextAreaField(
        _l("Reason"), validators=[_Mandatory(), Length(max=2000)], filters=[_strip]
    )
    meeting_date = _date(_l("Date of the party committee meeting"), required=True)
    minutes_no = _text(_l("Minutes number"), 64, required=True)
    expires_on = _date(_l("Deferred until"), required=True)

    FIELD_MAP = {"person_id": "staff_no"}

    def to_data(self, person: int | None) -> dict:
        """The deferral fields for services.create_deferral."""
        return {
            "person_id": person,
            "reason": self.reason.data or "",
            "meeting_date": self.meeting_date.data,
            "minutes_no": self.minutes_no.data or "",
            "expires_on": self.expires_on.data,
        }


class HoldForm(FlaskForm):
    """不得转任: the discipline committee blocks a person's move while reviewing them."""

    staff_no = _text(_l("Staff number"), 32, required=True)
    reason = TextAreaField(
        _l("Reason (seen only by the discipline committee)"),
        validators=[_Mandatory(), Length(max=2000)],
        filters=[_strip],
    )

    FIELD_MAP = {"person_id": "staff_no"}


def _whole(label):
    # The range is the service's to check, so the page and the API give the same message.
    return IntegerField(label, validators=[InputRequired()])


class PolicyForm(FlaskForm):
    """The rotation policy of SPEC §7."""

    police_years = _whole(_l("Sworn police in a sensitive post (years)"))
    auxiliary_years = _whole(_l("Auxiliary police in a sensitive post (years)"))
    leader_years = _whole(_l("Same leadership position (years)"))
    tenure_mode = SelectField(
        _l("Tenure counting"),
        choices=[SelectChoice(k, v) for k, v in TENURE_MODE_LABELS.items()],
        validators=[InputRequired()],
    )
    gap_tolerance_days = _whole(_l("A gap shorter than this does not break the tenure (days)"))
    upcoming_days = _whole(_l("Due soon this long before the due date (days)"))
    retirement_window_days = _whole(_l("Deferred automatically this close to retirement (days)"))

    def to_changes(self) -> dict:
        """The settings for policy.update_rotation_settings."""
        return {name: self._fields[name].data for name in rules.DEFAULT_POLICY}
