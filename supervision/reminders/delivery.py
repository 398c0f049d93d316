"""E-mail delivery of the outbox (SPEC §8): one message per recipient and sweep.

The sweep queues one `MailMessage` per recipient for the notifications it creates (see
outbox.py for why the grouping is fixed then, not at delivery time); this module sends
them. A message with one notification reads as that notification (its subject, text and
link); a message with several has a subject with their count and lists each with its link.

A message goes `queued` → `sending` → `sent`. A deliverer first CLAIMS a message with a
compare-and-set UPDATE (`sending`, claimed until now + a lease) and commits, and only then
talks to the SMTP server, so two deliverers (two schedulers, or a manual `flask reminders
deliver` beside the scheduler) never send the same message. A deliverer that dies mid-send
leaves the claim to expire; the next run takes it over. Every change of a message's state
gives its notifications the same `email_status` in the same transaction.

On a failure that may pass (connection refused, timeout, a 4xx reply) the message goes
back to `queued` with a later `next_at` (backoff); after the last attempt, or at once on a
permanent 5xx refusal of the recipient or the message, it is `failed` and shows on the
admin page (/admin/deliveries), where an admin can queue it again.

The one window left is a crash between the server accepting a message and the commit that
marks it sent: the claim then expires and the message is sent again, with the same
Message-ID (derived from the message row) and the same notifications, so mail systems and
readers recognise it.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from supervision.common import clock, links
from supervision.org.models import Person
from supervision.reminders.models import MailMessage, Notification
from supervision.reminders.outbox import set_status

log = logging.getLogger(__name__)

#: Minutes to wait after the 1st, 2nd, ... failed attempt; one more failure is final.
BACKOFF_MINUTES = (1, 5, 15, 60, 240)
#: How long a claim protects a notification being sent (longer than any SMTP exchange).
LEASE_SECONDS = 300
#: Seconds before a silent SMTP server is given up on.
MAIL_TIMEOUT = 30
#: Messages read per query while delivering.
BATCH = 100
#: Longest error text kept.
MAX_ERROR = 2000


@dataclass
class DeliveryResult:
    """What one delivery run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    #: Why the run stopped early (the server is unreachable); the rest waits for the next run.
    stopped: str = ""


class _Failure(Exception):
    """A failed send: `kind` is `permanent` (never retried), `retry` (this message, later)
    or `down` (the server or its settings: retried later, and the run stops)."""

    def __init__(self, kind: str, error: str):
        super().__init__(error)
        self.kind = kind
        self.error = error[:MAX_ERROR]


def _config(name: str, default):
    value = current_app.config.get(name)
    return default if value in (None, "") else value


def _sender() -> tuple[str, Address]:
    """(envelope sender, From header) from MAIL_DEFAULT_SENDER ("addr", "Name <addr>" or a
    (name, addr) pair); without a name, the application's name is shown."""
    value = _config("MAIL_DEFAULT_SENDER", "supervision@localhost")
    name, addr = value if isinstance(value, list | tuple) else parseaddr(value)
    user, _at, domain = addr.partition("@")
    return addr, Address(
        display_name=name or _("Integrity supervision"), username=user, domain=domain
    )


def message_id(mail_id: int, created_at: datetime, domain: str) -> str:
    """The Message-ID of a message: the same for every (re)send of it, and distinct between
    messages and between databases (the creation instant)."""
    stamp = created_at.strftime("%Y%m%d%H%M%S")
    return f"<message-{mail_id}.{stamp}@{domain or 'supervision.localhost'}>"


@dataclass(frozen=True)
class Letter:
    """What a message says: to whom, and the notifications it carries (id, subject, body,
    link), oldest first."""

    id: int
    address: str
    name: str
    created_at: datetime
    attempts: int
    items: tuple


def compose(letter: Letter, now: datetime) -> EmailMessage:
    """The e-mail of a message, in the default language, with a text and an HTML part: one
    notification reads as itself; several get a subject with their count and a list with a
    link to each."""
    _envelope, sender = _sender()
    items = [{"subject": n.subject, "url": links.absolute(n.link)} for n in letter.items]
    if len(letter.items) == 1:
        only = letter.items[0]
        subject, body = only.subject, only.body
    else:
        subject, body = "", ""
    context = {
        "name": letter.name or "",
        "items": items,
        "body": body,
        "paragraphs": [p for p in body.splitlines() if p.strip()],
        "url": items[0]["url"],
        "count": len(items),
    }
    # The Jinja environment directly: the app's context processors expect a request.
    env = current_app.jinja_env
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE") or "zh_CN"):
        if len(items) > 1:
            subject = _("You have %(count)s new reminders", count=len(items))
        context["subject"] = subject
        text = env.get_template("email/notification.txt").render(**context)
        html = env.get_template("email/notification.html").render(**context)
    msg = EmailMessage()
    msg["Subject"] = " ".join(subject.split())
    msg["From"] = sender
    msg["To"] = letter.address
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(letter.id, letter.created_at, sender.domain)
    # RFC 3834: automatic mail; vacation responders must not answer it.
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Supervision-Message"] = str(letter.id)
    msg["X-Supervision-Notifications"] = ",".join(str(n.id) for n in letter.items)
    # base64 bodies: Chinese text passes any relay, 8BITMIME or not.
    msg.set_content(text, cte="base64")
    msg.add_alternative(html, subtype="html", cte="base64")
    return msg


