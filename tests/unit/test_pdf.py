"""The PDF wrapper's guards: local-only URL fetching and CSS string quoting (no app needed)."""

import pytest
from PIL import Image
from weasyprint import HTML

from supervision.common import pdf


@pytest.fixture
def root(tmp_path):
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    Image.new("RGB", (4, 4), "red").save(allowed / "dot.png")
    (tmp_path / "secret.txt").write_text("secret")
    (allowed / "escape.png").symlink_to(tmp_path / "secret.txt")
    return allowed


def test_fetcher_serves_files_under_its_roots_only(root):
    fetcher = pdf.local_fetcher([root])
    response = fetcher.fetch((root / "dot.png").as_uri())
    assert response.read()[:4] == b"\x89PNG" and response.content_type == "image/png"
    refused = [
        "http://127.0.0.1:9/x.png",
        "https://example.com/font.woff",
        "ftp://example.com/x",
        "data:text/css,body{}",
        (root.parent / "secret.txt").as_uri(),
        root.as_uri() + "/../secret.txt",
        (root / "escape.png").as_uri(),  # a symlink pointing out of the root
        (root / "missing.png").as_uri(),
        root.as_uri(),  # a folder, not a file
        "file://otherhost" + (root / "dot.png").as_posix(),
    ]
    for url in refused:
        with pytest.raises(pdf.RefusedURL):
            fetcher.fetch(url)
    assert fetcher.refused == refused


def test_rendering_never_reaches_the_network(root):
    fetcher = pdf.local_fetcher([root])
    html = f"""<html><head><link rel="stylesheet" href="http://127.0.0.1:9/x.css">
      <style>@import url("https://example.com/y.css");
      @font-face {{ font-family: X; src: url("http://127.0.0.1:9/f.woff"); }}</style></head>
      <body><img src="http://127.0.0.1:9/a.png"><img src="{(root / "dot.png").as_uri()}">
      <img src="dot.png"></body></html>"""
    data = HTML(string=html, base_url=root.as_uri() + "/", url_fetcher=fetcher).write_pdf()
    assert data.startswith(b"%PDF")
    assert sorted(fetcher.refused) == sorted(
        [
            "http://127.0.0.1:9/x.css",
            "https://example.com/y.css",
            "http://127.0.0.1:9/f.woff",
            "http://127.0.0.1:9/a.png",
        ]
    )


def test_css_string_cannot_break_out_of_the_style_element():
    text = pdf.css_string('a"b\\c</style><script>\n')
    assert str(text).startswith('"') and str(text).endswith('"')
    inner = str(text)[1:-1]
    assert '"' not in inner and "<" not in inner and ">" not in inner and "\n" not in inner
    assert pdf.css_string("第 1 页") == '"第 1 页"'


def test_page_counter_uses_css_counters():
    value = str(pdf.page_counter_css())
    assert "counter(page)" in value and "counter(pages)" in value
    assert value.index("counter(page)") < value.index("counter(pages)")


def test_missing_font_files_fall_back_without_failing(tmp_path):
    fonts = pdf._find_fonts(str(tmp_path / "nope.ttc"), None)
    assert fonts.regular is None or fonts.regular.name == pdf.FONT_FILES["regular"]
    assert str(pdf.font_face_css(pdf.Fonts(None, None))) == ""
    assert "Report CJK" in str(pdf.font_face_css(pdf.Fonts(tmp_path / "x.ttc", None)))
