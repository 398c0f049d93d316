"""PDF rendering with WeasyPrint: the one wrapper every report uses (SPEC §9).

A report is a Jinja template under templates/pdf/ extending pdf/base.html, which embeds a
CJK font through @font-face (a local file; WeasyPrint subsets it into the PDF), prints the
generated-at line and "page X of Y" in the page margins, and holds the shared table styles.

Nothing is fetched from the network: the URL fetcher serves only regular files under the
font directories or the static folder and refuses everything else (other schemes, other
paths, `..` escapes, symlinks pointing out).
"""

from __future__ import annotations

import logging
import mimetypes
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from flask import current_app, render_template
from flask_babel import gettext as _
from markupsafe import Markup

from supervision.common import clock

log = logging.getLogger(__name__)

#: Where distributions install Noto Sans CJK (Debian/Ubuntu `fonts-noto-cjk` first).
FONT_DIRS = (
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/noto-cjk",
    "/usr/share/fonts/google-noto-cjk",
    "/usr/share/fonts/opentype/noto-cjk",
)
FONT_FILES = {"regular": "NotoSansCJK-Regular.ttc", "bold": "NotoSansCJK-Bold.ttc"}
#: The family the templates use; system families follow in case the files are missing.
FONT_FAMILY = '"Report CJK", "Noto Sans CJK SC", "Source Han Sans SC", sans-serif'
PDF_MIME = "application/pdf"


@dataclass(frozen=True)
class Fonts:
    """The font files embedded in reports (None when not found)."""

    regular: Path | None
    bold: Path | None

    @property
    def dirs(self) -> tuple[Path, ...]:
        """The folders the URL fetcher may read fonts from."""
        return tuple(sorted({p.parent for p in (self.regular, self.bold) if p is not None}))


def find_fonts() -> Fonts:
    """The CJK font files: config PDF_FONT_REGULAR / PDF_FONT_BOLD, else the usual paths."""
    return _find_fonts(
        current_app.config.get("PDF_FONT_REGULAR"), current_app.config.get("PDF_FONT_BOLD")
    )


@lru_cache(maxsize=8)
def _find_fonts(regular: str | None, bold: str | None) -> Fonts:
    def locate(configured: str | None, name: str) -> Path | None:
        if configured:
            path = Path(configured)
            if path.is_file():
                return path.resolve()
            log.warning("PDF font %s does not exist; looking in the usual places", configured)
        for folder in FONT_DIRS:
            path = Path(folder) / name
            if path.is_file():
                return path.resolve()
        return None

    fonts = Fonts(locate(regular, FONT_FILES["regular"]), locate(bold, FONT_FILES["bold"]))
    if fonts.regular is None:
        log.warning(
            "No Noto Sans CJK font found (install fonts-noto-cjk): PDFs fall back to "
            "system fonts and Chinese text may not render"
        )
    return fonts


def css_string(text: object) -> Markup:
    """A quoted CSS string literal of `text`, safe inside a <style> element."""
    out = []
    for ch in str(text):
        if ch in '\\"<>&' or ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return Markup('"' + "".join(out) + '"')


def font_face_css(fonts: Fonts) -> Markup:
    """@font-face rules for the report family, pointing at the local font files."""
    rules = []
    for weight, path in (("normal", fonts.regular), ("bold", fonts.bold)):
        if path is not None:
            src = css_string(path.as_uri())
            rules.append(
                f'@font-face {{ font-family: "Report CJK"; font-weight: {weight}; '
                f"src: url({src}); }}"
            )
    return Markup("\n".join(rules))


def page_counter_css() -> Markup:
    """A CSS `content` value saying "page X of Y" in the current language, with counters."""
    marker = "\x00"
    text = _(
        "Page %(page)s of %(pages)s", page=f"{marker}page{marker}", pages=f"{marker}pages{marker}"
    )
    parts = []
    for i, piece in enumerate(text.split(marker)):
        if i % 2:
            parts.append(Markup(f"counter({'pages' if piece == 'pages' else 'page'})"))
        elif piece:
            parts.append(css_string(piece))
    return Markup(" ".join(parts))


class RefusedURL(ValueError):
    """A report tried to load something that is not an allowed local file."""


def local_fetcher(roots):
    """A WeasyPrint URL fetcher that serves regular files under `roots` and nothing else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalFileFetcher(URLFetcher):
        """Refuses every URL but file:// paths inside the allowed folders."""

        def __init__(self):
            super().__init__(allowed_protocols=("file",))
            self.roots = tuple(Path(r).resolve() for r in roots if r)
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            """Serve an allowed local file; raise RefusedURL for anything else."""
            parts = urlsplit(url)
            path = None
            if parts.scheme.lower() == "file" and parts.netloc in ("", "localhost"):
                path = Path(url2pathname(parts.path)).resolve()
            if (
                path is None
                or not path.is_file()
                or not any(path.is_relative_to(r) for r in self.roots)
            ):
                self.refused.append(url)
                log.warning("PDF rendering refused to fetch %s", url[:200])
                raise RefusedURL(f"not an allowed local file: {url[:200]}")
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime})

    return LocalFileFetcher()


def render_html(template_name: str, **context) -> str:
    """The HTML of a PDF template with the shared context (fonts, page counter, generated-at)."""
    fonts = find_fonts()
    generated_at = context.pop("generated_at", None) or clock.now()
    return render_template(
        template_name,
        pdf_font_css=font_face_css(fonts),
        pdf_font_family=Markup(FONT_FAMILY),
        page_counter=page_counter_css(),
        generated_at=generated_at,
        generated_line=_(
            "Generated at %(time)s", time=clock.local(generated_at).strftime("%Y-%m-%d %H:%M")
        ),
        css_string=css_string,
        **context,
    )


def html_to_pdf(html: str, fetcher=None) -> bytes:
    """Render HTML to PDF bytes with the local-only fetcher (base URL: the static folder)."""
    from weasyprint import HTML

    static = Path(current_app.static_folder)
    if fetcher is None:
        fetcher = local_fetcher((*find_fonts().dirs, static))
    return HTML(string=html, base_url=static.as_uri() + "/", url_fetcher=fetcher).write_pdf()


def render_pdf(template_name: str, **context) -> bytes:
    """Render a templates/pdf/ template to PDF bytes (embedded fonts, no network)."""
    return html_to_pdf(render_html(template_name, **context))
