"""Subjects, bodies and links of notifications, in the application's default language.

Names are read in bulk: one query each for people, posts, risk points and measures,
whatever the number of steps.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from supervision.org.models import Person, Post
from supervision.reminders.ladder import Step
from supervision.risks.models import Measure, RiskPoint
from supervision.talks.labels import TALK_TYPE_LABELS

#: Longest subject stored (the column holds 300 characters).
MAX_SUBJECT = 300


class Names:
    """The names the texts need, read in a fixed number of queries."""

    def __init__(self, session: Session, steps: Iterable[Step]):
        steps = list(steps)
        people = {s.person_id for s in steps if s.person_id} | {s.recipient_id for s in steps}
        posts = {int(s.object_ref.split(":")[1]) for s in steps if s.object_type == "rotation"}
        points = {int(s.object_ref) for s in steps if s.object_type == "risk_point"}
        measures = {int(s.object_ref) for s in steps if s.object_type == "measure"}
        self.people = (
            dict(
                session.execute(
                    sa.select(Person.id, Person.name).where(Person.id.in_(people))
                ).all()
            )
            if people
            else {}
        )
        self.posts = (
            dict(session.execute(sa.select(Post.id, Post.name).where(Post.id.in_(posts))).all())
            if posts
            else {}
        )
        self.points = (
            dict(
                session.execute(
                    sa.select(RiskPoint.id, RiskPoint.title).where(RiskPoint.id.in_(points))
                ).all()
            )
            if points
            else {}
        )
        self.measures = (
            {
                mid: (point_id, text)
                for mid, point_id, text in session.execute(
                    sa.select(Measure.id, Measure.risk_point_id, Measure.description).where(
                        Measure.id.in_(measures)
                    )
                ).all()
            }
            if measures
            else {}
        )


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def compose(step: Step, names: Names) -> tuple[str, str, str]:
    """(subject, body, link) of the notification a step becomes."""
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
