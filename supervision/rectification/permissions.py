"""Who sees and acts on the rectification ledger (SPEC §14, §4), enforced in queries.

- `rectification.read_all` (the discipline roles) sees every inspection, finding and measure;
  `rectification.manage` (the same roles) creates and edits them and signs findings off.
- A leader (`rectification.lead`) sees in full the findings they answer for: as the
  finding's responsible leader (分管局领导), as the head (`head_person_id`) of its lead unit
  or of a unit owning one of its measures, or as the leader of its inspection (整改第一责任人,
  who receives the weekly summary). The unit rule names the unit itself, not its subtree:
  the ledger names the unit that answers.
- An owner (`rectification.take_part`: leaders and staff) sees the measures whose
  `owner_person_id` is their person, and of their findings only the heading (number, title,
  problem, deadline, status): not the other measures, the notes, nor the sign-off texts.
- Everyone else (admin, HR, a user without a person) sees nothing: lists answer 403 to roles
  without any grant of the area, single objects 404 outside the scope.

Acting: on a measure they see, its owner, the heads of its owner unit and its finding's
lead unit, and the responsible leader mark it done or open again, write its result and add
or remove evidence; on a finding seen in full, a leader adds notes, and the responsible
leader or the lead unit's head requests completion. The discipline roles do all of this.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from supervision.common.permissions import can
from supervision.org.models import OrgUnit, Person
from supervision.org.scope import risk_scope, scope_for
from supervision.rectification.models import Finding, Inspection, RectificationMeasure
from supervision.risks import queries as risk_queries
from supervision.risks.models import RiskCampaign, RiskPoint
from supervision.risks.settings import get_risk_settings
from supervision.rotation.models import RotationDeferral, RotationPlan
from supervision.talks.models import Talk
from supervision.talks.permissions import contents_visible, visible_clause


def _me(user) -> int | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.person_id


def has_any_grant(user) -> bool:
    """Whether the user holds any grant of the area (lists answer 403 otherwise)."""
    return can(
        user,
        "rectification.read_all",
        "rectification.lead",
        "rectification.take_part",
    )


def _headed(person_id: int):
    return sa.select(OrgUnit.id).where(OrgUnit.head_person_id == person_id)


def full_finding_clause(user):
    """SQL condition on Finding rows the user reads in full (measures, notes, sign-off)."""
    if can(user, "rectification.read_all"):
        return sa.true()
    me = _me(user)
    if me is None or not can(user, "rectification.lead"):
        return sa.false()
    headed = _headed(me)
    return sa.or_(
        Finding.responsible_leader_id == me,
        Finding.lead_unit_id.in_(headed),
        Finding.inspection_id.in_(
            sa.select(Inspection.id).where(Inspection.leader_person_id == me)
        ),
        Finding.id.in_(
            sa.select(RectificationMeasure.finding_id).where(
                RectificationMeasure.owner_unit_id.in_(headed)
            )
        ),
    )


def _owned_findings(me: int):
    return sa.select(RectificationMeasure.finding_id).where(
        RectificationMeasure.owner_person_id == me
    )


def finding_clause(user):
    """SQL condition on Finding rows the user may know about (in full, or as an owner)."""
    full = full_finding_clause(user)
    me = _me(user)
    if me is None or not can(user, "rectification.take_part"):
        return full
    return sa.or_(full, Finding.id.in_(_owned_findings(me)))


def measure_clause(user):
    """SQL condition on RectificationMeasure rows the user may see."""
    if can(user, "rectification.read_all"):
        return sa.true()
    conds = [
        RectificationMeasure.finding_id.in_(sa.select(Finding.id).where(full_finding_clause(user)))
    ]
    me = _me(user)
    if me is not None and can(user, "rectification.take_part"):
        conds.append(RectificationMeasure.owner_person_id == me)
    return sa.or_(*conds)


def inspection_clause(user):
    """SQL condition on Inspection rows the user may know about: every one for the
    discipline roles, else those holding a finding the user may know about, or led by them."""
    if can(user, "rectification.read_all"):
        return sa.true()
    me = _me(user)
    if me is None:
        return sa.false()
    conds = [Inspection.id.in_(sa.select(Finding.inspection_id).where(finding_clause(user)))]
    if can(user, "rectification.lead"):
        conds.append(Inspection.leader_person_id == me)
    return sa.or_(*conds)


def reads_in_full(session: Session, user, finding: Finding) -> bool:
    """Whether the user reads the (visible) finding in full, not only as an owner."""
    if can(user, "rectification.read_all"):
        return True
    return (
        session.scalar(
            sa.select(sa.literal(1)).where(Finding.id == finding.id, full_finding_clause(user))
        )
        is not None
    )


def reads_summary(user, inspection: Inspection) -> bool:
    """The figures of a whole inspection: the discipline roles and the inspection's leader."""
    return can(user, "rectification.read_all") or (
        can(user, "rectification.lead")
        and _me(user) is not None
        and inspection.leader_person_id == _me(user)
    )


