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
from supervision.obligations import engine, rules
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


def owed_by(person_id: int) -> tuple[list, list, dict[str, date]]:
    """The obligations this person conducts: those of the current period of each type, and
    the still-overdue ones of the earlier periods of LOOK_BACK (to make up, 补谈), with
    {earlier period: the date it has been overdue since}."""
    session = db.session
    settings = get_obligation_settings(session)
    scope, _viewer = obligation_scope(current_user)
    today = clock.today()
    current, earlier, since = [], [], {}
    for type_ in rules.OBLIGATION_TYPES:
        kind = settings[type_]["frequency"]
        period = Period.of(today, kind)
        for back in range(LOOK_BACK.get(kind, 1) + 1):
            found = [
                r
                for r in engine.compute(
                    session,
                    period,
                    [type_],
                    as_of=today,
                    scope=scope,
                    viewer_id=person_id,
                    settings=settings,
                )
                if r.conductor_id == person_id and (back == 0 or r.status == "overdue")
            ]
            if back and found:
                since[str(period)] = overdue_from(period)
            (earlier if back else current).extend(found)
            period = period.previous()
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
