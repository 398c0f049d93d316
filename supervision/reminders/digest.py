"""The weekly digest (SPEC §8): on the first working day of each week, from the send time
(09:00 local by default), one `digest` notification per leader listing their open items.

Who gets one: the people linked to enabled users holding the role `leader` or
`discipline_secretary` (the secretary receives the escalations of the whole bureau, so a
weekly overview serves them as much as the leaders). Someone with nothing open gets none,
except the anchor's recipients below.

The audit anchor (SPEC §4): recipients whose roles both receive the digest and read the
audit log (`anchor_recipients`: the roles in holders("reminders.digest") and
holders("audit.read"), i.e. the discipline secretaries) find the chain's head, ID:HASH, at
the end of their digest, a copy outside the database for `audit verify --anchor`. So that
the anchor reaches them every week, they get a digest even with nothing open (it then says
so and carries the anchor); while the audit log is empty there is no anchor and no such
digest.

What it lists: the recipient's open items from the reminder ladder (ladder.collect as of
today: obligations they conduct or that were escalated to them, reviews of risk points and
measures they own, rotation cases if they also hold the HR role), each item once, described
by its furthest ladder step reached by the end of the week (so an item whose `upcoming`
falls on Wednesday is listed, and an overdue one reads as overdue).

When: only on the first working day of the ISO week (rules.first_workday_of_week on the
working-day calendar) and only from the send time on. Before it, or on any other day,
run() creates nothing: a digest for a week that has already started would repeat what the
daily ladder has said since. Run it as often as you like: a digest is unique per (recipient,
ISO week) through the notifications' unique constraint, inserted with "on conflict do
nothing" as the sweep does, so reruns and racing schedulers create each digest once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from supervision.audit.services import format_anchor, head, record
from supervision.auth.queries import people_holding
from supervision.calendar.services import load_calendar
from supervision.common import clock
from supervision.common.permissions import holders
from supervision.reminders import ladder, outbox, rules, sweep, texts
from supervision.reminders.ladder import Step
from supervision.reminders.models import STEPS, Notification
from supervision.reminders.settings import get_reminder_settings

#: Items listed in one digest; the rest are counted ("… and N more").
MAX_ITEMS = 100
#: The inbox, where every item is one click away.
LINK = "/notifications/"
_ORDER = {step: i for i, step in enumerate(STEPS)}


@dataclass
class DigestResult:
    """What one digest run did."""

    created: int = 0
    queued: int = 0
    #: The ISO week of a run that was due ("2026-W48"); "" when it was not time.
    week: str = ""
    #: Recipients with something open (each has, or already had, this week's digest).
    recipients: int = 0


def send_instant(session: Session, day: date, settings: dict | None = None) -> datetime | None:
    """When the digest of `day`'s week is sent if `day` is that week's first working day:
    `day` at the send time, local; None on any other day."""
    settings = settings or get_reminder_settings(session)
    calendar = load_calendar(session, day, day, margin_days=7)
    if rules.first_workday_of_week(day, calendar) != day:
        return None
    return rules.instant(day, rules.send_time(settings), clock.zone())


def recipients(session: Session) -> list[int]:
    """The people who receive the digest, by id."""
    return ladder.role_people(session, "reminders.digest")


def anchor_recipients(session: Session) -> list[int]:
    """The digest's recipients who also read the audit log (the discipline secretaries):
    their digest carries the audit anchor."""
    return people_holding(session, holders("reminders.digest") & holders("audit.read"))


def open_items(steps: list[Step], people: set[int], horizon: datetime) -> dict[int, list[Step]]:
    """{recipient: their open items}, each item once as its furthest step before `horizon`,
    oldest first (the longest overdue leads)."""
    latest: dict[tuple, Step] = {}
    for s in steps:
        if s.recipient_id not in people or s.on >= horizon:
            continue
        if s.step == "digest":  # a rectification summary (SPEC §14) is no open item
            continue
        key = (s.recipient_id, s.object_type, s.object_ref, s.period)
        known = latest.get(key)
        if known is None or (s.on, _ORDER[s.step]) > (known.on, _ORDER[known.step]):
            latest[key] = s
    out: dict[int, list[Step]] = defaultdict(list)
    for s in latest.values():
        out[s.recipient_id].append(s)
    for items in out.values():
        items.sort(key=lambda s: (s.on, _ORDER[s.step], s.object_type, s.object_ref))
    return dict(out)


def compose(
    items: list[Step], names: texts.Names, day: date, week: str, anchor: str | None = None
) -> tuple[str, str]:
    """(subject, body) of one recipient's digest; `anchor` ("ID:HASH") adds the audit line."""
    count = len(items)
    subject = _("Weekly digest %(week)s: %(count)s open items", week=week, count=count)
    if count:
        lines = [
            _("Your open items as of %(date)s (%(count)s):", date=day.isoformat(), count=count),
            "",
        ]
    else:
        lines = [_("You have no open items as of %(date)s.", date=day.isoformat())]
    for i, step in enumerate(items[:MAX_ITEMS], start=1):
        lines.append(f"{i}. {texts.compose(step, names)[0]}")
    if count > MAX_ITEMS:
        lines.append(
            _("… and %(count)s more: see your notifications in the app.", count=count - MAX_ITEMS)
        )
    lines += [
        "",
        _(
            "This digest is sent on the first working day of every week; the details "
            "of each item are in your notifications."
        ),
    ]
    if anchor:
        lines += [
            "",
            _(
                "Audit log anchor: %(anchor)s (keep it; it is used to check the log with "
                "audit verify --anchor).",
                anchor=anchor,
            ),
        ]
    return subject[: texts.MAX_SUBJECT], "\n".join(lines)


