"""Backup and restore of the whole service (SPEC §11): one archive with the database copy,
every stored file and a manifest of hashes (archive.py, restore.py, database.py), and the
cleanup of stored files nothing refers to (files.py). The commands are in cli.py."""

from supervision.backup.cli import commands
from supervision.backup.database import BackupError, find_pg_tool

__all__ = ["BackupError", "commands", "find_pg_tool"]
