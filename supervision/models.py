"""Imports every model so that the metadata (and Alembic) sees the whole schema."""

from supervision.audit.models import AuditEntry, AuditHead
from supervision.auth.models import ApiToken, User, UserRole
from supervision.calendar.models import CalendarDay
from supervision.org.models import Assignment, OrgUnit, Person, Post

__all__ = [
    "ApiToken", "Assignment", "AuditEntry", "AuditHead", "CalendarDay", "OrgUnit", "Person",
    "Post", "User", "UserRole",
]
