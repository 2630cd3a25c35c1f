"""Scheduled jobs of the reports app (settings.GRIDGOV_SCHEDULE)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from gridgov.reports.snapshot import write_snapshot


@task()
def refresh_stats_snapshot() -> dict[str, Any]:
    """Nightly: freeze the months that ended and rewrite the frozen ones that changed since the
    last run (reports/snapshot.py). Idempotent: with nothing changed it writes nothing."""
    run = write_snapshot()
    return {"written": run.written, "rows": run.rows, "frozen": len(run.frozen)}
