"""Login throttling (SPEC §4): failed logins counted per account and per client address.

The counts live in the configured rate-limit storage (`RATELIMIT_STORAGE_URI`, the `limits`
library's storage that Flask-Limiter uses too): memory in development and tests, Redis in
production, so that every worker and every server sees the same counts. Only failures are
counted; a successful login is never counted and forgets its account's failures.

- Per account (the username as typed, normalised; unknown usernames alike, so nothing tells
  whether an account exists): after `LOGIN_ACCOUNT_MAX_FAILURES` failures the account is
  locked for `LOGIN_LOCKOUT_MINUTES`, and each further failure after a lock-out doubles the
  wait, up to `LOGIN_LOCKOUT_MAX_MINUTES`. A locked account is refused even with the right
  password (otherwise guessing would go on); other accounts are not affected. The count is
  forgotten `LOGIN_FAILURE_QUIET_HOURS` after the last failure.
- Per client address (password spraying): `LOGIN_ADDRESS_MAX_FAILURES` failures in
  `LOGIN_ADDRESS_WINDOW_MINUTES` block logins from that address only (a sliding window
  approximated from two fixed windows, as the `limits` library does).

Decisions are taken on the application clock (supervision.common.clock), so that tests and
demos can travel in time; the storage's own expiry only bounds its memory: it drops an
account's count at the latest quiet period + longest wait + one day after the streak's first
failure (a patient attacker thus gets a handful of guesses per three days, not more).
Each storage write is an atomic increment: a timestamp is "set" only on a key that belongs
to one failure number, which exactly one request obtained from the atomic counter.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import threading
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask, current_app
from limits.errors import StorageError
from limits.storage import Storage, storage_from_string

from supervision.audit.services import record
from supervision.common import clock

__all__ = ["Refusal", "StorageError", "check", "failed", "succeeded", "reset", "storage"]

_EXTENSION = "supervision.login_throttle"
#: Namespace of our keys in a shared Redis (Flask-Limiter's own keys use "LIMITS").
KEY_PREFIX = "SUPERVISION_LOGIN"
_lock = threading.Lock()


@dataclass(frozen=True)
class Refusal:
    """Why and until when logins are refused: `scope` is "account" or "address"."""

    scope: str
    until: datetime
    failures: int

    def seconds_left(self, now: datetime | None = None) -> int:
        """Whole seconds until logins are accepted again (at least 1)."""
        return max(1, math.ceil((self.until - (now or clock.now())).total_seconds()))


def storage(app: Flask | None = None) -> Storage:
    """The app's throttle storage, made on first use from RATELIMIT_STORAGE_URI (and
    RATELIMIT_STORAGE_OPTIONS), one per application so that each app instance (worker)
    holds its own connection to the shared store."""
    app = app or current_app._get_current_object()
    found = app.extensions.get(_EXTENSION)
    if found is None:
        with _lock:
            found = app.extensions.get(_EXTENSION)
            if found is None:
                uri = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
                options = dict(app.config.get("RATELIMIT_STORAGE_OPTIONS") or {})
                found = storage_from_string(uri, wrap_exceptions=True, **options)
                if hasattr(found, "key_prefix"):
                    found.key_prefix = KEY_PREFIX
                app.extensions[_EXTENSION] = found
    return found


def reset(app: Flask | None = None) -> None:
    """Forget every count (tests; an operator after an incident)."""
    store = (app or current_app).extensions.get(_EXTENSION)
    if store is not None:
        store.reset()


def normalise_username(username: str) -> str:
    """The account key: NFKC, trimmed, case-folded, so that "Alice " and "ALICE" count
    together."""
    return unicodedata.normalize("NFKC", username or "").strip().casefold()


def normalise_address(address: str | None) -> str:
    """The client key: an IPv4 address, or the /64 network of an IPv6 address (one client
    usually holds a whole /64)."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return (address or "unknown")[:64]
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _settings() -> dict[str, float]:
    c = current_app.config
    return {
        "max": int(c.get("LOGIN_ACCOUNT_MAX_FAILURES", 5)),
        "lock": float(c.get("LOGIN_LOCKOUT_MINUTES", 1)) * 60,
        "lock_max": float(c.get("LOGIN_LOCKOUT_MAX_MINUTES", 1440)) * 60,
        "quiet": float(c.get("LOGIN_FAILURE_QUIET_HOURS", 24)) * 3600,
        "addr_max": int(c.get("LOGIN_ADDRESS_MAX_FAILURES", 50)),
        "window": max(1.0, float(c.get("LOGIN_ADDRESS_WINDOW_MINUTES", 15)) * 60),
    }


def lockout_seconds(failures: int, s: dict[str, float]) -> float:
    """The wait after the `failures`-th failure: none below the limit, then the base wait
    doubling with each further failure, capped."""
    if failures < s["max"]:
        return 0.0
    return min(s["lock"] * 2 ** min(failures - s["max"], 64), s["lock_max"])


