"""Acceptance, registration, dispatch and handling (受理、立案、派遣、处置; seed 003's 交办单 and
反馈单)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from gridgov.cases import clock
from gridgov.cases.attachments import CheckedPhoto
from gridgov.cases.catalogue import default_department
from gridgov.cases.deadlines import (
    Due,
    Limit,
    compute_due,
    due_from_date,
    limit_for,
    warn_at_for,
)
from gridgov.cases.location import find_duplicate_id
from gridgov.cases.models import (
    LIVE_TASK_STATES,
    Case,
    CaseAttachment,
    CaseState,
    CaseTask,
    EventKind,
    LimitUnit,
    MatterItem,
    ReturnReason,
    TaskRole,
    TaskState,
)
from gridgov.cases.notifications import handlers_of, notify_on_commit, operators_of
from gridgov.cases.permissions import (
    SELF_HANDLING_STATES,
    handles_at_level,
    has_dispatch_targets,
    level_operator,
    require,
)
from gridgov.core.errors import ConflictError, DomainError
from gridgov.core.models import NotificationKind
from gridgov.core.notify import in_every_language
from gridgov.people.models import Department

if TYPE_CHECKING:
    from django.contrib.auth.models import User

from gridgov.cases.services.base import (
    _actor,
    _attach,
    _cancel_active_tasks,
    _conflict,
    _guard,
    _pick_task,
    _require_text,
    _save,
    _set_running_limit,
    allowed_actions,
    lock_case,
    record,
)

S = CaseState

# ---------------------------------------------------------------------------------------------
# Acceptance (受理)


@transaction.atomic
def accept_case(
    *,
    case: Case,
    by: User,
    item: MatterItem | None = None,
    note: str = "",
    version: int | None = None,
) -> Case:
    """The level's platform takes the report in as valid (统一受理, seed 002)."""
    case = lock_case(case, version)
    require(by, "cases.accept_case", case)
    _guard(case, by, _("受理"), case.accept)
    from_state = case.state
    case.accept()
    if item is not None and item != case.item:
        case.classify(item)
    _save(case, by)
    record(case, EventKind.ACCEPT, by=by, from_state=from_state, note=note)
    return case


@transaction.atomic
def reject_case(*, case: Case, by: User, note: str, version: int | None = None) -> Case:
    """Not accepted as a valid report, with the reason (counts against 有效上报率)."""
    note = _require_text(note, "note", _("请填写不予受理的理由"))
    case = lock_case(case, version)
    require(by, "cases.reject_case", case)
    _guard(case, by, _("不予受理"), case.reject)
    from_state = case.state
    case.reject()
    _save(case, by)
    record(case, EventKind.REJECT, by=by, from_state=from_state, note=note)
    if case.reporter_id:
        notify_on_commit(
            [case.reporter],
            kind="case_rejected",
            title=in_every_language(gettext_noop("案件不予受理:%(title)s"), title=case.title),
            body=note,
            case=case,
            by=by,
        )
    return case


@transaction.atomic
def merge_case(*, case: Case, into: Case, by: User, note: str, version: int | None = None) -> Case:
    """Merge a duplicate into the case it repeats; both timelines record it."""
    note = _require_text(note, "note", _("请填写合并理由"))
    if case.pk == into.pk:
        raise DomainError(_("不能将案件合并到自身"), field="into")
    # Lock both rows in id order so two opposite merges cannot deadlock.
    first, second = sorted([case.pk, into.pk])
    locked = {first: lock_case(first), second: lock_case(second)}
    case, into = locked[case.pk], locked[into.pk]
    if version is not None and version != case.version:
        lock_case(case, version)
    require(by, "cases.merge_case", case)
    if into.state in {S.REJECTED, S.MERGED}:
        raise DomainError(_("目标案件已合并或不予受理,不能并入"), field="into")
    _guard(case, by, _("合并"), case.merge)
    from_state = case.state
    case.merge(into)
    _save(case, by)
    record(case, EventKind.MERGE, by=by, from_state=from_state, note=note, related_case=into)
    record(into, EventKind.MERGED_IN, by=by, note=note, related_case=case)
    return case


@transaction.atomic
def classify_case(
    *, case: Case, item: MatterItem, by: User, note: str = "", version: int | None = None
) -> Case:
    """An operator sets or corrects the matter a report is about."""
    if not item.is_active:
        raise DomainError(_("事项 %(item)s 已停用") % {"item": item}, field="item")
    case = lock_case(case, version)
    require(by, "cases.classify_case", case)
    _guard(case, by, _("分类"), case.classify)
    previous = case.item
    case.classify(item)
    case.duplicate_of_id = find_duplicate_id(case)
    _save(case, by)
    record(
        case,
        EventKind.CLASSIFY,
        by=by,
        note=note,
        extra={"from_item": previous.code} if previous else {},
    )
    return case


