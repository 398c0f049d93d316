"""The reminder sweep (SPEC §8): turn the ladder steps due by an instant into notifications
and queue their e-mails. Idempotent: run it as often as you like, from as many processes.

Each step becomes at most one notification: the sweep skips the keys it already finds and
inserts the rest with "on conflict do nothing" against the unique constraint on (recipient,
object, period, step), so two sweeps racing still create each notification once. A sweep
that did not run for a while creates what it missed on its next run (stale `upcoming`
warnings excepted, see ladder.due_now).

E-mail (SPEC §8): the notifications one sweep creates for a recipient go out together in
one message (outbox.insert_new groups them). A step whose instant lies more than
`mail_backlog_days` (7) before the sweep, as on the first sweep of a new installation or
after a long outage, is created with `email_status` `none`: it is in the inbox and the feed,
but no one gets mail about last year's obligations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from supervision.audit.services import record
from supervision.common import clock
from supervision.common.batches import rows_in
from supervision.org.models import Person
from supervision.reminders import ladder, rules, texts
from supervision.reminders.ladder import Step
from supervision.reminders.models import Notification
from supervision.reminders.outbox import insert_new, outbox_fields
from supervision.reminders.settings import get_reminder_settings


@dataclass
class SweepResult:
    """What one sweep found and did."""

    now: datetime
    due: int = 0
    created: int = 0
    #: Notifications created with an e-mail queued.
    queued: int = 0
    #: Notifications created without e-mail because their step is older than the window.
    backlog: int = 0
    #: E-mail messages queued (one per recipient with an address).
    messages: int = 0
    dry_run: bool = False
    new_steps: list[Step] = field(default_factory=list, repr=False)

    @property
    def existing(self) -> int:
        """Steps due that were already notifications."""
        return self.due - len(self.new_steps)


def _existing_keys(session: Session, steps: list[Step]) -> set[tuple]:
    """Keys of the notifications that already exist among `steps` (one query: the
    notifications of the steps' kinds since the earliest step's instant)."""
    if not steps:
        return set()
    earliest = min(s.on for s in steps)
    kinds = sorted({s.step for s in steps})
    rows = session.execute(
        sa.select(
            Notification.recipient_id,
            Notification.object_type,
            Notification.object_ref,
            Notification.period,
            Notification.step,
        ).where(Notification.on >= earliest, Notification.step.in_(kinds))
    ).all()
    return {tuple(r) for r in rows}


def addresses(session: Session, person_ids, settings: dict) -> dict[int, str | None]:
    """{person: e-mail address} of the recipients; none at all when e-mail is switched off."""
    if not settings["email_enabled"] or not person_ids:
        return {}
    return dict(rows_in(session, sa.select(Person.id, Person.email), Person.id, person_ids))


def sweep(session: Session, now: datetime | None = None, *, dry_run: bool = False) -> SweepResult:
    """Create the notifications of every ladder step due by `now` (default: the clock's
    now); with `dry_run`, only report what would be created. The caller commits."""
    now = now or clock.now()
    if now.tzinfo is None:
        raise ValueError("sweep() needs an aware datetime")
    session.flush()
    steps = ladder.due_now(ladder.collect(session, today=clock.local(now).date()), now)
    existing = _existing_keys(session, steps)
    new = [s for s in steps if s.key not in existing]
    result = SweepResult(now=now, due=len(steps), dry_run=dry_run, new_steps=new)
    if dry_run or not new:
        return result
    settings = get_reminder_settings(session)
    names = texts.Names(session, new)
    emails = addresses(session, {s.recipient_id for s in new}, settings)
    rows = []
    for s in new:
        subject, body, link = texts.compose(s, names)
        stale = rules.is_backlog(s.on, now, settings)
        address = None if stale else emails.get(s.recipient_id)
        rows.append(
            {
                "recipient_id": s.recipient_id,
                "step": s.step,
                "object_type": s.object_type,
                "object_ref": s.object_ref,
                "period": s.period,
                "person_id": s.person_id,
                "type": s.type,
                "conductor_id": s.conductor_id,
                "due_on": s.due_on,
                "on": s.on,
                "subject": subject,
                "body": body,
                "link": link,
                "created_at": now,
                **outbox_fields(address),
            }
        )
    inserted = insert_new(session, rows)
    result.created = len(inserted)
    result.queued = inserted.count("queued")
    result.messages = inserted.messages
    result.backlog = sum(1 for s in new if rules.is_backlog(s.on, now, settings))
    if result.created:
        record(session, "sweep", "notification", "", {"created": [0, result.created]})
    return result