def _heads(session: Session, unit_ids) -> set[int]:
    ids = [u for u in unit_ids if u is not None]
    if not ids:
        return set()
    return set(
        session.scalars(
            sa.select(OrgUnit.head_person_id).where(
                OrgUnit.id.in_(ids), OrgUnit.head_person_id.is_not(None)
            )
        )
    )


def may_request_completion(session: Session, user, finding: Finding) -> bool:
    """The responsible leader, the lead unit's head, or a discipline role."""
    if can(user, "rectification.manage"):
        return True
    me = _me(user)
    if me is None or not can(user, "rectification.lead"):
        return False
    return me == finding.responsible_leader_id or me in _heads(session, [finding.lead_unit_id])


def may_note(session: Session, user, finding: Finding) -> bool:
    """Notes: the discipline roles and the leaders reading the finding in full."""
    if can(user, "rectification.manage"):
        return True
    return can(user, "rectification.lead") and reads_in_full(session, user, finding)


def may_act_on_measure(session: Session, user, measure: RectificationMeasure) -> bool:
    """Done, reopen, result, evidence: the discipline roles; the measure's owner; the
    heads of its owner unit and of its finding's lead unit; the responsible leader."""
    if can(user, "rectification.manage"):
        return True
    me = _me(user)
    if me is None:
        return False
    if can(user, "rectification.take_part") and measure.owner_person_id == me:
        return True
    if not can(user, "rectification.lead"):
        return False
    finding = measure.finding
    if me == finding.responsible_leader_id:
        return True
    return me in _heads(session, [measure.owner_unit_id, finding.lead_unit_id])


def link_readable(session: Session, user, object_type: str, object_id: int) -> bool:
    """Whether the user may read the record a piece of evidence would link to, by the rules
    of the record's own area: a talk they may know about (and read: talks.permissions), a
    risk point of their inventory scope, a campaign (`risks.edit`), a rotation plan
    (`rotation.read`), a deferral of their scope (`rotation.read`)."""
    if object_type == "talk":
        talk = session.scalar(sa.select(Talk).where(Talk.id == object_id, visible_clause(user)))
        return talk is not None and contents_visible(user, talk)
    if object_type == "risk_point":
        if not can(user, "risks.edit"):
            return False
        stmt = risk_queries.points(
            risk_scope(user), get_risk_settings(session), include_retired=True, eager=False
        )
        return session.scalar(stmt.where(RiskPoint.id == object_id)) is not None
    if object_type == "risk_campaign":
        return can(user, "risks.edit") and session.get(RiskCampaign, object_id) is not None
    if object_type == "rotation_plan":
        return can(user, "rotation.read") and session.get(RotationPlan, object_id) is not None
    if object_type == "deferral":
        if not can(user, "rotation.read"):
            return False
        scope = scope_for(user)
        stmt = (
            sa.select(RotationDeferral.id)
            .join(Person, Person.id == RotationDeferral.person_id)
            .where(RotationDeferral.id == object_id, scope.person_clause())
        )
        return session.scalar(stmt) is not None
    return False
