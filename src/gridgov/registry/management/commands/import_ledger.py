"""`gridgov import-ledger KIND FILE [--dry-run]`: all or nothing, every bad row named."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.registry.ledgers import (
    KINDS,
    LedgerFileError,
    LedgerRejectedError,
    import_ledger,
)


class Command(BaseCommand):
    help = (
        "Import a ledger (.xlsx, .xls, or CSV in UTF-8 with or without BOM or GBK). All or "
        "nothing: any bad row is reported with its Excel row number and column, and nothing is "
        "written. Re-import updates by natural key (ID number, household number, building number in "
        "its community, credit code, facility code, log-in name or phone)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="check and count only")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        started = time.monotonic()
        try:
            result = import_ledger(options["kind"], path, by=None, dry_run=options["dry_run"])
        except LedgerFileError as exc:
            raise CommandError(f"{path}: {exc.message}") from None
        except LedgerRejectedError as exc:
            for error in exc.result.errors:
                self.stderr.write(f"{path.name}: {error}")
            self.stderr.write(exc.message)
            sys.exit(1)
        verb = "would create" if result.dry_run else "created"
        self.stdout.write(
            f"{result.rows} rows: {verb} {result.created}, updated {result.updated}, "
            f"households created {result.households_created} "
            f"({time.monotonic() - started:.1f} s)"
        )
