"""What the rectification API and pages read, scoped (permissions.py): one object or 404,
the lists with their filters, and which of them the caller reads in full."""

from __future__ import annotations

import json
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, selectinload

from supervision.audit.models import AuditEntry
from supervision.common.errors import NotFound
from supervision.rectification.figures import finding_overdue_clause
from supervision.rectification.models import Finding, Inspection, RectificationMeasure
from supervision.rectification.permissions import (
    finding_clause,
    full_finding_clause,
    inspection_clause,
    measure_clause,
)

FINDING_LOADS = (
    selectinload(Finding.measures).selectinload(RectificationMeasure.evidence),
    selectinload(Finding.notes),
    selectinload(Finding.inspection),
)


def _one(session: Session, stmt, lock: bool, what: str, obj_id: int):
    if lock:
        stmt = stmt.with_for_update(of=stmt.column_descriptions[0]["entity"])
    obj = session.scalar(stmt)
    if obj is None:
        raise NotFound(_("No %(what)s with id %(id)s.", what=what, id=obj_id))
    return obj


def get_inspection(session: Session, user, inspection_id: int, lock: bool = False) -> Inspection:
    """The inspection if the user may know about it, else 404."""
    stmt = sa.select(Inspection).where(Inspection.id == inspection_id, inspection_clause(user))
    return _one(session, stmt, lock, _("inspection"), inspection_id)


def get_finding(session: Session, user, finding_id: int, lock: bool = False) -> Finding:
    """The finding if the user may know about it (in full or as an owner), else 404."""
    stmt = sa.select(Finding).where(Finding.id == finding_id, finding_clause(user))
    return _one(session, stmt, lock, _("problem"), finding_id)


def get_measure(
    session: Session, user, measure_id: int, lock: bool = False
) -> RectificationMeasure:
    """The measure if the user may see it, else 404."""
    stmt = sa.select(RectificationMeasure).where(
        RectificationMeasure.id == measure_id, measure_clause(user)
    )
    return _one(session, stmt, lock, _("measure"), measure_id)


def inspections(user) -> sa.Select:
    """The inspections the user may know about, newest feedback first."""
    return (
        sa.select(Inspection)
        .where(inspection_clause(user))
        .order_by(Inspection.feedback_on.desc(), Inspection.id.desc())
    )


def findings(
    user,
    inspection_id: int,
    *,
    category: str | None = None,
    lead_unit_id: int | None = None,
    status: str | None = None,
    term: str | None = None,
    overdue: bool | None = None,
    as_of: date | None = None,
) -> sa.Select:
    """The inspection's findings the user may know about, by number, filtered."""
    stmt = sa.select(Finding).where(Finding.inspection_id == inspection_id, finding_clause(user))
    if category is not None:
        stmt = stmt.where(Finding.category == category)
    if lead_unit_id is not None:
        stmt = stmt.where(Finding.lead_unit_id == lead_unit_id)
    if status is not None:
        stmt = stmt.where(Finding.status == status)
    if term is not None:
        stmt = stmt.where(Finding.term == term)
    if overdue is not None and as_of is not None:
        late = finding_overdue_clause(as_of)
        stmt = stmt.where(late if overdue else sa.not_(late))
    return stmt.order_by(Finding.number, Finding.id)


def full_ids(session: Session, user, finding_ids) -> set[int]:
    """Which of the findings the user reads in full (one query)."""
    ids = list(finding_ids)
    if not ids:
        return set()
    return set(
        session.scalars(sa.select(Finding.id).where(Finding.id.in_(ids), full_finding_clause(user)))
    )


def visible_measure_ids(session: Session, user, finding_ids) -> set[int]:
    """Which measures of the findings the user may see (one query)."""
    ids = list(finding_ids)
    if not ids:
        return set()
    return set(
        session.scalars(
            sa.select(RectificationMeasure.id).where(
                RectificationMeasure.finding_id.in_(ids), measure_clause(user)
            )
        )
    )


#: The audited actions of a finding shown as its history (its workflow).
HISTORY_ACTIONS = ("create", "progress", "request_completion", "complete", "return")


def history(session: Session, finding_id: int) -> list[dict]:
    """The finding's workflow from the audit log, oldest first: when, who, what, the status
    before and after and the text given (summary or comment)."""
    entries = session.execute(
        sa.select(AuditEntry.at, AuditEntry.actor_name, AuditEntry.action, AuditEntry.changes)
        .where(
            AuditEntry.object_type == "finding",
            AuditEntry.object_id == str(finding_id),
            AuditEntry.action.in_(HISTORY_ACTIONS),
        )
        .order_by(AuditEntry.id)
    ).all()
    rows = []
    for at, actor, action, changes in entries:
        parsed = json.loads(changes or "{}")
        status = parsed.get("status") or [None, None]
        text = parsed.get("review_comment") or parsed.get("completion_summary") or [None, None]
        rows.append(
            {
                "at": at,
                "actor_name": actor,
                "action": action,
                "status_from": status[0],
                "status_to": status[1],
                "text": text[1] if action != "create" else None,
            }
        )
    return rows
