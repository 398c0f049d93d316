"""Personal calendar feeds (SPEC §8): a secret, revocable URL per user listing what the user
is responsible for as all-day events on the due dates, with an alarm at the ladder's time.

What a feed lists, as of today (the same items the reminder ladder chases the user about):
- talk obligations the user's person conducts that are `pending` or `overdue`, in the
  periods the ladder covers (the current one of each frequency and those before it);
- for HR users, the people whose rotation is `upcoming` or `due`;
- integrity-risk points whose reviews the person owns (department owner) and the open
  control measures they own.

Only the token's SHA-256 is stored, so a URL is shown once, when it is created; a new one
revokes the old. Statements per fetch: a fixed number (the token, the settings, one
obligation run per covered period within the person's reach, one eligibility run for HR,
the risk points, the measures, the names), whatever the size of the organisation.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import icalendar
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from supervision.audit.services import record
from supervision.auth.models import User
from supervision.common import clock, links
from supervision.common.permissions import can
from supervision.obligations import engine
from supervision.obligations.settings import get_obligation_settings
from supervision.org.scope import Scope, leader_scope
from supervision.reminders import ladder, rectification, rectification_texts, rules, texts
from supervision.reminders.ladder import Step
from supervision.reminders.models import CalendarFeed
from supervision.reminders.settings import get_reminder_settings
from supervision.rotation import eligibility
from supervision.rotation.settings import get_rotation_settings
from supervision.talks.labels import TALK_TYPE_LABELS

#: Tokens are 43 URL-safe characters; anything much longer is not one of ours.
MAX_TOKEN_LENGTH = 64
#: last_used_at is written at most this often, so polling calendar clients cost no writes.
TOUCH_EVERY = timedelta(minutes=10)
#: Rotation statuses a feed lists (HR): the ones that need a plan soon.
ROTATION_LISTED = ("upcoming", "due")
#: Roles that may conduct any leader's talk by default (the committee): their obligation
#: run covers the whole organisation instead of their own reach.


def token_digest(token: str) -> str:
    """The stored form of a feed token (SHA-256, hex)."""
    return hashlib.sha256(token.encode()).hexdigest()


# ------------------------------------------------------------------ tokens


def active_feed(session: Session, user_id: int) -> CalendarFeed | None:
    """The user's feed in force, if any."""
    return session.scalar(
        sa.select(CalendarFeed)
        .where(CalendarFeed.user_id == user_id, CalendarFeed.revoked_at.is_(None))
        .order_by(CalendarFeed.id.desc())
        .limit(1)
    )


def revoke_feed(session: Session, user_id: int) -> int:
    """Revoke the user's feeds in force; how many were revoked (audited)."""
    now = clock.now()
    feeds = session.scalars(
        sa.select(CalendarFeed).where(
            CalendarFeed.user_id == user_id, CalendarFeed.revoked_at.is_(None)
        )
    ).all()
    for feed in feeds:
        feed.revoked_at = now
        record(session, "revoke", "calendar_feed", feed.id, {"revoked_at": [None, now.isoformat()]})
    session.flush()
    return len(feeds)


def issue_feed(session: Session, user_id: int) -> str:
    """Create the user's feed token (revoking any earlier one) and return it: the only time
    it is known, since only its hash is kept."""
    revoke_feed(session, user_id)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed(user_id=user_id, token_hash=token_digest(token))
    session.add(feed)
    session.flush()
    record(session, "create", "calendar_feed", feed.id, {"user_id": [None, user_id]})
    return token


