"""The reminder sweep (SPEC §8): turn the ladder steps due by an instant into notifications
and queue their e-mails. Idempotent: run it as often as you like, from as many processes.

Each step becomes at most one notification: the sweep skips the keys it already finds and
inserts the rest with "on conflict do nothing" against the unique constraint on (recipient,
object, period, step), so two sweeps racing still create each notification once. A sweep
that did not run for a while creates what it missed on its next run (stale `upcoming`
warnings excepted, see ladder.due_now).

Incremental reruns. Each sweep that writes records itself (`SweepRun`, in its own
transaction). A sweep as of an instant no earlier than the last run's evaluates only:
(a) the ladder steps whose instant lies after the last run's instant — a step's instant is
non-decreasing in its due date, so for the risk points and measures this is a due-date
range per step read in SQL — and (b) every step of the objects written since the last run
started, less CHANGE_MARGIN (for transactions that committed after that run read the data).
Everything is evaluated by a sweep with `full`, the first one, one as of an earlier instant
than the last run's, one whose inputs common to every step changed (settings, calendar,
recipients by role, supervising leaders: `ladder.inputs`), and one whose last full
evaluation is more than FULL_EVERY older (a daily net for what no timestamp tells). Either
way the existing notifications are skipped and the unique constraint is the final guard.

E-mail (SPEC §8): the notifications one sweep creates for a recipient go out together in
one message (outbox.insert_new groups them). A step whose instant lies more than
`mail_backlog_days` (7) before the sweep, as on the first sweep of a new installation or
after a long outage, is created with `email_status` `none`: it is in the inbox and the feed,
but no one gets mail about last year's obligations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from supervision.audit.services import record
from supervision.common import clock
from supervision.common.batches import BATCH, ids_in, rows_in
from supervision.org.models import Person
from supervision.reminders import ladder, rules, texts
from supervision.reminders.ladder import Step
from supervision.reminders.models import Notification, SweepRun
from supervision.reminders.outbox import insert_new, outbox_fields
from supervision.reminders.settings import get_reminder_settings

#: Objects written up to this long before the last run started are looked at again.
CHANGE_MARGIN = timedelta(minutes=10)
#: An incremental sweep builds on a full evaluation as of at most this long before.
FULL_EVERY = timedelta(days=1)


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
    #: Whether every open item was evaluated; else only what changed since `since`.
    full: bool = True
    #: The instant of the run this one continued (incremental only).
    since: datetime | None = None
    new_steps: list[Step] = field(default_factory=list, repr=False)

    @property
    def existing(self) -> int:
        """Steps due that were already notifications."""
        return self.due - len(self.new_steps)


def _existing_keys(session: Session, steps: list[Step]) -> set[tuple]:
    """Keys of the notifications that already exist among `steps`: the notifications of the
    steps' objects (by reference, in batches) when there are few of them, as on an
    incremental rerun; else those of the steps' kinds since the earliest step's instant
    (one query)."""
    if not steps:
        return set()
    earliest = min(s.on for s in steps)
    kinds = sorted({s.step for s in steps})
    stmt = sa.select(
        Notification.recipient_id,
        Notification.object_type,
        Notification.object_ref,
        Notification.period,
        Notification.step,
    ).where(Notification.on >= earliest, Notification.step.in_(kinds))
    refs = {s.object_ref for s in steps}
    if len(refs) <= BATCH:
        rows = rows_in(session, stmt, Notification.object_ref, refs)
    else:
        rows = session.execute(stmt).all()
    return {tuple(r) for r in rows}


def last_run(session: Session) -> SweepRun | None:
    """The latest sweep that wrote its result."""
    return session.scalars(sa.select(SweepRun).order_by(SweepRun.id.desc()).limit(1)).first()


def plan(
    session: Session, now: datetime, inputs: str, *, full: bool = False
) -> tuple[ladder.Increment | None, SweepRun | None]:
    """What a sweep as of `now` evaluates: an increment over the last run, or None for
    everything (see the module's docstring); and the last run."""
    last = last_run(session)
    if (
        full
        or last is None
        or now < last.as_of
        or last.inputs != inputs
        or now - last.full_as_of > FULL_EVERY
    ):
        return None, last
    return (
        ladder.Increment(
            since=last.as_of, until=now, changed_since=last.started_at - CHANGE_MARGIN
        ),
        last,
    )


def addresses(session: Session, person_ids, settings: dict) -> dict[int, str | None]:
    """{person: e-mail address} of the recipients; none at all when e-mail is switched off."""
    if not settings["email_enabled"] or not person_ids:
        return {}
    return dict(ids_in(session, sa.select(Person.id, Person.email), Person.id, person_ids))


def sweep(
    session: Session, now: datetime | None = None, *, dry_run: bool = False, full: bool = False
) -> SweepResult:
    """Create the notifications of every ladder step due by `now` (default: the clock's
    now); with `dry_run`, only report what would be created; with `full`, evaluate every
    open item even if an earlier run allows an increment. The caller commits."""
    started = clock.now()
    now = now or started
    if now.tzinfo is None:
        raise ValueError("sweep() needs an aware datetime")
    session.flush()
    today = clock.local(now).date()
    inputs = ladder.inputs(session, today)
    increment, last = plan(session, now, inputs, full=full)
    steps = ladder.due_now(ladder.collect(session, today=today, increment=increment), now)
    existing = _existing_keys(session, steps)
    new = [s for s in steps if s.key not in existing]
    result = SweepResult(
        now=now,
        due=len(steps),
        dry_run=dry_run,
        new_steps=new,
        full=increment is None,
        since=increment.since if increment else None,
    )
    if dry_run:
        return result
    if new:
        _create(session, new, now, result)
    session.add(
        SweepRun(
            started_at=started,
            as_of=now,
            finished_at=clock.now(),
            full=result.full,
            full_as_of=now if result.full else last.full_as_of,
            inputs=inputs,
            due=result.due,
            created=result.created,
        )
    )
    session.flush()
    return result


def _create(session: Session, new: list[Step], now: datetime, result: SweepResult) -> None:
    """Insert the notifications of the `new` steps and queue their e-mails; counts into
    `result`."""
    settings = get_reminder_settings(session)
    names = texts.Names(session, new)
    emails = addresses(session, {s.recipient_id for s in new}, settings)
    rows = []
    backlog = set()
    for s in new:
        subject, body, link = texts.compose(s, names)
        stale = rules.is_backlog(s.on, now, settings)
        if stale:
            backlog.add(s.key)
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
    result.backlog = len(backlog)
    if result.created:
        record(session, "sweep", "notification", "", {"created": [0, result.created]})
