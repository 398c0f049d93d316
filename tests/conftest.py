"""Shared fixtures: the app on a real database (SQLite by default, PostgreSQL when
TEST_DATABASE_URL names one), a clean database per test, clients and login helpers."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from supervision import create_app
from supervision.auth import throttle
from supervision.extensions import db as _db
from supervision.extensions import limiter
from tests import factories

_TMP = Path(tempfile.mkdtemp(prefix="supervision-tests-"))


def _database_url() -> str:
    """The suite's database: TEST_DATABASE_URL (PostgreSQL) or a SQLite file. Under
    pytest-xdist each worker has its own: a file per worker, or on PostgreSQL the database
    `<name>_<worker>` beside the one named (created when missing)."""
    url = os.environ.get("TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if url and worker:
        return _worker_database(url, worker)
    if url:
        return url
    name = f"test-{worker or 'main'}.db"
    return f"sqlite:///{_TMP / name}"


def _worker_database(url: str, worker: str) -> str:
    """The URL of the xdist worker's own PostgreSQL database, created if it is missing."""
    base = sa.make_url(url)
    name = f"{base.database}_{worker}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            )
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


class IsolatedClient(FlaskClient):
    """Runs every request in its own app context, as in production.

    Without this, a test holding an app context (the `db` fixture) would share `g` and the
    database session with every request it makes, hiding rollbacks and per-request caches.
    Afterwards the test's own session is expired so that it reads what the request wrote.
    """

    def open(self, *args, **kwargs):
        from flask import has_app_context

        outer = has_app_context()
        ctx = self.application.app_context()
        ctx.push()
        try:
            return super().open(*args, **kwargs)
        finally:
            ctx.pop()
            if outer:
                _db.session.expire_all()


@pytest.fixture(scope="session")
def app():
    """The application with a fresh schema (create_all; migrations are tested separately)."""
    from config import TestConfig

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = _database_url()

    os.environ.setdefault("SUPERVISION_INSTANCE", str(_TMP / "instance"))
    application = create_app(Config)
    application.test_client_class = IsolatedClient
    with application.app_context():
        _db.drop_all()
        _drop_leftovers()
        _db.create_all()
        _reset_audit_head()
        _db.session.commit()
    yield application
    with application.app_context():
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


def _drop_leftovers() -> None:
    """Tables another branch's schema left in a reused PostgreSQL database."""
    if _db.engine.dialect.name == "postgresql":
        with _db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))


def _reset_audit_head() -> None:
    from supervision.audit.models import AuditHead

    _db.session.merge(AuditHead(id=1, count=0))


def _truncate_all() -> None:
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    if _db.engine.dialect.name == "postgresql":
        _db.session.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        _db.session.execute(sa.text("PRAGMA foreign_keys=OFF"))
        for name in tables:
            _db.session.execute(sa.text(f"DELETE FROM {name}"))
        if _has_sqlite_sequence():
            _db.session.execute(sa.text("DELETE FROM sqlite_sequence"))
        _db.session.execute(sa.text("PRAGMA foreign_keys=ON"))
    _reset_audit_head()
    _db.session.commit()


def _has_sqlite_sequence() -> bool:
    return bool(
        _db.session.execute(
            sa.text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")
        ).first()
    )


@pytest.fixture(autouse=True)
def _clean(request):
    """Every test that uses the app leaves empty tables and a fresh rate-limit store.

    A test that needs neither the app nor the database (most of tests/unit) never creates
    the app and never touches the database: only tests whose fixtures include `app`
    (directly or through `db`, `client`, ...) are cleaned up after."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    yield
    with app.app_context():
        _db.session.remove()
        _truncate_all()
        _db.session.remove()
    limiter.reset()
    throttle.reset(app)


@pytest.fixture
def db(app):
    """The database handle inside an app context."""
    with app.app_context():
        yield _db
        _db.session.remove()


@pytest.fixture
def count_statements(app) -> Callable[[], AbstractContextManager[list[str]]]:
    """Count the SQL statements run on the app's engine inside a `with` block.

        with count_statements() as statements:
            client.get("/risks/")
        assert len(statements) <= 12

    Each use yields a new list that receives the text of every statement executed (by the
    test itself or by a request of the test client) until the block ends; the listener
    ("before_cursor_execute") is removed on leaving the block, also when it raises.
    """
    with app.app_context():
        engine = _db.engine

    @contextmanager
    def counting() -> Iterator[list[str]]:
        statements: list[str] = []

        def listener(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            yield statements
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)

    return counting


@pytest.fixture
def client(app):
    """A test client (cookies kept between requests)."""
    return app.test_client()


@pytest.fixture
def make_user(db):
    """Create a user with roles (and a person when `person` is given); returns the User."""

    def make(username="user", roles=("admin",), person=None, password=factories.PASSWORD):
        user = factories.user(db.session, username, roles, person=person, password=password)
        db.session.commit()
        return user

    return make


def csrf_from(html: str) -> str:
    """The CSRF token embedded in a page."""
    m = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html
    )
    assert m, "no CSRF token in page"
    return m.group(1)


@pytest.fixture
def login(client):
    """Log `client` in through the real login form."""

    def do(username, password=factories.PASSWORD, c=None):
        c = c or client
        page = c.get("/login")
        resp = c.post(
            "/login",
            data={
                "username": username,
                "password": password,
                "csrf_token": csrf_from(page.get_data(as_text=True)),
            },
        )
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return c

    return do


@pytest.fixture
def token_for(db):
    """A bearer header for a user (personal API token)."""
    from supervision.auth.services import issue_token

    def make(user):
        token = issue_token(db.session, db.session.merge(user), "test")
        db.session.commit()
        return {"Authorization": f"Bearer {token}"}

    return make
