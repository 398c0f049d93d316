"""E-mail delivery of queued notifications (the outbox). Placeholder: being built."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session


@dataclass
class DeliveryResult:
    """What one delivery run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0


def deliver(session: Session, now: datetime | None = None, *, limit: int | None = None
            ) -> DeliveryResult:
    """Send the queued e-mails whose time has come; commits its own progress."""
    return DeliveryResult()
