"""Subjects, bodies and links of notifications, composed from their structured fields
(step, object type and reference, person, conductor, type, period, due date).

The sweep stores them in the application's default language, for the e-mail that carries
them; the inbox and the API render them again when read (`render`), in the reader's
language, from the same fields. Names are read in bulk: one query each for people, posts,
risk points and measures per batch of 10,000 ids (supervision.common.batches).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from supervision.common.batches import rows_in
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
    """{key: value} of the rows whose `key` is among `ids` (in batches: ids scale with the
    bureau)."""
    return dict(rows_in(session, sa.select(*columns), key, ids))


class Names:
    """The names the texts need, read in a fixed number of queries; `items` are ladder
    steps or stored notifications (anything with their fields)."""

    def __init__(self, session: Session, items: Iterable):
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
            for mid, point_id, text in rows_in(
                session,
                sa.select(Measure.id, Measure.risk_point_id, Measure.description),
                Measure.id,
                measures - {None},
            )
        }
        self.rectification = rectification_texts.Names(session, items)  # rectification

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


def compose(step: Step, names: Names) -> tuple[str, str, str]:
    """(subject, body, link) of the notification a step (or a stored notification) is."""
    if step.object_type in rectification_texts.OBJECT_TYPES:  # rectification (SPEC §14)
        subject, body, link = rectification_texts.compose(step, names)
        return subject[:MAX_SUBJECT], body, link
    name = names.people.get(step.person_id, "")
    due = step.due_on.isoformat()
    if step.object_type == "obligation":
        kind = str(TALK_TYPE_LABELS.get(step.type, step.type))
        values = {"type": kind, "name": name, "period": step.period, "date": due}
        subject = {
            "upcoming": _(
                "Reminder: %(type)s with %(name)s for %(period)s is due on %(date)s", **values
            ),
            "overdue": _(
                "Overdue: %(type)s with %(name)s for %(period)s was due on %(date)s", **values
            ),
            "escalated": _(
                "Escalated: %(type)s with %(name)s for %(period)s is still not held (due %(date)s)",
                **values,
            ),
        }[step.step]
        body = {
            "upcoming": _(
                "The %(type)s with %(name)s for %(period)s must be held and recorded by %(date)s.",
                **values,
            ),
            "overdue": _(
                "The %(type)s with %(name)s for %(period)s was due on %(date)s and has not been "
                "recorded. Please hold it and record it as a make-up talk.",
                **values,
            ),
            "escalated": _(
                "The %(type)s with %(name)s for %(period)s is still not recorded although it was "
                "due on %(date)s. It is listed in the period's completion report.",
                **values,
            ),
        }[step.step]
        if step.step == "escalated" and names.people.get(step.conductor_id):
            subject, body = _late_conductor(values, names.people[step.conductor_id])
        link = f"/talks/new?type={step.type}&interviewee_id={step.person_id}&period={step.period}"
    elif step.object_type == "rotation":
        post = names.posts.get(int(step.object_ref.split(":")[1]), "")
        values = {"name": name, "post": post, "date": due}
        if step.step == "rotation_upcoming":
            subject = _(
                "Rotation upcoming: %(name)s (%(post)s) reaches the tenure limit on %(date)s",
                **values,
            )
            body = _(
                "%(name)s reaches the tenure limit in %(post)s on %(date)s. Consider the person "
                "for the next rotation plan.",
                **values,
            )
        else:
            subject = _(
                "Rotation due: %(name)s (%(post)s) reached the tenure limit on %(date)s", **values
            )
            body = _(
                "%(name)s reached the tenure limit in %(post)s on %(date)s and is due for "
                "rotation.",
                **values,
            )
        link = f"/rotation/people/{step.person_id}"
    elif step.object_type == "risk_point":
        values = {"title": _short(names.points.get(int(step.object_ref), "")), "date": due}
        if step.step == "review_upcoming":
            subject = _(
                "Review upcoming: integrity-risk point \u201c%(title)s\u201d is due for review "
                "on %(date)s",
                **values,
            )
            body = _(
                "The integrity-risk point \u201c%(title)s\u201d and its measures must be "
                "reviewed by %(date)s.",
                **values,
            )
        else:
            subject = _(
                "Review overdue: integrity-risk point \u201c%(title)s\u201d was due for review "
                "on %(date)s",
                **values,
            )
            body = _(
                "The review of the integrity-risk point \u201c%(title)s\u201d was due on "
                "%(date)s and has not been recorded.",
                **values,
            )
        link = f"/risks/points/{step.object_ref}"
    else:
        point_id, text = names.measures.get(int(step.object_ref), (0, ""))
        values = {"title": _short(text), "date": due}
        if step.step == "review_upcoming":
            subject = _("Measure due soon: \u201c%(title)s\u201d is due on %(date)s", **values)
            body = _(
                "The control measure \u201c%(title)s\u201d you own is due on %(date)s.", **values
            )
        else:
            subject = _("Measure overdue: \u201c%(title)s\u201d was due on %(date)s", **values)
            body = _(
                "The control measure \u201c%(title)s\u201d you own was due on %(date)s and is "
                "still open.",
                **values,
            )
        link = f"/risks/points/{point_id}"
    return subject[:MAX_SUBJECT], body, link


def _late_conductor(values: dict, conductor: str) -> tuple[str, str]:
    """(subject, body) of an escalation that names the conductor who is late (督办)."""
    values = {**values, "conductor": conductor}
    subject = _(
        "Supervision: %(conductor)s has not held the %(type)s with %(name)s for %(period)s "
        "(due %(date)s)",
        **values,
    )
    body = _(
        "%(conductor)s was to hold the %(type)s with %(name)s for %(period)s by %(date)s and "
        "has not recorded it. It is listed in the period's completion report.",
        **values,
    )
    return subject, body


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
