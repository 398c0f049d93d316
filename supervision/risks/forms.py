"""Forms of the risk pages: a point with its measures inline, review, campaigns and settings.

The forms only check the shape of the input; the rules live in supervision/risks/services.py,
whose Invalid errors (by field, and errors["measures"][i][field] for the i-th measure sent)
are put back next to the right inputs. People are named by staff number.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from supervision.extensions import db
from supervision.org.forms import _int_or_none, options
from supervision.org.models import OrgUnit, Person, Post
from supervision.org.scope import Scope
from supervision.risks.labels import MEASURE_STATUS_LABELS, RISK_CATEGORY_LABELS

#: Blank measure rows offered without JavaScript (risks.js adds more).
BLANK_MEASURES = 3


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class _Mandatory:
    """Marks a field as required (asterisk); the service checks it."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        return None


def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


class MeasureForm(Form):
    """One control measure row; a blank row is ignored, a ticked `delete` removes the measure."""

    id = HiddenField(filters=[_int])
    description = TextAreaField(
        _l("Control measure"),
        validators=[Length(max=2000)],
        filters=[_strip],
        render_kw={"rows": 2},
    )
    owner_staff_no = StringField(
        _l("Owner (staff number)"),
        validators=[Length(max=32)],
        filters=[_strip],
        render_kw={"list": "risk-people"},
    )
    due_on = DateField(_l("Due on"), validators=[Optional()])
    status = SelectField(
        _l("Status"), choices=options(MEASURE_STATUS_LABELS.items()), default="open"
    )
    delete = BooleanField(_l("Delete"))

    def is_blank(self) -> bool:
        """Nothing typed in a new row."""
        return not (
            self.id.data or self.description.data or self.owner_staff_no.data or self.due_on.data
        )


class PointForm(FlaskForm):
    """A risk point of one unit (fixed by the page) with its measures inline."""

    post_id = SelectField(_l("Post"), coerce=_int_or_none)
    title = StringField(
        _l("Integrity risk point"), validators=[_Mandatory(), Length(max=300)], filters=[_strip]
    )
    manifestation = TextAreaField(
        _l("Manifestation"), validators=[Length(max=5000)], filters=[_strip], render_kw={"rows": 3}
    )
    category = SelectField(
        _l("Risk category"),
        choices=options(RISK_CATEGORY_LABELS.items()),
        validators=[_Mandatory()],
    )
    likelihood = SelectField(
        _l("Likelihood (1–5)"),
        coerce=_int_or_none,
        validators=[_Mandatory()],
        choices=options([(i, str(i)) for i in range(1, 6)]),
        default=3,
    )
    impact = SelectField(
        _l("Impact (1–5)"),
        coerce=_int_or_none,
        validators=[_Mandatory()],
        choices=options([(i, str(i)) for i in range(1, 6)]),
        default=3,
    )
    responsible_leader_staff_no = StringField(
        _l("Responsible leader (staff number)"),
        validators=[Length(max=32)],
        filters=[_strip],
        render_kw={"list": "risk-people"},
    )
    department_owner_staff_no = StringField(
        _l("Department head (staff number)"),
        validators=[Length(max=32)],
        filters=[_strip],
        render_kw={"list": "risk-people"},
    )
    last_reviewed_on = DateField(_l("Last reviewed on"), validators=[Optional()])
    measures = FieldList(FormField(MeasureForm), min_entries=0, max_entries=200)

    #: Service field -> form field.
    FIELD_MAP = {
        "responsible_leader_id": "responsible_leader_staff_no",
        "department_owner_id": "department_owner_staff_no",
    }
    MEASURE_FIELD_MAP = {"owner_id": "owner_staff_no"}

    def set_post_choices(self, posts: list[Post]) -> None:
        """Posts of the point's unit (sensitive ones marked), or none for a unit-wide risk."""
        marked = _("sensitive")
        self.post_id.choices = options(
            [
                ("", _("— none (a unit-wide risk) —")),
                *[
                    (p.id, f"{p.name}（{p.code}）" + (f" · {marked}" if p.is_sensitive else ""))
                    for p in posts
                ],
            ]
        )

    def fill(self, point=None, unit: OrgUnit | None = None, post_id: int | None = None) -> None:
        """Prefill from a point (edit) or from the unit's head and supervising leader (new)."""
        if point is not None:
            for name in (
                "post_id",
                "title",
                "manifestation",
                "category",
                "likelihood",
                "impact",
                "last_reviewed_on",
            ):
                getattr(self, name).data = getattr(point, name)
            self.responsible_leader_staff_no.data = _staff_no(point.responsible_leader)
            self.department_owner_staff_no.data = _staff_no(point.department_owner)
            for m in point.measures:
                self.measures.append_entry(
                    {
                        "id": m.id,
                        "description": m.description,
                        "owner_staff_no": _staff_no(m.owner),
                        "due_on": m.due_on,
                        "status": m.status,
                    }
                )
        elif unit is not None:
            self.post_id.data = post_id
            self.responsible_leader_staff_no.data = _staff_no(unit.supervising_leader)
            self.department_owner_staff_no.data = _staff_no(unit.head)
        for _i in range(BLANK_MEASURES):
            self.measures.append_entry()

    def to_data(self, scope: Scope, unit: OrgUnit) -> tuple[dict, dict, list]:
        """(service dict, reference errors, form entry of each measure sent) from the input.

        Staff numbers resolve to people in the caller's scope, the leadership team, or the
        unit's head and supervising leader (one query for all of them).
        """
        rows = [
            e.form
            for e in self.measures.entries
            if not e.form.delete.data and not e.form.is_blank()
        ]
        wanted = {
            self.responsible_leader_staff_no.data,
            self.department_owner_staff_no.data,
            *(r.owner_staff_no.data for r in rows),
        } - {None, ""}
        people = _people_by_staff_no(scope, unit, wanted)
        errors: dict = {}

        def ref(field, key, into):
            if not field.data:
                return None
            if field.data not in people:
                into[key] = [_("No person with this staff number.")]
                return None
            return people[field.data]

        data = {
            "org_unit_id": unit.id,
            "post_id": self.post_id.data,
            "title": self.title.data or "",
            "manifestation": self.manifestation.data or "",
            "category": self.category.data,
            "likelihood": self.likelihood.data,
            "impact": self.impact.data,
            "last_reviewed_on": self.last_reviewed_on.data,
            "responsible_leader_id": ref(
                self.responsible_leader_staff_no, "responsible_leader_id", errors
            ),
            "department_owner_id": ref(
                self.department_owner_staff_no, "department_owner_id", errors
            ),
        }
        measures = []
        for i, row in enumerate(rows):
            problems: dict = {}
            item = {
                "description": row.description.data or "",
                "due_on": row.due_on.data,
                "status": row.status.data,
                "owner_id": ref(row.owner_staff_no, "owner_id", problems),
            }
            if row.id.data:
                item["id"] = row.id.data
            if problems:
                errors.setdefault("measures", {})[i] = problems
            measures.append(item)
        data["measures"] = measures
        return data, errors, rows

    def put_errors(self, message: str, errors: dict, rows: list) -> None:
        """Show service/reference errors next to their inputs; the rest above the form."""
        for key, messages in (errors or {}).items():
            if key == "measures" and isinstance(messages, dict):
                for i, problems in messages.items():
                    row = rows[int(i)] if int(i) < len(rows) else None
                    for fkey, msgs in problems.items():
                        target = row and row._fields.get(self.MEASURE_FIELD_MAP.get(fkey, fkey))
                        _add(target, self.form_errors, msgs)
                continue
            _add(self._fields.get(self.FIELD_MAP.get(key, key)), self.form_errors, messages)
        if not errors:
            self.form_errors.append(str(message))


