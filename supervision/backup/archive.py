"""The backup archive: one tar file holding the database copy, the stored files it refers
to, and a manifest of hashes; written by `create`, checked and put back by `restore`.

Layout (every member a regular file; nothing else is accepted on restore):

    manifest.json                      first: format, time, app version, database kind,
                                       schema revision, and every other member's size
                                       and SHA-256
    database/supervision.sqlite3       the SQLite copy (online-backup API), or
    database/supervision.pgdump        the pg_dump custom-format archive
    files/ab/abcd...                   each stored file, under its own SHA-256

Consistency: the database is copied FIRST, then exactly the files that the copy refers
to. Stored files are content-addressed and never change once written, and an upload
writes its file before the transaction that refers to it commits, so every file the copy
refers to already exists when the copy is taken; the store's shared lock, held from before
the copy until the last file is in the archive, keeps the orphan cleanup (the only thing
that removes files) out meanwhile. Files uploaded during the backup are not referenced by
the copy and are simply not needed. (Files first, then the database, would miss every
file uploaded in between.) On PostgreSQL the references and the schema revision are read
in the transaction whose snapshot pg_dump is given (`--snapshot`), so they describe
exactly the dumped data. A referenced file that is missing or damaged in the store is
left out, listed under `missing_files` in the manifest and reported; the backup still
completes (the database copy is the larger loss to avoid).

Restore (restore.py) checks everything before it changes anything: the member names and
types, the manifest, the database kind (SQLite <-> PostgreSQL conversion is not supported), that the
schema revision is one this version's migrations know, and every member's size and hash
(and that each file's hash is its name) while unpacking into a staging folder; then the
database copy itself. Only then, holding the store's lock exclusively, it puts the files
in place (new ones are removed again if the database restore fails) and replaces the
database. Stored files that the restored database does not refer to are left to the
orphan cleanup.

Tar rather than zip: it streams, takes members of any size, is read by every Unix tool
(`tar -tvf` lists a backup), and the tools' extraction is not needed at all since restore
unpacks member by member itself. Uncompressed by default: the attachments (PDF, JPEG,
PNG) and pg_dump's format are compressed already; a PATH ending in `.gz` or `.tgz` is
gzip-compressed (worthwhile for a large SQLite copy). The archive is written with mode 0600.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import os
import re
import shutil
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app

from supervision.backup import database as dbcopy
from supervision.backup.database import BackupError
from supervision.backup.files import referenced
from supervision.common import clock, storage
from supervision.extensions import db

FORMAT = "supervision-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DB_MEMBERS = {"sqlite": "database/supervision.sqlite3", "postgresql": "database/supervision.pgdump"}
FILE_MEMBER = re.compile(r"^files/([0-9a-f]{2})/(\1[0-9a-f]{62})$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1 << 20
MAX_MANIFEST = 64 << 20


def digest_of(path: Path) -> tuple[int, str]:
    """(size, sha256 hex) of a file, read in chunks."""
    h, size = hashlib.sha256(), 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()


class Hashing:
    """A reader that hashes what passes through it."""

    def __init__(self, fh):
        self.fh, self.sha, self.size = fh, hashlib.sha256(), 0

    def read(self, n=-1):
        chunk = self.fh.read(n)
        self.sha.update(chunk)
        self.size += len(chunk)
        return chunk


def _app_version() -> str:
    try:
        return importlib.metadata.version("supervision")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def schema_revision(conn: sa.Connection) -> str:
    """The database's Alembic revision(s), comma-separated; BackupError when it has none."""
    if not sa.inspect(conn).has_table("alembic_version"):
        raise BackupError(
            "The database has no schema revision (table alembic_version): it was not created "
            "by `flask --app wsgi db upgrade`. Run `db upgrade` (or `db stamp head` if the "
            "schema is already current) and back up again."
        )
    rows = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
    return ",".join(sorted(rows))


