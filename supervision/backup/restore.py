"""Restore an archive made by `archive.create`: check all of it, then put it back.

See archive.py for the layout and the order of the checks. Nothing outside a staging
folder (next to the store, removed afterwards) is written until every check has passed.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from supervision.backup import database as dbcopy
from supervision.backup.archive import (
    CHUNK,
    DB_MEMBERS,
    FILE_MEMBER,
    FORMAT,
    FORMAT_VERSION,
    HEX64,
    MANIFEST,
    MAX_MANIFEST,
    Hashing,
    digest_of,
    known_revisions,
    schema_revision,
)
from supervision.backup.database import BackupError
from supervision.common import storage
from supervision.extensions import db

_ALLOWED_NAMES = {MANIFEST, *DB_MEMBERS.values()}


@dataclass
class Checked:
    """An archive that passed every check, unpacked into a staging folder."""

    manifest: dict
    kind: str
    database: Path
    files: list[tuple[str, Path]]  # (sha256, staged file)


def _open(path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(path, "r:*")
    except (tarfile.TarError, OSError, EOFError):
        pass
    with path.open("rb") as fh:
        head = fh.read(16)
    if head.startswith((dbcopy.SQLITE_MAGIC, dbcopy.PGDUMP_MAGIC)):
        raise BackupError(
            f"{path} is a database-only backup of an older version (no stored files, no "
            "manifest); restore it with the version that made it."
        )
    raise BackupError(f"{path} is not an archive made by `backup` (not a tar file).")


def _check_members(members: list[tarfile.TarInfo]) -> dict[str, tarfile.TarInfo]:
    """The members by name, after refusing links, folders, devices, unknown or unsafe names
    (absolute paths, `..`) and names given twice."""
    by_name: dict[str, tarfile.TarInfo] = {}
    for m in members:
        if not m.isreg():
            kind = "a link" if (m.issym() or m.islnk()) else "not a regular file"
            raise BackupError(f"Member {m.name!r} of the archive is {kind}; refused.")
        if m.name not in _ALLOWED_NAMES and not FILE_MEMBER.match(m.name):
            raise BackupError(
                f"Member name {m.name!r} is not one `backup` writes (an absolute path, '..' "
                "or an unknown place); refused."
            )
        if m.name in by_name:
            raise BackupError(f"Member {m.name!r} appears twice in the archive; refused.")
        by_name[m.name] = m
    return by_name


def _read_manifest(tar: tarfile.TarFile, by_name: dict[str, tarfile.TarInfo]) -> dict:
    member = by_name.get(MANIFEST)
    if member is None:
        raise BackupError(f"The archive has no {MANIFEST}; it was not made by `backup`.")
    if member.size > MAX_MANIFEST:
        raise BackupError(f"The archive's {MANIFEST} is implausibly large; refused.")
    try:
        manifest = json.loads(tar.extractfile(member).read())
        ok = (
            manifest["format"] == FORMAT
            and isinstance(manifest["members"], list)
            and all(_member_entry_ok(e) for e in manifest["members"])
            and isinstance(manifest["schema_revision"], str)
            and manifest["database_kind"] in DB_MEMBERS
        )
    except (ValueError, KeyError, TypeError, tarfile.TarError) as exc:
        raise BackupError(f"The archive's {MANIFEST} cannot be read: {exc}.") from None
    if not ok:
        raise BackupError(f"The archive's {MANIFEST} is not one `backup` writes.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"The archive has format version {manifest.get('format_version')!r}; this version "
            f"reads version {FORMAT_VERSION} only."
        )
    return manifest


def _member_entry_ok(entry) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("name"), str)
        and isinstance(entry.get("size"), int)
        and isinstance(entry.get("sha256"), str)
        and bool(HEX64.match(entry["sha256"]))
    )


def _check_listing(manifest: dict, by_name: dict[str, tarfile.TarInfo]) -> None:
    """The manifest and the archive list the same members; the database is the right kind."""
    listed = {e["name"] for e in manifest["members"]}
    present = set(by_name) - {MANIFEST}
    if len(listed) != len(manifest["members"]):
        raise BackupError(f"The archive's {MANIFEST} lists a member twice; refused.")
    for name in sorted(listed - present):
        raise BackupError(f"Member {name} listed in the manifest is missing from the archive.")
    for name in sorted(present - listed):
        raise BackupError(f"Member {name} of the archive is not in its manifest; refused.")
    kind, configured = manifest["database_kind"], db.engine.url.get_backend_name()
    if kind != configured:
        raise BackupError(
            f"The archive holds a {kind} database but the configured database is {configured}. "
            "Converting between SQLite and PostgreSQL is not supported: restore into a "
            f"{kind} database (DATABASE_URL)."
        )
    if DB_MEMBERS[kind] not in listed:
        raise BackupError(f"The archive has no database copy ({DB_MEMBERS[kind]}).")


def _check_revision(manifest: dict) -> None:
    known, heads = known_revisions()
    revisions = manifest["schema_revision"].split(",")
    unknown = [r for r in revisions if r not in known]
    if unknown:
        raise BackupError(
            f"The archive's schema revision {unknown[0]!r} is unknown to this version of the "
            f"application (its newest is {heads}): it was made by a newer or different "
            "version. Install that version (or a newer one) to restore it."
        )


def _stage(tar, member: tarfile.TarInfo, entry: dict, dest: Path) -> None:
    """Unpack one member to `dest`, checking its size and hash against the manifest."""
    with tar.extractfile(member) as src, dest.open("wb") as out:
        reader = Hashing(src)
        while chunk := reader.read(CHUNK):
            out.write(chunk)
    if reader.size != entry["size"] or reader.sha.hexdigest() != entry["sha256"]:
        raise BackupError(
            f"Member {member.name} does not match the manifest (size or SHA-256): the archive "
            "is damaged or was altered; refused."
        )


def check(path: Path, staging: Path) -> Checked:
    """Check the whole archive, unpacking it into `staging`; BackupError on any problem."""
    with _open(path) as tar:
        try:
            by_name = _check_members(tar.getmembers())
            manifest = _read_manifest(tar, by_name)
            _check_listing(manifest, by_name)
            _check_revision(manifest)
            entries = {e["name"]: e for e in manifest["members"]}
            files = []
            for member in tar.getmembers():  # archive order: one pass over a gzip stream
                if member.name == MANIFEST:
                    continue
                match = FILE_MEMBER.match(member.name)
                dest = staging / (match.group(2) if match else "database")
                _stage(tar, member, entries[member.name], dest)
                if match:
                    if entries[member.name]["sha256"] != match.group(2):
                        raise BackupError(f"Member {member.name} is not the file its name says.")
                    files.append((match.group(2), dest))
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise BackupError(f"{path} could not be read and unpacked: {exc}.") from None
    kind = manifest["database_kind"]
    _check_database(kind, staging / "database", manifest["schema_revision"])
    return Checked(manifest, kind, staging / "database", files)


def _check_database(kind: str, copy: Path, revision: str) -> None:
    if kind == "sqlite":
        dbcopy.check_sqlite_backup(copy)
        engine = sa.create_engine(f"sqlite:///{copy}")
        try:
            with engine.connect() as conn:
                actual = schema_revision(conn)
        finally:
            engine.dispose()
        if actual != revision:
            raise BackupError(
                f"The database copy has schema revision {actual}, the manifest says {revision}."
            )
    else:
        dbcopy.check_pg_backup(copy, dbcopy.server_major())


def staging_dir() -> tempfile.TemporaryDirectory:
    """A private folder beside the store (same file system, so files move in atomically)."""
    parent = storage.root().parent
    parent.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix=".supervision-restore-", dir=parent)


def apply(checked: Checked) -> int:
    """Put the files in place, then replace the database; return the number of files.
    New files are removed again if the database restore fails."""
    placed: list[Path] = []
    with storage.lock(exclusive=True) as root:
        try:
            for digest, staged in checked.files:
                target = root / digest[:2] / digest
                if target.is_file() and digest_of(target)[1] == digest:
                    continue
                if not target.exists():
                    placed.append(target)
                _place(staged, target)
            _restore_database(checked)
        except BaseException:
            for target in placed:
                target.unlink(missing_ok=True)
            raise
    return len(checked.files)


def _place(staged: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(staged, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        tmp = target.with_name(storage.TEMP_PREFIX + target.name)
        shutil.copyfile(staged, tmp)
        os.replace(tmp, target)


def _restore_database(checked: Checked) -> None:
    url = db.engine.url
    if checked.kind == "sqlite":
        db_file = dbcopy.sqlite_file(url)
        release_connections()
        try:
            dbcopy.sqlite_restore(checked.database, db_file)
        except sqlite3.Error as exc:
            raise BackupError(f"Restore failed, the database is unchanged: {exc}.") from None
    else:
        major = dbcopy.server_major()
        release_connections()
        dbcopy.pg_restore(url, checked.database, major)
    release_connections()


def release_connections() -> None:
    """Close the session and every pooled connection so the restore sees no open transaction."""
    db.session.remove()
    db.engine.dispose()
