"""Rectification on the reminder ladder (SPEC §14 with §8): the steps of open measures, the
weekly summary of each inspection being rectified, and who receives them.

- A measure `open` with a `due_on`, of an inspection in `rectifying`, climbs the §8 ladder
  (the obligations' days: `upcoming` the 5th working day before, `overdue` the 1st after,
  `escalated` the 10th after, at the send time): `upcoming` and `overdue` → its owner and
  its finding's responsible leader, `escalated` → the inspection's leader (整改第一责任人)
  and the discipline secretary. object_type `rectification_measure`, object_ref the
  measure's id, period its due date (a new due date restarts the ladder), `conductor_id`
  its owner (an escalation names who is late). A measure done, or an inspection reported
  or closed, leaves the query and so stops the ladder.
- The weekly summary (SPEC §14): on the first working day of each ISO week at the send
  time, for each inspection in `rectifying`, a `digest` notification about the inspection
  (object_type `inspection`, object_ref its id, period the ISO week) to its leader and the
  discipline secretary. It is a ladder step like the others, so the sweep that reaches it
  creates it once (the unique constraint) and puts it in that sweep's one e-mail per
  recipient; its figures are written when the sweep creates it (rectification_texts).

Confidentiality (SPEC §14): a recipient must hold the grant by which they read what the
notification is about — an owner `rectification.take_part`, a leader `rectification.lead`,
the secretary `rectification.read_all` (with `reminders.receive_escalated`) — so nothing
reaches admin or HR, whatever people their accounts are linked to.

Plain data only (keyword dicts of ladder.Step; tuples for the feed): ladder.py and feed.py
import this module, so it may not import them.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from supervision.auth.queries import people_holding
from supervision.common.permissions import can, holders
from supervision.rectification.figures import open_measures_select
from supervision.rectification.models import Finding, Inspection, RectificationMeasure
from supervision.reminders import rules

MEASURE = "rectification_measure"
INSPECTION = "inspection"
OBJECT_TYPES = (MEASURE, INSPECTION)
#: The grant that lets a user know about these notifications at all (the preview, the
#: deliveries page): the discipline roles.
READ_ALL = "rectification.read_all"


class Recipients:
    """Who may receive what (three queries): owners, leaders, secretaries, by person id."""

    def __init__(self, session: Session):
        self.owners = set(people_holding(session, holders("rectification.take_part")))
        self.leaders = set(people_holding(session, holders("rectification.lead")))
        roles = holders("reminders.receive_escalated") & holders(READ_ALL)
        self.secretaries = people_holding(session, roles)

    def ladder(self, step: str, owner, responsible, inspection_leader) -> list[int]:
        """The recipients of one step of a measure, each once."""
        if step == "escalated":
            found = [inspection_leader if inspection_leader in self.leaders else None]
            found += self.secretaries
        else:
            found = [
                owner if owner in self.owners else None,
                responsible if responsible in self.leaders else None,
            ]
        return list(dict.fromkeys(r for r in found if r is not None))

    def summary(self, inspection_leader) -> list[int]:
        """The recipients of an inspection's weekly summary."""
        found = [inspection_leader if inspection_leader in self.leaders else None]
        return list(dict.fromkeys(r for r in [*found, *self.secretaries] if r is not None))


def _week_starts(today: date, window, calendar) -> list[date]:
    """First working days of the weeks whose summary may be due: today's week, or the weeks
    that meet `window`."""
    if window is None:
        days = [today]
    else:
        first, last = window
        monday = first - timedelta(days=first.weekday())
        days = [monday + timedelta(weeks=i) for i in range((last - monday).days // 7 + 1)]
    starts = (rules.first_workday_of_week(d, calendar) for d in days)
    return sorted({s for s in starts if s is not None})


def step_fields(session: Session, today: date, calendar, settings, at, zone, window=None):
    """Keyword arguments of every ladder.Step of open rectification measures and of the
    weekly summaries (the summary of today's week, or of the weeks meeting `window`)."""
    who = Recipients(session)
    out: list[dict] = []
    rows = session.execute(open_measures_select().where(RectificationMeasure.due_on.is_not(None)))
    for measure, owner, responsible, leader, due in rows:
        for step, day in rules.obligation_steps(due, calendar, settings):
            for rid in who.ladder(step, owner, responsible, leader):
                out.append(
                    {
                        "on": rules.instant(day, at, zone),
                        "step": step,
                        "recipient_id": rid,
                        "object_type": MEASURE,
                        "object_ref": str(measure.id),
                        "person_id": owner,
                        "type": None,
                        "period": due.isoformat(),
                        "due_on": due,
                        "conductor_id": owner,
                    }
                )
    inspections = session.execute(
        sa.select(Inspection.id, Inspection.leader_person_id)
        .where(Inspection.status == "rectifying")
        .order_by(Inspection.id)
    ).all()
    for day in _week_starts(today, window, calendar) if inspections else []:
        for inspection_id, leader in inspections:
            for rid in who.summary(leader):
                out.append(
                    {
                        "on": rules.instant(day, at, zone),
                        "step": "digest",
                        "recipient_id": rid,
                        "object_type": INSPECTION,
                        "object_ref": str(inspection_id),
                        "person_id": None,
                        "type": None,
                        "period": rules.iso_week(day),
                        "due_on": day,
                    }
                )
    return out


def feed_fields(session: Session, user, today: date) -> list[tuple[tuple, bool]]:
    """The measures the user's person owns that are open with a due date (inspections being
    rectified), for the calendar feed: ((step, object type, ref, person, type, period, due,
    recipient), overdue) — the arguments of feed._step."""
    person = user.person_id
    if person is None or not can(user, "rectification.take_part"):
        return []
    m = RectificationMeasure
    rows = session.execute(
        sa.select(m.id, m.due_on)
        .join(Finding, Finding.id == m.finding_id)
        .join(Inspection, Inspection.id == Finding.inspection_id)
        .where(
            m.owner_person_id == person,
            m.status == "open",
            m.due_on.is_not(None),
            Inspection.status == "rectifying",
        )
        .order_by(m.due_on, m.id)
    ).all()
    out = []
    for mid, due in rows:
        late = due < today
        fields = (
            "overdue" if late else "upcoming",
            MEASURE,
            str(mid),
            person,
            None,
            due.isoformat(),
            due,
            person,
        )
        out.append((fields, late))
    return out


#: The rectification ledger's pages (a group of the inbox drills down to them; each item links
#: to its finding or inspection).
LEDGER_PATH = "/rectification/"


def group_link(user) -> str | None:
    """The drill-down of an inbox group of rectification items: the ledger, for a reader
    with any rectification grant."""
    grants = (READ_ALL, "rectification.lead", "rectification.take_part")
    return LEDGER_PATH if can(user, *grants) else None


def in_preview(user, step) -> bool:
    """Whether the ladder preview lists `step` to `user`: a measure's steps only for the
    discipline roles; the weekly summaries never (digests are not ladder steps)."""
    return step.object_type != INSPECTION and not hidden_from(user, step.object_type)


def hidden_from(user, object_type: str) -> bool:
    """Whether a notification of `object_type` about rectification is kept from `user` on
    the pages that list other people's reminders (the ladder preview, the deliveries page):
    only the discipline roles know of them there."""
    return object_type in OBJECT_TYPES and not can(user, READ_ALL)