def _account_keys(username: str) -> tuple[str, str]:
    digest = hashlib.sha256(normalise_username(username).encode()).hexdigest()[:40]
    return f"acct:{digest}:n", f"acct:{digest}:at:"


def _ts(instant: datetime) -> int:
    return int(instant.timestamp())


def _account_state(store: Storage, username: str, now: int, s) -> tuple[int, int]:
    """(failures in the current streak, time of the last one); (0, 0) once forgotten."""
    count_key, at_key = _account_keys(username)
    n = store.get(count_key)
    if n <= 0:
        return 0, 0
    # 0 when the request that counted failure n has not written its time yet: "just now".
    at = store.get(f"{at_key}{n}") or now
    if now - at >= s["quiet"]:
        return 0, 0
    return n, at


def _address_state(store: Storage, address: str, now: int, s) -> tuple[int, int, float]:
    """(failures in the previous window, in the current one, seconds into the current)."""
    window = s["window"]
    index = int(now // window)
    key = f"addr:{normalise_address(address)}:"
    return store.get(f"{key}{index - 1}"), store.get(f"{key}{index}"), now - index * window


def _address_until(prev: int, cur: int, elapsed: float, s) -> float | None:
    """Seconds from now until the sliding count falls below the limit, or None if it is
    below already. The count is cur + prev * (share of the previous window still inside)."""
    window, limit = s["window"], s["addr_max"]
    if cur + prev * (window - elapsed) / window < limit:
        return None
    if cur < limit:  # the previous window's share shrinks within this window
        return max(0.0, window * (1 - (limit - cur) / prev) - elapsed) + 1
    # then this window becomes the previous one
    return (window - elapsed) + max(0.0, window * (1 - limit / cur)) + 1


def _at(now: int, seconds: float) -> datetime:
    return datetime.fromtimestamp(now + math.ceil(seconds), UTC)


def check(username: str, address: str | None) -> Refusal | None:
    """Whether a login for `username` from `address` must be refused now (before the
    password is even checked), and until when."""
    s, store, now = _settings(), storage(), _ts(clock.now())
    n, at = _account_state(store, username, now, s)
    wait = at + lockout_seconds(n, s) - now if n else 0
    if wait > 0:
        return Refusal("account", _at(now, wait), n)
    prev, cur, elapsed = _address_state(store, address, now, s)
    wait = _address_until(prev, cur, elapsed, s)
    if wait is not None:
        return Refusal("address", _at(now, wait), prev + cur)
    return None


def failed(username: str, address: str | None) -> list[Refusal]:
    """Count a failed login; returns the lock-outs this failure starts (the account's, the
    address's, both or none)."""
    s, store, now = _settings(), storage(), _ts(clock.now())
    count_key, at_key = _account_keys(username)
    keep = int(s["quiet"] + s["lock_max"] + 86400)  # the store may drop the keys after that
    n, _at_last = _account_state(store, username, now, s)
    if n == 0:
        store.clear(count_key)  # a forgotten streak starts again at 1
    n = store.incr(count_key, keep)
    # Only this request counted failure n, so the key for n is written once: clear what a
    # streak long forgotten may have left, then "set" the time by incrementing from zero.
    store.clear(f"{at_key}{n}")
    store.incr(f"{at_key}{n}", keep, amount=now)

    window = s["window"]
    key = f"addr:{normalise_address(address)}:{int(now // window)}"
    store.incr(key, int(2 * window) + 60)
    prev, cur, elapsed = _address_state(store, address, now, s)
    started = []
    wait = lockout_seconds(n, s)
    if wait > 0:
        started.append(Refusal("account", _at(now, wait), n))
    address_wait = _address_until(prev, cur, elapsed, s)
    if address_wait is not None and _address_until(prev, cur - 1, elapsed, s) is None:
        started.append(Refusal("address", _at(now, address_wait), prev + cur))
    return started


def succeeded(username: str) -> None:
    """A successful login forgets the account's failures (never counted itself)."""
    count_key, _ = _account_keys(username)
    storage().clear(count_key)


def audit_lockout(session, refusal: Refusal, username: str, address: str | None, user_id=None):
    """Record a lock-out in the audit log (the account's, or the address's)."""
    changes = {
        "scope": [None, refusal.scope],
        "failures": [None, refusal.failures],
        "until": [None, refusal.until.isoformat()],
    }
    if refusal.scope == "account":
        changes["username"] = [None, (username or "")[:64]]
    else:
        changes["address"] = [None, normalise_address(address)]
    record(
        session,
        "login_locked",
        "user",
        user_id if refusal.scope == "account" and user_id else "",
        changes,
        actor_user_id=None,
        actor_name="",
    )
