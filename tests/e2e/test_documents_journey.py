"""The secretary in a real browser downloads the 通报 from the reports page and from the
completion dashboard, and the 谈话记录表 (PDF and Word) from the talk page, and the files
have Chinese names. The 通报 is a report job (issue 14): the button leads to the job's page,
which shows it waiting and generating, then downloads the file by itself; the talk form is
one click, the link saying 正在生成… while the file is made."""

from __future__ import annotations

import io
import re

from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from supervision.reports import jobs, runner
from tests import factories
from tests.e2e.conftest import log_in
from tests.functional import test_talk_reports as talk_reports

#: The small bureau with a final and a draft talk (tests/functional/test_talk_reports.py).
org = talk_reports.org

#: Records, in the page, whether a download control ever showed the generating state.
WATCH = """
(selector) => {
  window.__generating = false;
  const control = document.querySelector(selector);
  new MutationObserver(() => {
    if (control.textContent.includes('正在生成') && control.getAttribute('aria-busy') === 'true') {
      window.__generating = true;
    }
  }).observe(control, {childList: true, subtree: true, characterData: true, attributes: true});
}
"""


def _pdf_text(path) -> str:
    reader = PdfReader(str(path))
    return re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages))


def _download(page, selector, tmp_path):
    """Click `selector`; the download's suggested name and saved path, after checking that the
    control showed 正在生成… and came back."""
    page.evaluate(WATCH, selector)
    label = page.inner_text(selector)
    with page.expect_download() as info:
        page.click(selector)
    download = info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert page.evaluate("window.__generating") is True
    page.wait_for_function(
        "([s, l]) => document.querySelector(s).innerText.trim() === l", arg=[selector, label]
    )
    return download.suggested_filename, target


def _saved(info, tmp_path):
    download = info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    return download.suggested_filename, target


def test_the_secretary_downloads_the_report_and_the_talk_form(
    app, db, page, live_server, org, make_user, tmp_path, monkeypatch
):
    make_user("secretary", ["discipline_secretary"])
    log_in(page, live_server, "secretary", factories.PASSWORD)

    # The report runner is another process (the scheduler): this test plays it.
    monkeypatch.setitem(app.config, "REPORT_RUNNER", "scheduler")
    page.goto(f"{live_server}/reports")
    page.fill("#report-talk-completion #period", "2025Q3")
    page.fill("#report-talk-completion #as_of", "2025-10-25")
    page.click("#download-talk-completion")
    page.wait_for_url(re.compile(r".*/reports/jobs/\d+$"))
    assert page.inner_text("#report-stage") == "等待生成"
    assert page.is_visible("#report-progress") and page.is_hidden("#report-download")
    with page.expect_download() as info:
        assert jobs.run_pending(db.session) == 1  # the page sees it done and downloads it
    name, path = _saved(info, tmp_path)
    assert re.fullmatch(r".+2025Q3谈话完成情况通报-2025-10-25\.pdf", name), name
    text = _pdf_text(path)
    assert "2025Q3谈话完成情况通报" in text and "乙警官" in text and "丙警官" in text
    page.wait_for_selector("#report-download", state="visible")
    assert page.is_hidden("#report-progress") and name in page.inner_text("#report-ready")
    page.goto(f"{live_server}/reports/jobs")
    assert name in page.inner_text("#report-jobs") and "已生成" in page.inner_text("#report-jobs")

    # In development the web process runs the jobs itself, in a thread.
    monkeypatch.setitem(app.config, "REPORT_RUNNER", "thread")
    page.goto(
        f"{live_server}/obligations/?type=integrity_reminder&period=2025Q3"
        f"&org_unit_id={org['station']}"
    )
    try:
        with page.expect_download() as info:
            page.click("#download-talk-completion-xlsx")
        name, path = _saved(info, tmp_path)
    finally:
        runner.stop(app)
    assert re.search(r"/reports/jobs/\d+$", page.url), page.url
    assert re.fullmatch(r".+2025Q3谈话完成情况通报-\d{4}-\d\d-\d\d\.xlsx", name), name
    sheet = load_workbook(io.BytesIO(path.read_bytes())).worksheets[0]
    assert sheet.page_setup.orientation == "landscape" and sheet["A3"].value == "单位"

    page.goto(f"{live_server}/talks/{org['final']}")
    name, path = _download(page, "#print-record-pdf", tmp_path)
    assert name == "谈话记录表-甲警官-2025-09-10.pdf"
    assert "提醒严守户籍管理纪律" in _pdf_text(path)
    name, path = _download(page, "#print-record-docx", tmp_path)
    assert name == "谈话记录表-甲警官-2025-09-10.docx"
    document = Document(str(path))
    assert document.paragraphs[0].text == "谈话记录表"
    assert document.tables[0].rows[6].cells[1].text == "提醒严守户籍管理纪律"
    assert page.js_errors == []
