"""Warnings evaluated on new data (issue 12): when a case or a safety hazard takes a step (its
event row: created, registered, dispatched, closed, …), a household is visited, or a hotline
record is saved or imported, the warning rules are re-evaluated for that grid soon after,
through the task queue.

Debounced per grid: the first change enqueues one evaluation (run `DEBOUNCE_SECONDS` later when
the queue can defer); further changes of the same grid meanwhile find the marker in the shared
cache and enqueue nothing; the task clears the marker before it reads the data, so a change made
while it runs enqueues the next one. Connected from OversightConfig.ready (cases and hotline are
lower layers and know nothing of oversight); enqueued on commit, so a rolled-back step enqueues
nothing and a queue that is down never breaks the caller's write.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone

log = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 30
# The marker outlives a lost task by this much at most (then the next change enqueues again).
MARKER_TTL = DEBOUNCE_SECONDS * 10


def _marker(grid_id: int) -> str:
    return f"oversight:warnings:grid:{grid_id}"


def clear_marker(grid_id: int) -> None:
    cache.delete(_marker(grid_id))


def schedule_grid(grid_id: int) -> bool:
    """Enqueue the re-evaluation of one grid unless one is already pending; True if enqueued."""
    from gridgov.oversight.tasks import evaluate_grid_warnings

    if not cache.add(_marker(grid_id), 1, timeout=MARKER_TTL):
        return False
    task = evaluate_grid_warnings
    if task.get_backend().supports_defer:
        task = task.using(run_after=timezone.now() + dt.timedelta(seconds=DEBOUNCE_SECONDS))
    try:
        task.enqueue(grid_id)
    except Exception:  # a queue that is down: the scheduler's sweep still runs every rule
        clear_marker(grid_id)
        log.exception("could not enqueue the warning evaluation of grid %s", grid_id)
        return False
    return True


def schedule_grids(grid_ids: Iterable[int | None]) -> None:
    """Schedule each grid once the current transaction commits."""
    wanted = sorted({g for g in grid_ids if g is not None})
    if not wanted:
        return

    def run() -> None:
        for grid_id in wanted:
            schedule_grid(grid_id)

    transaction.on_commit(run, robust=True)


def _on_case_event(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if created and not kwargs.get("raw"):
        schedule_grids([instance.grid_id])


def _on_hotline_record(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if not kwargs.get("raw"):
        schedule_grids([instance.grid_id])


def _on_hotline_import(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """An import writes its records in bulk (no signal per row): the grids of the records it
    touched, i.e. those of its source saved since shortly before the import row."""
    if not created or kwargs.get("raw"):
        return
    from gridgov.hotline.models import HotlineRecord

    since = instance.at - dt.timedelta(hours=1)
    grids = (
        HotlineRecord.objects.filter(source_id=instance.source_id, updated_at__gte=since)
        .exclude(grid__isnull=True)
        .values_list("grid_id", flat=True)
        .distinct()
    )
    schedule_grids(list(grids))


def _on_hazard_event(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """A hazard's step (reported, ordered, listed, closed, flagged overdue …): the hazard rules
    of its grid."""
    if created and not kwargs.get("raw"):
        schedule_grids([instance.hazard.grid_id])


def _on_visit(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """A visit completes the visit tasks it answers: the unvisited-household rule of its grid."""
    if created and not kwargs.get("raw"):
        schedule_grids([instance.grid_id])


def connect() -> None:
    from gridgov.cases.models import CaseEvent
    from gridgov.fieldwork.models import Visit
    from gridgov.fieldwork.safety.models import HazardEvent
    from gridgov.hotline.models import HotlineImport, HotlineRecord

    post_save.connect(_on_case_event, sender=CaseEvent, dispatch_uid="oversight-case-event")
    post_save.connect(
        _on_hotline_record, sender=HotlineRecord, dispatch_uid="oversight-hotline-record"
    )
    post_save.connect(
        _on_hotline_import, sender=HotlineImport, dispatch_uid="oversight-hotline-import"
    )
    post_save.connect(_on_hazard_event, sender=HazardEvent, dispatch_uid="oversight-hazard-event")
    post_save.connect(_on_visit, sender=Visit, dispatch_uid="oversight-visit")
