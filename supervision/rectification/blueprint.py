"""The rectification pages' blueprint, shared by supervision.rectification.views (inspections,
ledger, my tasks, sign-off queue) and finding_views (a finding, its measures and evidence):
the app imports both before registering it, so neither imports the other."""

from __future__ import annotations

from datetime import date
from functools import wraps

from flask import Blueprint, abort, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from supervision.common import clock
from supervision.common.permissions import can
from supervision.org import queries as org_queries
from supervision.org.scope import EVERYTHING
from supervision.rectification import labels
from supervision.rectification.permissions import has_any_grant

bp = Blueprint("rectification", __name__, url_prefix="/rectification")


def member(view):
    """Signed in, holding a grant of the area (403 otherwise: admin, HR)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not has_any_grant(current_user):
            abort(403)
        return view(*args, **kwargs)

    return login_required(wrapped)


@bp.context_processor
def _helpers():
    return {
        "inspection_status_labels": labels.INSPECTION_STATUS_LABELS,
        "finding_status_labels": labels.FINDING_STATUS_LABELS,
        "finding_term_labels": labels.FINDING_TERM_LABELS,
        "measure_status_labels": labels.MEASURE_STATUS_LABELS,
        "evidence_labels": labels.EVIDENCE_OBJECT_LABELS,
        "finding_status_classes": FINDING_STATUS_CLASSES,
        "can_manage": can(current_user, "rectification.manage"),
        "today": clock.today(),
        "ordinal": ordinal,
    }


_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1…99 in Chinese numerals (十一, 二十三); other numbers in digits."""
    if not 1 <= n <= 99:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[ones] if ones else "")


def ordinal(n: int) -> str:
    """How the notice numbers a measure: 一是, 二是, …"""
    return f"{chinese_number(n)}是"


#: Badge colours of the finding statuses.
FINDING_STATUS_CLASSES = {
    "open": "text-bg-secondary",
    "in_progress": "text-bg-primary",
    "completion_requested": "text-bg-warning",
    "completed": "text-bg-success",
}


def as_of_arg() -> tuple[date, str | None]:
    """The `as_of` query argument (default today) and an error when it is not a date."""
    text = request.args.get("as_of", "").strip()
    if not text:
        return clock.today(), None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return clock.today(), _("Not a valid date; showing today.")
    if not 1900 <= day.year <= 2200:
        return clock.today(), _("Not a valid date; showing today.")
    return day, None


def unit_choices() -> list[tuple[int, str]]:
    """Every unit, indented (the discipline roles' forms)."""
    return org_queries.indented_units(EVERYTHING)
