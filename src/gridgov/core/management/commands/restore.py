"""`gridgov restore FILE`: a backup back into an empty database (see gridgov/core/backup.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.core.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a `gridgov backup` FILE into the database of DATABASE_URL, which must have no "
        "tables (a new SQLite file, or a database just made with createdb), and its media into "
        "the media folder. Refuses a file whose checksums or schema version do not match."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            report = restore(path)
        except BackupError as exc:
            raise CommandError(str(exc), returncode=1) from None
        self.stdout.write(
            f"restored {report.tables} tables ({report.rows} rows) into the {report.vendor} "
            f"database and {report.media_files} media files"
        )
