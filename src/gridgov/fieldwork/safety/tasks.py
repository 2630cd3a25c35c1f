"""Background jobs of business safety, enqueued by `gridgov scheduler` (settings.GRIDGOV_SCHEDULE)."""

from __future__ import annotations

from django_tasks import task

from gridgov.fieldwork.safety.services import sweep_overdue_hazards


@task()
def sweep_hazard_deadlines() -> dict[str, int]:
    """Idempotent: flags each hazard past its rectification deadline once."""
    return {"flagged": sweep_overdue_hazards()}
