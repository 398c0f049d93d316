"""TRUSTED_PROXIES (SPEC §12): the client's address, scheme and host come from X-Forwarded-*
only when proxies are configured, and then only from the configured number of hops. What
depends on it: the address in the audit log and the login throttle's per-address count."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from flask import request

from config import TestConfig
from supervision import create_app
from supervision.audit.models import AuditEntry
from supervision.auth import throttle
from supervision.extensions import db as _db
from supervision.extensions import limiter
from tests.conftest import _database_url, csrf_from

PROXY = "192.0.2.10"  # the reverse proxy's own address, as the app server sees it
BY_ADDRESS = "此网络地址登录失败次数过多"


@pytest.fixture
def app_with(app):
    """An app on the test database with TRUSTED_PROXIES=`proxies` and an address limit of
    3 failures; /_where answers the scheme, host and client address it believes."""
    made, saved = [], dict(limiter.__dict__)

    def make(proxies: int):
        class Config(TestConfig):
            SQLALCHEMY_DATABASE_URI = _database_url()
            TRUSTED_PROXIES = proxies
            LOGIN_ADDRESS_MAX_FAILURES = 3

        new = create_app(Config)
        new.add_url_rule(
            "/_where", "where", lambda: [request.scheme, request.host, request.remote_addr]
        )
        made.append(new)
        return new

    yield make
    for one in made:
        throttle.reset(one)
        with one.app_context():
            _db.engine.dispose()
    limiter.__dict__.clear()
    limiter.__dict__.update(saved)


def fail(client, username, forwarded_for=None):
    """A failed login from the proxy, carrying `forwarded_for` as X-Forwarded-For."""
    env = {"REMOTE_ADDR": PROXY}
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    page = client.get("/login", environ_base=env, headers=headers).get_data(as_text=True)
    form = {"username": username, "password": "wrong-password", "csrf_token": csrf_from(page)}
    return client.post("/login", data=form, environ_base=env, headers=headers)


def audited(app, action):
    with app.app_context():
        entries = _db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        ).all()
        return [(e.ip, json.loads(e.changes)) for e in entries]


def test_without_trusted_proxies_the_headers_are_ignored(app_with):
    app = app_with(0)
    client = app.test_client()
    where = client.get(
        "/_where",
        environ_base={"REMOTE_ADDR": PROXY},
        headers={
            "X-Forwarded-For": "10.1.2.3",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "evil.example",
        },
    ).json
    assert where == ["http", "localhost", PROXY]
    # A client that forges a new X-Forwarded-For on each try is still one address.
    codes = [fail(client, f"user{i}", f"10.0.0.{i}").status_code for i in range(3)]
    assert codes == [200, 200, 429]
    refused = fail(client, "user9", "10.0.0.9")
    assert refused.status_code == 429 and BY_ADDRESS in refused.get_data(as_text=True)
    assert {ip for ip, _ in audited(app, "login_failed")} == {PROXY}
    [(ip, changes)] = audited(app, "login_locked")
    assert ip == PROXY and changes["address"] == [None, PROXY]


def test_behind_one_trusted_proxy_the_client_address_is_its_last_hop(app_with):
    app = app_with(1)
    client = app.test_client()
    where = client.get(
        "/_where",
        environ_base={"REMOTE_ADDR": PROXY},
        headers={
            "X-Forwarded-For": "10.1.2.3",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "jw.example.gov.cn",
        },
    ).json
    assert where == ["https", "jw.example.gov.cn", "10.1.2.3"]
    # The client sends its own X-Forwarded-For; the proxy appends the real address
    # (10.9.9.9). Only that last hop is believed: the forged values count for nothing.
    codes = [fail(client, f"user{i}", f"10.0.0.{i}, 10.9.9.9").status_code for i in range(3)]
    assert codes == [200, 200, 429]
    assert BY_ADDRESS in fail(client, "user9", "1.1.1.1, 10.9.9.9").get_data(as_text=True)
    # Another client behind the same proxy is not blocked: addresses are told apart.
    assert fail(client, "user1", "10.2.2.2").status_code == 200
    ips = [ip for ip, _ in audited(app, "login_failed")]
    assert ips == ["10.9.9.9"] * 3 + ["10.2.2.2"]
    [(ip, changes)] = audited(app, "login_locked")
    assert ip == "10.9.9.9" and changes["address"] == [None, "10.9.9.9"]
