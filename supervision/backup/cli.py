"""`backup PATH`, `restore PATH` and `files clean-orphans` (SPEC §11).

Backup and restore record an audit entry (`backup` / `restore`) after they have done
their work; a refused restore changes nothing and records nothing.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from supervision.audit.services import record
from supervision.backup import archive, files, restore
from supervision.backup.database import BackupError
from supervision.extensions import db


def _audit(action: str, path: Path, stored_files: int) -> None:
    record(
        db.session,
        action,
        "database",
        "",
        {"path": [None, str(path)], "files": [None, stored_files]},
    )
    db.session.commit()


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@with_appcontext
def backup_cmd(path: Path):
    """Write one archive (tar; gzip when PATH ends in .gz or .tgz) holding a consistent copy
    of the database, every stored file it refers to and a manifest of hashes."""
    if not path.parent.is_dir():
        raise BackupError(f"The directory {path.parent} does not exist.")
    if path.is_dir():
        raise BackupError(f"{path} is a directory.")
    try:
        written = archive.create(path)
    except OSError as exc:
        raise BackupError(f"The backup could not be written: {exc}.") from None
    _audit("backup", path, written.files)
    click.echo(
        f"Backed up the {written.kind} database (schema {written.revision}) and "
        f"{written.files} stored files to {path} ({path.stat().st_size:,} bytes)."
    )
    for gap in written.missing:
        click.echo(
            f"WARNING: stored file {gap['sha256']} is referenced by the database but "
            f"{gap['problem']} in the store; it is not in the archive.",
            err=True,
        )


@click.command("restore")
@click.argument("path", type=click.Path(path_type=Path))
@with_appcontext
def restore_cmd(path: Path):
    """Check the archive in PATH (made by `backup`) completely, then replace the database
    and put back its stored files. Refuses, changing nothing, on any problem."""
    if not path.is_file():
        raise BackupError(f"No backup file at {path}.")
    try:
        with restore.staging_dir() as staging:
            checked = restore.check(path, Path(staging))
            count = restore.apply(checked)
    except OSError as exc:
        raise BackupError(f"The restore could not unpack or place its files: {exc}.") from None
    _audit("restore", path, count)
    click.echo(
        f"Restored the {checked.kind} database {db.engine.url.database} and {count} stored "
        f"files from {path} (made {checked.manifest.get('created_at')} by version "
        f"{checked.manifest.get('app_version')}). Run `db upgrade` if that version was older."
    )


@click.group("files")
def files_group():
    """The stored files (attachments)."""


@files_group.command("clean-orphans")
@click.option(
    "--grace-hours",
    type=click.FloatRange(min=1),
    default=files.DEFAULT_GRACE_HOURS,
    show_default=True,
    help="Keep unreferenced files younger than this (an upload may be in progress).",
)
@click.option("--dry-run", is_flag=True, help="Only count what would be removed.")
@with_appcontext
def clean_orphans_cmd(grace_hours: float, dry_run: bool):
    """Remove stored files that no database row refers to."""
    result = files.clean_orphans(grace_hours, dry_run=dry_run)
    verb = "Would remove" if dry_run else "Removed"
    click.echo(
        f"{verb} {result.removed} orphaned files ({result.removed_bytes:,} bytes); kept "
        f"{result.kept_young} younger than {grace_hours:g} h and {result.referenced} referenced."
    )


commands = [backup_cmd, restore_cmd, files_group]