def known_revisions() -> tuple[set[str], str]:
    """Every revision this version's migrations know, and their head(s) for messages."""
    script = ScriptDirectory(current_app.extensions["migrate"].directory)
    return {s.revision for s in script.walk_revisions()}, ",".join(sorted(script.get_heads()))


# ---------------------------------------------------------------- backup


@dataclass
class Snapshot:
    """The database copy and what it says about itself."""

    kind: str
    copy: Path
    revision: str
    hashes: set[str]


def take_snapshot(workdir: Path) -> Snapshot:
    """Copy the database into `workdir` with its revision and referenced files."""
    url = db.engine.url
    kind = url.get_backend_name()
    copy = workdir / "database"
    db.session.remove()
    if kind == "sqlite":
        dbcopy.sqlite_backup(dbcopy.sqlite_file(url), copy)
        engine = sa.create_engine(f"sqlite:///{copy}")
        try:
            with engine.connect() as conn:
                return Snapshot(kind, copy, schema_revision(conn), referenced(conn))
        finally:
            engine.dispose()
    if kind == "postgresql":
        with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            exported = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar()
            revision, hashes = schema_revision(conn), referenced(conn)
            dbcopy.pg_backup(url, copy, snapshot=exported)
            conn.rollback()
        return Snapshot(kind, copy, revision, hashes)
    raise BackupError(f"Backups of {kind} databases are not supported.")


def _collect_files(hashes: set[str]) -> tuple[list[tuple[str, Path, int, str]], list[dict]]:
    """The archive members of the referenced files, and those missing or damaged."""
    members, missing = [], []
    for digest in sorted(hashes):
        try:
            path = storage.path_for(digest)
        except ValueError:
            missing.append({"sha256": digest, "problem": "not a sha256"})
            continue
        if not path.is_file():
            missing.append({"sha256": digest, "problem": "missing"})
            continue
        size, actual = digest_of(path)
        if actual != digest:
            missing.append({"sha256": digest, "problem": "damaged"})
            continue
        members.append((f"files/{digest[:2]}/{digest}", path, size, digest))
    return members, missing


def _tarinfo(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(mtime), 0o600
    return info


@dataclass
class Written:
    """What `create` put into the archive."""

    kind: str
    revision: str
    files: int
    missing: list[dict] = field(default_factory=list)


def create(path: Path) -> Written:
    """Write the archive to `path` (through `path.part`, renamed when complete)."""
    part = path.with_name(path.name + ".part")
    work = path.with_name(f".{path.name}.work")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(mode=0o700)
    try:
        with storage.lock(exclusive=False):
            snap = take_snapshot(work)
            files, missing = _collect_files(snap.hashes)
            size, digest = digest_of(snap.copy)
            members = [(DB_MEMBERS[snap.kind], snap.copy, size, digest), *files]
            _write_tar(part, _manifest(snap, members, missing), members)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    return Written(snap.kind, snap.revision, len(files), missing)


def _manifest(snap: Snapshot, members, missing) -> dict:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": clock.now().isoformat(),
        "app_version": _app_version(),
        "database_kind": snap.kind,
        "schema_revision": snap.revision,
        "members": [{"name": n, "size": s, "sha256": d} for n, _p, s, d in members],
        "missing_files": missing,
    }


def _write_tar(part: Path, manifest: dict, members) -> None:
    now = clock.now().timestamp()
    mode = "w:gz" if part.name.removesuffix(".part").endswith((".gz", ".tgz")) else "w"
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as raw:
        with tarfile.open(fileobj=raw, mode=mode) as tar:
            data = json.dumps(manifest, indent=1, ensure_ascii=False).encode()
            tar.addfile(_tarinfo(MANIFEST, len(data), now), io.BytesIO(data))
            for name, src, size, digest in members:
                with src.open("rb") as fh:
                    reader = Hashing(fh)
                    tar.addfile(_tarinfo(name, size, now), reader)
                if reader.sha.hexdigest() != digest:
                    raise BackupError(f"{src} changed while it was being backed up; try again.")
        raw.flush()
        os.fsync(raw.fileno())