def _add(field, fallback: list, messages) -> None:
    if field is None:
        fallback.extend(str(m) for m in messages)
        return
    if isinstance(field.errors, tuple):  # a field that was not validated has a tuple
        field.errors = list(field.errors)
    field.errors.extend(str(m) for m in messages)


def merge_errors(service: dict, refs: dict) -> dict:
    """Service errors with the reference errors added (measure rows merged by index)."""
    out = {k: v for k, v in (service or {}).items() if k != "measures"}
    measures: dict = {}
    for source in (service or {}, refs):
        for i, problems in (source.get("measures") or {}).items():
            measures.setdefault(int(i), {}).update(problems)
    out.update({k: v for k, v in refs.items() if k != "measures"})
    if measures:
        out["measures"] = measures
    return out


def _staff_no(person: Person | None) -> str:
    return person.staff_no if person else ""


def _people_by_staff_no(scope: Scope, unit: OrgUnit, staff_nos: set[str]) -> dict[str, int]:
    if not staff_nos:
        return {}
    allowed = sa.or_(
        scope.person_clause(),
        Person.leadership == "team_member",
        Person.id.in_([i for i in (unit.head_person_id, unit.supervising_leader_id) if i]),
    )
    rows = db.session.execute(
        sa.select(Person.staff_no, Person.id).where(Person.staff_no.in_(staff_nos), allowed)
    ).all()
    return {staff_no: pid for staff_no, pid in rows}


def people_choices(unit: OrgUnit, limit: int = 2000) -> list[Person]:
    """Suggestions for the staff-number inputs: the unit's people and the leadership team."""
    return list(
        db.session.scalars(
            sa.select(Person)
            .where(
                Person.is_active,
                sa.or_(Person.org_unit_id == unit.id, Person.leadership == "team_member"),
            )
            .order_by(Person.staff_no)
            .limit(limit)
        )
    )


class ReturnForm(FlaskForm):
    """Return a submitted point with a comment for the unit."""

    comment = TextAreaField(
        _l("Comment for the unit"),
        validators=[Length(max=5000)],
        filters=[_strip],
        render_kw={"rows": 3},
    )


class CampaignForm(FlaskForm):
    """Open a screening campaign."""

    name = StringField(_l("Name"), validators=[_Mandatory(), Length(max=200)], filters=[_strip])
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(2000, 2100)])
    deadline = DateField(_l("Deadline"), validators=[InputRequired()])


class SettingsForm(FlaskForm):
    """Level thresholds and review cycles."""

    high_min_score = IntegerField(_l("Level 1 (high) from score"), validators=[InputRequired()])
    medium_min_score = IntegerField(_l("Level 2 (medium) from score"), validators=[InputRequired()])
    review_days = IntegerField(_l("Review cycle (days)"), validators=[InputRequired()])
    high_review_days = IntegerField(
        _l("Review cycle of a level 1 risk (days)"), validators=[InputRequired()]
    )

    FIELDS = ("high_min_score", "medium_min_score", "review_days", "high_review_days")

    def to_data(self) -> dict:
        """The settings dict."""
        return {f: getattr(self, f).data for f in self.FIELDS}
