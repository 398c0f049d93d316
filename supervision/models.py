"""Imports every model so that the metadata (and Alembic) sees the whole schema."""

from supervision.audit.models import AuditEntry, AuditHead
from supervision.auth.models import ApiToken, User, UserRole
from supervision.calendar.models import CalendarDay
from supervision.integrity.models import IntegrityNote, IntegrityNoteAttachment
from supervision.obligations.models import ObligationWaiver, TalkConductor
from supervision.org.models import Assignment, OrgUnit, Person, Post
from supervision.rectification.models import (
    Finding,
    FindingNote,
    Inspection,
    MeasureEvidence,
    RectificationMeasure,
    RectificationSnapshot,
)
from supervision.reminders.models import CalendarFeed, Notification, SchedulerJob
from supervision.reports.models import ReportJob
from supervision.risks.models import Measure, RiskApproval, RiskCampaign, RiskPoint
from supervision.rotation.models import (
    RotationDeferral,
    RotationHold,
    RotationPlan,
    RotationPlanItem,
    TenureRow,
    TenureState,
)
from supervision.settings.models import Setting
from supervision.talks.models import Talk, TalkAttachment, TalkInterviewer, TalkSignature

__all__ = [
    "Finding",
    "FindingNote",
    "Inspection",
    "MeasureEvidence",
    "RectificationMeasure",
    "RectificationSnapshot",
    "ApiToken",
    "Assignment",
    "CalendarFeed",
    "Notification",
    "SchedulerJob",
    "ReportJob",
    "AuditEntry",
    "AuditHead",
    "CalendarDay",
    "OrgUnit",
    "Person",
    "IntegrityNote",
    "IntegrityNoteAttachment",
    "Measure",
    "ObligationWaiver",
    "Post",
    "RiskApproval",
    "RiskCampaign",
    "RiskPoint",
    "RotationDeferral",
    "RotationHold",
    "RotationPlan",
    "RotationPlanItem",
    "TenureRow",
    "TenureState",
    "Setting",
    "Talk",
    "TalkAttachment",
    "TalkConductor",
    "TalkInterviewer",
    "TalkSignature",
    "User",
    "UserRole",
]
