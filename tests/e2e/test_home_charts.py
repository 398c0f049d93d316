"""The secretary's start page in a real browser (issue 13): the completion chart and the table
beside it change when a talk is finalised (through the API), and the page runs under the CSP
without a violation (the charts are SVG drawn on the server: no script, no style attribute)."""

from __future__ import annotations

import urllib.request
from datetime import UTC, date, datetime

import pytest

from supervision.talks import services as talks
from tests import factories
from tests.e2e.conftest import log_in


@pytest.fixture
def frozen_now(app):
    """The live server (same process) sees 2025-09-20 10:00 local; reset afterwards."""
    app.config["SUPERVISION_FAKE_NOW"] = "2025-09-20T10:00:00+08:00"
    yield
    app.config.pop("SUPERVISION_FAKE_NOW", None)


def test_the_completion_chart_changes_when_a_talk_is_finalised(
    page, live_server, make_user, db, token_for, frozen_now
):
    s = db.session
    rows = factories.small_bureau(s)
    post = factories.post(s, rows["station"], "案件审核岗", code="CG-CASE", is_sensitive=True)
    officers = [
        factories.holder(s, post, f"民警{i}", start=date(2019, 3, 1), staff_no=f"P{i}")
        for i in range(2)
    ]
    s.flush()
    data = {
        **factories.TALK_TEXT,
        "type": "integrity_reminder",
        "interviewee_id": officers[0].id,
        "interviewer_ids": [rows["head"].id],
        "recorder_id": rows["head"].id,
        "held_at": datetime(2025, 9, 10, 2, tzinfo=UTC),
    }
    talk = talks.create_talk(s, data)
    for signer in (officers[0], rows["head"]):
        talks.sign(s, talk, signer.id, None)
    s.commit()
    talk_id = talk.id
    secretary = make_user("secretary", ["discipline_secretary"])
    head = make_user("head", ["leader"], person=rows["head"])
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else None)

    log_in(page, live_server, "secretary", factories.PASSWORD)
    station_bar = page.locator("#chart-completion g.bar").first
    station_row = page.locator(f'#chart-completion-card tr[data-unit="{rows["station"].id}"]')
    assert station_bar.get_attribute("data-value") == "0.0"
    assert "0.0%" in station_row.inner_text()
    width_before = float(station_bar.locator("rect.bar-fill").count())
    assert width_before == 0  # no bar drawn for 0 %
    assert page.locator("#chart-trend").is_visible()
    page.screenshot(path="/tmp/home-secretary-before.png", full_page=True)

    # The head finalises through the API with a token (no browser cookie: no CSRF token).
    request = urllib.request.Request(
        f"{live_server}/api/v1/talks/{talk_id}/finalize", method="POST", headers=token_for(head)
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200

    page.reload()
    assert station_bar.get_attribute("data-value") == "0.5"
    assert "50.0%" in station_row.inner_text() and "1" in station_row.inner_text()
    fill = station_bar.locator("rect.bar-fill")
    assert float(fill.get_attribute("width")) == 130.0  # half of the 260-unit plot
    assert page.locator('#trend-card tr[data-period="2025Q3"]').get_attribute("data-rate") == "0.5"
    page.screenshot(path="/tmp/home-secretary-after.png", full_page=True)
    assert not page.js_errors
    assert not [m for m in console if "Content Security Policy" in m], console
    assert secretary.id != head.id
