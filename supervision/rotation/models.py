"""Rotation (轮岗交流, SPEC §7): deferrals, discipline holds, and HR's rotation plans.

Tenure and status are computed (supervision.rotation.eligibility); only the decisions are
stored. Nothing here is deleted: a revoked deferral, a released hold and a rejected plan
stay as history for the person's timeline and integrity file.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supervision.common.clock import utcnow
from supervision.db import UTCDateTime
from supervision.extensions import db
from supervision.org.models import PATH_TYPE, Assignment, Person, Post, TimestampMixin

PLAN_STATUSES = ("draft", "submitted", "approved", "rejected", "executed")


class RotationDeferral(db.Model):
    """暂缓轮岗: the party committee defers one person's rotation until `expires_on`.

    In force from `meeting_date` through `expires_on` (inclusive) unless revoked; the day
    after expiry the person is `due` again if the threshold is reached.
    """

    __tablename__ = "rotation_deferrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(sa.Text)
    meeting_date: Mapped[date]
    #: 会议纪要编号 of the committee decision.
    minutes_no: Mapped[str] = mapped_column(sa.String(64))
    expires_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    #: A deferral entered by mistake is revoked, not deleted.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    person: Mapped[Person] = relationship()

    __table_args__ = (sa.CheckConstraint("expires_on >= meeting_date", name="dates"),)


class RotationHold(db.Model):
    """不得转任: the discipline committee blocks a person's move while under review.

    The reason is confidential to the discipline roles; HR only sees that a hold exists.
    A hold has no dates of its own (SPEC §7: person and reason): until released it blocks
    at any `as_of`; releasing keeps the row as history.
    """

    __tablename__ = "rotation_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    person: Mapped[Person] = relationship()


class RotationPlan(TimestampMixin, db.Model):
    """A rotation plan: draft → submitted → approved (committee meeting) or rejected → executed."""

    __tablename__ = "rotation_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(12), default="draft", index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The party committee's decision: approval (meeting date and minutes) or rejection.
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    meeting_date: Mapped[date | None]
    minutes_no: Mapped[str | None] = mapped_column(sa.String(64))
    decision_comment: Mapped[str] = mapped_column(sa.Text, default="")
    executed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    executed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    items: Mapped[list[RotationPlanItem]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="RotationPlanItem.position"
    )

    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('draft','submitted','approved','rejected','executed')", name="status"
        ),
    )


class RotationPlanItem(db.Model):
    """One move in a plan: a person leaves `from_post` the day before `effective_date` and
    holds `to_post` from it. Execution records the assignments it closed and opened."""

    __tablename__ = "rotation_plan_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("rotation_plans.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="RESTRICT"), index=True
    )
    from_post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="RESTRICT"))
    #: Drafts may leave the destination and date open; submitting needs them.
    to_post_id: Mapped[int | None] = mapped_column(sa.ForeignKey("posts.id", ondelete="RESTRICT"))
    effective_date: Mapped[date | None]
    closed_assignment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("assignments.id", ondelete="SET NULL")
    )
    opened_assignment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("assignments.id", ondelete="SET NULL")
    )

    plan: Mapped[RotationPlan] = relationship(back_populates="items")
    person: Mapped[Person] = relationship()
    from_post: Mapped[Post] = relationship(foreign_keys=[from_post_id])
    to_post: Mapped[Post | None] = relationship(foreign_keys=[to_post_id])
    closed_assignment: Mapped[Assignment | None] = relationship(foreign_keys=[closed_assignment_id])
    opened_assignment: Mapped[Assignment | None] = relationship(foreign_keys=[opened_assignment_id])

    __table_args__ = (
        #: The same person twice in one plan is refused (SPEC §7).
        sa.UniqueConstraint("plan_id", "person_id", name="uq_rotation_plan_items_plan_person"),
    )


class TenureRow(db.Model):
    """One person in one sensitive or leadership post they hold, as the eligibility engine
    (supervision.rotation.eligibility) computed it: a maintained table (issue 14), written
    only by supervision.rotation.maintained, in the transaction that changes its inputs.

    Its content does not depend on the day within the period it is valid for: everything that
    changes with the date is stored as the date at which it changes (`upcoming_from`,
    `due_on`, `near_retirement_from`, `probation_until`, `deferred_until`), so the status and
    reasons of *today* are computed in SQL (`maintained.status_sql`) and Python alike.
    `changed_at` moves only when a row is inserted or its content changes.
    """

    __tablename__ = "tenure_rows"

    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    post_id: Mapped[int] = mapped_column(
        sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    #: The person's unit and its path (the list's scope, filter and order), staff number and
    #: personnel type; the post's code and category.
    org_unit_id: Mapped[int]
    path: Mapped[str] = mapped_column(PATH_TYPE, index=True)
    staff_no: Mapped[str] = mapped_column(sa.String(32))
    personnel_type: Mapped[str] = mapped_column(sa.String(20))
    post_code: Mapped[str] = mapped_column(sa.String(64))
    post_category: Mapped[str] = mapped_column(sa.String(32))
    tenure_start: Mapped[date]
    #: Whole days in the post before a day d are d - tenure_anchor.
    tenure_anchor: Mapped[date]
    threshold_years: Mapped[int]
    due_on: Mapped[date]
    #: From this day on the row is `upcoming` (due_on - the policy's upcoming_days).
    upcoming_from: Mapped[date]
    #: From this day on the person is near retirement (deferred, reason near_retirement).
    near_retirement_from: Mapped[date | None]
    #: Through this day the person is on probation (reason probation).
    probation_until: Mapped[date | None]
    technical_post: Mapped[bool]
    leader_term: Mapped[bool]
    #: An unreleased hold (blocked, under_review); an approved plan naming the person
    #: (planned); the deferral in force and its last day (deferred).
    blocked: Mapped[bool]
    plan_id: Mapped[int | None]
    deferral_id: Mapped[int | None]
    deferred_until: Mapped[date | None]
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    __table_args__ = (
        # The list's order within a status (maintained.rows): a page of one status is read
        # from this index, not sorted out of the whole table.
        sa.Index(
            "ix_tenure_rows_list_order",
            "due_on",
            "path",
            "staff_no",
            "post_code",
            "person_id",
            "post_id",
        ),
    )


class TenureState(db.Model):
    """The one row saying for which day and policy `tenure_rows` was last rebuilt whole:
    readers use the table for a later day only when no assignment began or ended and no
    deferral was decided since (supervision.rotation.maintained.answers)."""

    __tablename__ = "tenure_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[date]
    #: The policy (JSON, sorted keys) the rows were computed with.
    policy: Mapped[str] = mapped_column(sa.Text)
    rebuilt_at: Mapped[datetime] = mapped_column(UTCDateTime)