class _Connection:
    """One SMTP connection for a run, opened on first use with the MAIL_* settings."""

    def __init__(self):
        self.smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        host, port = _config("MAIL_SERVER", "127.0.0.1"), int(_config("MAIL_PORT", 25))
        timeout = float(_config("MAIL_TIMEOUT", MAIL_TIMEOUT))
        # A verifying context: smtplib's own default does not check the certificate.
        context = ssl.create_default_context()
        if current_app.config.get("MAIL_USE_SSL"):
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        try:
            if current_app.config.get("MAIL_USE_TLS"):
                smtp.starttls(context=context)
            if current_app.config.get("MAIL_USERNAME"):
                smtp.login(
                    current_app.config["MAIL_USERNAME"],
                    current_app.config.get("MAIL_PASSWORD") or "",
                )
        except BaseException:
            _quietly_close(smtp)
            raise
        return smtp

    def send(self, msg: EmailMessage, to: str) -> None:
        """Send one message to `to`; a failure is raised as a classified _Failure."""
        try:
            if self.smtp is not None and not self._alive():
                self.close()
            if self.smtp is None:
                self.smtp = self._open()
            self.smtp.send_message(msg, from_addr=_sender()[0], to_addrs=[to])
        except Exception as exc:  # every failure is recorded on the notification
            failure = _classify(exc)
            if failure.kind == "down":
                self.close()
            raise failure from exc

    def _alive(self) -> bool:
        """Whether the open connection still answers (servers drop idle ones); checked
        before a message rather than retrying after one that may have been accepted."""
        try:
            return self.smtp.noop()[0] == 250
        except (smtplib.SMTPException, OSError):
            return False

    def close(self) -> None:
        """Close the connection if open."""
        if self.smtp is not None:
            _quietly_close(self.smtp)
            self.smtp = None


def _quietly_close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except Exception:  # the connection is being dropped anyway
        smtp.close()


def _reply(code: int, text: bytes | str) -> str:
    return f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"


