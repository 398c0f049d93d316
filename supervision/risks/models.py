"""Risk points, their control measures, screening campaigns and frozen approvals."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supervision.common.clock import utcnow
from supervision.db import UTCDateTime
from supervision.extensions import db
from supervision.org.models import OrgUnit, Person, Post, TimestampMixin


class RiskCampaign(TimestampMixin, db.Model):
    """A screening campaign (排查): units submit their inventories by the deadline."""

    __tablename__ = "risk_campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    year: Mapped[int]
    deadline: Mapped[date]
    #: open while units submit; closed campaigns stay readable and reproducible.
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint("status IN ('open','closed')", name="status"),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name="year"),
    )


class RiskPoint(TimestampMixin, db.Model):
    """An integrity-risk point (风险点) of a unit, usually of one of its posts."""

    __tablename__ = "risk_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("org_units.id", ondelete="RESTRICT"), index=True
    )
    #: Null for a unit-wide risk.
    post_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("posts.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(300))
    #: 表现形式
    manifestation: Mapped[str] = mapped_column(sa.Text, default="")
    category: Mapped[str] = mapped_column(sa.String(16))
    likelihood: Mapped[int]
    impact: Mapped[int]
    #: 责任领导
    responsible_leader_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    #: 部门负责人
    department_owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    last_reviewed_on: Mapped[date | None]
    #: Computed when saved: last_reviewed_on + the review cycle of the point's level.
    review_due_on: Mapped[date | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="draft", index=True)
    #: The reviewer's comment when the point was returned.
    return_comment: Mapped[str] = mapped_column(sa.Text, default="")
    #: Bumped when an approved point is edited: approvals are kept per version.
    version: Mapped[int] = mapped_column(default=1)
    #: The campaign of the current workflow state (submitted/approved/returned), if any.
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("risk_campaigns.id", ondelete="RESTRICT"), index=True
    )
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    org_unit: Mapped[OrgUnit] = relationship()
    post: Mapped[Post | None] = relationship()
    responsible_leader: Mapped[Person | None] = relationship(foreign_keys=[responsible_leader_id])
    department_owner: Mapped[Person | None] = relationship(foreign_keys=[department_owner_id])
    campaign: Mapped[RiskCampaign | None] = relationship()
    measures: Mapped[list[Measure]] = relationship(
        back_populates="risk_point", cascade="all, delete-orphan", order_by="Measure.id"
    )

    __table_args__ = (
        sa.CheckConstraint(
            "category IN ('ideology','duty','process','institution','external')", name="category"
        ),
        sa.CheckConstraint("likelihood BETWEEN 1 AND 5", name="likelihood"),
        sa.CheckConstraint("impact BETWEEN 1 AND 5", name="impact"),
        sa.CheckConstraint(
            "status IN ('draft','submitted','approved','returned','retired')", name="status"
        ),
        sa.Index("ix_risk_points_grid", "org_unit_id", "likelihood", "impact"),
    )


class Measure(db.Model):
    """A control measure (防控措施) of a risk point."""

    __tablename__ = "risk_measures"

    id: Mapped[int] = mapped_column(primary_key=True)
    risk_point_id: Mapped[int] = mapped_column(
        sa.ForeignKey("risk_points.id", ondelete="CASCADE"), index=True
    )
    description: Mapped[str] = mapped_column(sa.Text)
    owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    due_on: Mapped[date | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(sa.String(8), default="open")
    done_on: Mapped[date | None]
    #: When it was last written (the reminder sweep looks again at measures changed since
    #: its last run); null for measures from before the column existed.
    updated_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )

    risk_point: Mapped[RiskPoint] = relationship(back_populates="measures")
    owner: Mapped[Person | None] = relationship()

    __table_args__ = (sa.CheckConstraint("status IN ('open','done')", name="status"),)


class RiskApproval(db.Model):
    """A risk point as approved in a campaign, frozen: reports of that campaign read these.

    One row per (campaign, point); re-approving the point in the same campaign (after a
    return or an edit) replaces the row, so it always holds the campaign's final text.
    """

    __tablename__ = "risk_approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("risk_campaigns.id", ondelete="RESTRICT"), index=True
    )
    risk_point_id: Mapped[int] = mapped_column(
        sa.ForeignKey("risk_points.id", ondelete="CASCADE"), index=True
    )
    org_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_units.id", ondelete="RESTRICT"))
    version: Mapped[int]
    #: JSON: every field of the point with names resolved (unit, post, people) and measures.
    data: Mapped[str] = mapped_column(sa.Text)
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    __table_args__ = (
        sa.UniqueConstraint(
            "campaign_id", "risk_point_id", name="uq_risk_approvals_campaign_point"
        ),
        sa.Index("ix_risk_approvals_campaign_unit", "campaign_id", "org_unit_id"),
    )
