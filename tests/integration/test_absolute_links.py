"""Absolute links (SPEC §12) come from SUPERVISION_BASE_URL through supervision.common.links:
the same inside a request with a forged Host, and outside any request (the scheduler's jobs
build e-mails in a bare app context)."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest

from config import ProductionConfig
from supervision import create_app
from supervision.common import links
from supervision.extensions import limiter
from supervision.reminders import delivery

BASE = "https://jw.example.gov.cn/jiwei"


@pytest.fixture
def based(app, monkeypatch):
    monkeypatch.setitem(app.config, "SUPERVISION_BASE_URL", BASE + "/")
    return app


def test_links_are_built_outside_a_request(based):
    with based.app_context():
        assert links.base_url() == BASE
        assert links.absolute("talks/3") == BASE + "/talks/3"
        assert links.absolute("/talks/3?x=1") == BASE + "/talks/3?x=1"
        assert (
            links.external_url("notifications.calendar_feed", token="abc")
            == BASE + "/calendar/feed/abc.ics"
        )


def test_a_forged_host_changes_no_link_of_a_page_or_an_email(based):
    items = tuple(
        SimpleNamespace(id=i, subject=f"主题{i}", body="正文", link=f"/talks/{i}") for i in (3, 4)
    )
    row = delivery.Letter(
        id=7,
        address="jia@example.gov.cn",
        name="甲",
        created_at=datetime(2025, 9, 20),
        attempts=0,
        items=items,
    )
    forged = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}
    with based.test_request_context("/", base_url="http://evil.example", headers=forged):
        url = links.external_url("notifications.calendar_feed", token="abc")
        msg = delivery.compose(row, row.created_at)
    assert url == BASE + "/calendar/feed/abc.ics"
    raw = msg.as_string()
    assert "evil.example" not in raw
    text = msg.get_body(("plain",)).get_content()
    assert BASE + "/talks/3" in text and BASE + "/talks/4" in text


@pytest.mark.parametrize(
    "value",
    [
        "jw.example.gov.cn",
        "ftp://jw.example.gov.cn",
        "https://",
        "https://a@b.cn",
        "https://b.cn/?x",
    ],
)
def test_a_malformed_base_url_stops_the_start(production, value):
    with pytest.raises(RuntimeError, match="SUPERVISION_BASE_URL"):
        production(value)


def test_production_without_a_base_url_warns(production, caplog):
    production(None)
    assert "SUPERVISION_BASE_URL is not set" in caplog.text
    caplog.clear()
    production("https://jw.example.gov.cn")
    assert "SUPERVISION_BASE_URL" not in caplog.text


@pytest.fixture
def production(tmp_path):
    """create_app with a production config naming `value` as SUPERVISION_BASE_URL (the
    global limiter, which create_app binds to the newest app, is given back afterwards)."""
    saved = dict(limiter.__dict__)

    def make(value):
        class Prod(ProductionConfig):
            SECRET_KEY = "k" * 40
            SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'p.db'}"
            SUPERVISION_BASE_URL = value

        return create_app(Prod)

    yield make
    limiter.__dict__.clear()
    limiter.__dict__.update(saved)