# ---------------------------------------------------------------------------------------------
# Registration and dispatch (立案、派遣; the assignment slip 交办单, seed 003)


def _register(case: Case, by: Any, *, now: dt.datetime, note: str = "") -> None:
    if case.item_id is None:
        raise DomainError(_("立案前请先选择事项分类"), field="item")
    limit = limit_for(case.item, case.urgency)
    due = compute_due(now, limit)
    from_state = case.state
    case.register(due_at=due.at, provisional=due.provisional)
    _set_running_limit(case, limit, now, due)
    record(case, EventKind.REGISTER, by=by, from_state=from_state, at=now, due_at=due.at, note=note)


@transaction.atomic
def register_case(*, case: Case, by: User, note: str = "", version: int | None = None) -> Case:
    """Register (立案): the matter is confirmed and the promised completion date is set from the
    catalogue's time limit (限时办理, seeds 002 and 003)."""
    case = lock_case(case, version)
    require(by, "cases.register_case", case)
    _guard(case, by, _("立案"), case.register)
    _register(case, by, now=clock.now(), note=note)
    _save(case, by)
    return case


def _check_department(dept: Department, case: Case, field: str) -> None:
    if not dept.is_active:
        raise DomainError(_("部门 %(dept)s 已停用") % {"dept": dept.name}, field=field)
    # A level dispatches to departments serving its own area; one above needs an escalation.
    if not case.grid.region.path.startswith(dept.region.path) or not dept.region.path.startswith(
        case.level_region.path
    ):
        raise DomainError(
            _("部门 %(dept)s 不属于本级平台(%(level)s)的派遣范围,需逐级上报")
            % {"dept": dept.name, "level": case.level_region.name},
            field=field,
        )


@dataclass(frozen=True)
class CoHandler:
    """A co-handling department (协办) with its own limit: working days or a due date; neither
    means the lead's deadline (issue 3: each with its own sub-task, deadline and feedback)."""

    department: Department
    days: int | None = None
    due_on: dt.date | None = None


def _deadline(
    *, case: Case, days: int | None, due_on: dt.date | None, now: dt.datetime, field: str
) -> tuple[Due, Limit | None]:
    if days is not None and due_on is not None:
        raise DomainError(_("时限和截止日期只能填写一项"), field=field)
    if due_on is not None:
        try:
            return due_from_date(due_on, now=now), None
        except DomainError as exc:
            raise DomainError(exc.message, field=field) from None
    try:
        limit = limit_for(case.item, case.urgency, days=days)
    except DomainError as exc:
        raise DomainError(exc.message, field=field if field != "due_on" else "days") from None
    return compute_due(now, limit), limit


