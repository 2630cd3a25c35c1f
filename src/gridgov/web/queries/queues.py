"""The work queues are the cases app's registry (cases/queues.py), named here for the
navigation bar."""

from __future__ import annotations

from typing import Any

from gridgov.cases import queues as case_queues

QUEUE_LABELS = {name: queue.label for name, queue in case_queues.QUEUES.items()}


def queue_counts(user: Any, names: list[str]) -> dict[str, int]:
    """The number of items waiting in each named queue (the navigation badges)."""
    return case_queues.queue_counts(user, names)
