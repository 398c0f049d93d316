"""Which stored files the database refers to, and the cleanup of the others (orphans).

A table holds stored files when it has a `sha256` and a `content_type` column (talk
attachments, integrity-note attachments, and any such table added later): asking the
schema instead of a list means a new kind of attachment is backed up and kept from the
cleanup without anyone remembering to add it here. Both mistakes this could make are safe:
an unrelated table with those columns only makes a backup look for files that do not
exist (and say so), and keeps files from the cleanup.

Report files (table report_jobs) are stored files like any other: referenced while their
job is done, so a backup includes them (a restored database's done reports still download;
they are at most a week's worth, and are never the only copy of anything). The cleanup
first lets go of the files of jobs past their retention (`reports.jobs.expire`), so those
are removed at once (their files are as old as the retention).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa

from supervision.common import storage
from supervision.extensions import db

#: Unreferenced files younger than this are kept: an upload writes its file before the
#: transaction that refers to it commits.
DEFAULT_GRACE_HOURS = 24


def file_tables() -> list[sa.Table]:
    """The tables whose rows refer to stored files by sha256."""
    return [t for t in db.metadata.sorted_tables if {"sha256", "content_type"} <= set(t.c.keys())]


def referenced(conn: sa.Connection) -> set[str]:
    """The sha256 of every stored file the database on `conn` refers to (tables missing from
    that database, e.g. an older schema, refer to none)."""
    present = set(sa.inspect(conn).get_table_names())
    selects = [sa.select(t.c.sha256) for t in file_tables() if t.name in present]
    if not selects:
        return set()
    # A row may hold no file (a report job not done yet, or expired): NULL is no reference.
    return set(conn.execute(sa.union(*selects)).scalars()) - {None}


@dataclass(frozen=True)
class Cleanup:
    """What an orphan cleanup found and removed."""

    removed: int
    removed_bytes: int
    kept_young: int
    referenced: int


def clean_orphans(grace_hours: float = DEFAULT_GRACE_HOURS, *, dry_run: bool = False) -> Cleanup:
    """Remove stored files that no row refers to and that are older than `grace_hours`
    (and uploads' temporary files as old: left by a crash), after expiring the report
    files past their retention. Holds the store's lock
    exclusively, and reads the references under it, so no upload or backup is in between."""
    from supervision.reports import jobs

    if not dry_run:
        jobs.expire(db.session)
    cutoff = time.time() - grace_hours * 3600
    removed = removed_bytes = young = 0
    with storage.lock(exclusive=True):
        keep = referenced(db.session.connection())
        db.session.rollback()
        for digest, path in storage.listing():
            if digest in keep:
                continue
            stat = path.stat()
            if stat.st_mtime > cutoff:
                young += 1
                continue
            if not dry_run:
                path.unlink(missing_ok=True)
            removed += 1
            removed_bytes += stat.st_size
    return Cleanup(removed, removed_bytes, young, len(keep))
