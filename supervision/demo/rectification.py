"""The demo inspection (SPEC §14, issue 15): the demo bureau rectifying the 41 problems of
the seed document (supervision.demo.rectification_data), so that the progress notice
generated from the demo reads like the published one.

Called once at the end of `loader.load()`, after the talks, risks and rotation. Dates are
relative to the load's "today": the group was on site eight to five months ago and fed back
about four and a half months ago; the 90-day deadline has passed. So:

- findings 1–26 are signed off (销号), 27–33 wait for sign-off (all measures done), 34–39 are
  being rectified: their first measure done, the others open, past the deadline (overdue)
  for 34, 36 and 38, extended with a reason for 35, 37 and 39;
- 6, 7 and 24 were to be fixed at once (立行立改, 30 days), 40 and 41 are long-term
  (长期整改: no deadline, progress reported in section 三);
- measures carry the seed's results (共整改出租屋各类安全隐患131处…) and the talk, risk and
  rotation records they point at are linked as evidence;
- two monthly snapshots of the figures (the first working days of this and last month).

Rows are added in bulk with the fields the services would set. Deterministic for a seed
and a date.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from supervision.demo import data
from supervision.demo import rectification_data as texts
from supervision.org.models import Assignment, OrgUnit, Post
from supervision.rectification.figures import empty_row
from supervision.rectification.models import (
    Finding,
    FindingNote,
    Inspection,
    MeasureEvidence,
    RectificationMeasure,
    RectificationSnapshot,
)
from supervision.risks.models import RiskCampaign, RiskPoint
from supervision.rotation.models import RotationPlan
from supervision.talks.models import Talk

SIGNED_OFF = range(1, 27)
REQUESTED = range(27, 34)
OVERDUE = (34, 36, 38)
EXTENDED = (35, 37, 39)
IMMEDIATE = (6, 7, 24)
LONG_TERM = (40, 41)
#: Findings whose measures are shared out among the police stations.
STATION_FINDINGS = (4, 5, 8, 12)
STATIONS = ("DH-PCS1", "DH-PCS2", "DH-PCS3")
EXTENSION_REASON = "涉及街道财政资金和上级审批，经分局党委会研究，整改时限延至本年底。"


def _instant(day: date) -> datetime:
    """10:00 in China on `day`, as the UTC instant the database keeps."""
    return datetime.combine(day, time(2, 0), tzinfo=UTC)


def _first_workday(day: date) -> date:
    """The first Monday-to-Friday day of `day`'s month (the demo ignores holidays)."""
    first = day.replace(day=1)
    while first.weekday() >= 5:
        first += timedelta(days=1)
    return first


def _seat_holders(session: Session, posts: dict[str, Post]) -> dict[str, int]:
    seat_posts = {posts[code].id: code for code, _title in data.SEATS}
    rows = session.execute(
        sa.select(Assignment.post_id, Assignment.person_id).where(
            Assignment.post_id.in_(seat_posts), Assignment.end_date.is_(None)
        )
    )
    return {seat_posts[post_id]: person_id for post_id, person_id in rows}


def _evidence_targets(session: Session) -> dict[str, list[int]]:
    """Ids of demo records the evidence links to: final talks, approved risk points, the
    campaign, a rotation plan."""

    def ids(stmt, n):
        return list(session.scalars(stmt.limit(n)))

    return {
        "talk": ids(sa.select(Talk.id).where(Talk.status == "final").order_by(Talk.id), 4),
        "risk_point": ids(
            sa.select(RiskPoint.id).where(RiskPoint.status == "approved").order_by(RiskPoint.id),
            3,
        ),
        "risk_campaign": ids(sa.select(RiskCampaign.id).order_by(RiskCampaign.id), 1),
        "rotation_plan": ids(sa.select(RotationPlan.id).order_by(RotationPlan.id), 1),
    }


#: (finding, measure) -> the records linked as evidence: (object type, index in the list).
LINKS = {
    (16, 3): (("talk", 0),),
    (18, 1): (("talk", 1), ("talk", 2)),
    (18, 2): (("talk", 3),),
    (21, 1): (("risk_campaign", 0), ("risk_point", 0), ("risk_point", 1)),
    (21, 2): (("rotation_plan", 0),),
    (21, 3): (("risk_point", 2),),
}


