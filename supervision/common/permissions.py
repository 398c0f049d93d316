"""Who may do what: the one role table (SPEC §4), asked by every view, API, template and job.

A *grant* names a kind of action ("talks.read_contents"); `POLICY` says which roles hold
it. Which objects an action reaches (the units, people and talks of the caller's scope) is
a separate question, answered in queries by `supervision.org.scope` and each domain's
permissions module, so that an object outside the scope is 404, never 403.

Nothing else in the code names a set of roles: views ask `require(grant)` or
`@requires(grant)`, templates `can(grant)`, and services `holders(grant)`. An unknown
grant is a KeyError, so a misspelt name fails the first test that reaches it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user

ADMIN = "admin"
SECRETARY = "discipline_secretary"
MEMBER = "discipline_member"
HR = "hr"
LEADER = "leader"
STAFF = "staff"
#: Every role, in the order the SPEC lists them (the database's check constraint too).
ROLES = (ADMIN, SECRETARY, MEMBER, HR, LEADER, STAFF)

_DISCIPLINE = frozenset({SECRETARY, MEMBER})

#: grant -> the roles that hold it. Mirrors SPEC §4; the comments say what the grant allows.
POLICY: dict[str, frozenset[str]] = {
    # Administration
    "users.manage": frozenset({ADMIN}),  # user accounts and their roles
    #: Confirm or reject a pending grant of a discipline role (SPEC §4, separation of duties).
    "users.confirm_grants": frozenset({SECRETARY}),
    "calendar.edit": frozenset({ADMIN}),  # working days, the State Council's notice
    #: Be warned on the start page while the calendar is the fallback (SPEC §2).
    "calendar.warnings": frozenset({ADMIN, SECRETARY}),
    "deliveries.manage": frozenset({ADMIN}),  # e-mail deliveries: read, retry
    "audit.read": frozenset({ADMIN, SECRETARY}),  # the audit log and its verification
    #: See confidential values (talk contents, hold reasons) in the audit log.
    "audit.read_confidential": _DISCIPLINE,
    # Organisation (SPEC §3)
    "org.read_all": frozenset({ADMIN, HR, SECRETARY, MEMBER}),  # every unit, person and post
    "org.read": frozenset({ADMIN, HR, SECRETARY, MEMBER, LEADER}),  # the org pages (scoped)
    "org.write": frozenset({ADMIN, HR}),  # units, people, posts, assignments, roster import
    #: Scope: the subtrees of the units one heads or supervises, plus one's own unit.
    "scope.led_units": frozenset({LEADER}),
    # Integrity-risk inventories (SPEC §5)
    "risks.edit": frozenset({SECRETARY, MEMBER, LEADER}),  # read, edit drafts, submit (scoped)
    "risks.review": _DISCIPLINE,  # every inventory; approve, return, retire; campaigns
    "risks.settings.read": frozenset({ADMIN, SECRETARY, MEMBER, LEADER}),
    "risks.settings.write": frozenset({ADMIN}),
    # Talk records (SPEC §6)
    "talks.see_all": frozenset({ADMIN, HR, SECRETARY}),  # that every talk exists, not contents
    "talks.see_logged": frozenset({MEMBER}),  # the talks one logged, besides one's own
    "talks.read_contents": _DISCIPLINE,  # content, response, attachments (and participants)
    "talks.write": frozenset({SECRETARY, MEMBER, LEADER}),  # drafts (leaders: see write_any)
    #: Write any talk; other writers only talks they hold a seat in, about their scope.
    "talks.write_any": _DISCIPLINE,
    "talks.mine": frozenset({SECRETARY, MEMBER, LEADER, STAFF}),  # "my talks" in the menu
    "talks.list": frozenset({ADMIN, HR, SECRETARY, MEMBER, LEADER}),  # talk list in the menu
    # Obligations (SPEC §6)
    "obligations.read": frozenset({SECRETARY, MEMBER, LEADER}),  # leaders: their scope
    "obligations.read_all": _DISCIPLINE,  # every obligation, whoever conducts it
    "obligations.waive": _DISCIPLINE,
    "obligations.rules.read": frozenset({ADMIN, SECRETARY, MEMBER, LEADER}),
    "obligations.rules.write": frozenset({ADMIN, SECRETARY}),
    # Integrity files (SPEC §6)
    #: Read the files, their notes and attachments (HR: no talk contents, no hold reasons).
    "integrity.read": _DISCIPLINE,  # SPEC §4: the committee's files; HR has none
    "integrity.write": _DISCIPLINE,  # add supervision notes and their attachments
    # Rotation (SPEC §7)
    "rotation.read": frozenset({ADMIN, HR, SECRETARY, MEMBER}),  # eligibility, plans, 应轮尽轮
    "rotation.policy": frozenset({ADMIN, HR}),
    #: Preview the effect of a policy change (nothing saved): the editors and the committee.
    "rotation.policy_preview": frozenset({ADMIN, HR, SECRETARY, MEMBER}),
    "rotation.plan": frozenset({HR}),  # deferrals; build, submit, execute plans
    "rotation.decide": frozenset({SECRETARY}),  # the party committee's decision on a plan
    "rotation.hold": _DISCIPLINE,  # place, release and read holds (不得转任)
    # Inspection rectification (SPEC §14; scope rules: supervision/rectification/permissions.py)
    #: Create and edit inspections, findings and measures; sign findings off or return them.
    "rectification.manage": _DISCIPLINE,
    "rectification.read_all": _DISCIPLINE,  # every inspection, finding and measure
    #: Read the findings one is responsible for (分管领导), whose lead unit or measures' owner
    #: units one heads, or of the inspection one leads; act on them (done, notes, evidence,
    #: request completion).
    "rectification.lead": frozenset({LEADER}),
    #: Read and act on the measures one owns (整改责任人).
    "rectification.take_part": frozenset({LEADER, STAFF}),
    # Reminders (SPEC §8)
    "reminders.settings": frozenset({ADMIN, SECRETARY}),
    "reminders.preview": frozenset({ADMIN, HR, SECRETARY, MEMBER}),
    "reminders.digest": frozenset({LEADER, SECRETARY}),  # receive the weekly digest
    #: Ladder recipients besides the conductor (SPEC §8): the overdue step goes to the
    #: discipline members, the escalated one to the secretary (and the supervising leader);
    #: rotation reminders, in the inbox and the calendar feed, to HR.
    "reminders.receive_overdue": frozenset({MEMBER}),
    "reminders.receive_escalated": frozenset({SECRETARY}),
    "reminders.receive_rotation": frozenset({HR}),
    #: Every role change of an account, in the inbox and by mail (SPEC §4).
    "reminders.receive_account": frozenset({SECRETARY}),
    # Rectification documents (SPEC §14): the progress notice and the ledger, and the
    # ledger's import; the discipline roles, who see every inspection.
    "rectification.documents": _DISCIPLINE,
    "rectification.import": _DISCIPLINE,
}
#: The reports page (SPEC §9): each reader sees the documents of the grants they hold.
POLICY["reports.read"] = POLICY["risks.edit"] | POLICY["rotation.read"]
#: The sections of the start page (issue 13): each role sees its own, a person with several
#: roles each of theirs once. Talks to sign are shown to holders of "talks.mine".
POLICY["home.bureau"] = _DISCIPLINE  # the bureau's figures: completion, trend, overdue, ...
POLICY["home.leader"] = frozenset({LEADER})  # talks owed, their units' completion, reviews
POLICY["home.rotation"] = frozenset({HR})  # due rotations, plans by state, deferrals
POLICY["home.system"] = frozenset({ADMIN})  # calendar, scheduler, failed mail
POLICY["home.org_counts"] = frozenset({ADMIN, HR})  # units, people and posts counted


def holders(grant: str) -> frozenset[str]:
    """The roles that hold `grant` (KeyError for an unknown grant)."""
    return POLICY[grant]


def can(user, *grants: str) -> bool:
    """Whether the (authenticated) user holds any of `grants`."""
    roles = frozenset().union(*(POLICY[g] for g in grants))
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.has_role(*roles)


def require(*grants: str) -> None:
    """Abort 401 when anonymous, 403 unless the current user holds one of `grants`.

    This guards kinds of action; single objects outside the scope are 404 in the queries.
    """
    roles = frozenset().union(*(POLICY[g] for g in grants))
    if not current_user.is_authenticated:
        abort(401)
    if not current_user.has_role(*roles):
        abort(403)


def requires(*grants: str) -> Callable:
    """View decorator: `require(*grants)` before the view runs."""
    for grant in grants:
        POLICY[grant]  # noqa: B018 - a misspelt grant fails at import, not at request time

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            require(*grants)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def current_can(*grants: str) -> bool:
    """Whether the logged-in user holds any of `grants` (templates call it `can`)."""
    return can(current_user, *grants)