@transaction.atomic
def dispatch_case(
    *,
    case: Case,
    by: User,
    to: Department | None = None,
    co: Sequence[Department | CoHandler] = (),
    days: int | None = None,
    due_on: dt.date | None = None,
    instructions: str = "",
    note: str = "",
    version: int | None = None,
) -> Case:
    """Dispatch (派遣) to a lead department, and for joint enforcement (联合执法) to co-handling
    departments too, each with its own assignment slip and deadline: a co-handler given as a
    CoHandler with days or a date gets its own (no later than the lead's), else the lead's.
    Without `to` the catalogue's route for this level decides. An accepted case is registered
    on the way (立案派遣)."""
    co_handlers = [c if isinstance(c, CoHandler) else CoHandler(department=c) for c in co]
    case = lock_case(case, version)
    require(by, "cases.dispatch_case", case)
    _guard(case, by, _("派遣"), case.dispatch, case.register)
    if not has_dispatch_targets.test(by, case):
        # The level has no department of its own (a village acceptance centre): it handles
        # the case or passes it up (seed 002), so dispatch is not among its verbs.
        raise ConflictError(
            _("本级平台(%(level)s)没有可派遣的部门,需逐级上报或自行处置")
            % {"level": case.level_region.name},
            state=case.state,
            allowed=allowed_actions(case, by),
        )
    lead = to or default_department(case)
    if lead is None:
        raise DomainError(_("该事项在本级没有默认处置部门,请指定部门"), field="department")
    lead = Department.objects.select_related("region").get(pk=lead.pk)
    _check_department(lead, case, "department")
    co_ids = [c.department.pk for c in co_handlers]
    found = Department.objects.select_related("region").in_bulk(co_ids)
    if len(found) != len(co_ids) or len(set(co_ids)) != len(co_ids) or lead.pk in found:
        raise DomainError(_("协办部门不能重复,也不能与主办部门相同"), field="co")
    for dept in found.values():
        _check_department(dept, case, "co")
    now = clock.now()
    due, limit = _deadline(case=case, days=days, due_on=due_on, now=now, field="due_on")
    slips: list[tuple[str, Department, Due, Limit | None]] = [(TaskRole.LEAD, lead, due, limit)]
    for handler in co_handlers:
        dept = found[handler.department.pk]
        if handler.days is None and handler.due_on is None:
            slips.append((TaskRole.CO, dept, due, limit))
            continue
        own, own_limit = _deadline(
            case=case, days=handler.days, due_on=handler.due_on, now=now, field="co"
        )
        if own.at > due.at:
            # The case is handled when every slip has fed back: a co-handler due after the
            # lead would make the case late while each department is on time.
            raise DomainError(
                _("协办部门 %(dept)s 的期限不能晚于主办期限 %(due)s")
                % {"dept": dept.name, "due": f"{timezone.localtime(due.at):%Y-%m-%d %H:%M}"},
                field="co",
            )
        slips.append((TaskRole.CO, dept, own, own_limit))
    if case.state == S.ACCEPTED:
        _register(case, by, now=now)
    from_state = case.state
    _cancel_active_tasks(case)
    case.dispatch(lead, due_at=due.at, provisional=due.provisional)
    _set_running_limit(case, limit, now, due)
    _save(case, by)
    for role, dept, slip_due, slip_limit in slips:
        task = CaseTask(
            case=case,
            department=dept,
            role=role,
            instructions=instructions,
            limit_value=slip_limit.value if slip_limit else 0,
            limit_unit=slip_limit.unit if slip_limit else LimitUnit.WORKDAYS,
            dispatched_at=now,
            dispatched_by=_actor(by),
            dispatch_level=case.level,
            dispatch_region=case.level_region,
        )
        task.set_deadline(slip_due.at, slip_due.provisional, warn_at_for(now, slip_due.at))
        task.save()
        record(
            case,
            EventKind.DISPATCH if role == TaskRole.LEAD else EventKind.CO_DISPATCH,
            by=by,
            from_state=from_state if role == TaskRole.LEAD else case.state,
            at=now,
            department=dept,
            task=task,
            due_at=slip_due.at,
            note=note or instructions,
        )
        notify_on_commit(
            handlers_of([dept.pk]),
            kind=NotificationKind.ASSIGNMENT,
            title=in_every_language(
                gettext_noop("新交办%(role)s案件:%(title)s"),
                role=TaskRole(role).label,
                title=case.title,
            ),
            body=in_every_language(
                gettext_noop("办理期限 %(due)s"),
                due=f"{timezone.localtime(slip_due.at):%Y-%m-%d %H:%M}",
            ),
            case=case,
            by=by,
        )
    return case


# ---------------------------------------------------------------------------------------------
# Handling by the department (or by the level itself)


@transaction.atomic
def handle_case(
    *,
    case: Case,
    by: User,
    task: int | None = None,
    note: str = "",
    version: int | None = None,
) -> Case:
    """Sign for an assignment (签收) and start handling; a co-handler signs for its own
    sub-task. A level operator may instead handle an undispatched case itself (seed 003: the
    acceptance centre handles or dispatches)."""
    case = lock_case(case, version)
    require(by, "cases.handle_case", case)
    now = clock.now()
    mine = _pick_task(case, by, task, {TaskState.PENDING})
    if mine is not None:
        if mine.role == TaskRole.LEAD:
            _guard(case, by, _("签收"), case.handle)
        elif case.state not in {S.DISPATCHED, S.HANDLING}:
            raise _conflict(case, by, _("签收"))
        from_state = case.state
        if mine.role == TaskRole.LEAD:
            case.handle()
        mine.sign(at=now)
        mine.save(update_fields=["state", "accepted_at"])
        _save(case, by)
        record(
            case,
            EventKind.HANDLE,
            by=by,
            from_state=from_state,
            at=now,
            department=mine.department,
            task=mine,
            due_at=mine.due_at,
            note=note,
        )
        return case
    if not handles_at_level.test(by, case):
        # Whoever else holds the case (a department's slip, another level) is a who-may rule;
        # a case that moved on is a conflict.
        if case.state in SELF_HANDLING_STATES | {S.DISPATCHED}:
            raise PermissionDenied(_("无权执行此操作"))
        raise _conflict(case, by, _("签收"))
    from_state = case.state
    case.handle()
    if case.due_at is None:
        limit = limit_for(case.item, case.urgency)
        due = compute_due(now, limit)
        case.set_deadline(due.at, due.provisional)
        _set_running_limit(case, limit, now, due)
    _save(case, by)
    record(
        case, EventKind.HANDLE, by=by, from_state=from_state, at=now, due_at=case.due_at, note=note
    )
    return case


