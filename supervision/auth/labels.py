"""The one display label of each role (pages, PDFs, e-mails)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "admin": _l("Administrator"),
    "discipline_secretary": _l("Discipline secretary"),
    "discipline_member": _l("Discipline committee member"),
    "hr": _l("HR"),
    "leader": _l("Leader"),
    "staff": _l("Staff"),
}
#: States of a personal API token, as the profile page lists them.
TOKEN_STATE_LABELS = {
    "valid": _l("Valid"),
    "expired": _l("Expired"),
    "revoked": _l("Revoked"),
}
