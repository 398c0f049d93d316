"""`flask db upgrade` on an empty database produces exactly the models' schema, and downgrades."""

import os
import shutil
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from supervision.extensions import db

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def empty_database(folder, template: str | None = None):
    """A URL of a brand-new database of the same kind as the suite's (on PostgreSQL a new
    database beside TEST_DATABASE_URL's, dropped afterwards); a copy of the database
    `template` if given."""
    url = os.environ.get("TEST_DATABASE_URL")
    name = f"mig_{uuid.uuid4().hex[:10]}"
    if not url:
        path = folder / f"{name}.db"
        if template:
            shutil.copyfile(sa.make_url(template).database, path)
        yield f"sqlite:///{path}"
        return
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    copy = f" TEMPLATE {sa.make_url(template).database}" if template else ""
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}{copy}"))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def flask_db(url: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "SUPERVISION_ENV": "development"}
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


def built_on(dialect: str):
    """Alembic's include_object hook leaving out what the models build only on other databases
    (`Index(...).ddl_if(dialect=...)`, which create_all honours and autogenerate does not)."""

    def include(obj, name, type_, reflected, compare_to):
        only = getattr(obj, "_ddl_if", None)
        return only is None or only.dialect in (None, dialect)

    return include


def test_upgrade_matches_models_and_downgrade_empties(app, tmp_path):
    with empty_database(tmp_path) as url:
        flask_db(url, "upgrade")
        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                opts = {"compare_type": True, "include_object": built_on(conn.dialect.name)}
                ctx = MigrationContext.configure(conn, opts=opts)
                assert compare_metadata(ctx, db.metadata) == []
                assert conn.execute(sa.text("SELECT count FROM audit_head")).scalar() == 0
            flask_db(url, "downgrade", "base")
            with engine.connect() as conn:
                assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
        finally:
            engine.dispose()