@transaction.atomic
def return_case(
    *,
    case: Case,
    by: User,
    reason: str,
    note: str,
    task: int | None = None,
    version: int | None = None,
) -> Case:
    """A department returns its assignment with a reason (退回); the lead's return sends the
    case back to the dispatching level for re-dispatch."""
    if reason not in ReturnReason.values:
        raise DomainError(_("退回原因无效"), field="reason")
    note = _require_text(note, "note", _("请填写退回理由"))
    case = lock_case(case, version)
    require(by, "cases.return_case", case)
    mine = _pick_task(case, by, task, set(LIVE_TASK_STATES))
    if mine is None:
        raise _conflict(case, by, _("退回"))
    from_state = case.state
    if mine.role == TaskRole.LEAD:
        _guard(case, by, _("退回"), case.return_)
        case.return_()
        _cancel_active_tasks(case, keep=mine)
    mine.return_(reason=reason)
    mine.save(update_fields=["state", "return_reason"])
    _save(case, by)
    record(
        case,
        EventKind.RETURN,
        by=by,
        from_state=from_state,
        department=mine.department,
        task=mine,
        reason=reason,
        note=note,
    )
    notify_on_commit(
        operators_of([mine.dispatch_region_id]),
        kind=NotificationKind.RETURN,
        title=in_every_language(gettext_noop("案件被退回:%(title)s"), title=case.title),
        body=f"{mine.department.name}:{note}",
        case=case,
        by=by,
    )
    return case


@transaction.atomic
def feedback_case(
    *,
    case: Case,
    by: User,
    result: str,
    photos: Sequence[CheckedPhoto] = (),
    task: int | None = None,
    version: int | None = None,
) -> Case:
    """The feedback slip (反馈单): result and photos of one assignment. The case is handled
    when the lead's and every co-handler's feedback is in (联合执法)."""
    result = _require_text(result, "result", _("请填写处置结果"))
    case = lock_case(case, version)
    require(by, "cases.feedback_case", case)
    now = clock.now()
    mine = _pick_task(case, by, task, {TaskState.ACCEPTED})
    if mine is None:
        at_level = level_operator.test(by, case)
        self_handled = not any(t.is_active for t in case.tasks.all())
        if at_level and not self_handled:
            # A department holds the assignment: only it gives the feedback slip.
            raise PermissionDenied(_("该案件由部门办理,须由承办部门反馈"))
        if not at_level:
            raise _conflict(case, by, _("反馈"))
        _guard(case, by, _("反馈"), case.feedback)
        from_state = case.state
        case.feedback(result)
        _save(case, by)
        event = record(
            case,
            EventKind.FEEDBACK,
            by=by,
            from_state=from_state,
            at=now,
            due_at=case.due_at,
            note=result,
        )
        _attach(case, photos, by=by, event=event, purpose=CaseAttachment.Purpose.FEEDBACK)
        _notify_fed_back(case, by)
        return case
    mine.feedback(result=result, at=now)
    mine.save(update_fields=["state", "result", "fed_back_at"])
    from_state = case.state
    waiting = [t for t in case.tasks.all() if t.is_live]
    if not waiting and case.state == S.HANDLING:
        case.feedback(_joint_result(case))
    _save(case, by)
    event = record(
        case,
        EventKind.FEEDBACK,
        by=by,
        from_state=from_state,
        at=now,
        department=mine.department,
        task=mine,
        due_at=mine.due_at,
        note=result,
    )
    _attach(case, photos, by=by, event=event, purpose=CaseAttachment.Purpose.FEEDBACK, task=mine)
    if case.state == S.FED_BACK:
        _notify_fed_back(case, by)
    return case


def _joint_result(case: Case) -> str:
    tasks = sorted(
        (t for t in case.tasks.all() if t.state == TaskState.FED_BACK),
        key=lambda t: (t.role != TaskRole.LEAD, t.pk),
    )
    if len(tasks) == 1:
        return tasks[0].result
    return "\n".join(f"【{t.department.name}·{t.get_role_display()}】{t.result}" for t in tasks)


def _notify_fed_back(case: Case, by: Any) -> None:
    recipients = list(operators_of([case.level_region_id]))
    if case.reporter_id:
        recipients.append(case.reporter)
    notify_on_commit(
        recipients,
        kind=NotificationKind.VERIFY,
        title=in_every_language(gettext_noop("案件已反馈,待核查:%(title)s"), title=case.title),
        body=case.result[:200],
        case=case,
        by=by,
    )
