"""Shared plumbing of the case services: the actions table behind `allowed_actions`, the
locked re-read, the guard that turns a wrong state into a 409, and `record()` of the event row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet
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
    OPEN_STATES,
    STEP_OF_STATE,
    Case,
    CaseAttachment,
    CaseEvent,
    CaseState,
    CaseTask,
    EventKind,
    ExtensionRequest,
    ExtensionState,
    LimitUnit,
    TaskRole,
    TaskState,
)
from gridgov.cases.notifications import handlers_of
from gridgov.cases.permissions import platform_region_ids
from gridgov.core.errors import ConflictError, DomainError
from gridgov.core.jurisdiction import Role, scope_of
from gridgov.grids.models import path_with_ancestors
from gridgov.people.models import Department

S = CaseState

# Closures for KPIs: a CLOSE event (normal, overdue, erroneous, special; reason "on_spot" for
# seed 003's on-the-spot handling) or a TRANSFER to the hotline (closed level "hotline").
CLOSING_KINDS = frozenset({EventKind.CLOSE, EventKind.TRANSFER})


# ---------------------------------------------------------------------------------------------
# Actions: what a user may do to a case now (the 409 body and the case page's buttons)


@dataclass(frozen=True)
class Action:
    perm: str
    methods: tuple[str, ...] = ()
    states: frozenset[str] = frozenset()


ACTIONS: dict[str, Action] = {
    "accept": Action("cases.accept_case", ("accept",)),
    "reject": Action("cases.reject_case", ("reject",)),
    "merge": Action("cases.merge_case", ("merge",)),
    "classify": Action("cases.classify_case", ("classify",)),
    "register": Action("cases.register_case", ("register",)),
    "dispatch": Action("cases.dispatch_case", ("dispatch", "register")),
    "handle": Action("cases.handle_case", ("handle",), frozenset({S.HANDLING})),
    "return": Action("cases.return_case", ("return_",)),
    "feedback": Action("cases.feedback_case", ("feedback",), frozenset({S.DISPATCHED})),
    "verify": Action("cases.verify_case", ("verify", "rework")),
    "close": Action("cases.close_case", ("close",)),
    "transfer": Action("cases.transfer_case", ("transfer",)),
    "callback": Action("cases.callback_case", ("callback",)),
    "reopen": Action("cases.reopen_case", ("reopen",)),
    "escalate": Action("cases.escalate_case", ("escalate",)),
    "extend": Action("cases.extend_case", (), frozenset({S.DISPATCHED, S.HANDLING})),
    "decide_extension": Action("cases.decide_extension", ("extend",)),
    "urge": Action("cases.urge_case", (), OPEN_STATES),
    "supervise": Action("cases.supervise_case", (), OPEN_STATES),
    "comment": Action("cases.comment_case", (), frozenset(S.values) - {S.MERGED}),
}


def _state_allows(case: Case, action: Action) -> bool:
    if case.state in action.states:
        return True
    return any(can_proceed(getattr(case, m)) for m in action.methods)


def _user_tasks(case: Case, user: Any, states: Iterable[str]) -> list[CaseTask]:
    departments = scope_of(user).all_department_ids(Role.HANDLER)
    wanted = set(states)
    return [t for t in case.tasks.all() if t.department_id in departments and t.state in wanted]


def dispatch_targets(case: Case) -> QuerySet[Department]:
    """Active departments the case's level may dispatch it to: serving the case's area, at or
    below the level's own region (one above needs an escalation, seed 002)."""
    serving = path_with_ancestors(case.grid.region.path)
    level_path = case.level_region.path
    return Department.objects.filter(
        is_active=True, region__path__in=[p for p in serving if p.startswith(level_path)]
    )


def allowed_actions(case: Case, user: Any) -> list[str]:
    """The actions `user` may take on `case` in its current state, in ACTIONS order.

    Assignment-bound actions (sign for, return, feedback, extension) look at the user's own
    department's assignment; the case must be visible to the user (callers fetch it scoped)."""
    import rules

    result = []
    at_level = scope_of(user).is_admin or case.level_region_id in platform_region_ids(user)
    for name, action in ACTIONS.items():
        if not _state_allows(case, action) or not rules.has_perm(action.perm, user, case):
            continue
        if name == "handle":
            mine = _user_tasks(case, user, {TaskState.PENDING})
            self_handling = at_level and case.state in {S.ACCEPTED, S.REGISTERED, S.RETURNED}
            lead_ok = any(t.role == TaskRole.CO or case.state == S.DISPATCHED for t in mine)
            if not (lead_ok or self_handling):
                continue
        elif name in {"return", "extend"}:
            if not _user_tasks(case, user, {TaskState.PENDING, TaskState.ACCEPTED}):
                continue
        elif name == "feedback":
            mine = _user_tasks(case, user, {TaskState.ACCEPTED})
            self_handled = (
                at_level
                and case.state == S.HANDLING
                and not any(t.is_active for t in case.tasks.all())
            )
            if not (mine or self_handled):
                continue
        elif name == "dispatch":
            # A village acceptance centre with no department of its own handles or escalates.
            if not dispatch_targets(case).exists():
                continue
        elif name == "decide_extension":
            regions = platform_region_ids(user)
            pending = [
                e
                for e in case.extensions.all()
                if e.state == ExtensionState.PENDING
                and (scope_of(user).is_admin or e.task.dispatch_region_id in regions)
            ]
            if not pending:
                continue
        result.append(name)
    return result


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


def _pick_task(case: Case, by: Any, task_id: int | None, states: set[str]) -> CaseTask | None:
    mine = _user_tasks(case, by, states)
    if task_id is not None:
        mine = [t for t in mine if t.pk == task_id]
    if scope_of(by).is_admin and not mine:
        mine = [t for t in case.tasks.all() if t.state in states and (task_id in (None, t.pk))]
    if len(mine) > 1:
        mine.sort(key=lambda t: t.role != TaskRole.LEAD)
    return mine[0] if mine else None
