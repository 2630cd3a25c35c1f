"""Background jobs of oversight, enqueued by `gridgov scheduler` (settings.GRIDGOV_SCHEDULE)."""

from __future__ import annotations

from django_tasks import task

from gridgov.oversight.warnings import evaluate_warnings


@task()
def evaluate_warning_rules() -> dict[str, int]:
    """Idempotent: raises, changes and lifts warnings so they match the data now."""
    result = evaluate_warnings()
    return {"raised": result.raised, "changed": result.changed, "lifted": result.lifted}


@task()
def evaluate_grid_warnings(grid_id: int) -> dict[str, int]:
    """Enqueued on new data (oversight/triggers.py): the rules' warnings of one grid."""
    from gridgov.oversight.triggers import clear_marker

    clear_marker(grid_id)
    result = evaluate_warnings(grid_ids=[grid_id])
    return {"raised": result.raised, "changed": result.changed, "lifted": result.lifted}
