"""Forms of the rectification pages (SPEC §14). They check the shape of the input (dates,
numbers); supervision/rectification/services.py holds the rules (required texts, lengths,
deadlines), and its refusals are put back next to the inputs (supervision.common.forms).

People (the first responsible person, a finding's responsible leader, a measure's owner)
are named as on the talk pages: by staff number, exact name or 姓名（警号）, resolved with
one query; a name two people share asks for the staff number.

The notice's narrative sections (一 and 四) are lists of headed paragraphs: the form shows
the existing paragraphs and a few empty rows (blank rows are ignored, a row cleared is
removed), and a "more rows" button redraws the form with its input and more empty rows,
so the clerk needs no script.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import NumberRange, Optional

from supervision.common.errors import Invalid, ServiceError
from supervision.org.forms import options
from supervision.rectification.labels import EVIDENCE_OBJECT_LABELS, FINDING_TERM_LABELS
from supervision.rectification.services import LIMITS
from supervision.talks.forms import PeopleResolver, person_label

#: Empty paragraph rows offered below the written ones, and added by "more rows".
SPARE_ROWS = 3
#: At most this many paragraphs in a section.
MAX_ROWS = 40


class _Mandatory:
    """Marks a field as required (asterisk); the service checks it."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        return None


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _int_or_none(value):
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # not among the choices: "Not a valid choice"


def _limited(max_len: int, rows: int | None = None) -> dict:
    """render_kw of a limited text: the counter's limit (static/js/fields.js), no cutting."""
    kw = {"data-maxlength": max_len, "maxlength": False}
    return {**kw, "rows": rows} if rows else kw


def _text(label, key: str, required: bool = False, rows: int | None = None, cls=StringField):
    return cls(
        label,
        validators=[_Mandatory()] if required else [],
        filters=[_strip],
        render_kw=_limited(LIMITS[key], rows),
    )


def _person_field(label):
    return StringField(
        label,
        filters=[_strip],
        render_kw={"list": "rect-people", "autocomplete": "off", "data-maxlength": False},
    )


class _WithPeople:
    """Resolves the form's person fields: `resolve()` returns {service field: id} and the
    errors of the names that do not resolve (by service field)."""

    #: form field -> service field
    PEOPLE: dict[str, str] = {}

    def resolve(self) -> tuple[dict, dict]:
        fields = {name: getattr(self, name) for name in self.PEOPLE}
        resolver = PeopleResolver([f.data for f in fields.values() if f.data])
        ids, errors = {}, {}
        for name, field in fields.items():
            person_id, error = resolver(field.data)
            ids[self.PEOPLE[name]] = person_id
            if error:
                errors[self.PEOPLE[name]] = [error]
        return ids, errors

    def fill_people(self, people: dict) -> None:
        """Show the people of an edited object as 姓名（警号）."""
        for name, key in self.PEOPLE.items():
            person = people.get(key)
            if person is not None and not getattr(self, name).data:
                getattr(self, name).data = person_label(person)


def run_with(errors: dict, call):
    """Call the service; the form's own errors (unknown people) join the service's, or are
    raised alone once it accepted (save_form rolls the write back)."""
    try:
        result = call()
    except ServiceError as exc:
        exc.errors = {**(exc.errors or {}), **errors}
        raise
    if errors:
        raise Invalid(_("Please correct the marked fields."), errors)
    return result


# ------------------------------------------------------------------ inspection


class ParagraphForm(Form):
    """One headed paragraph of a narrative section."""

    heading = StringField(_l("Heading"), filters=[_strip], render_kw=_limited(LIMITS["heading"]))
    body = TextAreaField(_l("Text"), filters=[_strip], render_kw=_limited(LIMITS["body"], 3))


def _paragraphs(label):
    return FieldList(FormField(ParagraphForm), label=label, min_entries=0, max_entries=MAX_ROWS)


