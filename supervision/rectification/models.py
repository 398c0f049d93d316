"""The rectification ledger (SPEC §14): an inspection, the problems it fed back (findings),
the measures taken for each (一是…二是…), their evidence, progress notes and monthly
snapshots of the figures."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supervision.common.clock import utcnow
from supervision.db import UTCDateTime
from supervision.extensions import db
from supervision.org.models import TimestampMixin

INSPECTION_STATUSES = ("rectifying", "reported", "closed")
FINDING_TERMS = ("immediate", "time_limited", "long_term")
FINDING_STATUSES = ("open", "in_progress", "completion_requested", "completed")
MEASURE_STATUSES = ("open", "done")
#: The records a measure's evidence may link to (SPEC §14).
EVIDENCE_OBJECT_TYPES = ("talk", "risk_point", "risk_campaign", "rotation_plan", "deferral")
#: The focus areas a finding sits under unless the inspection names others.
DEFAULT_CATEGORIES = (
    "聚焦党中央决策部署在基层贯彻落实情况",
    "聚焦全面从严管党治警情况",
    "聚焦基层党组织和党员队伍建设",
)


def _in(values) -> str:
    return ",".join(f"'{v}'" for v in values)


class Inspection(TimestampMixin, db.Model):
    """One inspection (巡察) of a unit and the rectification that follows its feedback."""

    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    inspector: Mapped[str] = mapped_column(sa.String(200))
    org_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_units.id", ondelete="RESTRICT"))
    onsite_from: Mapped[date | None]
    onsite_to: Mapped[date | None]
    feedback_on: Mapped[date]
    #: 集中整改期限; feedback_on + 90 days unless given.
    deadline: Mapped[date]
    #: 整改第一责任人.
    leader_person_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL")
    )
    #: {"duty": [{"heading", "body"}], "next_steps": [{"heading", "body"}]}: the notice's
    #: sections 一 (党委履行整改主体责任情况) and 四 (下一步工作打算).
    narrative: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    publish_from: Mapped[date | None]
    publish_to: Mapped[date | None]
    #: 联系电话、邮政信箱、电子邮箱, as written in the notice.
    contact: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(16), default="rectifying")

    findings: Mapped[list[Finding]] = relationship(
        back_populates="inspection", order_by="Finding.number", passive_deletes=True
    )

    __table_args__ = (
        sa.CheckConstraint(f"status IN ({_in(INSPECTION_STATUSES)})", name="status"),
        sa.CheckConstraint("deadline >= feedback_on", name="deadline"),
    )


class Finding(TimestampMixin, db.Model):
    """A problem fed back by the inspection group (反馈问题)."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("inspections.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(sa.String(200))
    #: The sub-heading the finding sits under in the notice.
    theme: Mapped[str] = mapped_column(sa.String(200), default="")
    number: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: 分管局领导.
    responsible_leader_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    #: 牵头责任部门.
    lead_unit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("org_units.id", ondelete="SET NULL"), index=True
    )
    term: Mapped[str] = mapped_column(sa.String(16), default="time_limited")
    #: None for long-term findings.
    deadline: Mapped[date | None]
    status: Mapped[str] = mapped_column(sa.String(24), default="open")
    #: What the leader wrote when requesting completion.
    completion_summary: Mapped[str] = mapped_column(sa.Text, default="")
    completion_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_on: Mapped[date | None]
    completed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    #: The sign-off (or the last return's) comment.
    review_comment: Mapped[str] = mapped_column(sa.Text, default="")

    inspection: Mapped[Inspection] = relationship(back_populates="findings")
    measures: Mapped[list[RectificationMeasure]] = relationship(
        back_populates="finding",
        order_by="RectificationMeasure.number",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    notes: Mapped[list[FindingNote]] = relationship(
        order_by="(FindingNote.noted_on, FindingNote.id)",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __table_args__ = (
        sa.UniqueConstraint("inspection_id", "number", name="uq_findings_inspection_number"),
        sa.CheckConstraint(f"term IN ({_in(FINDING_TERMS)})", name="term"),
        sa.CheckConstraint(f"status IN ({_in(FINDING_STATUSES)})", name="status"),
        sa.CheckConstraint("number >= 1", name="number"),
        sa.CheckConstraint("term <> 'long_term' OR status <> 'completed'", name="long_term_open"),
    )


class RectificationMeasure(TimestampMixin, db.Model):
    """One measure taken for a finding (整改措施), written 一是…二是… in the notice."""

    __tablename__ = "rectification_measures"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(
        sa.ForeignKey("findings.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    description: Mapped[str] = mapped_column(sa.Text)
    owner_unit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("org_units.id", ondelete="SET NULL"), index=True
    )
    owner_person_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    #: The finding's deadline unless given; None for a long-term finding's measures.
    due_on: Mapped[date | None]
    #: Why the measure is due after its finding's deadline (required then).
    due_reason: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(8), default="open")
    done_on: Mapped[date | None]
    #: 整改成效, e.g. 共整改出租屋各类安全隐患131处.
    result: Mapped[str] = mapped_column(sa.Text, default="")

    finding: Mapped[Finding] = relationship(back_populates="measures")
    evidence: Mapped[list[MeasureEvidence]] = relationship(
        order_by="MeasureEvidence.id", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        sa.UniqueConstraint("finding_id", "number", name="uq_rectification_measures_number"),
        sa.CheckConstraint(f"status IN ({_in(MEASURE_STATUSES)})", name="status"),
        sa.CheckConstraint("status = 'open' OR done_on IS NOT NULL", name="done_on"),
        sa.CheckConstraint("number >= 1", name="number"),
    )


class MeasureEvidence(db.Model):
    """Evidence of a measure (佐证材料): a stored file (by sha256, like talk attachments) or a
    link to a record the service holds."""

    __tablename__ = "measure_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(
        sa.ForeignKey("rectification_measures.id", ondelete="CASCADE"), index=True
    )
    #: file: filename/content_type/size/sha256 set; link: object_type/object_id set.
    kind: Mapped[str] = mapped_column(sa.String(8))
    filename: Mapped[str | None] = mapped_column(sa.String(255))
    #: The MIME type read from the content (a DOCX's is 71 characters long).
    content_type: Mapped[str | None] = mapped_column(sa.String(128))
    size: Mapped[int | None]
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    object_type: Mapped[str | None] = mapped_column(sa.String(16))
    object_id: Mapped[int | None]
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    __table_args__ = (
        sa.CheckConstraint("kind IN ('file','link')", name="kind"),
        sa.CheckConstraint(
            f"object_type IS NULL OR object_type IN ({_in(EVIDENCE_OBJECT_TYPES)})",
            name="object_type",
        ),
        sa.CheckConstraint(
            "(kind = 'file' AND sha256 IS NOT NULL AND object_type IS NULL)"
            " OR (kind = 'link' AND object_type IS NOT NULL AND object_id IS NOT NULL"
            " AND sha256 IS NULL)",
            name="shape",
        ),
    )


class FindingNote(db.Model):
    """A dated progress note on a finding."""

    __tablename__ = "finding_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(
        sa.ForeignKey("findings.id", ondelete="CASCADE"), index=True
    )
    noted_on: Mapped[date]
    text: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RectificationSnapshot(db.Model):
    """The inspection's figures frozen on the first working day of a month (or by hand), so
    that progress can be charted over time."""

    __tablename__ = "rectification_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(sa.ForeignKey("inspections.id", ondelete="CASCADE"))
    taken_on: Mapped[date]
    #: The summary (GET /inspections/{id}/summary) as of taken_on.
    figures: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("inspection_id", "taken_on", name="uq_rectification_snapshots_day"),
    )
