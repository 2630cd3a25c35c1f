"""Background jobs of oversight, enqueued by `gridgov scheduler` (settings.GRIDGOV_SCHEDULE)."""

from __future__ import annotations

from django_tasks import task

from gridgov.oversight.warnings import evaluate_warnings


@task()
def evaluate_warning_rules() -> dict[str, int]:
    """Idempotent: raises, changes and lifts warnings so they match the data now."""
    result = evaluate_warnings()
    return {"raised": result.raised, "changed": result.changed, "lifted": result.lifted}
