"""Org units (a tree with a materialised path), people, posts and assignments."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supervision.common.clock import utcnow
from supervision.db import UTCDateTime
from supervision.extensions import db

UNIT_KINDS = ("bureau", "branch", "department", "station", "team", "other")
PERSONNEL_TYPES = ("police", "auxiliary")
LEADERSHIP = ("team_member", "department_head", "none")
POST_CATEGORIES = (
    "law_enforcement",
    "case_property",
    "detention",
    "finance",
    "procurement",
    "personnel",
    "licensing",
    "traffic",
    "equipment",
    "legal_review",
    "other",
)


PATH_TYPE = sa.String(1000).with_variant(sa.String(1000, collation="C"), "postgresql")


def in_subtree(path_column, prefix):
    """SQL condition: `path_column` lies in the subtree whose path is `prefix` (ends in "/").

    Paths hold only digits and "/", and "/" sorts just before "0", so the subtree is the
    range [prefix, prefix without its last "/" + "0"): an index range scan on both
    databases, where `LIKE 'prefix%'` cannot use SQLite's index. `prefix` may be a string
    or a SQL expression (e.g. a unit's path selected in a subquery).
    """
    if isinstance(prefix, str):
        upper = prefix[:-1] + "0"
    else:
        upper = sa.func.substr(prefix, 1, sa.func.length(prefix) - 1).concat("0")
    return sa.and_(path_column >= prefix, path_column < upper)


class TimestampMixin:
    """created_at / updated_at instants, in UTC."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class OrgUnit(TimestampMixin, db.Model):
    """A unit of the organisation tree (局/分局/部门/派出所/中队)."""

    __tablename__ = "org_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20))
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("org_units.id", ondelete="RESTRICT"), index=True
    )
    #: Materialised path of ids, e.g. "1/5/12/"; see in_subtree(). Bytewise ("C") order on
    #: PostgreSQL so that range scans on the index are right whatever the server's locale.
    path: Mapped[str] = mapped_column(PATH_TYPE, index=True, default="")
    depth: Mapped[int] = mapped_column(default=0)
    head_person_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", use_alter=True, ondelete="SET NULL"), index=True
    )
    #: 分管局领导: the member of the leadership team who supervises this unit.
    supervising_leader_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", use_alter=True, ondelete="SET NULL"), index=True
    )

    parent: Mapped[OrgUnit | None] = relationship(
        remote_side="OrgUnit.id", back_populates="children"
    )
    children: Mapped[list[OrgUnit]] = relationship(back_populates="parent", order_by="OrgUnit.code")
    head: Mapped[Person | None] = relationship(foreign_keys=[head_person_id])
    supervising_leader: Mapped[Person | None] = relationship(foreign_keys=[supervising_leader_id])

    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('bureau','branch','department','station','team','other')", name="kind"
        ),
    )

    def __repr__(self) -> str:
        return f"<OrgUnit {self.code} {self.name}>"


class Person(TimestampMixin, db.Model):
    """A member of staff: sworn police (民警) or auxiliary police (辅警)."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_no: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100), index=True)
    personnel_type: Mapped[str] = mapped_column(sa.String(20))
    org_unit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("org_units.id", ondelete="RESTRICT"), index=True
    )
    leadership: Mapped[str] = mapped_column(sa.String(20), default="none")
    birth_date: Mapped[date | None]
    hire_date: Mapped[date | None]
    #: Planned retirement date supplied by HR; no retirement age is hard-coded.
    retirement_date: Mapped[date | None]
    probation_until: Mapped[date | None]
    email: Mapped[str | None] = mapped_column(sa.String(254))
    is_active: Mapped[bool] = mapped_column(default=True)

    org_unit: Mapped[OrgUnit] = relationship(foreign_keys=[org_unit_id])
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="person", order_by="Assignment.start_date.desc()"
    )

    __table_args__ = (
        sa.CheckConstraint("personnel_type IN ('police','auxiliary')", name="personnel_type"),
        sa.CheckConstraint(
            "leadership IN ('team_member','department_head','none')", name="leadership"
        ),
    )

    def __repr__(self) -> str:
        return f"<Person {self.staff_no} {self.name}>"


class Post(TimestampMixin, db.Model):
    """A post (岗位) of a unit. Renaming or re-coding keeps its id, and so everyone's tenure."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("org_units.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    category: Mapped[str] = mapped_column(sa.String(32), default="other")
    is_sensitive: Mapped[bool] = mapped_column(default=False, index=True)
    #: Auxiliary police may not hold it.
    sworn_only: Mapped[bool] = mapped_column(default=False)
    #: Special technical post (e.g. forensic).
    is_technical: Mapped[bool] = mapped_column(default=False)
    #: A leadership position: tenure here counts for the leader-term rule.
    is_leadership: Mapped[bool] = mapped_column(default=False)
    #: Overrides the policy's rotation threshold for this post.
    rotation_years: Mapped[int | None]

    org_unit: Mapped[OrgUnit] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "category IN ('law_enforcement','case_property','detention','finance',"
            "'procurement','personnel','licensing','traffic','equipment','legal_review','other')",
            name="category",
        ),
        sa.CheckConstraint("rotation_years IS NULL OR rotation_years > 0", name="rotation_years"),
    )

    def __repr__(self) -> str:
        return f"<Post {self.code} {self.name}>"


class Assignment(TimestampMixin, db.Model):
    """A person holding a post from start_date to end_date (inclusive; null = current)."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="RESTRICT"), index=True)
    start_date: Mapped[date]
    #: Last day in the post, inclusive; null while current.
    end_date: Mapped[date | None]

    person: Mapped[Person] = relationship(back_populates="assignments")
    post: Mapped[Post] = relationship()

    __table_args__ = (
        sa.Index("ix_assignments_person_post", "person_id", "post_id", "start_date"),
        # The stints that began or ended in a span of days (应轮尽轮's departures on the start
        # page; the tenure table's "did an assignment begin or end since its rebuild"): a
        # range of these indexes rather than a scan of every assignment.
        sa.Index("ix_assignments_start_date", "start_date"),
        sa.Index("ix_assignments_end_date", "end_date"),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates"),
    )
