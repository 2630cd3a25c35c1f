"""The work queues' counts (navigation badges) and the grid worker's open cases."""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet

from gridgov.cases import queues as case_queues
from gridgov.cases.models import Case, CaseQuerySet

QUEUE_LABELS = case_queues.QUEUES


def queue_counts(user: Any, names: list[str]) -> dict[str, int]:
    """The number of items waiting in each named queue (the navigation badges)."""
    counts: dict[str, int] = {}
    for name in names:
        if name == "my_tasks":
            counts[name] = case_queues.my_tasks(user).count()
        elif name == "extensions":
            counts[name] = case_queues.extension_requests(user).count()
        else:
            counts[name] = case_queues.CASE_QUEUES[name](user).count()
    return counts


def my_open_cases(user: Any) -> CaseQuerySet:
    """Open cases of the worker's grids and the ones they reported, nearest deadline first."""
    return (
        Case.objects.visible_to(user)
        .open()
        .select_related("grid", "item")
        .order_by(F("due_at").asc(nulls_last=True), "-created_at")
    )


SORTS: dict[str, tuple[Any, ...]] = {
    "due": (F("due_at").asc(nulls_last=True), "pk"),
    "-due": (F("due_at").desc(nulls_last=True), "-pk"),
    "created": ("created_at", "pk"),
    "-created": ("-created_at", "-pk"),
}
# Queues of a platform's own steps (accept; register and dispatch): what counts there is the step's
# time limit (StepLimit, STANDARDS.md: dispatch within 30 minutes), not the handling deadline that
# only starts at dispatch.
STEP_QUEUES = frozenset({"to_accept", "to_dispatch", "late_steps"})
STEP_SORTS: dict[str, tuple[Any, ...]] = {
    **SORTS,
    "due": (F("step_due_at").asc(nulls_last=True), "pk"),
    "-due": (F("step_due_at").desc(nulls_last=True), "-pk"),
}
TASK_SORTS: dict[str, tuple[Any, ...]] = {
    "due": ("due_at", "pk"),
    "-due": ("-due_at", "-pk"),
    "created": ("dispatched_at", "pk"),
    "-created": ("-dispatched_at", "-pk"),
}
EXTENSION_SORTS: dict[str, tuple[Any, ...]] = {
    "due": ("task__due_at", "pk"),
    "-due": ("-task__due_at", "-pk"),
    "created": ("requested_at", "pk"),
    "-created": ("-requested_at", "-pk"),
}


def queue_rows(user: Any, name: str, sort: str = "") -> tuple[QuerySet[Any], str]:
    """The rows of one named queue in the requested order, and what they are: "tasks"
    (assignments), "extensions" (requests) or "cases"."""
    rows: QuerySet[Any]
    if name == "my_tasks":
        rows, kind, sorts = case_queues.my_tasks(user), "tasks", TASK_SORTS
    elif name == "extensions":
        rows = case_queues.extension_requests(user).select_related("case__grid")
        kind, sorts = "extensions", EXTENSION_SORTS
    else:
        rows, kind = case_queues.CASE_QUEUES[name](user), "cases"
        sorts = STEP_SORTS if name in STEP_QUEUES else SORTS
    if sort in sorts:
        rows = rows.order_by(*sorts[sort])
    return rows, kind
