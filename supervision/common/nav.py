"""The navigation bar: one list, filtered by role, naming only pages that exist."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from supervision.common.permissions import AUDIT_READ, ORG_WRITE, RISK_EDIT, ROTATION_READ


@dataclass(frozen=True)
class NavItem:
    """A link in the navigation bar, shown to holders of any of `roles` (None = everyone)."""

    endpoint: str
    label: object
    roles: tuple[str, ...] | None = None


ITEMS = (
    NavItem("home.index", _l("Home")),
    NavItem("org.units", _l("Units"), ("admin", "hr", "discipline_secretary", "discipline_member", "leader")),
    NavItem("org.people", _l("People"), ("admin", "hr", "discipline_secretary", "discipline_member", "leader")),
    NavItem("org.posts", _l("Posts"), ("admin", "hr", "discipline_secretary", "discipline_member", "leader")),
    NavItem("org.assignments", _l("Assignments"), ("admin", "hr", "discipline_secretary", "discipline_member", "leader")),
    NavItem("roster.index", _l("Roster import/export"), ORG_WRITE),
    NavItem("talks.mine", _l("My talks"),
            ("leader", "discipline_secretary", "discipline_member", "staff")),
    NavItem("talks.index", _l("Talk records"),
            ("admin", "hr", "discipline_secretary", "discipline_member", "leader")),
    NavItem("obligations.index", _l("Talk completion"), RISK_EDIT),
    NavItem("integrity.index", _l("Integrity files"), ("discipline_secretary", "discipline_member")),
    NavItem("risks.index", _l("Risk inventories"), RISK_EDIT),
    NavItem("rotation.index", _l("Rotation"), ROTATION_READ),
    NavItem("reports.index", _l("Reports"), (*RISK_EDIT, "hr")),
    NavItem("audit.index", _l("Audit log"), AUDIT_READ),
    NavItem("calendar.index", _l("Calendar"), ("admin",)),
    NavItem("users.index", _l("Users"), ("admin",)),
)


def items_for(user) -> list[NavItem]:
    """The items this user may see."""
    if user is None or not user.is_authenticated:
        return []
    return [i for i in ITEMS if i.roles is None or user.has_role(*i.roles)]
