"""Read functions for the pages and the API: work queues, a case's timeline, and the public
tracking view a resident reaches with their tracking code. They return querysets and
dataclasses, never dicts shaped for a template (STYLE)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.cases import permissions
from gridgov.cases.attachments import tracking_photo_url
from gridgov.cases.models import (
    CLOSED_STATES,
    Case,
    CaseAttachment,
    CaseEvent,
    CaseQuerySet,
    CaseState,
    CaseTask,
    EventKind,
    ExtensionRequest,
    ExtensionState,
    PlatformLevel,
)
from gridgov.cases.workflow import restrict
from gridgov.core.jurisdiction import scope_of

S = CaseState

# A platform's waiting cases by the deadline of the step it owes (an emergency's accept-by comes
# first), then by arrival; a case without a step clock (no StepLimit row) after the others.
BY_STEP = (F("step_due_at").asc(nulls_last=True), "created_at", "pk")


def list_queryset(user: Any) -> CaseQuerySet:
    """Cases visible to the user with what a list row shows, in one query."""
    return Case.objects.visible_to(user).select_related(
        "grid", "item__matter_class", "department", "level_region"
    )


def _at_my_level(user: Any, qs: CaseQuerySet) -> CaseQuerySet:
    """The cases held by the user's platform: the twin of `permissions.level_operator`."""
    return qs.filter(permissions.level_operator.q(user))


def to_accept(user: Any) -> CaseQuerySet:
    """Reports waiting at the user's platform for acceptance, by accept-by deadline."""
    return restrict(list_queryset(user), user, "accept").filter(state=S.REPORTED).order_by(*BY_STEP)


def to_dispatch(user: Any) -> CaseQuerySet:
    """Accepted or registered cases at the user's platform, waiting to be dispatched, by
    dispatch-by deadline."""
    return _at_my_level(
        user, list_queryset(user).filter(state__in=[S.ACCEPTED, S.REGISTERED])
    ).order_by(*BY_STEP)


def late_steps(user: Any, at: dt.datetime | None = None) -> CaseQuerySet:
    """Cases at the user's platform whose accept or dispatch step is past its time limit."""
    return _at_my_level(
        user, list_queryset(user).exclude(step="").filter(step_due_at__lt=at or timezone.now())
    ).order_by("step_due_at", "pk")


def returned(user: Any) -> CaseQuerySet:
    """Cases a department returned to the user's platform, for re-dispatch."""
    return _at_my_level(user, list_queryset(user).filter(state=S.RETURNED)).order_by("due_at", "pk")


def my_tasks(user: Any) -> QuerySet[CaseTask]:
    """Assignments (lead and co-handling) of the user's departments still to sign for or
    handle, by deadline."""
    qs = CaseTask.objects.live().filter(permissions.acting_tasks_q(user))
    return qs.select_related("case__grid", "case__item", "department").order_by("due_at", "pk")


def extension_requests(user: Any) -> QuerySet[ExtensionRequest]:
    """Pending extension requests of assignments the user's platform dispatched."""
    qs = ExtensionRequest.objects.filter(state=ExtensionState.PENDING).select_related(
        "case", "task__department", "requested_by"
    )
    return qs.filter(permissions.decides_q(user)).order_by("requested_at", "pk")


def overdue(user: Any, at: dt.datetime | None = None) -> CaseQuerySet:
    """Open cases past their deadline that the user can see, most overdue first."""
    return list_queryset(user).overdue(at).order_by("due_at", "pk")


def to_verify(user: Any) -> CaseQuerySet:
    """Fed-back cases waiting for verification by this worker, or by a platform standing
    between the case's grid and its level (the county does not verify a town's case); a
    verified case waiting for its own level to close it is included for operators."""
    qs = list_queryset(user)
    to_close = restrict(qs, user, "close").filter(state=S.VERIFIED)
    return (restrict(qs, user, "verify") | to_close).order_by("updated_at", "pk")


def to_callback(user: Any) -> CaseQuerySet:
    """Closed cases of the user's platform waiting for the callback (回访); the hotline calls
    back the cases handed over to it."""
    return (
        restrict(list_queryset(user), user, "callback")
        .exclude(closed_level=PlatformLevel.HOTLINE)
        .order_by("closed_at", "pk")
    )


