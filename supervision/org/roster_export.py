"""Roster export (SPEC §3): the four sheets of an import, for the caller's scope, as .xlsx,
in the API layout (roster_io) or the office layout (roster_office, `layout="zh"`)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from supervision.audit.services import record
from supervision.org import roster_io, roster_office
from supervision.org.models import Assignment, OrgUnit, Person, Post
from supervision.org.scope import Scope


def export_rows(session: Session, scope: Scope) -> list[tuple[str, Iterable[tuple]]]:
    """The four sheets' rows for the units and people in `scope`, references by code."""
    parent, head, sup = aliased(OrgUnit), aliased(Person), aliased(Person)
    units = (
        sa.select(
            OrgUnit.code, OrgUnit.name, OrgUnit.kind, parent.code, head.staff_no, sup.staff_no
        )
        .outerjoin(parent, parent.id == OrgUnit.parent_id)
        .outerjoin(head, head.id == OrgUnit.head_person_id)
        .outerjoin(sup, sup.id == OrgUnit.supervising_leader_id)
        .where(scope.unit_clause())
        .order_by(OrgUnit.path)
    )
    people = (
        sa.select(
            Person.staff_no,
            Person.name,
            Person.personnel_type,
            OrgUnit.code,
            Person.leadership,
            Person.birth_date,
            Person.hire_date,
            Person.retirement_date,
            Person.probation_until,
            Person.email,
            Person.is_active,
        )
        .join(OrgUnit, OrgUnit.id == Person.org_unit_id)
        .where(scope.person_clause())
        .order_by(Person.staff_no)
    )
    posts = (
        sa.select(
            Post.code,
            Post.name,
            OrgUnit.code,
            Post.category,
            Post.is_sensitive,
            Post.sworn_only,
            Post.is_technical,
            Post.is_leadership,
            Post.rotation_years,
        )
        .join(OrgUnit, OrgUnit.id == Post.org_unit_id)
        .where(Post.org_unit_id.in_(scope.unit_ids_select()))
        .order_by(Post.code)
    )
    assignments = (
        sa.select(Person.staff_no, Post.code, Assignment.start_date, Assignment.end_date)
        .join(Person, Person.id == Assignment.person_id)
        .join(Post, Post.id == Assignment.post_id)
        .where(scope.person_clause())
        .order_by(Person.staff_no, Post.code, Assignment.start_date)
    )
    return [
        (kind, session.execute(stmt.execution_options(yield_per=2000)))
        for kind, stmt in (
            ("units", units),
            ("people", people),
            ("posts", posts),
            ("assignments", assignments),
        )
    ]


def export_roster(session: Session, scope: Scope, layout: str = "api") -> bytes:
    """The roster in `scope` as an .xlsx workbook in the API layout or the office layout
    ("zh"); the export is recorded in the audit log."""
    counts: dict[str, int] = {}

    def counted(kind: str, rows):
        counts[kind] = 0
        for row in rows:
            counts[kind] += 1
            yield tuple(row)

    sheets = ((kind, counted(kind, rows)) for kind, rows in export_rows(session, scope))
    if layout == "zh":
        data = roster_office.write_office_workbook(
            sheets, _title(session, scope), office_lists(session, scope)
        )
    else:
        data = roster_io.write_workbook(sheets)
    record(session, "export", "roster", "", {"rows": counts, "layout": layout})
    return data


def template_workbook(session: Session | None = None, scope: Scope | None = None) -> bytes:
    """An empty workbook with the four sheets' headers (re-imports as no change): the API
    layout, or with a session and scope the office layout with the scope's units and posts
    in its dropdowns."""
    if session is None or scope is None:
        return roster_io.write_workbook((kind, ()) for kind in roster_io.SHEET_COLUMNS)
    return roster_office.write_office_workbook(
        ((kind, ()) for kind in roster_io.SHEET_COLUMNS),
        _title(session, scope),
        office_lists(session, scope),
    )


def office_lists(session: Session, scope: Scope) -> roster_office.Lists:
    """The dropdown lists of the office layout: the scope's units and posts, by code."""
    units = session.execute(
        sa.select(OrgUnit.code, OrgUnit.name).where(scope.unit_clause()).order_by(OrgUnit.path)
    ).all()
    posts = session.execute(
        sa.select(Post.code, Post.name)
        .where(Post.org_unit_id.in_(scope.unit_ids_select()))
        .order_by(Post.code)
    ).all()
    return roster_office.Lists([tuple(u) for u in units], [tuple(p) for p in posts])


def _title(session: Session, scope: Scope) -> str:
    """The top unit's name, which heads every sheet ("" when the scope has no unit)."""
    name = session.scalar(
        sa.select(OrgUnit.name).where(scope.unit_clause()).order_by(OrgUnit.depth).limit(1)
    )
    return name or ""
