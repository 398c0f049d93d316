"""The one Chinese/English name of each report-job value."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

JOB_STATUS_LABELS = {
    "queued": _l("Queued"),
    "running": _l("Generating"),
    "done": _l("Ready"),
    "failed": _l("Failed"),
    "expired": _l("Deleted"),
}
FORMAT_LABELS = {"pdf": "PDF", "xlsx": "Excel", "docx": "Word"}
