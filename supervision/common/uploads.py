"""Uploaded files of the import endpoints."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from supervision.common.errors import Invalid


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
