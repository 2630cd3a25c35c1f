"""`gridgov stats-snapshot [--month YYYY-MM]`: write the Parquet snapshot of the statistics'
case tables for the finished months that are missing or changed (or rewrite one month), the
job the scheduler runs nightly (reports/snapshot.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from gridgov.grids.management.commands._common import GridCommand, usage_error
from gridgov.reports.snapshot import write_snapshot


class Command(GridCommand):
    help = (
        "Write the statistics' Parquet snapshot: every finished month not yet written or changed "
        "since the last run, or only --month (GRIDGOV_STATS_SNAPSHOT_DIR)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", metavar="YYYY-MM", help="rewrite this finished month only")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = write_snapshot(options["month"])
        except ValueError as exc:
            raise usage_error(str(exc)) from exc
        rows = ", ".join(f"{alias} {count:,}" for alias, count in sorted(run.rows.items()))
        written = ", ".join(run.written) or "none"
        self.stdout.write(f"snapshot {run.directory}")
        self.stdout.write(f"months written: {written}" + (f" ({rows} rows)" if rows else ""))
        self.stdout.write(f"months frozen: {len(run.frozen)}")
