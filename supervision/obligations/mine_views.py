"""My talks (SPEC §6): the obligations I conduct this period, the overdue ones of earlier
periods to make up (补谈), the talks waiting for my signature, and my drafts.

Served at /talks/mine (where the menu has always pointed), on a blueprint of its own: the
obligations are this package's, the talk lists come from supervision.talks.queries.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from supervision.common import clock
from supervision.common.periods import Period, overdue_from
from supervision.common.permissions import can
from supervision.extensions import db
from supervision.obligations import engine, rules, table
from supervision.obligations.labels import OBLIGATION_STATUS_LABELS
from supervision.obligations.permissions import obligation_scope
from supervision.obligations.settings import get_obligation_settings
from supervision.talks import queries as talk_queries
from supervision.talks.labels import talk_label_helpers

bp = Blueprint("my_talks", __name__, url_prefix="/talks")

#: How many earlier periods of each kind "my talks" looks back at for overdue obligations.
LOOK_BACK = {"quarter": 3, "half": 1, "year": 1}
_OPEN_FIRST = {"overdue": 0, "pending": 1}


@bp.context_processor
def _helpers():
    return {
        **talk_label_helpers(),
        "obligation_label": lambda v: OBLIGATION_STATUS_LABELS.get(v, v),
        "today": clock.today(),
    }


def _periods(today: date, settings: dict) -> list[tuple[str, Period, int]]:
    """(type, period, how far back) of what "my talks" shows, in the order it is built."""
    out = []
    for type_ in rules.OBLIGATION_TYPES:
        kind = settings[type_]["frequency"]
        period = Period.of(today, kind)
        for back in range(LOOK_BACK.get(kind, 1) + 1):
            out.append((type_, period, back))
            period = period.previous()
    return out


def _from_table(session, person_id, scope, settings, today, wanted) -> list | None:
    """The rows `owed_by` wants, in one read of the maintained table (None when the table
    cannot answer): each (type, period) as the engine would show it to its conductor."""
    rows = table.conducted_by(
        session, [(t, p) for t, p, _b in wanted], today, settings, person_id, scope
    )
    if rows is None:
        return None
    # The engine's objects, so that the template reads the same fields either way.
    by_pair: dict[tuple[str, str], list] = {}
    reasons: dict = {}
    min_days = settings["integrity_reminder"]["min_days_in_period"]
    for row in rows:
        period = Period.parse(row.period)
        by_pair.setdefault((row.type, row.period), []).append(
            engine.from_row(row, period, min_days, reasons)
        )
    for found in by_pair.values():
        found.sort(key=lambda r: r.person_id)
    return [by_pair.get((t, str(p)), []) for t, p, _b in wanted]


def owed_by(person_id: int) -> tuple[list, list, dict[str, date]]:
    """The obligations this person conducts: those of the current period of each type, and
    the still-overdue ones of the earlier periods of LOOK_BACK (to make up, 补谈), with
    {earlier period: the date it has been overdue since}."""
    session = db.session
    settings = get_obligation_settings(session)
    scope, _viewer = obligation_scope(current_user)
    today = clock.today()
    wanted = _periods(today, settings)
    runs = _from_table(session, person_id, scope, settings, today, wanted)
    if runs is None:
        runs = [
            engine.compute(
                session,
                period,
                [type_],
                as_of=today,
                scope=scope,
                viewer_id=person_id,
                settings=settings,
            )
            for type_, period, _back in wanted
        ]
    current, earlier, since = [], [], {}
    for (_type, period, back), rows in zip(wanted, runs, strict=True):
        found = [
            r for r in rows if r.conductor_id == person_id and (back == 0 or r.status == "overdue")
        ]
        if back and found:
            since[str(period)] = overdue_from(period)
        (earlier if back else current).extend(found)
    current.sort(key=lambda r: (_OPEN_FIRST.get(r.status, 2), r.due_date, r.person_id))
    earlier.sort(key=lambda r: (r.due_date, r.person_id))
    return current, earlier, since


@bp.get("/mine")
@login_required
def index():
    """My talks to hold (this period, and overdue ones of earlier periods), talks awaiting
    my signature, and my drafts."""
    me = current_user.person_id
    owed, earlier, since, to_sign, drafts = [], [], {}, [], []
    if me is not None:
        owed, earlier, since = owed_by(me)
        to_sign = talk_queries.awaiting_signature(me)
        drafts = talk_queries.editable_drafts(current_user)
    return render_template(
        "obligations/mine.html",
        owed=owed,
        earlier=earlier,
        overdue_since=since,
        people=talk_queries.people_by_id(o.person_id for o in [*owed, *earlier]),
        to_sign=to_sign,
        drafts=drafts,
        can_write=can(current_user, "talks.write"),
    )
