"""`gridgov backup FILE`: a consistent snapshot of the database with the uploaded media and a
manifest (see gridgov/core/backup.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.core.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Write FILE (a tar archive): the database (SQLite online backup, or pg_dump's custom "
        "format on PostgreSQL), the uploaded media and a manifest with the schema version, "
        "row counts and checksums. `gridgov restore FILE` reads it back."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if path.exists():
            raise CommandError(f"{path} exists already; choose a new file name")
        if not path.parent.is_dir():
            raise CommandError(f"{path.parent}: no such directory")
        try:
            manifest = backup(path)
        except BackupError as exc:
            raise CommandError(str(exc), returncode=1) from None
        rows = sum(manifest["row_counts"].values())
        media = sum(1 for name in manifest["files"] if name.startswith("media/"))
        self.stdout.write(
            f"{path}: {manifest['vendor']} database, {len(manifest['row_counts'])} tables, "
            f"{rows} rows, {media} media files, schema {manifest['schema_version'][:12]}"
        )
