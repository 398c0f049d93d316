"""The one display label of each integrity-file value: the kinds of supervision note."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

NOTE_KIND_LABELS = {
    "inquiry": _l("Inquiry letter"),
    "accountability_report": _l("Accountability and integrity report"),
    "other": _l("Other note"),
}