def feed_for_token(session: Session, token: str) -> tuple[CalendarFeed, User] | None:
    """(feed, user) of a token in force whose user is enabled, else None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    row = session.execute(
        sa.select(CalendarFeed, User)
        .join(User, User.id == CalendarFeed.user_id)
        .where(
            CalendarFeed.token_hash == token_digest(token),
            CalendarFeed.revoked_at.is_(None),
            User.is_enabled.is_(True),
        )
    ).first()
    return (row[0], row[1]) if row else None


def touch(feed: CalendarFeed, now: datetime) -> bool:
    """Record that the feed was fetched (at most every TOUCH_EVERY); whether it changed."""
    if feed.last_used_at is not None and now - feed.last_used_at < TOUCH_EVERY:
        return False
    feed.last_used_at = now
    return True


# ------------------------------------------------------------------ items


@dataclass(frozen=True)
class Item:
    """One due item of a feed: the ladder step it stands for (for texts.compose), and
    whether its date has passed."""

    step: Step
    overdue: bool

    @property
    def uid(self) -> str:
        """Stable across fetches: the object and its period (a new due date is a new item)."""
        s = self.step
        return f"{s.object_type}-{s.object_ref.replace(':', '-')}-{s.period}@supervision"


def _step(
    step: str,
    object_type: str,
    ref: str,
    person_id: int | None,
    type_: str | None,
    period: str,
    due: date,
    recipient: int,
) -> Step:
    return Step(
        datetime.combine(due, datetime.min.time(), tzinfo=clock.zone()),
        step,
        recipient,
        object_type,
        ref,
        person_id,
        type_,
        period,
        due,
    )


def _obligation_items(session: Session, user: User, today: date) -> list[Item]:
    person = user.person_id
    if person is None:
        return []
    scope: Scope | None = None if can(user, "obligations.read_all") else leader_scope(person)
    settings = get_obligation_settings(session)
    out = []
    for period, type_ in ladder.periods_for(today, settings):
        for row in engine.compute(
            session, period, [type_], as_of=today, scope=scope, viewer_id=person, settings=settings
        ):
            if row.conductor_id == person and row.status in ladder.OPEN_OBLIGATIONS:
                late = row.status == "overdue"
                out.append(
                    Item(
                        _step(
                            "overdue" if late else "upcoming",
                            "obligation",
                            f"{row.person_id}:{row.type}",
                            row.person_id,
                            row.type,
                            row.period,
                            row.due_date,
                            person,
                        ),
                        late,
                    )
                )
    return out


def _rotation_items(session: Session, user: User, today: date) -> list[Item]:
    if not can(user, "reminders.receive_rotation"):
        return []
    out = []
    for row in eligibility.compute(session, today, policy=get_rotation_settings(session)):
        if row.status in ROTATION_LISTED:
            due = row.status == "due"
            out.append(
                Item(
                    _step(
                        "rotation_due" if due else "rotation_upcoming",
                        "rotation",
                        f"{row.person_id}:{row.post_id}",
                        row.person_id,
                        None,
                        row.due_on.isoformat(),
                        row.due_on,
                        user.person_id or 0,
                    ),
                    due,
                )
            )
    return out


def _review_items(session: Session, person: int | None, today: date) -> list[Item]:
    if person is None:
        return []
    out = []
    for object_type, oid, _owner, due in ladder.open_reviews(session, owner_id=person):
        late = due < today
        out.append(
            Item(
                _step(
                    "review_overdue" if late else "review_upcoming",
                    object_type,
                    str(oid),
                    person,
                    None,
                    due.isoformat(),
                    due,
                    person,
                ),
                late,
            )
        )
    return out


def items_for(session: Session, user: User, today: date) -> list[Item]:
    """What the user is responsible for as of `today`, by due date."""
    items = (
        _obligation_items(session, user, today)
        + _rotation_items(session, user, today)
        + _review_items(session, user.person_id, today)
        # The rectification measures the user owns (SPEC §14): reminders/rectification.py.
        + [Item(_step(*f), late) for f, late in rectification.feed_fields(session, user, today)]
    )
    items.sort(key=lambda i: (i.step.due_on, i.uid))
    return items


# ------------------------------------------------------------------ the calendar


def _summary(item: Item, names: texts.Names) -> str:
    s = item.step
    name = names.people.get(s.person_id, "")
    if s.object_type == "obligation":
        text = _(
            "%(type)s with %(name)s (%(period)s)",
            type=str(TALK_TYPE_LABELS.get(s.type, s.type)),
            name=name,
            period=s.period,
        )
    elif s.object_type == "rotation":
        post = names.posts.get(int(s.object_ref.split(":")[1]), "")
        text = _("Rotation of %(name)s (%(post)s)", name=name, post=post)
    elif s.object_type == "risk_point":
        title = texts._short(names.points.get(int(s.object_ref), ""))
        text = _("Review of the integrity-risk point \u201c%(title)s\u201d", title=title)
    elif s.object_type == "rectification_measure":  # rectification (SPEC §14)
        text = rectification_texts.feed_title(s, names)
    else:
        title = texts._short(names.measures.get(int(s.object_ref), (0, ""))[1])
        text = _("Control measure due: \u201c%(title)s\u201d", title=title)
    return _("Overdue: %(what)s", what=text) if item.overdue else text


def build_calendar(
    session: Session, user: User, today: date | None = None, locale: str = "zh_CN"
) -> bytes:
    """The user's feed as an iCalendar document (texts in `locale`, Chinese by default);
    its links start with SUPERVISION_BASE_URL (supervision.common.links), never the Host."""
    today = today or clock.today()
    items = items_for(session, user, today)
    settings = get_reminder_settings(session)
    at = rules.send_time(settings)
    alarm_after = timedelta(hours=at.hour, minutes=at.minute)
    # DTSTAMP changes once a day, not on every fetch, so unchanged feeds keep their ETag.
    stamp = datetime.combine(today, datetime.min.time(), tzinfo=clock.zone())
    names = texts.Names(session, [i.step for i in items])
    with force_locale(locale):
        cal = icalendar.Calendar()
        cal.add("prodid", "-//Supervision//Reminders//ZH")
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("method", "PUBLISH")
        cal.add("x-wr-calname", _("Integrity supervision: my due items"))
        cal.add("x-wr-timezone", clock.zone().key)
        cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", "PT1H")
        for item in items:
            summary = _summary(item, names)
            _subject, body, link = texts.compose(item.step, names)
            url = links.absolute(link)
            event = icalendar.Event()
            event.add("uid", item.uid)
            event.add("dtstamp", stamp)
            event.add("dtstart", item.step.due_on)
            event.add("dtend", item.step.due_on + timedelta(days=1))
            event.add("summary", summary)
            event.add("description", f"{body}\n{url}")
            event.add("url", url)
            event.add("transp", "TRANSPARENT")
            event.add("categories", [item.step.object_type])
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", summary)
            # Relative to the all-day event's start (local midnight): the ladder's hour.
            alarm.add("trigger", alarm_after)
            event.add_component(alarm)
            cal.add_component(event)
    return cal.to_ical()
