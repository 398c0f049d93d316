"""The weekly digest (SPEC §8). Placeholder: being built."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session


@dataclass
class DigestResult:
    """What one digest run did."""

    created: int = 0
    queued: int = 0


def run(session: Session, now: datetime | None = None) -> DigestResult:
    """Create this week's digest notifications if their time has come (idempotent)."""
    return DigestResult()