def load(
    session: Session, seed: int, today: date, units: dict[str, OrgUnit], posts: dict[str, Post]
) -> dict[str, int]:
    """Add the demo inspection, its findings, measures, evidence, notes and snapshots."""
    rng = random.Random(seed * 15 + 1)
    feedback = today - timedelta(days=133)
    deadline = feedback + timedelta(days=90)
    seats = _seat_holders(session, posts)
    root = units[data.ROOT]
    inspection = Inspection(
        name=texts.INSPECTION_NAME,
        inspector=texts.INSPECTOR,
        org_unit_id=root.id,
        onsite_from=today - timedelta(days=247),
        onsite_to=today - timedelta(days=161),
        feedback_on=feedback,
        deadline=deadline,
        leader_person_id=seats.get(data.CHIEF_SEAT),
        narrative={
            "duty": [{"heading": h, "body": b} for h, b in texts.DUTY],
            "next_steps": [{"heading": h, "body": b} for h, b in texts.NEXT_STEPS],
        },
        publish_from=today,
        publish_to=today + timedelta(days=14),
        contact=texts.CONTACT,
        status="rectifying",
    )
    session.add(inspection)
    session.flush()

    findings: list[tuple[Finding, list[tuple[RectificationMeasure, int]]]] = []
    for number, spec in enumerate(texts.FINDINGS, start=1):
        category, theme, title, description, unit_code, seat, measures = spec
        term = (
            "long_term"
            if number in LONG_TERM
            else "immediate"
            if number in IMMEDIATE
            else "time_limited"
        )
        due = (
            None
            if term == "long_term"
            else feedback + timedelta(days=30)
            if term == "immediate"
            else deadline
        )
        finding = Finding(
            inspection_id=inspection.id,
            category=texts.CATEGORIES[category],
            theme=texts.THEMES[theme],
            number=number,
            title=title,
            description=description,
            responsible_leader_id=seats.get(seat),
            lead_unit_id=units[unit_code].id,
            term=term,
            deadline=due,
            status="open",
        )
        rows = []
        for m_no, (text, result) in enumerate(measures, start=1):
            owner = units[unit_code]
            if number in STATION_FINDINGS:
                owner = units[STATIONS[(m_no - 1) % len(STATIONS)]]
            rows.append(
                (
                    RectificationMeasure(
                        number=m_no,
                        description=text,
                        owner_unit_id=owner.id,
                        owner_person_id=owner.head_person_id,
                        due_on=due,
                        status="open",
                        result=result,
                    ),
                    m_no,
                )
            )
        findings.append((finding, rows))
    session.add_all(f for f, _rows in findings)
    session.flush()
    for finding, rows in findings:
        for measure, _no in rows:
            measure.finding_id = finding.id
        _progress(rng, finding, [m for m, _no in rows], feedback, today)
    session.add_all(m for _f, rows in findings for m, _no in rows)
    session.flush()

    evidence = _link_evidence(session, findings)
    notes = _notes(session, findings, today)
    snapshots = _snapshots(session, inspection, findings, feedback, today)
    return {
        "rectification_findings": len(findings),
        "rectification_measures": sum(len(rows) for _f, rows in findings),
        "rectification_evidence": evidence,
        "rectification_notes": notes,
        "rectification_snapshots": snapshots,
    }


