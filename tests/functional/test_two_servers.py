"""Several app servers (SPEC §12, README "Production"): two gunicorn processes on loopback,
started as the README starts one (production settings, behind a forwarded-header proxy),
on the suite's database and the real Redis at 127.0.0.1:6379 (DB 12, flushed before and
after), share one failed-login count over real HTTP.

Why this fails with `RATELIMIT_STORAGE_URI=memory://`: each process would then count alone.
The five failures are spread 3 + 2 over the servers, so neither sees five and the fifth
would answer 200, not 429; and the counts would not be in Redis, which is asserted too.
(tests/functional/test_login_throttle.py shows the memory case in process.)
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.auth import throttle
from tests.conftest import _database_url, csrf_from
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_SERVERS_REDIS_URL", "redis://127.0.0.1:6379/12")
LOCKED = "登录失败次数过多，请于"
#: What the TLS proxy in front adds to every request (TRUSTED_PROXIES=1).
PROXY_HEADERS = {
    "X-Forwarded-For": "10.5.5.5",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "jw.example.gov.cn",
    # Over HTTPS, Flask-WTF wants a same-origin Referer, as a browser sends.
    "Referer": "https://jw.example.gov.cn/login",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """One browser talking to one server through the proxy; it keeps its cookies itself
    (they are Secure: the proxy, not this loopback hop, speaks HTTPS)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = dict(PROXY_HEADERS)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            text = resp.read().decode()
        finally:
            conn.close()
        for header in resp.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            self.cookies.update({name: morsel.value for name, morsel in jar.items()})
        return resp.status, text

    def log_in(self, username: str, password: str) -> tuple[int, str]:
        _status, page = self.request("GET", "/login")
        form = {"username": username, "password": password, "csrf_token": csrf_from(page)}
        return self.request("POST", "/login", form)


def _server_env(folder: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SUPERVISION_", "RATELIMIT_", "TEST_", "AUDIT_", "LOGIN_"))
        and k not in ("DATABASE_URL", "SECRET_KEY", "TRUSTED_PROXIES", "FLASK_DEBUG")
    }
    env.update(
        {
            "SUPERVISION_ENV": "production",
            # The suite's key, so that the audit entries the servers write chain on.
            "SECRET_KEY": "test-secret-key",
            "DATABASE_URL": _database_url(),
            "RATELIMIT_STORAGE_URI": REDIS_URL,
            "TRUSTED_PROXIES": "1",
            "SUPERVISION_BASE_URL": "https://jw.example.gov.cn",
            "SUPERVISION_INSTANCE": str(folder / "instance"),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        }
    )
    return env


@pytest.fixture
def servers(app, tmp_path):
    """Two gunicorn servers (one worker each) on free loopback ports; their ports."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    env = _server_env(tmp_path)
    procs, ports = [], []
    for n in range(2):
        port = _free_port()
        log = (tmp_path / f"server{n}.log").open("wb")
        command = [sys.executable, "-m", "gunicorn", "-w", "1", "--no-control-socket"]
        procs.append(
            subprocess.Popen(
                [*command, "-b", f"127.0.0.1:{port}", "wsgi:app"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=log,
            )
        )
        ports.append(port)
    try:
        for proc, port in zip(procs, ports, strict=True):
            _wait_until_serving(proc, port, tmp_path)
        yield ports
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        client.flushdb()
        client.close()


def _wait_until_serving(proc: subprocess.Popen, port: int, folder: Path) -> None:
    """Until the worker answers /healthz (the master listens before the worker has loaded
    the app)."""
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            logs = "\n".join(p.read_text() for p in folder.glob("server*.log"))
            pytest.fail(f"server on {port} exited ({proc.returncode}):\n{logs[-3000:]}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
        finally:
            conn.close()
    pytest.fail(f"server on {port} did not start")


def test_two_servers_share_one_failed_login_count_in_redis(servers, make_user, db):
    make_user("alice", ["hr"])
    one, two = (Browser(port) for port in servers)
    order = (one, two, one, two, one)
    codes = [b.log_in("alice", "wrong-password")[0] for b in order]
    # Three failures on one server and two on the other: the fifth, anywhere, locks.
    assert codes == [200, 200, 200, 200, 429]
    for browser in (two, one):  # the right password, refused on either server
        status, page = browser.log_in("alice", PASSWORD)
        assert status == 429 and LOCKED in page
    # Another account is not locked, on either server.
    make_user("bob", ["hr"])
    assert Browser(servers[1]).log_in("bob", PASSWORD)[0] == 302
    # The count is in the shared Redis, under the throttle's own prefix.
    redis = pytest.importorskip("redis").Redis.from_url(REDIS_URL)
    keys = redis.keys(f"{throttle.KEY_PREFIX}:acct:*")
    redis.close()
    assert keys
    # Both servers wrote to the one database: five failures, one lock-out, all from the
    # client behind the proxy.
    rows = db.session.execute(
        sa.select(AuditEntry.action, AuditEntry.ip).where(
            AuditEntry.action.in_(["login_failed", "login_locked"])
        )
    ).all()
    assert sorted(rows) == [("login_failed", "10.5.5.5")] * 5 + [("login_locked", "10.5.5.5")]
