"""Subjects, bodies and links of notifications, composed from their structured fields
(step, object type and reference, person, conductor, type, period, due date).

The sweep stores them in the application's default language, for the e-mail that carries
them; the inbox and the API render them again when read (`render`), in the reader's
language, from the same fields. Names are read in bulk: one query each for people, posts,
risk points and measures (on PostgreSQL the ids bound as one array; elsewhere per batch of
10,000 ids: supervision.common.batches).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from supervision.common.batches import ids_in
from supervision.org.models import Person, Post
from supervision.reminders import rectification_texts  # rectification (SPEC §14)
from supervision.reminders.ladder import Step
from supervision.risks.models import Measure, RiskPoint
from supervision.talks.labels import TALK_TYPE_LABELS

#: Longest subject stored (the column holds 300 characters).
MAX_SUBJECT = 300
#: The grant that opens the page a notification links to, by object type (SPEC §4): an
#: obligation's link starts a talk record, an account notice's is the pending grants page;
#: a digest links to the reader's own inbox (None: every signed-in user).
LINK_GRANTS = {
    "obligation": "talks.write",
    "rotation": "rotation.read",
    "risk_point": "risks.edit",
    "measure": "risks.edit",
    "user": "users.confirm_grants",
    "rectification_measure": "rectification.read_all",  # rectification (SPEC §14)
    "inspection": "rectification.read_all",  # rectification (SPEC §14)
    "": None,
}
#: Steps whose texts are composed from the structured fields (digests and account notices
#: are snapshots of a moment: their stored text is shown as written).
COMPOSED = ("obligation", "rotation", "risk_point", "measure", "rectification_measure")


def _ref_id(object_ref: str, part: int = 0) -> int | None:
    """The number at `part` of a ("a:b") reference, or None when it is not one."""
    try:
        return int(object_ref.split(":")[part])
    except (IndexError, ValueError):
        return None


def _lookup(session: Session, columns, key, ids: set) -> dict:
    """{key: value} of the rows whose `key` is among `ids` (ids scale with the bureau: one
    array on PostgreSQL, batches elsewhere)."""
    return dict(ids_in(session, sa.select(*columns), key, ids))


class Names:
    """The names the texts need, read in a fixed number of queries; `items` are ladder
    steps or stored notifications (anything with their fields)."""

    def __init__(self, session: Session, items: Iterable):
        self._templates: dict[tuple, tuple[str, str]] = {}
        self._labels: dict[tuple, str] = {}
        items = list(items)
        people = {i.person_id for i in items if i.person_id} | {i.recipient_id for i in items}
        people |= {c for i in items if (c := getattr(i, "conductor_id", None))}
        posts = {_ref_id(i.object_ref, 1) for i in items if i.object_type == "rotation"}
        points = {_ref_id(i.object_ref) for i in items if i.object_type == "risk_point"}
        measures = {_ref_id(i.object_ref) for i in items if i.object_type == "measure"}
        self.people = _lookup(session, (Person.id, Person.name), Person.id, people)
        self.posts = _lookup(session, (Post.id, Post.name), Post.id, posts - {None})
        self.points = _lookup(
            session, (RiskPoint.id, RiskPoint.title), RiskPoint.id, points - {None}
        )
        self.measures = {
            mid: (point_id, text)
            for mid, point_id, text in ids_in(
                session,
                sa.select(Measure.id, Measure.risk_point_id, Measure.description),
                Measure.id,
                measures - {None},
            )
        }
        self.rectification = rectification_texts.Names(session, items)  # rectification

    def templates(self, object_type: str, step: str, late: bool) -> tuple[str, str]:
        """The (subject, body) format strings of a kind of notification in the current
        locale, translated once per kind and locale."""
        key = (str(get_locale()), object_type, step, late)
        found = self._templates.get(key)
        if found is None:
            found = self._templates[key] = _templates(object_type, step, late)
        return found

    def label(self, talk_type: str | None) -> str:
        """A talk type's label in the current locale (the type itself when unknown)."""
        key = (str(get_locale()), talk_type)
        found = self._labels.get(key)
        if found is None:
            found = self._labels[key] = str(TALK_TYPE_LABELS.get(talk_type, talk_type))
        return found

    def knows(self, item) -> bool:
        """Whether the names of `item` were found (its texts can be composed)."""
        if item.object_type not in COMPOSED or item.due_on is None:
            return False
        if item.object_type == "obligation":
            return item.person_id in self.people and bool(item.type)
        if item.object_type == "rotation":
            return item.person_id in self.people and _ref_id(item.object_ref, 1) in self.posts
        if item.object_type == "risk_point":
            return _ref_id(item.object_ref) in self.points
        if item.object_type == "rectification_measure":  # rectification (SPEC §14)
            return self.rectification.knows(item)
        return _ref_id(item.object_ref) in self.measures