def _progress(rng, finding: Finding, measures, feedback: date, today: date) -> None:
    """Set the state of a finding and its measures by its number (see the module doc)."""
    n = finding.number
    last = min(today - timedelta(days=1), (finding.deadline or today) - timedelta(days=3))

    def done(measure, upto=last):
        first = feedback + timedelta(days=7)
        measure.status = "done"
        measure.done_on = first + timedelta(days=rng.randint(0, max(0, (upto - first).days)))

    if n in SIGNED_OFF or n in REQUESTED:
        for m in measures:
            done(m)
        finished = max(m.done_on for m in measures)
        if n in SIGNED_OFF:
            finding.status = "completed"
            finding.completion_summary = "各项整改措施已落实到位，相关制度已建立并执行。"
            finding.completion_requested_at = _instant(finished + timedelta(days=2))
            finding.completed_on = min(today, finished + timedelta(days=rng.randint(4, 12)))
            finding.review_comment = "经核查，整改措施落实到位，佐证材料齐全，同意销号。"
        else:
            finding.status = "completion_requested"
            finding.completion_summary = "各项整改措施已落实，申请销号。"
            finding.completion_requested_at = _instant(
                min(today, finished + timedelta(days=rng.randint(2, 20)))
            )
        return
    # Being rectified (34–39) or long-term (40, 41): the first measure done, the rest open.
    done(measures[0])
    finding.status = "in_progress"
    if n in EXTENDED:
        for m in measures[1:]:
            m.due_on = date(today.year, 12, 31) if today.month < 12 else today + timedelta(days=45)
            m.due_reason = EXTENSION_REASON


def _link_evidence(session: Session, findings) -> int:
    targets = _evidence_targets(session)
    rows = []
    for finding, measures in findings:
        for measure, m_no in measures:
            for object_type, index in LINKS.get((finding.number, m_no), ()):
                ids = targets.get(object_type, [])
                if index < len(ids):
                    rows.append(
                        MeasureEvidence(
                            measure_id=measure.id,
                            kind="link",
                            object_type=object_type,
                            object_id=ids[index],
                            note="整改佐证",
                        )
                    )
    session.add_all(rows)
    return len(rows)


def _notes(session: Session, findings, today: date) -> int:
    rows = []
    for finding, measures in findings:
        if finding.status != "in_progress":
            continue
        first = measures[0][0]
        rows.append(
            FindingNote(
                finding_id=finding.id,
                noted_on=first.done_on or today,
                text="已完成第一项整改措施，其余措施正在推进，每周向整改办报送进度。",
            )
        )
    session.add_all(rows)
    return len(rows)


def figures_as_of(session: Session, inspection: Inspection, findings, day: date) -> dict:
    """The figures of figures.summary's shape as of `day`, the states rebuilt from the
    dates: the demo's snapshots lie in the past, which figures.summary (today's statuses)
    cannot answer."""
    total, rows = empty_row(), {}
    for finding, measures in findings:
        done = [m for m, _no in measures if m.done_on is not None and m.done_on <= day]
        if finding.completed_on is not None and finding.completed_on <= day:
            status = "completed"
        elif (
            finding.completion_requested_at is not None
            and finding.completion_requested_at <= _instant(day)
        ):
            status = "completion_requested"
        elif done:
            status = "in_progress"
        else:
            status = "open"
        unit = finding.lead_unit_id
        if unit not in rows:
            name = session.get(OrgUnit, unit).name if unit is not None else None
            rows[unit] = empty_row(unit, name)
        for target in (total, rows[unit]):
            target["findings"] += 1
            target["by_status"][status] += 1
            target["long_term"] += finding.term == "long_term"
            target["overdue_findings"] += (
                status != "completed" and finding.deadline is not None and finding.deadline < day
            )
            for m, _no in measures:
                is_done = m.done_on is not None and m.done_on <= day
                target["measures"] += 1
                target["measures_done"] += is_done
                target["overdue_measures"] += (
                    not is_done and m.due_on is not None and m.due_on < day
                )
    del total["lead_unit_id"], total["lead_unit_name"]
    units = [r for key, r in rows.items() if key is not None]
    units += [rows[None]] if None in rows else []
    return {"inspection_id": inspection.id, "as_of": day.isoformat(), **total, "units": units}


def _snapshots(session: Session, inspection: Inspection, findings, feedback, today) -> int:
    this_month = _first_workday(today)
    if this_month > today:
        this_month = _first_workday(this_month - timedelta(days=1))
    last_month = _first_workday(this_month.replace(day=1) - timedelta(days=1))
    days = [d for d in (last_month, this_month) if feedback <= d <= today]
    session.add_all(
        RectificationSnapshot(
            inspection_id=inspection.id,
            taken_on=day,
            figures=figures_as_of(session, inspection, findings, day),
        )
        for day in days
    )
    return len(days)
