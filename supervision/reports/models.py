"""Report jobs: a report that scales with the branch is generated in the background and its
file kept for download (issue 14; SPEC §9 "a report that takes more than a few seconds
shows that it is being generated")."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supervision.auth.models import User
from supervision.db import UTCDateTime
from supervision.extensions import db

#: queued → running → done | failed; a done job whose file was removed becomes expired.
JOB_STATUSES = ("queued", "running", "done", "failed", "expired")


class ReportJob(db.Model):
    """One requested report: what, for whom, how far it got, and the stored file."""

    __tablename__ = "report_jobs"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed', 'expired')", name="status"
        ),
        sa.CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
        sa.Index("ix_report_jobs_requester_created", "requested_by_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Which report (supervision.reports.jobs.KINDS): risk-inventory, talk-completion, ...
    kind: Mapped[str] = mapped_column(sa.String(32))
    format: Mapped[str] = mapped_column(sa.String(8))
    #: The report's arguments as JSON (dates as YYYY-MM-DD).
    parameters: Mapped[str] = mapped_column(sa.Text, default="{}")
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(sa.String(8), default="queued", index=True)
    progress: Mapped[int] = mapped_column(default=0)
    #: What the runner is doing now, in English (translated when shown).
    stage: Mapped[str] = mapped_column(sa.String(64), default="")
    attempts: Mapped[int] = mapped_column(default=0)
    #: The runner holding the job (host:pid:thread), for the admin.
    claimed_by: Mapped[str] = mapped_column(sa.String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Last sign of life of the runner: a running job silent for too long is taken back.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: The stored file (supervision.common.storage), NULL until done and after expiry.
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    content_type: Mapped[str] = mapped_column(sa.String(100), default="")
    size: Mapped[int | None] = mapped_column()
    #: The download's Chinese name and its ASCII fallback.
    filename: Mapped[str] = mapped_column(sa.String(255), default="")
    fallback_filename: Mapped[str] = mapped_column(sa.String(255), default="")
    #: What the requester is told when the job failed (a validation message, or a generic one).
    message: Mapped[str] = mapped_column(sa.Text, default="")
    #: The exception of a failed job, for the admin only (never shown to the requester).
    error: Mapped[str] = mapped_column(sa.Text, default="")

    requested_by: Mapped[User] = relationship()

    @property
    def params(self) -> dict[str, Any]:
        """The decoded parameters."""
        return json.loads(self.parameters or "{}")

    @property
    def is_finished(self) -> bool:
        """Whether the runner is done with the job (whatever the outcome)."""
        return self.status in ("done", "failed", "expired")
