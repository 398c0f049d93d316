"""The navigation bar: one list, filtered by role, naming only pages that exist."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from supervision.common.permissions import can


@dataclass(frozen=True)
class NavItem:
    """A link in the navigation bar, shown to holders of any of `grants` (None = everyone)."""

    endpoint: str
    label: object
    grants: tuple[str, ...] | None = None
    #: The menu it belongs to (None: a link of its own in the bar).
    group: object = None


@dataclass(frozen=True)
class NavGroup:
    """A dropdown menu of the navigation bar with the items a user may see."""

    label: object
    items: tuple[NavItem, ...]

    @property
    def endpoints(self) -> frozenset[str]:
        """The endpoints of its items (to mark the menu active)."""
        return frozenset(i.endpoint for i in self.items)


_ORG = _l("Organisation")
_TALKS = _l("Talks")
_ADMIN = _l("Administration")
_RECT = _l("Inspection rectification")

ITEMS = (
    NavItem("home.index", _l("Home")),
    NavItem("org.units", _l("Units"), ("org.read",), _ORG),
    NavItem("org.people", _l("People"), ("org.read",), _ORG),
    NavItem("org.posts", _l("Posts"), ("org.read",), _ORG),
    NavItem("org.assignments", _l("Assignments"), ("org.read",), _ORG),
    NavItem("roster.index", _l("Roster import/export"), ("org.write",), _ORG),
    NavItem("my_talks.index", _l("My talks"), ("talks.mine",), _TALKS),
    NavItem("talks.index", _l("Talk records"), ("talks.list",), _TALKS),
    NavItem("obligations.index", _l("Talk completion"), ("obligations.read",), _TALKS),
    NavItem("integrity.index", _l("Integrity files"), ("integrity.read",), _TALKS),
    NavItem("risks.index", _l("Risk inventories"), ("risks.edit",)),
    NavItem("rotation.index", _l("Rotation"), ("rotation.read",)),
    NavItem(
        "rectification.index",
        _l("Inspections"),
        ("rectification.read_all", "rectification.lead"),
        _RECT,
    ),
    NavItem(
        "rectification.mine", _l("My rectification tasks"), ("rectification.take_part",), _RECT
    ),
    NavItem("rectification.sign_off", _l("Sign-off queue"), ("rectification.manage",), _RECT),
    NavItem("reports.index", _l("Reports"), ("reports.read",)),
    NavItem("audit.index", _l("Audit log"), ("audit.read",), _ADMIN),
    NavItem("reminder_settings.settings", _l("Reminder settings"), ("reminders.settings",), _ADMIN),
    NavItem("deliveries.index", _l("E-mail deliveries"), ("deliveries.manage",), _ADMIN),
    NavItem("calendar.index", _l("Calendar"), ("calendar.edit",), _ADMIN),
    NavItem("users.index", _l("Users"), ("users.manage",), _ADMIN),
    NavItem("role_grants.index", _l("Pending role grants"), ("users.confirm_grants",), _ADMIN),
)


def items_for(user) -> list[NavItem]:
    """The items this user may see."""
    if user is None or not user.is_authenticated:
        return []
    return [i for i in ITEMS if i.grants is None or can(user, *i.grants)]


def bar_for(user) -> list[NavItem | NavGroup]:
    """The bar's entries for this user: links, and menus gathering the items of a group
    (a group with a single visible item is shown as a plain link)."""
    entries: list = []
    groups: dict[str, list[NavItem]] = {}
    for item in items_for(user):
        if item.group is None:
            entries.append(item)
            continue
        key = str(item.group)
        if key not in groups:
            groups[key] = []
            entries.append(key)
        groups[key].append(item)
    out: list[NavItem | NavGroup] = []
    for entry in entries:
        if isinstance(entry, NavItem):
            out.append(entry)
        elif len(groups[entry]) == 1:
            out.append(groups[entry][0])
        else:
            out.append(NavGroup(groups[entry][0].group, tuple(groups[entry])))
    return out