class InspectionForm(_WithPeople, FlaskForm):
    """An inspection and the narrative of its notice."""

    PEOPLE = {"leader": "leader_person_id"}
    FIELD_MAP = {"leader_person_id": "leader"}

    name = _text(_l("Inspection"), "name", required=True)
    inspector = _text(_l("Inspection group"), "inspector", required=True)
    org_unit_id = SelectField(_l("Inspected unit"), coerce=_int_or_none)
    onsite_from = DateField(_l("On-site from"), validators=[Optional()])
    onsite_to = DateField(_l("On-site to"), validators=[Optional()])
    feedback_on = DateField(_l("Feedback date"), validators=[Optional(), _Mandatory()])
    deadline = DateField(_l("Rectification deadline"), validators=[Optional()])
    leader = _person_field(_l("First responsible person"))
    duty = _paragraphs(_l("How the party committee fulfilled its responsibility"))
    next_steps = _paragraphs(_l("Next steps"))
    publish_from = DateField(_l("Published from"), validators=[Optional()])
    publish_to = DateField(_l("Published to"), validators=[Optional()])
    contact = _text(_l("Contact"), "contact", rows=3, cls=TextAreaField)

    def set_choices(self, units: list[tuple[int, str]]) -> None:
        """The unit options (and the empty first one)."""
        self.org_unit_id.choices = options([(None, _("— choose —")), *units])

    def fill_narrative(self, narrative: dict | None, spare: int = SPARE_ROWS) -> None:
        """The written paragraphs (on a first GET) and `spare` empty rows in each section."""
        for section in ("duty", "next_steps"):
            field = getattr(self, section)
            if not self.is_submitted():
                while len(field.entries):
                    field.pop_entry()
                for paragraph in (narrative or {}).get(section, []):
                    field.append_entry(paragraph)
            for _i in range(spare):
                if len(field.entries) < MAX_ROWS:
                    field.append_entry()

    def narrative(self) -> dict:
        """The sections' paragraphs without the empty rows."""
        return {
            section: [
                {"heading": e.form.heading.data or "", "body": e.form.body.data or ""}
                for e in getattr(self, section).entries
                if (e.form.heading.data or "").strip() or (e.form.body.data or "").strip()
            ]
            for section in ("duty", "next_steps")
        }

    def values(self) -> tuple[dict, dict]:
        """(service data, errors of unknown people)."""
        ids, errors = self.resolve()
        data = {
            "name": self.name.data or "",
            "inspector": self.inspector.data or "",
            "org_unit_id": self.org_unit_id.data,
            "onsite_from": self.onsite_from.data,
            "onsite_to": self.onsite_to.data,
            "feedback_on": self.feedback_on.data,
            "deadline": self.deadline.data,
            "narrative": self.narrative(),
            "publish_from": self.publish_from.data,
            "publish_to": self.publish_to.data,
            "contact": self.contact.data or "",
            **ids,
        }
        return data, errors


class StatusForm(FlaskForm):
    """Move an inspection's status forward."""

    status = SelectField(choices=options([("reported", "reported"), ("closed", "closed")]))


# ------------------------------------------------------------------ finding


class FindingForm(_WithPeople, FlaskForm):
    """A problem fed back by the inspection."""

    PEOPLE = {"responsible_leader": "responsible_leader_id"}
    FIELD_MAP = {"responsible_leader_id": "responsible_leader"}

    category = _text(_l("Problem category"), "category", required=True)
    theme = _text(_l("Theme"), "theme")
    number = IntegerField(_l("Number"), validators=[Optional(), NumberRange(min=1, max=9999)])
    title = _text(_l("Problem"), "title", required=True)
    description = _text(_l("Problem as fed back"), "description", rows=5, cls=TextAreaField)
    responsible_leader = _person_field(_l("Responsible leader"))
    lead_unit_id = SelectField(_l("Lead unit"), coerce=_int_or_none)
    term = SelectField(
        _l("Term"), choices=options(FINDING_TERM_LABELS.items()), default="time_limited"
    )
    deadline = DateField(_l("Deadline"), validators=[Optional()])

    def set_choices(self, units: list[tuple[int, str]]) -> None:
        """The unit options (and the empty first one)."""
        self.lead_unit_id.choices = options([(None, _("— none —")), *units])

    def values(self) -> tuple[dict, dict]:
        """(service data, errors of unknown people)."""
        ids, errors = self.resolve()
        return {
            "category": self.category.data or "",
            "theme": self.theme.data or "",
            "number": self.number.data,
            "title": self.title.data or "",
            "description": self.description.data or "",
            "lead_unit_id": self.lead_unit_id.data,
            "term": self.term.data,
            "deadline": self.deadline.data,
            **ids,
        }, errors


