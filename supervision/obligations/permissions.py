"""Which obligations a user may read (SPEC §4): one answer for the dashboard, the API, the
talk-completion report and "my talks"."""

from __future__ import annotations

from flask_login import current_user

from supervision.common.permissions import can, require
from supervision.org.scope import EVERYTHING, NOTHING, Scope, led_scope


def obligation_scope(user) -> tuple[Scope, int | None]:
    """(scope, viewer person id): everything for `obligations.read_all`; otherwise the
    leader's units (nothing for other roles) plus, through the viewer id, the obligations
    the user's person conducts."""
    if can(user, "obligations.read_all"):
        return EVERYTHING, None
    if user.person_id is None:
        return NOTHING, None
    return led_scope(user), user.person_id


def readable_obligations() -> tuple[Scope, int | None]:
    """`obligation_scope` of the logged-in user; 401/403 without `obligations.read`."""
    require("obligations.read")
    return obligation_scope(current_user)
