"""The role table (supervision.common.permissions) against SPEC §4, and every grant the
code and the templates ask for exists in it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from supervision.common.permissions import (
    ADMIN,
    HR,
    LEADER,
    MEMBER,
    POLICY,
    ROLES,
    SECRETARY,
    STAFF,
    can,
    holders,
)

ROOT = Path(__file__).resolve().parents[2]
#: A grant named in Python (can/require/requires/holders/role_people, nav items) or in a
#: template (can('...')).
_ASKED = re.compile(
    r"""(?:\bcan\(\s*(?:[\w.]+\s*,\s*)?|\brequires?\(\s*|\bholders\(\s*|role_people\(\s*\w+,\s*)"""
    r"""["']([a-z_]+\.[a-z_.]+)["']"""
)
#: A grant in a one-element tuple (the menu's items).
_IN_TUPLE = re.compile(r"""\(\s*["']([a-z_]+\.[a-z_.]+)["'],\s*\)""")


class _User:
    """A stand-in user with roles (the permission functions only ask has_role)."""

    is_authenticated = True

    def __init__(self, *roles: str):
        self.roles = frozenset(roles)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


def test_every_grant_names_known_roles():
    for grant, roles in POLICY.items():
        assert roles, f"{grant} is held by nobody"
        assert roles <= set(ROLES), f"{grant}: unknown roles {roles - set(ROLES)}"


@pytest.mark.parametrize(
    ("grant", "allowed"),
    [
        # SPEC §4: admin cannot read talk contents; HR sees no talk contents either.
        ("talks.read_contents", {SECRETARY, MEMBER}),
        # HR sees that a hold exists, never its reason: holds are the committee's.
        ("rotation.hold", {SECRETARY, MEMBER}),
        ("audit.read_confidential", {SECRETARY, MEMBER}),
        # Integrity files are the committee's (SPEC §4: HR has org, rotation, plans; its
        # notes — 函询, 述责述廉 — are not HR's to read).
        ("integrity.read", {SECRETARY, MEMBER}),
        ("integrity.write", {SECRETARY, MEMBER}),
        # Rotation what-if (issue 13): the policy's editors and the committee.
        ("rotation.policy_preview", {ADMIN, HR, SECRETARY, MEMBER}),
        # admin: users, settings, calendar, org, audit log.
        ("users.manage", {ADMIN}),
        ("calendar.edit", {ADMIN}),
        ("org.write", {ADMIN, HR}),
        ("audit.read", {ADMIN, SECRETARY}),
        # hr: rotation eligibility, deferrals, plans; the secretary decides for the committee.
        ("rotation.plan", {HR}),
        ("rotation.decide", {SECRETARY}),
        # discipline members log talks and review risks; leaders edit drafts in their scope.
        ("risks.review", {SECRETARY, MEMBER}),
        ("risks.edit", {SECRETARY, MEMBER, LEADER}),
        ("talks.write", {SECRETARY, MEMBER, LEADER}),
        ("obligations.read", {SECRETARY, MEMBER, LEADER}),
        ("obligations.waive", {SECRETARY, MEMBER}),
        # Rectification (SPEC §14): the committee manages and signs off; leaders read the
        # findings they answer for; owners their own measures; admin and HR nothing.
        ("rectification.manage", {SECRETARY, MEMBER}),
        ("rectification.read_all", {SECRETARY, MEMBER}),
        ("rectification.lead", {LEADER}),
        ("rectification.take_part", {LEADER, STAFF}),
        # Rectification documents (SPEC §14, issue 15): the committee's, for now.
        ("rectification.documents", {SECRETARY, MEMBER}),
        ("rectification.import", {SECRETARY, MEMBER}),
    ],
)
def test_the_table_says_what_spec_section_4_says(grant, allowed):
    assert holders(grant) == allowed


def test_staff_hold_no_grant_but_their_own_talks_and_measures():
    assert {g for g, roles in POLICY.items() if STAFF in roles} == {
        "talks.mine",
        "rectification.take_part",
    }


def test_can_asks_the_table_and_refuses_strangers():
    assert can(_User(HR), "org.write")
    assert not can(_User(HR), "talks.read_contents")
    assert can(_User(STAFF, LEADER), "risks.edit", "rotation.read")
    assert not can(None, "talks.mine")
    with pytest.raises(KeyError):
        can(_User(ADMIN), "talks.read_everything")


def _asked_grants() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for folder, pattern in (("supervision", "*.py"), ("templates", "*.html")):
        for path in (ROOT / folder).rglob(pattern):
            if path.name == "permissions.py" and path.parent.name == "common":
                continue
            text = path.read_text(encoding="utf-8")
            for grant in [*_ASKED.findall(text), *_IN_TUPLE.findall(text)]:
                found.setdefault(grant, []).append(str(path.relative_to(ROOT)))
    return found


def test_every_grant_the_code_asks_for_is_in_the_table():
    asked = _asked_grants()
    assert len(asked) > 20, "the scan found too few grants: the pattern is broken"
    unknown = {g: where for g, where in asked.items() if g not in POLICY}
    assert not unknown, unknown


def test_every_grant_of_the_table_is_asked_for_somewhere():
    unused = set(POLICY) - set(_asked_grants())
    assert not unused, f"grants nothing asks for: {sorted(unused)}"