def render(session: Session, notifications: Iterable) -> dict[int, tuple[str, str]]:
    """{id: (subject, body)} of stored notifications in the current locale, composed from
    their fields; a digest, an account notice or an item whose object is gone keeps its
    stored text. A fixed number of queries."""
    notifications = list(notifications)
    names = Names(session, [n for n in notifications if n.object_type in COMPOSED])
    out = {}
    for n in notifications:
        if names.knows(n):
            subject, body, _link = compose(n, names)
            out[n.id] = (subject, body)
        else:
            out[n.id] = (n.subject, n.body)
    return out


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _templates(object_type: str, step: str, late: bool) -> tuple[str, str]:
    """The (subject, body) format strings of a notification of `object_type` at `step`, in
    the current locale; `late`: an escalation that names the conductor (督办)."""
    if object_type == "obligation":
        if step == "upcoming":
            return (
                _("Reminder: %(type)s with %(name)s for %(period)s is due on %(date)s"),
                _(
                    "The %(type)s with %(name)s for %(period)s must be held and recorded by "
                    "%(date)s."
                ),
            )
        if step == "overdue":
            return (
                _("Overdue: %(type)s with %(name)s for %(period)s was due on %(date)s"),
                _(
                    "The %(type)s with %(name)s for %(period)s was due on %(date)s and has not "
                    "been recorded. Please hold it and record it as a make-up talk."
                ),
            )
        if late:
            return (
                _(
                    "Supervision: %(conductor)s has not held the %(type)s with %(name)s for "
                    "%(period)s (due %(date)s)"
                ),
                _(
                    "%(conductor)s was to hold the %(type)s with %(name)s for %(period)s by "
                    "%(date)s and has not recorded it. It is listed in the period's completion "
                    "report."
                ),
            )
        return (
            _("Escalated: %(type)s with %(name)s for %(period)s is still not held (due %(date)s)"),
            _(
                "The %(type)s with %(name)s for %(period)s is still not recorded although it was "
                "due on %(date)s. It is listed in the period's completion report."
            ),
        )
    if object_type == "rotation":
        if step == "rotation_upcoming":
            return (
                _("Rotation upcoming: %(name)s (%(post)s) reaches the tenure limit on %(date)s"),
                _(
                    "%(name)s reaches the tenure limit in %(post)s on %(date)s. Consider the "
                    "person for the next rotation plan."
                ),
            )
        return (
            _("Rotation due: %(name)s (%(post)s) reached the tenure limit on %(date)s"),
            _("%(name)s reached the tenure limit in %(post)s on %(date)s and is due for rotation."),
        )
    if object_type == "risk_point":
        if step == "review_upcoming":
            return (
                _(
                    "Review upcoming: integrity-risk point \u201c%(title)s\u201d is due for review "
                    "on %(date)s"
                ),
                _(
                    "The integrity-risk point \u201c%(title)s\u201d and its measures must be "
                    "reviewed by %(date)s."
                ),
            )
        return (
            _(
                "Review overdue: integrity-risk point \u201c%(title)s\u201d was due for review "
                "on %(date)s"
            ),
            _(
                "The review of the integrity-risk point \u201c%(title)s\u201d was due on "
                "%(date)s and has not been recorded."
            ),
        )
    if step == "review_upcoming":
        return (
            _("Measure due soon: \u201c%(title)s\u201d is due on %(date)s"),
            _("The control measure \u201c%(title)s\u201d you own is due on %(date)s."),
        )
    return (
        _("Measure overdue: \u201c%(title)s\u201d was due on %(date)s"),
        _(
            "The control measure \u201c%(title)s\u201d you own was due on %(date)s and is "
            "still open."
        ),
    )


