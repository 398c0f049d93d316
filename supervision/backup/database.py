"""The database part of a backup: a consistent copy of the whole database, and back.

SQLite: the sqlite3 online-backup API (a consistent snapshot even while the app writes),
and the same API in reverse to restore into the live file after the engine's pool is
disposed. PostgreSQL: `pg_dump --format=custom` and `pg_restore --clean --if-exists
--no-owner --single-transaction`, using the binaries matching the server's major version
(PG_BINDIR, /usr/lib/postgresql/<major>/bin, any newer /usr/lib/postgresql/*/bin, or PATH).
The archive around the copy (with the stored files and a manifest) is `archive.py`.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import quote

import click
import sqlalchemy as sa

from supervision.extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
#: Tables that every backup of this application contains.
REQUIRED_TABLES = ("org_units", "people", "audit_entries")
#: URL query parameters passed on to the PostgreSQL tools as environment variables.
_PG_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "options": "PGOPTIONS",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


class BackupError(click.ClickException):
    """A clear, user-facing failure (exit status 1, no traceback)."""


# ---------------------------------------------------------------- SQLite


def sqlite_file(url: sa.engine.URL) -> Path:
    """The file of the configured SQLite database (BackupError when it is in memory)."""
    name = url.database
    if not name or name == ":memory:" or url.query.get("mode") == "memory":
        raise BackupError(
            "The configured SQLite database is in memory; there is no file to back up or restore."
        )
    return Path(name)


def _read_only(path: Path) -> str:
    return f"file:{quote(str(path.resolve()))}?mode=ro"


def sqlite_backup(db_file: Path, dest: Path) -> None:
    """Copy the live SQLite file to `dest` with the online-backup API (atomic rename)."""
    part = dest.with_name(dest.name + ".part")
    part.unlink(missing_ok=True)
    with (
        contextlib.closing(sqlite3.connect(db_file, timeout=30)) as src,
        contextlib.closing(sqlite3.connect(part)) as out,
    ):
        src.backup(out)
    os.replace(part, dest)


def check_sqlite_backup(path: Path) -> int:
    """Raise BackupError unless `path` is an intact SQLite backup of this app; return #tables."""
    with path.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(PGDUMP_MAGIC):
        raise BackupError(f"{path} is a PostgreSQL backup, but the configured database is SQLite.")
    if head != SQLITE_MAGIC:
        raise BackupError(f"{path} is not a backup made by `backup` (not an SQLite database).")
    try:
        with contextlib.closing(sqlite3.connect(_read_only(path), uri=True)) as conn:
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise BackupError(f"{path} is damaged (SQLite integrity check failed).")
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} cannot be read as an SQLite database: {exc}.") from None
    missing = [t for t in REQUIRED_TABLES if t not in tables]
    if missing:
        raise BackupError(f"{path} is not a backup of this application (no table {missing[0]}).")
    return len(tables)


def sqlite_restore(src: Path, db_file: Path) -> None:
    """Replace the live SQLite file's contents with `src` (backup API in reverse)."""
    with (
        contextlib.closing(sqlite3.connect(_read_only(src), uri=True)) as source,
        contextlib.closing(sqlite3.connect(db_file, timeout=30)) as live,
    ):
        source.backup(live)


# ---------------------------------------------------------------- PostgreSQL


def _tool_major(tool: str) -> int | None:
    try:
        out = subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=30)
    except OSError:
        return None
    m = re.search(r"\(PostgreSQL\)\s+(\d+)", out.stdout)
    return int(m.group(1)) if m else None


def find_pg_tool(name: str, server_major: int) -> str:
    """The path of `name` (pg_dump/pg_restore) of the server's major version, or a newer one."""
    candidates = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(os.path.join(os.environ["PG_BINDIR"], name))
    candidates.append(f"/usr/lib/postgresql/{server_major}/bin/{name}")
    versioned = glob.glob(f"/usr/lib/postgresql/*/bin/{name}")
    candidates += sorted(versioned, key=lambda p: int(re.sub(r"\D", "", p.split("/")[4]) or 0))
    if shutil.which(name):
        candidates.append(shutil.which(name))
    for tool in dict.fromkeys(candidates):
        if os.access(tool, os.X_OK) and (_tool_major(tool) or 0) >= server_major:
            return tool
    raise BackupError(
        f"{name} for PostgreSQL {server_major} (or newer) was not found. Install the Debian "
        f"package postgresql-client-{server_major} (or postgresql-client), or set PG_BINDIR "
        "to the directory holding it."
    )


def _pg_connection(url: sa.engine.URL) -> tuple[list[str], dict[str, str]]:
    """Command-line options and environment that point the PostgreSQL tools at `url`."""
    args = []
    host = url.host or url.query.get("host")
    if host:
        args += ["--host", str(host)]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    args += ["--no-password", "--dbname", url.database or ""]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    for key, var in _PG_ENV.items():
        if key in url.query:
            env[var] = str(url.query[key])
    return args, env


def server_major() -> int:
    """The major version of the PostgreSQL server the app is connected to."""
    return int(db.session.execute(sa.text("SHOW server_version_num")).scalar()) // 10000


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise BackupError(f"{what} failed: {' '.join(detail[-5:]) or f'exit {proc.returncode}'}")


def pg_backup(url: sa.engine.URL, dest: Path, snapshot: str | None = None) -> None:
    """pg_dump the configured database to `dest` (custom format, atomic rename); with
    `snapshot` (from pg_export_snapshot) the dump sees exactly that transaction's data."""
    tool = find_pg_tool("pg_dump", server_major())
    args, env = _pg_connection(url)
    part = dest.with_name(dest.name + ".part")
    part.unlink(missing_ok=True)
    extra = ["--snapshot", snapshot] if snapshot else []
    try:
        _run([tool, "--format=custom", *extra, "--file", str(part), *args], env, "pg_dump")
    except BackupError:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, dest)


def check_pg_backup(path: Path, server_major: int) -> None:
    """Raise BackupError unless `path` is a readable pg_dump custom-format archive."""
    with path.open("rb") as fh:
        head = fh.read(16)
    if head == SQLITE_MAGIC:
        raise BackupError(f"{path} is an SQLite backup, but the configured database is PostgreSQL.")
    if not head.startswith(PGDUMP_MAGIC):
        raise BackupError(f"{path} is not a backup made by `backup` (not a pg_dump archive).")
    tool = find_pg_tool("pg_restore", server_major)
    proc = subprocess.run([tool, "--list", str(path)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise BackupError(f"{path} is damaged: {proc.stderr.strip()[:300]}")
    if not all(re.search(rf"TABLE \S+ {t} ", proc.stdout) for t in REQUIRED_TABLES):
        raise BackupError(f"{path} is not a backup of this application.")


def pg_restore(url: sa.engine.URL, src: Path, server_major: int) -> None:
    """pg_restore `src` into the configured database in one transaction."""
    tool = find_pg_tool("pg_restore", server_major)
    args, env = _pg_connection(url)
    _run(
        [
            tool,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            *args,
            str(src),
        ],
        env,
        "Restore (one transaction, so the database is unchanged)",
    )
