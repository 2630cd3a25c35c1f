"""The work queues are the cases app's registry (cases/queues.py), named here for the
navigation bar."""

from __future__ import annotations

from typing import Any

from gridgov.cases import queues as case_queues
from gridgov.cases.queues import my_open_cases, queue_rows

QUEUE_LABELS = {name: queue.label for name, queue in case_queues.QUEUES.items()}
STEP_QUEUES = frozenset(name for name, queue in case_queues.QUEUES.items() if queue.step_clock)

__all__ = ["QUEUE_LABELS", "STEP_QUEUES", "my_open_cases", "queue_counts", "queue_rows"]


def queue_counts(user: Any, names: list[str]) -> dict[str, int]:
    """The number of items waiting in each named queue (the navigation badges)."""
    return case_queues.queue_counts(user, names)