def compose(step: Step, names: Names) -> tuple[str, str, str]:
    """(subject, body, link) of the notification a step (or a stored notification) is.

    The format strings are translated once per kind of notification and locale (cached on
    `names`, which serves one batch), so a sweep of 100,000 notifications formats strings
    instead of asking the catalog twice for each."""
    if step.object_type in rectification_texts.OBJECT_TYPES:  # rectification (SPEC §14)
        subject, body, link = rectification_texts.compose(step, names)
        return subject[:MAX_SUBJECT], body, link
    name = names.people.get(step.person_id, "")
    due = step.due_on.isoformat()
    late = False
    if step.object_type == "obligation":
        values = {"type": names.label(step.type), "name": name, "period": step.period, "date": due}
        conductor = names.people.get(step.conductor_id) if step.step == "escalated" else None
        if conductor:
            late, values["conductor"] = True, conductor
        link = f"/talks/new?type={step.type}&interviewee_id={step.person_id}&period={step.period}"
    elif step.object_type == "rotation":
        post = names.posts.get(int(step.object_ref.split(":")[1]), "")
        values = {"name": name, "post": post, "date": due}
        link = f"/rotation/people/{step.person_id}"
    elif step.object_type == "risk_point":
        values = {"title": _short(names.points.get(int(step.object_ref), "")), "date": due}
        link = f"/risks/points/{step.object_ref}"
    else:
        point_id, text = names.measures.get(int(step.object_ref), (0, ""))
        values = {"title": _short(text), "date": due}
        link = f"/risks/points/{point_id}"
    subject, body = names.templates(step.object_type, step.step, late)
    return (subject % values)[:MAX_SUBJECT], body % values, link


def group_title(step: str, object_type: str, kind: str, period: str, unit: str, count: int):
    """The title of a group of the inbox, in the current locale ("交通管理大队 7 人逾期未谈")."""
    if object_type == "obligation":
        values = {
            "unit": unit,
            "count": count,
            "type": str(TALK_TYPE_LABELS.get(kind, kind)),
            "period": period,
        }
        if step == "upcoming":
            return _("%(unit)s: %(count)s people due soon for the %(type)s of %(period)s", **values)
        if step == "overdue":
            return _("%(unit)s: %(count)s people overdue for the %(type)s of %(period)s", **values)
        return _(
            "%(unit)s: %(count)s people overdue for the %(type)s of %(period)s, under supervision",
            **values,
        )
    if object_type in rectification_texts.OBJECT_TYPES:  # rectification (SPEC §14)
        return rectification_texts.group_title(step, object_type, unit, count)
    values = {"unit": unit, "count": count}
    titles = {
        ("rotation", "rotation_upcoming"): _(
            "%(unit)s: %(count)s people reach the tenure limit soon", **values
        ),
        ("rotation", "rotation_due"): _(
            "%(unit)s: %(count)s people are due for rotation", **values
        ),
        ("risk_point", "review_upcoming"): _(
            "%(unit)s: %(count)s integrity-risk points due for review", **values
        ),
        ("risk_point", "review_overdue"): _(
            "%(unit)s: %(count)s integrity-risk points overdue for review", **values
        ),
        ("measure", "review_upcoming"): _(
            "%(unit)s: %(count)s control measures due soon", **values
        ),
        ("measure", "review_overdue"): _("%(unit)s: %(count)s control measures past due", **values),
        ("", "digest"): _("Weekly digests: %(count)s", count=count),
        ("user", "account"): _("Account changes: %(count)s", count=count),
    }
    return titles.get((object_type, step)) or _("%(count)s notifications", count=count)
