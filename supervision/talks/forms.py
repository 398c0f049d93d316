"""Forms of the talk pages: the talk record (people named by name or staff number) and
attachments.

The forms only check the shape of the input; supervision/talks/services.py holds the rules
(texts longer than services.TEXT_LIMITS are refused there, never cut), and its Invalid
errors (by service field) are put back next to the matching inputs. The text inputs carry
`data-maxlength` (no `maxlength`, which would silently cut a paste) for the character
counters of static/js/fields.js.
"""

from __future__ import annotations

import re
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
from supervision.talks.services import TEXT_LIMITS

#: "张三（PA02）", "张三(PA02)" or "张三 PA02": a name followed by a staff number.
_NAMED = re.compile(
    r"^\s*(?P<name>[^()（）\s]+)\s*(?:[(（]\s*(?P<no>[^()（）\s]+)\s*[)）]|\s(?P<no2>\S+))\s*$"
)
#: Separators between the interviewers.
_SEPARATORS = re.compile(r"[,，、;；\s]+")
#: Longest text naming one person, and several (refused beyond, without a counter).
REF_MAX, REFS_MAX = 140, 1000
#: The people inputs: suggestions from the search (static/js/fields.js), no counter.
_REF_KW = {"list": "talk-people", "autocomplete": "off", "data-maxlength": False}

DT_FORMAT = "%Y-%m-%dT%H:%M"


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _aware(value: datetime | None) -> datetime | None:
    """A naive local datetime from the form, in the configured zone."""
    return value.replace(tzinfo=clock.zone()) if value is not None else None


def _local(value: datetime | None) -> datetime | None:
    return clock.local(value).replace(tzinfo=None) if value is not None else None


def _limited(max_len: int, rows: int | None = None) -> dict:
    """render_kw of a limited text: the counter's limit, no cutting `maxlength`."""
    kw = {"data-maxlength": max_len, "maxlength": False}
    return {**kw, "rows": rows} if rows else kw


def person_label(person) -> str:
    """How a person is written in the form and offered by the search: 姓名（警号）."""
    return f"{person.name}（{person.staff_no}）"


def parse_reference(text: str) -> tuple[str | None, str | None]:
    """(name, staff number) named by one reference; either may be None."""
    m = _NAMED.match(text)
    if m:
        return m.group("name"), m.group("no") or m.group("no2")
    return None, text.strip()


class TalkForm(FlaskForm):
    """A talk draft; people by name, staff number or 姓名（警号）, interviewers separated by
    commas."""

    type = SelectField(_l("Type"), choices=options(TALK_TYPE_LABELS.items()))
    held_at = DateTimeLocalField(_l("Held at"), format=DT_FORMAT, validators=[Optional()])
    location = StringField(
        _l("Location"), filters=[_strip], render_kw=_limited(TEXT_LIMITS["location"])
    )
    interviewee = StringField(
        _l("Interviewee (name or staff number)"),
        validators=[Length(max=REF_MAX)],
        filters=[_strip],
        render_kw=_REF_KW,
    )
    interviewers = StringField(
        _l("Interviewers (names or staff numbers, comma separated)"),
        validators=[Length(max=REFS_MAX)],
        filters=[_strip],
        render_kw={"data-maxlength": False},
    )
    recorder = StringField(
        _l("Recorder (name or staff number)"),
        validators=[Length(max=REF_MAX)],
        filters=[_strip],
        render_kw=_REF_KW,
    )
    reason = TextAreaField(_l("Reason for the talk"), render_kw=_limited(TEXT_LIMITS["reason"], 2))
    content = TextAreaField(_l("Talk content"), render_kw=_limited(TEXT_LIMITS["content"], 6))
    response = TextAreaField(
        _l("Interviewee's response"), render_kw=_limited(TEXT_LIMITS["response"], 4)
    )
    follow_up = TextAreaField(
        _l("Follow-up requirements"), render_kw=_limited(TEXT_LIMITS["follow_up"], 3)
    )
    period = StringField(
        _l("Period"),
        validators=[Length(max=8)],
        filters=[_strip],
        render_kw={"data-maxlength": False},
    )
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
        self.interviewee.data = person_label(talk.interviewee) if talk.interviewee else ""
        self.recorder.data = person_label(talk.recorder) if talk.recorder else ""
        self.interviewers.data = "，".join(person_label(i.person) for i in talk.interviewers)

    def references(self) -> list[str]:
        """The interviewers as written, in order."""
        return [s for s in _SEPARATORS.split(self.interviewers.data or "") if s]

    def to_data(self, nameable=None) -> tuple[dict, dict]:
        """(service dict, reference errors) from the input; names and staff numbers resolve to
        people, only to those `nameable` admits (an SQL condition on Person; None: anyone), so
        that a person the writer may not name reads exactly as an unknown one."""
        resolve = PeopleResolver(
            [self.interviewee.data, self.recorder.data, *self.references()], nameable
        )
        errors: dict[str, list[str]] = {}

        def ref(value, key):
            found, problem = resolve(value)
            if problem:
                errors.setdefault(key, []).append(problem)
            return found

        interviewers = [ref(s, "interviewer_ids") for s in self.references()]
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


class PeopleResolver:
    """Resolves references (staff number, exact name, 姓名（警号）) to person ids with one
    query; a name two people share asks for the staff number."""

    def __init__(self, references, nameable=None):
        parsed = [parse_reference(r) for r in references if r]
        numbers = {no for _name, no in parsed if no}
        names = {name for name, _no in parsed if name} | numbers  # a bare word may be a name
        self.people = (
            list(
                db.session.execute(
                    sa.select(Person.id, Person.staff_no, Person.name).where(
                        sa.or_(Person.staff_no.in_(numbers), Person.name.in_(names)),
                        sa.true() if nameable is None else nameable,
                    )
                )
            )
            if parsed
            else []
        )

    def __call__(self, text: str | None) -> tuple[int | None, str | None]:
        """(person id, None) or (None, the reason it does not resolve); (None, None) if empty."""
        if not text:
            return None, None
        name, number = parse_reference(text)
        by_number = [p for p in self.people if p.staff_no == number]
        if by_number and (name is None or by_number[0].name == name):
            return by_number[0].id, None
        if name is None:
            same = [p for p in self.people if p.name == number]
            if len(same) == 1:
                return same[0].id, None
            if len(same) > 1:
                listed = "、".join(f"{p.name}（{p.staff_no}）" for p in same[:5])
                return None, _(
                    "Several people are called %(name)s (%(people)s): give the staff number.",
                    name=number,
                    people=listed,
                )
        return None, _("No person with this name or staff number: %(text)s", text=text)


class AttachmentForm(FlaskForm):
    """Upload one file (PDF, JPEG or PNG; checked by the service) of a kind."""

    kind = SelectField(_l("Attachment kind"), choices=options(ATTACHMENT_KIND_LABELS.items()))
    file = FileField(_l("File"))
