"""Uploaded files of the import endpoints and pages, and finishing an all-or-nothing import."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import request
from flask_babel import gettext as _

from supervision.common.errors import Invalid, ServiceError
from supervision.extensions import db

T = TypeVar("T")


def uploaded_file(field: str = "file") -> tuple[str, bytes]:
    """The name and bytes of the multipart `field`; 422 when no file was sent."""
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        raise Invalid(
            _("No file uploaded: send it in the multipart field `%(field)s`.", field=field),
            {field: [_("This field is required.")]},
        )
    return upload.filename, upload.read()


def finish_import(dry_run: bool, session) -> None:
    """Commit an import, or roll it back when it was only a validation run."""
    if dry_run:
        session.rollback()
    else:
        session.commit()


def import_from_page(
    call: Callable[[], T], dry_run: bool
) -> tuple[T | None, list | None, str, int]:
    """Run an import a page was given: (summary, None, "", 200) once committed (rolled back
    when it was only a validation run), or (None, problems, message, status) when it was
    refused (422, or 413 for a workbook too large once unpacked), the problems as rows
    {sheet, row, column, message} and nothing written."""
    try:
        summary = call()
    except ServiceError as exc:
        db.session.rollback()
        problems = (
            exc.errors
            if isinstance(exc.errors, list)
            else [
                {"sheet": None, "row": None, "column": k, "message": "; ".join(map(str, v))}
                for k, v in exc.errors.items()
            ]
        )
        return None, problems, exc.message, exc.status
    finish_import(dry_run, db.session)
    return summary, None, "", 200