def my_open_cases(user: Any) -> CaseQuerySet:
    """Open cases of the worker's grids and the ones they reported, nearest deadline first (the
    worker's task list and map on the phone)."""
    return (
        Case.objects.visible_to(user)
        .open()
        .select_related("grid", "item")
        .order_by(F("due_at").asc(nulls_last=True), "-created_at")
    )


@dataclass(frozen=True)
class Queue:
    """One work queue: its label, the function giving its rows for a user, what the rows are
    ("cases", "tasks": assignment slips, "extensions": requests), and whether it runs on a
    platform step's clock (accept; register and dispatch: StepLimit, STANDARDS.md) rather than
    the handling deadline that only starts at dispatch."""

    label: Any
    rows: Callable[[Any], QuerySet[Any]]
    kind: str = "cases"
    step_clock: bool = False


# The one registry of work queues, read by the API (`?queue=`, `/queues`), the pages (the
# navigation badges, the queue page) and the command centre.
QUEUES: dict[str, Queue] = {
    "to_accept": Queue(_("待受理"), to_accept, step_clock=True),
    "to_dispatch": Queue(_("待派遣"), to_dispatch, step_clock=True),
    "my_tasks": Queue(_("本部门待办"), my_tasks, kind="tasks"),
    "returned": Queue(_("被退回"), returned),
    "extensions": Queue(_("延期待审批"), extension_requests, kind="extensions"),
    "overdue": Queue(_("已超期"), overdue),
    "to_verify": Queue(_("待核查"), to_verify),
    "to_callback": Queue(_("待回访"), to_callback),
    "late_steps": Queue(_("受理派遣超时"), late_steps, step_clock=True),
}
# The queues whose rows are cases (a case list can be narrowed to one of them).
CASE_QUEUES: dict[str, Callable[[Any], QuerySet[Any]]] = {
    name: queue.rows for name, queue in QUEUES.items() if queue.kind == "cases"
}


# Which queues a user works from is the role table of the navigation bar, in `web` (the shell,
# a layer above): its AppConfig.ready registers that rule here. Without it every queue is open,
# each still showing only the rows its permission twin lets this user see.
_QUEUE_ACCESS: list[Callable[[Any], Iterable[str]]] = []


def register_queue_access(rule: Callable[[Any], Iterable[str]]) -> None:
    """Set the rule naming the queues a (non-admin) user works from."""
    _QUEUE_ACCESS[:] = [rule]


def queue_open_to(user: Any, name: str) -> bool:
    """Whether the named queue's page is open to this user (an admin opens every queue)."""
    if name not in QUEUES:
        return False
    if not _QUEUE_ACCESS or scope_of(user).is_admin:
        return True
    return name in _QUEUE_ACCESS[0](user)


def queue_counts(user: Any, names: Iterable[str] | None = None) -> dict[str, int]:
    """How many items wait in each queue (all, or the named ones): the navigation badges and
    the command centre's figures."""
    return {name: QUEUES[name].rows(user).count() for name in (names or QUEUES)}


SORTS: dict[str, tuple[Any, ...]] = {
    "due": (F("due_at").asc(nulls_last=True), "pk"),
    "-due": (F("due_at").desc(nulls_last=True), "-pk"),
    "created": ("created_at", "pk"),
    "-created": ("-created_at", "-pk"),
}
STEP_SORTS: dict[str, tuple[Any, ...]] = {
    **SORTS,
    "due": (F("step_due_at").asc(nulls_last=True), "pk"),
    "-due": (F("step_due_at").desc(nulls_last=True), "-pk"),
}
KIND_SORTS: dict[str, dict[str, tuple[Any, ...]]] = {
    "tasks": {
        "due": ("due_at", "pk"),
        "-due": ("-due_at", "-pk"),
        "created": ("dispatched_at", "pk"),
        "-created": ("-dispatched_at", "-pk"),
    },
    "extensions": {
        "due": ("task__due_at", "pk"),
        "-due": ("-task__due_at", "-pk"),
        "created": ("requested_at", "pk"),
        "-created": ("-requested_at", "-pk"),
    },
}


