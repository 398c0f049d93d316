"""Talk attachment files: kept outside the web root, named by their SHA-256.

The directory is `TALK_ATTACHMENT_DIR` (config), by default `<instance>/attachments`. A
file's path comes only from its hash (two hex characters of fan-out, then the hash), never
from anything the client chose, and identical uploads share one file. A file is written
before the database commit: a request that fails afterwards leaves an unreferenced file,
which is harmless (the next identical upload reuses it) and is never served; the daily
orphan cleanup (`files clean-orphans`) removes such files once they are older than a grace
period.

Files are never changed once written. Writers (uploads, backups) hold a shared lock on
`<dir>/.lock`; whatever removes or replaces files (orphan cleanup, restore) holds it
exclusively, so a backup never loses a file it is copying and a cleanup never removes a
file an upload has just reused (reusing an existing file refreshes its modification time).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from flask import current_app, send_file
from flask_babel import gettext as _

from supervision.common import clock
from supervision.common.errors import Invalid, ServiceError

#: What the first bytes of a file must be for each accepted type.
_MAGIC = (
    (b"%PDF-", "application/pdf", (".pdf",)),
    (b"\x89PNG\r\n\x1a\n", "image/png", (".png",)),
    (b"\xff\xd8\xff", "image/jpeg", (".jpg", ".jpeg")),
)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Office files (zip packages) and the part that tells each one apart.
_OFFICE = ((DOCX, "word/document.xml", (".docx",)), (XLSX, "xl/workbook.xml", (".xlsx",)))
#: File name extensions of each accepted type, the usual one first.
EXTENSIONS = {content_type: exts for _magic, content_type, exts in _MAGIC} | {
    content_type: exts for content_type, _part, exts in _OFFICE
}
#: What talk and integrity attachments may be; rectification evidence adds DOCX and XLSX.
DEFAULT_TYPES = frozenset(content_type for _magic, content_type, _exts in _MAGIC)
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
#: Prefix of the temporary file an upload is written to before its atomic rename.
TEMP_PREFIX = ".upload-"


def max_bytes() -> int:
    """Largest accepted attachment (config TALK_ATTACHMENT_MAX_BYTES, default 10 MB)."""
    return int(current_app.config.get("TALK_ATTACHMENT_MAX_BYTES") or DEFAULT_MAX_BYTES)


def root() -> Path:
    """The attachment directory (config TALK_ATTACHMENT_DIR, default <instance>/attachments)."""
    configured = current_app.config.get("TALK_ATTACHMENT_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "attachments"


def sniff(data: bytes) -> str | None:
    """The content type told by the file's magic bytes (PDF, PNG, JPEG), or by the parts of
    a zip package (DOCX, XLSX: only its directory is read), else None."""
    for magic, content_type, _ext in _MAGIC:
        if data.startswith(magic):
            return content_type
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as package:
                names = set(package.namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        if "[Content_Types].xml" in names:
            for content_type, part, _exts in _OFFICE:
                if part in names:
                    return content_type
    return None


def path_for(sha256: str) -> Path:
    """Where the file with this hash lives (ValueError for anything but 64 hex digits)."""
    if not _HEX64.match(sha256 or ""):
        raise ValueError("not a sha256 hex digest")
    return root() / sha256[:2] / sha256


def store(data: bytes) -> str:
    """Write the bytes (once per distinct content) and return their sha256."""
    digest = hashlib.sha256(data).hexdigest()
    with lock(exclusive=False):
        _write(path_for(digest), data)
    return digest


def _write(target: Path, data: bytes) -> None:
    """Put `data` at `target` atomically, or refresh the time of an identical file there
    (so that the orphan cleanup's grace period starts again)."""
    if target.exists() and target.stat().st_size == len(data):
        os.utime(target)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def lock(*, exclusive: bool) -> Iterator[Path]:
    """Hold the store's lock (shared for writers and backups, exclusive for whatever removes
    or replaces files) and give the store's directory, created if missing."""
    directory = root()
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield directory
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def listing() -> Iterator[tuple[str | None, Path]]:
    """Every file in the store: (sha256, path) for stored files, (None, path) for an
    upload's temporary file; anything else (the lock, foreign files) is not listed."""
    directory = root()
    if not directory.is_dir():
        return
    for fan in sorted(directory.iterdir()):
        if len(fan.name) != 2 or not fan.is_dir() or fan.is_symlink():
            continue
        for entry in sorted(fan.iterdir()):
            if not entry.is_file() or entry.is_symlink():
                continue
            if _HEX64.match(entry.name) and entry.name[:2] == fan.name:
                yield entry.name, entry
            elif entry.name.startswith(TEMP_PREFIX):
                yield None, entry


def exists(sha256: str) -> bool:
    """Whether the file with this hash is present."""
    try:
        return path_for(sha256).is_file()
    except ValueError:
        return False


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f\\/:*?\"<>|]+")


class TooLarge(ServiceError):
    """The upload is larger than allowed."""

    status = 413


def clean_filename(name: str, content_type: str) -> str:
    """A display name: no directories or control characters, with the real type's extension."""
    name = (name or "").encode("utf-8", "replace").decode("utf-8")
    base = _UNSAFE_NAME.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    ext = (
        "." + ext.lower()
        if "." + ext.lower() in EXTENSIONS[content_type]
        else EXTENSIONS[content_type][0]
    )
    return (stem.strip(" .") or "attachment")[: 255 - len(ext)] + ext


def accept(filename: str, data: bytes, types=DEFAULT_TYPES) -> tuple[str, str, str]:
    """Check an upload (size, not empty, PDF/JPEG/PNG by its bytes, or one of `types`) and
    store it.

    Returns (content_type, sha256, display filename); raises TooLarge (413) or Invalid.
    """
    limit = max_bytes()
    if len(data) > limit:
        message = _("The file is too large: at most %(mb)s MB.", mb=limit // (1024 * 1024))
        raise TooLarge(message, {"file": [message]})
    if not data:
        raise Invalid(_("The file is empty."), {"file": [_("The file is empty.")]})
    content_type = sniff(data)
    if content_type not in types:
        if types == DEFAULT_TYPES:
            message = _(
                "Only PDF, JPEG or PNG files are accepted (the content is checked, not the name)."
            )
        else:
            message = _(
                "Only PDF, JPEG, PNG, DOCX or XLSX files are accepted (the content is "
                "checked, not the name)."
            )
        raise Invalid(message, {"file": [message]})
    return content_type, store(data), clean_filename(filename, content_type)


def stored_fields(
    filename: str, data: bytes, uploaded_by_id: int | None, types=DEFAULT_TYPES
) -> dict:
    """Check and store an upload (`accept`) and give the columns its row keeps: filename,
    content_type, size, sha256, uploaded_at, uploaded_by_id."""
    content_type, digest, clean_name = accept(filename, data, types)
    return {
        "filename": clean_name,
        "content_type": content_type,
        "size": len(data),
        "sha256": digest,
        "uploaded_at": clock.now(),
        "uploaded_by_id": uploaded_by_id,
    }


def send_stored(row):
    """The stored file of a row (sha256, content_type, filename) as a download that no
    browser or proxy keeps (attachments are confidential)."""
    resp = send_file(
        path_for(row.sha256),
        mimetype=row.content_type,
        as_attachment=True,
        download_name=row.filename,
        conditional=False,
        etag=False,
        max_age=0,
    )
    return resp
