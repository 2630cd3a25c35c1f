"""The grid worker's open cases; the work queues themselves are the cases app's registry
(cases/queues.py), re-exported here for the pages."""

from __future__ import annotations

from typing import Any

from django.db.models import F

from gridgov.cases import queues as case_queues
from gridgov.cases.models import Case, CaseQuerySet

QUEUE_LABELS = {name: queue.label for name, queue in case_queues.QUEUES.items()}
STEP_QUEUES = frozenset(name for name, queue in case_queues.QUEUES.items() if queue.step_clock)
queue_rows = case_queues.queue_rows


def queue_counts(user: Any, names: list[str]) -> dict[str, int]:
    """The number of items waiting in each named queue (the navigation badges)."""
    return case_queues.queue_counts(user, names)


def my_open_cases(user: Any) -> CaseQuerySet:
    """Open cases of the worker's grids and the ones they reported, nearest deadline first."""
    return (
        Case.objects.visible_to(user)
        .open()
        .select_related("grid", "item")
        .order_by(F("due_at").asc(nulls_last=True), "-created_at")
    )