def _classify(exc: Exception) -> _Failure:
    """Permanent (5xx refusal of the recipient or the message), down (the server or our
    settings: connection, timeout, 421, authentication, sender refused) or retry."""
    name = type(exc).__name__
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in exc.recipients.values()]
        text = "; ".join(
            f"{addr}: {_reply(code, reply)}" for addr, (code, reply) in exc.recipients.items()
        )
        kind = "permanent" if codes and all(code >= 500 for code in codes) else "retry"
        return _Failure(kind, f"{name}: {text}")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return _Failure("permanent", f"{name}: {exc}")
    if isinstance(exc, smtplib.SMTPSenderRefused | smtplib.SMTPAuthenticationError):
        return _Failure("down", f"{name}: {_reply(exc.smtp_code, exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = f"{name}: {_reply(exc.smtp_code, exc.smtp_error)}"
        if exc.smtp_code == 421:
            return _Failure("down", reply)
        return _Failure("permanent" if exc.smtp_code >= 500 else "retry", reply)
    if isinstance(exc, OSError):  # refused, reset, timeout, disconnected (SMTPException too)
        return _Failure("down", f"{name}: {exc}".rstrip(": "))
    return _Failure("retry", f"{name}: {exc}")


def _due(now: datetime):
    """Messages that may be sent at `now`: queued and due, or claimed by a deliverer whose
    claim has expired (it died mid-send)."""
    m = MailMessage
    return sa.or_(
        sa.and_(m.status == "queued", sa.or_(m.next_at.is_(None), m.next_at <= now)),
        sa.and_(m.status == "sending", sa.or_(m.claimed_until.is_(None), m.claimed_until < now)),
    )


def _claim(session: Session, mail_id: int, now: datetime, until: datetime) -> bool:
    """Take the message for this deliverer if it is still due (compare and set), and
    commit so that other deliverers see the claim before any mail leaves."""
    done = session.execute(
        sa.update(MailMessage)
        .where(MailMessage.id == mail_id, _due(now))
        .values(status="sending", claimed_until=until)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount == 1:
        set_status(session, mail_id, "sending")
    session.commit()
    return done.rowcount == 1


def _settle(session: Session, mail_id: int, claim: datetime, **values) -> None:
    """Record the outcome on the message and its notifications if the claim is still
    ours, and commit."""
    done = session.execute(
        sa.update(MailMessage)
        .where(
            MailMessage.id == mail_id,
            MailMessage.status == "sending",
            MailMessage.claimed_until == claim,
        )
        .values(claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount == 1:
        set_status(session, mail_id, values["status"])
    session.commit()
    if done.rowcount != 1:
        log.warning("message %s: claim lost before its outcome was recorded", mail_id)


def _letter(session: Session, mail_id: int) -> Letter:
    """The message and its notifications, in two queries."""
    m = MailMessage
    head = session.execute(
        sa.select(m.id, m.address, m.created_at, m.attempts, Person.name)
        .join(Person, Person.id == m.recipient_id, isouter=True)
        .where(m.id == mail_id)
    ).one()
    n = Notification
    items = session.execute(
        sa.select(n.id, n.subject, n.body, n.link).where(n.message_id == mail_id).order_by(n.id)
    ).all()
    return Letter(
        id=head.id,
        address=head.address,
        name=head.name or "",
        created_at=head.created_at,
        attempts=head.attempts,
        items=tuple(items),
    )


def _backoff() -> tuple[int, ...]:
    return tuple(int(m) for m in _config("SUPERVISION_MAIL_BACKOFF_MINUTES", BACKOFF_MINUTES))


def deliver(
    session: Session, now: datetime | None = None, *, limit: int | None = None
) -> DeliveryResult:
    """Send the queued messages whose time has come (at most `limit`); commits its own
    progress.

    Time runs on from `now` (default: the clock's now) while the run lasts, so that claims
    taken late in a long run still get their full lease.
    """
    now = now or clock.now()
    if now.tzinfo is None:
        raise ValueError("deliver() needs an aware datetime")
    offset = now - clock.now()

    def tick() -> datetime:
        return clock.now() + offset

    lease = timedelta(seconds=int(_config("SUPERVISION_MAIL_LEASE_SECONDS", LEASE_SECONDS)))
    backoff = _backoff()
    result = DeliveryResult()
    session.commit()
    connection = _Connection()
    handled = 0
    try:
        while not result.stopped and (limit is None or handled < limit):
            size = BATCH if limit is None else min(BATCH, limit - handled)
            ids = session.scalars(
                sa.select(MailMessage.id)
                .where(_due(now))
                .order_by(MailMessage.next_at, MailMessage.id)
                .limit(size)
            ).all()
            if not ids:
                break
            for mail_id in ids:
                claim = tick() + lease
                if not _claim(session, mail_id, now, claim):
                    continue  # another deliverer has it
                handled += 1
                _deliver_one(session, connection, mail_id, claim, tick, backoff, result)
                if result.stopped or (limit is not None and handled >= limit):
                    break
    finally:
        connection.close()
    return result


def _deliver_one(
    session: Session,
    connection: _Connection,
    mail_id: int,
    claim: datetime,
    tick,
    backoff: tuple[int, ...],
    result: DeliveryResult,
) -> None:
    """Send one claimed message and record the outcome."""
    letter = _letter(session, mail_id)
    try:
        if not letter.address:
            raise _Failure("permanent", _("The recipient has no e-mail address."))
        if not letter.items:
            raise _Failure("permanent", _("The e-mail carries no notification."))
        try:
            msg = compose(letter, tick())
        except Exception as exc:  # a message that cannot be written will not improve
            raise _Failure("permanent", f"{type(exc).__name__}: {exc}") from exc
        connection.send(msg, letter.address)
    except _Failure as failure:
        _failed(session, letter, claim, failure, tick, backoff, result)
        return
    _settle(session, mail_id, claim, status="sent", sent_at=tick(), next_at=None, error="")
    result.sent += 1


def _failed(session, letter: Letter, claim, failure: _Failure, tick, backoff, result) -> None:
    """Record a failed attempt: queued again after the backoff, or failed for good."""
    attempts = letter.attempts + 1
    log.warning("message %s: e-mail attempt %s failed: %s", letter.id, attempts, failure.error)
    if failure.kind == "down":
        result.stopped = failure.error
    if failure.kind == "permanent" or attempts > len(backoff):
        _settle(
            session,
            letter.id,
            claim,
            status="failed",
            attempts=attempts,
            error=failure.error,
            next_at=None,
        )
        result.failed += 1
    else:
        _settle(
            session,
            letter.id,
            claim,
            status="queued",
            attempts=attempts,
            error=failure.error,
            next_at=tick() + timedelta(minutes=backoff[attempts - 1]),
        )
        result.retried += 1