def run(session: Session, now: datetime | None = None) -> DigestResult:
    """Create this week's digest notifications if their time has come (idempotent). The
    caller commits."""
    now = now or clock.now()
    if now.tzinfo is None:
        raise ValueError("digest.run() needs an aware datetime")
    result = DigestResult()
    settings = get_reminder_settings(session)
    if not settings["digest_enabled"]:
        return result
    today = clock.local(now).date()
    send_at = send_instant(session, today, settings)
    if send_at is None or now < send_at:
        return result
    result.week = week = rules.iso_week(today)
    session.flush()
    people = set(recipients(session))
    # Reruns stop here cheaply: who already has this week's digest needs no ladder.
    done = set(
        session.scalars(
            sa.select(Notification.recipient_id).where(
                Notification.step == "digest",
                Notification.period == week,
                Notification.object_type == "",  # not the rectification summaries (SPEC §14)
            )
        )
    )
    todo = people - done
    result.recipients = len(people & done)
    if not todo:
        return result
    next_monday = today + timedelta(days=7 - today.weekday())
    horizon = rules.instant(next_monday, time(0, 0), clock.zone())
    items = open_items(ladder.collect(session, today=today), todo, horizon)
    latest = head(session)
    anchored = set(anchor_recipients(session)) & todo if latest else set()
    anchor = format_anchor(latest) if latest else None
    for person_id in anchored:
        items.setdefault(person_id, [])
    if not items:
        return result
    names = texts.Names(session, [s for steps in items.values() for s in steps[:MAX_ITEMS]])
    emails = sweep.addresses(session, set(items), settings)
    rows = []
    for person_id in sorted(items):
        subject, body = compose(
            items[person_id], names, today, week, anchor if person_id in anchored else None
        )
        rows.append(
            {
                "recipient_id": person_id,
                "step": "digest",
                "object_type": "",
                "object_ref": str(person_id),
                "period": week,
                "person_id": None,
                "type": None,
                "due_on": None,
                "on": send_at,
                "subject": subject,
                "body": body,
                "link": LINK,
                "created_at": now,
                **outbox.outbox_fields(emails.get(person_id)),
            }
        )
    result.recipients += len(rows)
    inserted = outbox.insert_new(session, rows)
    result.created = len(inserted)
    result.queued = inserted.count("queued")
    if result.created:
        record(session, "digest", "notification", week, {"created": [0, result.created]})
    return result
