"""The only reader of "now". Everything else takes dates as parameters.

`SUPERVISION_FAKE_NOW` (config) freezes the clock for demos and browser tests, and
`frozen()` does so inside a test.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

_override: datetime | None = None


def zone() -> ZoneInfo:
    """The configured local zone (default Asia/Shanghai)."""
    name = "Asia/Shanghai"
    if has_app_context():
        name = current_app.config.get("SUPERVISION_TIMEZONE") or name
    return ZoneInfo(name)


def now() -> datetime:
    """The current instant, timezone-aware in UTC."""
    if _override is not None:
        return _override
    if has_app_context():
        fake = current_app.config.get("SUPERVISION_FAKE_NOW")
        if fake:
            return datetime.fromisoformat(fake).astimezone(UTC)
    return datetime.now(UTC)


def utcnow() -> datetime:
    """Column default: the current instant (read when the row is written, so a frozen
    clock applies)."""
    return now()


def today() -> date:
    """Today's date in the configured zone."""
    return local(now()).date()


def local(instant: datetime) -> datetime:
    """An instant converted to the configured zone."""
    return instant.astimezone(zone())


@contextlib.contextmanager
def frozen(instant: datetime):
    """Freeze now() at `instant` (aware) inside the block; for tests and CLI `--now`."""
    global _override
    previous = _override
    _override = instant.astimezone(UTC)
    try:
        yield
    finally:
        _override = previous
