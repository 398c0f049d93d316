"""Fixtures of the integration tests."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from supervision.backup.archive import known_revisions


@pytest.fixture
def stamped(db):
    """The test database marked with this version's head revision, as `db upgrade` leaves
    it (the suite builds the schema with create_all); the mark is removed afterwards."""
    _known, head = known_revisions()
    db.session.execute(
        sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    )
    db.session.execute(sa.text("INSERT INTO alembic_version VALUES (:v)"), {"v": head})
    db.session.commit()
    yield head
    db.session.remove()
    db.session.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    db.session.commit()
