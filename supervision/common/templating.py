"""Jinja filters and globals: local times, the role table's `can`, and translated labels.

The label tables live in each domain's `labels.py`; the app hands their index to
`register` (supervision.labels), and templates ask `label(kind, value)` and `choices(kind)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from flask import Flask, current_app

from supervision.common import clock
from supervision.common.permissions import current_can

EXTENSION_KEY = "supervision.labels"


def _tables() -> Mapping[str, Mapping[str, object]]:
    return current_app.extensions[EXTENSION_KEY]


def label(kind: str, value: str | None) -> object:
    """The translated label of an enumeration value (the value itself if unknown)."""
    if value is None:
        return ""
    return _tables().get(kind, {}).get(value, value)


def choices(kind: str) -> list[tuple[str, object]]:
    """(value, label) pairs for a select field."""
    return list(_tables()[kind].items())


def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An instant shown in the configured zone."""
    if value is None:
        return ""
    return clock.local(value).strftime(fmt)


def isodate(value: date | None) -> str:
    """A date as YYYY-MM-DD, or empty."""
    return value.isoformat() if value else ""


def register(app: Flask, labels: Mapping[str, Mapping[str, object]]) -> None:
    """Install the filters and globals; `labels` is the index of every label table."""
    app.extensions[EXTENSION_KEY] = labels
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["isodate"] = isodate
    app.jinja_env.globals["label"] = label
    app.jinja_env.globals["choices"] = choices
    app.jinja_env.globals["role_label"] = lambda r: label("role", r)
    app.jinja_env.globals["can"] = current_can
