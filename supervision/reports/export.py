"""What every report download does the same way: check the format, render it, and record
the export in the audit log (SPEC §4: exports of confidential data are audited)."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from supervision.audit.services import record
from supervision.common import clock, pdf
from supervision.common.errors import Invalid
from supervision.common.spreadsheet import XLSX_MIME

FORMATS = ("pdf", "xlsx")
MIMES = {"pdf": pdf.PDF_MIME, "xlsx": XLSX_MIME}

#: Set by the report runner while it works for a user: (user id, username) for the audit
#: entry, and a callback told when rendering starts (the job's progress).
_acting_for: contextvars.ContextVar[tuple[int, str] | None] = contextvars.ContextVar(
    "report_actor", default=None
)
_on_render: contextvars.ContextVar[Callable[[str], None] | None] = contextvars.ContextVar(
    "report_on_render", default=None
)


@contextlib.contextmanager
def on_behalf_of(
    user_id: int, username: str, on_render: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Generate reports for `user_id` outside a request (the background runner): their
    exports are audited in their name, and `on_render(fmt)` is called once the data is
    gathered, before the file is rendered."""
    actor = _acting_for.set((user_id, username))
    hook = _on_render.set(on_render)
    try:
        yield
    finally:
        _acting_for.reset(actor)
        _on_render.reset(hook)


def check_format(fmt: str) -> None:
    """422 on `format` unless it is one the reports are rendered in."""
    if fmt not in FORMATS:
        raise Invalid(
            _("Unknown report format."),
            {"format": [_("Must be one of: %(choices)s.", choices=", ".join(FORMATS))]},
        )


def render(
    fmt: str,
    report: Any,
    render_pdf: Callable[[Any, datetime], bytes],
    render_xlsx: Callable[[Any, datetime], bytes],
) -> tuple[bytes, str]:
    """(content, mimetype) of the report in `fmt`, generated now."""
    hook = _on_render.get()
    if hook is not None:
        hook(fmt)
    now = clock.now()
    renderer = render_pdf if fmt == "pdf" else render_xlsx
    return renderer(report, now), MIMES[fmt]


def audit(session: Session, name: str, fmt: str, params: dict, **figures: Any) -> None:
    """Record the export of report `name` with its parameters, format and sizes."""
    actor = _acting_for.get()
    changes = {**params, "format": fmt, **figures}
    if actor is None:
        record(session, "export", "report", name, changes)
    else:
        record(
            session, "export", "report", name, changes, actor_user_id=actor[0], actor_name=actor[1]
        )
    session.flush()
