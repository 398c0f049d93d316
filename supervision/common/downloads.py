"""Downloads with a Chinese file name (SPEC §9; RFC 6266 with RFC 5987 `filename*`).

Browsers use `filename*` (UTF-8, percent-encoded), e.g.
东湖公安分局廉政风险点排查清单-2026-12-02.pdf; old clients fall back to `filename`, an
ASCII name chosen by the caller (werkzeug's own fallback strips the Chinese and leaves
names such as "-2026-12-02.pdf").
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from urllib.parse import quote

from flask import send_file

#: Characters Windows, macOS or a header cannot carry in a file name.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
_NOT_ASCII_TOKEN = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class FileName:
    """A download's name: the one shown (Chinese) and its ASCII fallback."""

    name: str
    fallback: str

    def with_suffix(self, suffix: str) -> FileName:
        """Both names with `suffix` (".pdf") appended."""
        return FileName(self.name + suffix, self.fallback + suffix)


def safe_name(name: str) -> str:
    """`name` with the characters file systems reject replaced by "-" (never empty)."""
    return _UNSAFE.sub("-", name).strip(" .") or "download"


def content_disposition(filename: FileName) -> str:
    """The Content-Disposition value of an attachment named `filename`."""
    fallback = _NOT_ASCII_TOKEN.sub("-", filename.fallback).strip("-") or "download"
    encoded = quote(safe_name(filename.name), safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def send_download(content: bytes, mimetype: str, filename: FileName):
    """A response sending `content` as an attachment named `filename`."""
    response = send_file(
        io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=filename.fallback
    )
    response.headers["Content-Disposition"] = content_disposition(filename)
    return response
