"""Forms of the talk pages: the talk record (people named by staff number) and attachments.

The forms only check the shape of the input; supervision/talks/services.py holds the rules,
and its Invalid errors (by service field) are put back next to the matching inputs.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from supervision.common import clock
from supervision.extensions import db
from supervision.org.forms import options
from supervision.org.models import Person
from supervision.talks.labels import ATTACHMENT_KIND_LABELS, TALK_TYPE_LABELS

DT_FORMAT = "%Y-%m-%dT%H:%M"


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _aware(value: datetime | None) -> datetime | None:
    """A naive local datetime from the form, in the configured zone."""
    return value.replace(tzinfo=clock.zone()) if value is not None else None


def _local(value: datetime | None) -> datetime | None:
    return clock.local(value).replace(tzinfo=None) if value is not None else None


class TalkForm(FlaskForm):
    """A talk draft; interviewers as staff numbers separated by commas or spaces."""

    type = SelectField(_l("Type"), choices=options(TALK_TYPE_LABELS.items()))
    held_at = DateTimeLocalField(_l("Held at"), format=DT_FORMAT, validators=[Optional()])
    location = StringField(_l("Location"), validators=[Length(max=200)], filters=[_strip])
    interviewee = StringField(
        _l("Interviewee (staff number)"),
        validators=[Length(max=32)],
        filters=[_strip],
        render_kw={"list": "talk-people"},
    )
    interviewers = StringField(
        _l("Interviewers (staff numbers, comma separated)"),
        validators=[Length(max=400)],
        filters=[_strip],
    )
    recorder = StringField(
        _l("Recorder (staff number)"),
        validators=[Length(max=32)],
        filters=[_strip],
        render_kw={"list": "talk-people"},
    )
    reason = TextAreaField(
        _l("Reason for the talk"), validators=[Length(max=5000)], render_kw={"rows": 2}
    )
    content = TextAreaField(
        _l("Talk content"), validators=[Length(max=20000)], render_kw={"rows": 6}
    )
    response = TextAreaField(
        _l("Interviewee's response"), validators=[Length(max=20000)], render_kw={"rows": 4}
    )
    follow_up = TextAreaField(
        _l("Follow-up requirements"), validators=[Length(max=20000)], render_kw={"rows": 3}
    )
    period = StringField(_l("Period"), validators=[Length(max=8)], filters=[_strip])
    reported_to_higher_at = DateTimeLocalField(
        _l("Reported to the higher level at"), format=DT_FORMAT, validators=[Optional()]
    )

    #: Service field -> form field.
    FIELD_MAP = {
        "interviewee_id": "interviewee",
        "interviewer_ids": "interviewers",
        "recorder_id": "recorder",
    }

    def fill(self, talk) -> None:
        """Prefill from an existing talk."""
        for name in ("type", "location", "reason", "content", "response", "follow_up", "period"):
            getattr(self, name).data = getattr(talk, name)
        self.held_at.data = _local(talk.held_at)
        self.reported_to_higher_at.data = _local(talk.reported_to_higher_at)
        self.interviewee.data = talk.interviewee.staff_no if talk.interviewee else ""
        self.recorder.data = talk.recorder.staff_no if talk.recorder else ""
        self.interviewers.data = ", ".join(i.person.staff_no for i in talk.interviewers)

    def staff_numbers(self) -> list[str]:
        """The interviewers' staff numbers, in order."""
        text = (self.interviewers.data or "").replace("，", ",").replace(",", " ")
        return [s for s in text.split() if s]

    def to_data(self, nameable=None) -> tuple[dict, dict]:
        """(service dict, reference errors) from the input; staff numbers resolve to people,
        only to those `nameable` admits (an SQL condition on Person; None: anyone), so that a
        person the writer may not name reads exactly as an unknown staff number."""
        wanted = {self.interviewee.data, self.recorder.data, *self.staff_numbers()} - {None, ""}
        people = (
            dict(
                db.session.execute(
                    sa.select(Person.staff_no, Person.id).where(
                        Person.staff_no.in_(wanted), sa.true() if nameable is None else nameable
                    )
                ).all()
            )
            if wanted
            else {}
        )
        errors: dict[str, list[str]] = {}
        unknown = _("No person with this staff number.")

        def ref(value, key):
            if not value:
                return None
            if value not in people:
                errors.setdefault(key, []).append(f"{unknown} ({value})")
                return None
            return people[value]

        interviewers = [ref(s, "interviewer_ids") for s in self.staff_numbers()]
        data = {
            "type": self.type.data,
            "held_at": _aware(self.held_at.data),
            "location": self.location.data or "",
            "interviewee_id": ref(self.interviewee.data, "interviewee_id"),
            "interviewer_ids": [i for i in interviewers if i is not None],
            "recorder_id": ref(self.recorder.data, "recorder_id"),
            "reason": self.reason.data or "",
            "content": self.content.data or "",
            "response": self.response.data or "",
            "follow_up": self.follow_up.data or "",
            "period": self.period.data or None,
            "reported_to_higher_at": _aware(self.reported_to_higher_at.data),
        }
        return data, errors


class AttachmentForm(FlaskForm):
    """Upload one file (PDF, JPEG or PNG; checked by the service) of a kind."""

    kind = SelectField(_l("Attachment kind"), choices=options(ATTACHMENT_KIND_LABELS.items()))
    file = FileField(_l("File"))