def queue_rows(user: Any, name: str, sort: str = "") -> tuple[QuerySet[Any], str]:
    """The rows of one named queue in the requested order, and what they are."""
    queue = QUEUES[name]
    rows = queue.rows(user)
    if queue.kind == "extensions":
        rows = rows.select_related("case__grid")
    sorts = KIND_SORTS.get(queue.kind) or (STEP_SORTS if queue.step_clock else SORTS)
    if sort in sorts:
        rows = rows.order_by(*sorts[sort])
    return rows, queue.kind


def detail_queryset(user: Any) -> CaseQuerySet:
    """Visible cases with everything the case page shows: tasks, extensions, events and
    attachments, prefetched."""
    return (
        Case.objects.visible_to(user)
        .select_related(
            "grid__region",
            "grid__level",
            "level_region",
            "item__matter_class",
            "department",
            "reporter",
            "merged_into",
            "duplicate_of",
        )
        .prefetch_related(
            Prefetch(
                "tasks",
                queryset=CaseTask.objects.select_related("department", "dispatched_by"),
            ),
            Prefetch(
                "extensions",
                queryset=ExtensionRequest.objects.select_related("task", "requested_by"),
            ),
            Prefetch(
                "events",
                queryset=CaseEvent.objects.select_related("actor", "department", "related_case")
                .prefetch_related("attachments")
                .order_by("at", "pk"),
            ),
            "attachments",
        )
    )


# ---------------------------------------------------------------------------------------------
# Public tracking (residents follow their case with the tracking code)

PUBLIC_KINDS = {
    EventKind.REPORT,
    EventKind.ACCEPT,
    EventKind.REJECT,
    EventKind.MERGE,
    EventKind.REGISTER,
    EventKind.DISPATCH,
    EventKind.HANDLE,
    EventKind.FEEDBACK,
    EventKind.ESCALATE,
    EventKind.CLOSE,
    EventKind.TRANSFER,
    EventKind.CALLBACK,
    EventKind.REOPEN,
    EventKind.RECORD,
}


@dataclass(frozen=True)
class PublicStep:
    kind: str
    label: str
    at: dt.datetime


@dataclass(frozen=True)
class TrackingView:
    """What a resident sees of their case: no staff names, no internal notes, no other
    person's contact; the result once it is closed."""

    tracking_code: str
    number: str
    title: str
    state: str
    state_label: str
    channel_label: str
    item_name: str
    reported_at: dt.datetime
    due_at: dt.datetime | None
    closed_at: dt.datetime | None
    result: str
    satisfaction: int | None
    steps: list[PublicStep]
    photos: list[str]


def tracking_photos(code: str) -> list[CaseAttachment]:
    """The report photos of the case with this tracking code, in upload order (as numbered in
    TrackingView.photos); empty for an unknown code."""
    code = (code or "").strip().upper()
    if not code or len(code) > 16:
        return []
    return list(
        CaseAttachment.objects.filter(
            case__tracking_code=code, purpose=CaseAttachment.Purpose.REPORT
        ).order_by("uploaded_at", "pk")
    )


def tracking_view(code: str) -> TrackingView | None:
    """The resident's view of the case with this tracking code, or None."""
    code = (code or "").strip().upper()
    if not code or len(code) > 16:
        return None
    case = (
        Case.objects.select_related("item")
        .prefetch_related(
            Prefetch("events", queryset=CaseEvent.objects.order_by("at", "pk")),
            Prefetch(
                "attachments",
                queryset=CaseAttachment.objects.filter(
                    purpose=CaseAttachment.Purpose.REPORT
                ).order_by("uploaded_at", "pk"),
            ),
        )
        .filter(tracking_code=code)
        .first()
    )
    if case is None:
        return None
    finished = case.state in CLOSED_STATES
    return TrackingView(
        tracking_code=case.tracking_code,
        number=case.number,
        title=case.title,
        state=case.state,
        state_label=str(CaseState(case.state).label),
        channel_label=str(case.get_channel_display()),
        item_name=case.item.name if case.item else "",
        reported_at=case.created_at,
        due_at=case.due_at if case.is_open else None,
        closed_at=case.closed_at,
        result=case.result if finished else "",
        satisfaction=case.satisfaction,
        steps=[
            PublicStep(kind=e.kind, label=str(EventKind(e.kind).label), at=e.at)
            for e in case.events.all()
            if e.kind in PUBLIC_KINDS
        ],
        photos=[
            tracking_photo_url(case.tracking_code, i) for i in range(len(case.attachments.all()))
        ],
    )