# ------------------------------------------------------------------ measures


class MeasureForm(_WithPeople, FlaskForm):
    """A measure taken for a problem (一是…)."""

    PEOPLE = {"owner": "owner_person_id"}
    FIELD_MAP = {"owner_person_id": "owner"}

    number = IntegerField(_l("Number"), validators=[Optional(), NumberRange(min=1, max=999)])
    description = _text(_l("Measure"), "description", required=True, rows=3, cls=TextAreaField)
    owner_unit_id = SelectField(_l("Owner unit"), coerce=_int_or_none)
    owner = _person_field(_l("Owner"))
    due_on = DateField(_l("Due date"), validators=[Optional()])
    due_reason = _text(_l("Reason for the later due date"), "due_reason")

    def set_choices(self, units: list[tuple[int, str]]) -> None:
        """The unit options (and the empty first one)."""
        self.owner_unit_id.choices = options([(None, _("— none —")), *units])

    def values(self) -> tuple[dict, dict]:
        """(service data, errors of unknown people)."""
        ids, errors = self.resolve()
        return {
            "number": self.number.data,
            "description": self.description.data or "",
            "owner_unit_id": self.owner_unit_id.data,
            "due_on": self.due_on.data,
            "due_reason": self.due_reason.data or "",
            **ids,
        }, errors


class DoneForm(FlaskForm):
    """Mark a measure done, with its result."""

    done_on = DateField(_l("Done on"), validators=[Optional()])
    result = _text(_l("Rectification result"), "result", rows=2, cls=TextAreaField)


class ActionForm(FlaskForm):
    """An action without input (reopen, delete, remove): the CSRF token only."""


class SummaryForm(FlaskForm):
    """Request completion with a summary of what was rectified."""

    summary = _text(
        _l("Rectification summary"), "summary", required=True, rows=3, cls=TextAreaField
    )


class CommentForm(FlaskForm):
    """Sign off or return with a comment."""

    comment = _text(_l("Review comment"), "comment", required=True, rows=2, cls=TextAreaField)


class NoteForm(FlaskForm):
    """A dated progress note."""

    noted_on = DateField(_l("Date"), validators=[Optional()])
    text = _text(_l("Progress note"), "text", required=True, rows=3, cls=TextAreaField)


class EvidenceFileForm(FlaskForm):
    """Upload a file of evidence (PDF, JPEG, PNG, DOCX, XLSX)."""

    file = FileField(_l("File"))
    note = StringField(_l("Description"), filters=[_strip], render_kw=_limited(2000))


class EvidenceLinkForm(FlaskForm):
    """Link a record as evidence: chosen from the list, or by its type and number."""

    record = SelectField(_l("Record"), validate_choice=False)
    object_type = SelectField(_l("Record type"), validators=[Optional()])
    object_id = IntegerField(_l("Record number"), validators=[Optional(), NumberRange(min=1)])
    note = StringField(_l("Description"), filters=[_strip], render_kw=_limited(2000))

    def set_choices(self, picker: dict[str, list[tuple[int, str]]]) -> None:
        """The picker's records, grouped by type, and the types."""
        self.object_type.choices = options([("", _("— choose —")), *EVIDENCE_OBJECT_LABELS.items()])
        self.picker = picker

    def target(self) -> tuple[str | None, int | None]:
        """(object type, id): the record chosen from the list, else the type and number."""
        chosen = (self.record.data or "").strip()
        if chosen and ":" in chosen:
            kind, _sep, number = chosen.partition(":")
            try:
                return kind, int(number)
            except ValueError:
                return kind, None
        return self.object_type.data or None, self.object_id.data
