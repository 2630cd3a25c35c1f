"""Shared plumbing of the case services: the locked re-read, the guard that turns a wrong state
into a 409 listing the allowed verbs (cases/workflow.py), and `record()` of the event row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, can_proceed

from gridgov.cases import clock
from gridgov.cases.attachments import CheckedPhoto, store_photos
from gridgov.cases.deadlines import (
    Due,
    Limit,
    step_due,
    warn_at_for,
)
from gridgov.cases.models import (
    STEP_OF_STATE,
    Case,
    CaseAttachment,
    CaseEvent,
    CaseState,
    CaseTask,
    EventKind,
    ExtensionRequest,
    LimitUnit,
    TaskState,
)
from gridgov.cases.notifications import handlers_of
from gridgov.cases.permissions import acting_tasks
from gridgov.cases.workflow import allowed_actions
from gridgov.core.errors import ConflictError, DomainError, ReferenceNotFoundError
from gridgov.people.models import Department

S = CaseState

# Closures for KPIs: a CLOSE event (normal, overdue, erroneous, special; reason "on_spot" for
# seed 003's on-the-spot handling) or a TRANSFER to the hotline (closed level "hotline").
CLOSING_KINDS = frozenset({EventKind.CLOSE, EventKind.TRANSFER})


# ---------------------------------------------------------------------------------------------
# Plumbing


def _case_queryset() -> Any:
    return Case.objects.select_related(
        "grid__region", "level_region", "item", "department"
    ).prefetch_related(
        Prefetch("tasks", queryset=CaseTask.objects.select_related("department")),
        Prefetch("extensions", queryset=ExtensionRequest.objects.select_related("task")),
    )


def lock_case(case: Case | int, version: int | None = None) -> Case:
    """Re-read the case under a row lock; 409 when the caller's `version` is stale."""
    pk = case if isinstance(case, int) else case.pk
    # Lock the bare row first, then read it with its relations: a locking query with joins
    # would, on PostgreSQL, drop a row whose joined key (its level) another transaction just
    # changed instead of returning its new version.
    if not Case.objects.select_for_update().filter(pk=pk).values_list("pk", flat=True):
        raise Http404
    fresh: Case = _case_queryset().get(pk=pk)
    if version is not None and version != fresh.version:
        raise ConflictError(
            _("案件已被他人更新(版本 %(theirs)s,当前 %(current)s),请刷新后重试")
            % {"theirs": version, "current": fresh.version},
            state=fresh.state,
            allowed=[],
        )
    return fresh


def _conflict(case: Case, by: Any, action: str) -> ConflictError:
    return ConflictError(
        _("案件当前状态为“%(state)s”,不能执行“%(action)s”")
        % {"state": CaseState(case.state).label, "action": action},
        state=case.state,
        allowed=allowed_actions(case, by),
    )


def _guard(case: Case, by: Any, action: str, *methods: Any) -> None:
    if not any(can_proceed(m) for m in methods):
        raise _conflict(case, by, action)


def sync_step(case: Case, *, now: dt.datetime | None = None, restart: bool = False) -> None:
    """Start, keep or stop the platform's step clock to match the case's state: a report owes
    its acceptance, an accepted, registered or returned case its (re-)dispatch (StepLimit). The
    clock restarts only when the step changes, or on `restart` (the case moved to another
    level, which owes the step afresh)."""
    wanted = STEP_OF_STATE.get(case.state, "")
    if wanted == case.step and not restart:
        return
    if not wanted:
        case.set_step("", None)
        return
    due = step_due(wanted, case.urgency, now or clock.now())
    case.set_step(wanted, due.at if due else None, due.warn_at if due else None)


def _save(case: Case, by: Any) -> None:
    sync_step(case)
    case.version += 1
    try:
        case.save()
    except ConcurrentTransition:
        fresh = _case_queryset().get(pk=case.pk)
        raise ConflictError(
            _("案件已被他人处理,请刷新后重试"),
            state=fresh.state,
            allowed=allowed_actions(fresh, by),
        ) from None


def _actor(by: Any) -> Any:
    return by if by is not None and getattr(by, "is_authenticated", False) else None


def record(
    case: Case,
    kind: str,
    *,
    by: Any,
    from_state: str | None = None,
    at: dt.datetime | None = None,
    department: Department | None = None,
    task: CaseTask | None = None,
    due_at: dt.datetime | None = None,
    note: str = "",
    closure_type: str = "",
    satisfaction: int | None = None,
    reason: str = "",
    related_case: Case | None = None,
    level: str | None = None,
    level_region_id: int | None = None,
    extra: dict[str, Any] | None = None,
) -> CaseEvent:
    """Write the event row of one step; the case's grid, level and item are read from it."""
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        from_state=case.state if from_state is None else from_state,
        to_state=case.state,
        actor=_actor(by),
        at=at or clock.now(),
        grid_id=case.grid_id,
        level=level or case.level,
        level_region_id=level_region_id or case.level_region_id,
        item_id=case.item_id,
        department=department,
        task=task,
        due_at=due_at,
        note=note,
        closure_type=closure_type,
        satisfaction=satisfaction,
        reason=reason,
        related_case=related_case,
        extra=extra or {},
    )


def _require_text(value: str, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError(message, field=field)
    return text


def _set_running_limit(case: Case, limit: Limit | None, start: dt.datetime, due: Due) -> None:
    case.limit_value = limit.value if limit else 0
    case.limit_unit = limit.unit if limit else LimitUnit.WORKDAYS
    case.limit_started_at = start
    case.warn_at = warn_at_for(start, due.at)


def _cancel_active_tasks(
    case: Case, *, keep: CaseTask | None = None, keep_fed_back: bool = False
) -> None:
    """Cancel the slips still open. When the case ends (close, transfer) a slip that already fed
    back stays "fed back": that department's work was done and counts as handled."""
    for t in case.tasks.all():
        if t.is_active and t != keep and not (keep_fed_back and t.state == TaskState.FED_BACK):
            t.cancel()
            t.save(update_fields=["state"])


def _department_users(case: Case, *, only_active: bool = True) -> Any:
    ids = {t.department_id for t in case.tasks.all() if t.is_active or not only_active}
    return handlers_of(ids)


def _attach(
    case: Case,
    photos: Sequence[CheckedPhoto],
    *,
    by: Any,
    event: CaseEvent,
    purpose: str,
    task: CaseTask | None = None,
) -> list[CaseAttachment]:
    return store_photos(case, photos, by=_actor(by), event=event, purpose=purpose, task=task)


def _pick_task(case: Case, by: Any, task_id: int | None, states: Iterable[str]) -> CaseTask | None:
    """The slip in `states` the user acts for (permissions.acting_tasks), the one named by
    `task_id` when given: a slip the user does not act for is named in a 404 like any other
    reference out of scope (issue 8), not a 409 that would list the verb as allowed."""
    mine = acting_tasks(by, case, states)
    if task_id is None:
        return mine[0] if mine else None
    if not any(t.pk == task_id for t in acting_tasks(by, case, TaskState.values)):
        raise ReferenceNotFoundError(
            _("交办单 %(task)s 不存在或不由您的部门承办") % {"task": task_id}, field="task"
        )
    return next((t for t in mine if t.pk == task_id), None)
