"""The one display label of each calendar value: where a day's working/off status comes
from (SPEC §2)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

DAY_SOURCE_LABELS = {
    "library": _l("Official calendar"),
    "admin": _l("Edited by an administrator"),
    "fallback": _l("Fallback computed in advance"),
}
