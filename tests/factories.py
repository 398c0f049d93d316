"""Builders of test data through the real services (so audit and rules apply)."""

from __future__ import annotations

import itertools
from datetime import date

from supervision.auth import services as auth_services
from supervision.org import services as org

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def unit(session, name="单位", kind="department", parent=None, code=None, **extra):
    """An org unit."""
    n = next(_seq)
    return org.create_unit(
        session,
        {
            "code": code or f"U{n:04d}",
            "name": f"{name}{n}",
            "kind": kind,
            "parent_id": parent.id if parent else None,
            **extra,
        },
    )


def person(session, org_unit, name="张三", personnel_type="police", staff_no=None, **extra):
    """A person in `org_unit`."""
    n = next(_seq)
    return org.create_person(
        session,
        {
            "staff_no": staff_no or f"S{n:05d}",
            "name": name,
            "personnel_type": personnel_type,
            "org_unit_id": org_unit.id,
            **extra,
        },
    )


def post(session, org_unit, name="岗位", code=None, **extra):
    """A post of `org_unit`."""
    n = next(_seq)
    return org.create_post(
        session,
        {"code": code or f"P{n:04d}", "name": f"{name}{n}", "org_unit_id": org_unit.id, **extra},
    )


def assign(session, who, where, start=date(2020, 1, 1), end=None):
    """An assignment of `who` to post `where`."""
    return org.create_assignment(
        session, {"person_id": who.id, "post_id": where.id, "start_date": start, "end_date": end}
    )


def user(session, username, roles, person=None, password=PASSWORD):
    """A user account."""
    return auth_services.create_user(
        session, username, password, list(roles), staff_no=person.staff_no if person else None
    )
