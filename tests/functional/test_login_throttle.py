"""Login throttling (SPEC §4): failures counted per account and per client address in the
rate-limit storage shared by every worker; successes never counted; a lock-out that never
blocks another account; a message that says when to try again; each lock-out audited."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from config import TestConfig
from supervision import create_app
from supervision.audit.models import AuditEntry
from supervision.auth import throttle
from supervision.common import clock
from supervision.extensions import db as _db
from supervision.extensions import limiter
from tests.conftest import _database_url, csrf_from
from tests.factories import PASSWORD

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
LOCKED = "登录失败次数过多，请于"


def attempt(client, username, password=PASSWORD, address="127.0.0.1"):
    """One login attempt through the real form, from `address`."""
    env = {"REMOTE_ADDR": address}
    page = client.get("/login", environ_base=env).get_data(as_text=True)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_from(page)},
        environ_base=env,
    )


def logout(client):
    page = client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_from(page)})


def retry_after(resp) -> int:
    return int(resp.headers["Retry-After"])


def test_eleven_colleagues_log_in_within_a_minute_from_one_address(app, make_user):
    for i in range(11):
        make_user(f"colleague{i}", ["staff"])
    with clock.frozen(T0):
        for i in range(11):
            client = app.test_client()
            resp = attempt(client, f"colleague{i}")
            assert resp.status_code == 302, (i, resp.status_code)
            assert client.get("/").status_code == 200
        # The same person logging in and out again and again is never counted either.
        client = app.test_client()
        for _ in range(12):
            assert attempt(client, "colleague0").status_code == 302
            logout(client)


def test_five_failures_lock_the_account_even_against_the_right_password(client, app, make_user, db):
    alice = make_user("alice", ["hr"])
    make_user("bob", ["hr"])
    with clock.frozen(T0):
        codes = [attempt(client, "alice", "wrong-password").status_code for _ in range(5)]
        assert codes == [200, 200, 200, 200, 429]

        resp = attempt(client, "alice")  # the right password, still refused
        html = resp.get_data(as_text=True)
        assert resp.status_code == 429
        assert f"{LOCKED} 09:01 后再试（约 1 分钟后）" in html
        assert 1 <= retry_after(resp) <= 60
        assert client.get("/").status_code == 302  # not logged in

        # Another account from the same address is not affected.
        other = app.test_client()
        assert attempt(other, "bob").status_code == 302

    # One audit entry for the lock-out, naming the account; the failures are kept as before.
    locked = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "login_locked"))
    (entry,) = locked.all()
    assert entry.object_id == str(alice.id) and '"alice"' in entry.changes
    failed = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "login_failed"))
    assert len(failed.all()) == 5

    with clock.frozen(T0 + timedelta(seconds=61)):
        assert attempt(client, "alice").status_code == 302  # the wait is over


def test_the_wait_doubles_and_a_success_forgets_the_failures(client, make_user):
    make_user("alice", ["hr"])
    t = T0
    with clock.frozen(t):
        for _ in range(5):
            resp = attempt(client, "alice", "wrong-password")
        assert resp.status_code == 429 and retry_after(resp) == 60
    waits, pages = [], []
    for _ in range(3):
        t += timedelta(seconds=retry_after(resp) + 1)
        with clock.frozen(t):
            resp = attempt(client, "alice", "wrong-password")
            assert resp.status_code == 429
            waits.append(retry_after(resp))
            pages.append(resp.get_data(as_text=True))
    assert waits == [120, 240, 480]
    # Failed at 09:01:01, locked until 09:03:01: the page names the first whole minute after.
    assert f"{LOCKED} 09:04 后再试（约 2 分钟后）" in pages[0]
    assert "约 8 分钟后" in resp.get_data(as_text=True)
    with clock.frozen(t + timedelta(seconds=479)):
        assert attempt(client, "alice").status_code == 429  # still waiting
    t += timedelta(seconds=481)
    with clock.frozen(t):
        assert attempt(client, "alice").status_code == 302
        logout(client)
        # The success forgot the streak: four failures lock nothing, the fifth a minute.
        codes = [attempt(client, "alice", "wrong-password").status_code for _ in range(5)]
        assert codes == [200, 200, 200, 200, 429]


def test_the_count_is_forgotten_after_a_quiet_day(client, make_user):
    make_user("alice", ["hr"])
    with clock.frozen(T0):
        for _ in range(4):
            attempt(client, "alice", "wrong-password")
    with clock.frozen(T0 + timedelta(hours=24, seconds=1)):
        codes = [attempt(client, "alice", "wrong-password").status_code for _ in range(4)]
        assert codes == [200] * 4


def test_unknown_usernames_and_spellings_are_throttled_alike(client, make_user):
    make_user("alice", ["hr"])
    with clock.frozen(T0):
        codes = [attempt(client, "nobody", "wrong-password").status_code for _ in range(5)]
        assert codes == [200, 200, 200, 200, 429]  # the same answers as for a real account
        assert LOCKED in attempt(client, "nobody").get_data(as_text=True)
        # Case and spacing do not give an attacker more guesses.
        for name in ("Alice", " ALICE", "alice ", "ＡＬＩＣＥ"):
            attempt(client, name, "wrong-password")
        assert attempt(client, "alice", "wrong-password").status_code == 429


def test_the_address_limit_blocks_that_address_only(app, make_user, db):
    make_user("alice", ["hr"])
    sprayer = app.test_client()
    with clock.frozen(T0):
        codes = [
            attempt(sprayer, f"user{i}", "Spring2026!", address="10.9.9.9").status_code
            for i in range(50)
        ]
        assert codes[:49] == [200] * 49 and codes[49] == 429
        resp = attempt(sprayer, "alice", address="10.9.9.9")
        assert resp.status_code == 429
        assert "此网络地址登录失败次数过多，请于" in resp.get_data(as_text=True)
        # alice herself, from another address, logs in; her account was never locked.
        assert attempt(app.test_client(), "alice", address="10.2.2.2").status_code == 302
    entries = db.session.scalars(
        sa.select(AuditEntry.changes).where(AuditEntry.action == "login_locked")
    ).all()
    assert len(entries) == 1 and "10.9.9.9" in entries[0]
    wait = retry_after(resp)
    assert 15 * 60 <= wait <= 31 * 60
    with clock.frozen(T0 + timedelta(seconds=wait - 2)):
        assert attempt(sprayer, "alice", address="10.9.9.9").status_code == 429
    with clock.frozen(T0 + timedelta(seconds=wait)):
        assert attempt(sprayer, "alice", address="10.9.9.9").status_code == 302


def test_ipv6_clients_are_counted_by_their_64_network():
    assert throttle.normalise_address("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert throttle.normalise_address("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert throttle.normalise_address("::ffff:10.1.2.3") == "10.1.2.3"
    assert throttle.normalise_address("10.1.2.3") == "10.1.2.3"


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def two_workers(app):
    """Two application instances, as two gunicorn workers would be, on the test database;
    `storage` is their RATELIMIT_STORAGE_URI. The global limiter, which create_app binds to
    the newest app, is given back to the test app afterwards."""
    made = []
    saved = dict(limiter.__dict__)

    def make(storage: str):
        class Worker(TestConfig):
            SQLALCHEMY_DATABASE_URI = _database_url()
            RATELIMIT_STORAGE_URI = storage

        apps = [create_app(Worker), create_app(Worker)]
        made.extend(apps)
        return apps

    yield make
    for worker in made:
        throttle.reset(worker)
        with worker.app_context():
            _db.engine.dispose()
    limiter.__dict__.clear()
    limiter.__dict__.update(saved)


def _redis_or_skip():
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")


def test_workers_sharing_redis_see_the_same_counts(two_workers, make_user):
    _redis_or_skip()
    make_user("alice", ["hr"])
    one, two = two_workers(REDIS_URL)
    throttle.reset(one)  # keys a crashed earlier run may have left
    a, b = one.test_client(), two.test_client()
    with clock.frozen(T0):
        codes = [attempt(c, "alice", "wrong-password").status_code for c in (a, b, a, b)]
        assert codes == [200] * 4
        assert attempt(b, "alice", "wrong-password").status_code == 429  # the 5th, anywhere
        resp = attempt(a, "alice")
        assert resp.status_code == 429 and LOCKED in resp.get_data(as_text=True)
    # The counts are in Redis, under our own prefix (Flask-Limiter's keys are untouched).
    keys = throttle.storage(one).get_connection().keys(f"{throttle.KEY_PREFIX}:*")
    assert keys and all(re.match(rb"SUPERVISION_LOGIN:(acct|addr):", k) for k in keys)


def test_workers_with_their_own_memory_would_not_share(two_workers, make_user):
    """Why the store must be shared: with memory storage each worker counts alone."""
    make_user("alice", ["hr"])
    one, two = two_workers("memory://")
    a, b = one.test_client(), two.test_client()
    with clock.frozen(T0):
        codes = [attempt(c, "alice", "wrong-password").status_code for c in (a, b, a, b, a)]
        assert codes == [200] * 5
