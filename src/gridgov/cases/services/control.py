"""Escalation, extension, urging, supervision and follow-up notes (逐级上报、延期、催办、督办)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from gridgov.cases import clock
from gridgov.cases.attachments import CheckedPhoto
from gridgov.cases.deadlines import (
    Limit,
    compute_due,
    warn_at_for,
)
from gridgov.cases.location import platform_chain
from gridgov.cases.models import (
    LIVE_TASK_STATES,
    OPEN_STATES,
    Case,
    CaseAttachment,
    CaseEvent,
    CaseState,
    EventKind,
    ExtensionRequest,
    ExtensionState,
    LimitUnit,
    TaskRole,
    TaskState,
)
from gridgov.cases.notifications import handlers_of, notify_on_commit, operators_of
from gridgov.cases.permissions import acting_tasks, decides, require
from gridgov.core.errors import ConflictError, DomainError
from gridgov.core.models import NotificationKind
from gridgov.core.notify import Text, in_every_language

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
    allowed_actions,
    lock_case,
    record,
    sync_step,
)

S = CaseState

# ---------------------------------------------------------------------------------------------
# Escalation, extension, urging, supervision


@transaction.atomic
def escalate_case(*, case: Case, by: User, note: str, version: int | None = None) -> Case:
    """Seed 002: beyond a level's remit the case goes up exactly one level (逐级上报), whose
    platform dispatches and supervises it."""
    note = _require_text(note, "note", _("请填写上报理由"))
    case = lock_case(case, version)
    require(by, "cases.escalate_case", case)
    _guard(case, by, _("上报上级"), case.escalate)
    chain = platform_chain(case.level_region)
    if len(chain) < 2:
        raise DomainError(_("已是最高层级平台,可转交热线办理"))
    to_level, to_region = chain[1]
    from_state, from_level, from_region = case.state, case.level, case.level_region_id
    _cancel_active_tasks(case)
    case.escalate(level=to_level, region=to_region)
    # The upper platform owes its own dispatch step from now.
    sync_step(case, restart=True)
    _save(case, by)
    record(
        case,
        EventKind.ESCALATE,
        by=by,
        from_state=from_state,
        note=note,
        level=from_level,
        level_region_id=from_region,
        extra={"to_level": str(to_level), "to_region": to_region.code},
    )
    notify_on_commit(
        operators_of([to_region.pk]),
        kind=NotificationKind.ESCALATION,
        title=in_every_language(gettext_noop("下级上报案件:%(title)s"), title=case.title),
        body=note,
        case=case,
        by=by,
    )
    return case


@transaction.atomic
def request_extension(
    *,
    case: Case,
    by: User,
    days: int,
    reason: str,
    task: int | None = None,
    version: int | None = None,
) -> ExtensionRequest:
    """A department asks the dispatching level for more working days (延期申请)."""
    reason = _require_text(reason, "reason", _("请填写延期理由"))
    if days < 1 or days > 60:
        raise DomainError(_("延期须为 1–60 个工作日"), field="days")
    case = lock_case(case, version)
    require(by, "cases.extend_case", case)
    waiting = {e.task_id for e in case.extensions.all() if e.state == ExtensionState.PENDING}
    mine = _pick_task(case, by, task, LIVE_TASK_STATES)
    if task is None and mine is not None and mine.pk in waiting:
        # Of several slips the user acts for, the first without a request waiting.
        free = [t for t in acting_tasks(by, case, LIVE_TASK_STATES) if t.pk not in waiting]
        mine = free[0] if free else mine
    if mine is None or case.state not in {S.DISPATCHED, S.HANDLING}:
        raise _conflict(case, by, _("申请延期"))
    if mine.pk in waiting:
        raise ConflictError(
            _("该交办单已有待审批的延期申请"), state=case.state, allowed=allowed_actions(case, by)
        )
    extension = ExtensionRequest.objects.create(
        case=case,
        task=mine,
        days=days,
        reason=reason,
        requested_by=_actor(by),
        requested_at=clock.now(),
    )
    _save(case, by)
    _record_extension(case, EventKind.EXTENSION_REQUEST, by=by, extension=extension, note=reason)
    notify_on_commit(
        operators_of([mine.dispatch_region_id]),
        kind=NotificationKind.EXTENSION,
        title=in_every_language(gettext_noop("延期申请待审批:%(title)s"), title=case.title),
        body=in_every_language(
            gettext_noop("%(dept)s 申请延期 %(days)s 个工作日:%(reason)s"),
            dept=mine.department.name,
            days=days,
            reason=reason,
        ),
        case=case,
        by=by,
    )
    return extension


@transaction.atomic
def decide_extension(
    *,
    extension: ExtensionRequest,
    by: User,
    approve: bool,
    note: str = "",
    version: int | None = None,
) -> ExtensionRequest:
    """The dispatching level approves (the assignment's deadline moves by the working days
    asked, from the old deadline) or refuses a request."""
    case = lock_case(extension.case_id, version)
    extension = (
        ExtensionRequest.objects.select_for_update()
        .select_related("task__department")
        .get(pk=extension.pk)
    )
    require(by, "cases.decide_extension", case)
    if not decides(by, extension):
        raise PermissionDenied(_("只有派遣层级可以审批延期"))
    if extension.state != ExtensionState.PENDING:
        raise ConflictError(
            _("该延期申请已处理"), state=case.state, allowed=allowed_actions(case, by)
        )
    task = extension.task
    now = clock.now()
    extension.decided_by = _actor(by)
    extension.decided_at = now
    extension.decision_note = note
    if not approve:
        extension.state = ExtensionState.REFUSED
        extension.save()
        _save(case, by)
        _record_extension(case, EventKind.EXTENSION_REFUSE, by=by, extension=extension, note=note)
    else:
        if not task.is_active or task.state == TaskState.FED_BACK:
            raise ConflictError(
                _("该交办单已不在办理中"), state=case.state, allowed=allowed_actions(case, by)
            )
        due = compute_due(task.due_at, Limit(extension.days, LimitUnit.WORKDAYS))
        task.set_deadline(due.at, due.provisional, warn_at_for(now, due.at))
        if task.limit_value:
            task.limit_value += extension.days
        task.save(
            update_fields=[
                "due_at",
                "due_provisional",
                "limit_value",
                "warn_at",
                "warned_at",
                "overdue_flagged_at",
            ]
        )
        if task.role == TaskRole.LEAD:
            _guard(case, by, _("延期"), case.extend)
            case.extend(due_at=due.at, provisional=due.provisional)
            if case.limit_value:
                case.limit_value += extension.days
            case.warn_at = warn_at_for(now, due.at)
        extension.state = ExtensionState.APPROVED
        extension.new_due_at = due.at
        extension.save()
        _save(case, by)
        _record_extension(case, EventKind.EXTEND, by=by, extension=extension, note=note)
    notify_on_commit(
        handlers_of([task.department_id]),
        kind=NotificationKind.EXTENSION,
        title=in_every_language(
            gettext_noop("延期已批准:%(title)s")
            if approve
            else gettext_noop("延期被驳回:%(title)s"),
            title=case.title,
        ),
        body=note,
        case=case,
        by=by,
    )
    return extension


def _record_extension(
    case: Case, kind: str, *, by: Any, extension: ExtensionRequest, note: str
) -> CaseEvent:
    """The event of one extension step (request, approval, refusal): the slip, its department,
    its deadline after the step, and the request it concerns."""
    task = extension.task
    return record(
        case,
        kind,
        by=by,
        department=task.department,
        task=task,
        due_at=task.due_at,
        note=note,
        extra={"extension": extension.pk, "days": extension.days},
    )


def _control_event(case: Case, by: Any, kind: str, note: str, title: Text, counter: str) -> Case:
    if case.state not in OPEN_STATES:
        raise _conflict(case, by, str(EventKind(kind).label))
    setattr(case, counter, getattr(case, counter) + 1)
    _save(case, by)
    active = [t for t in case.tasks.all() if t.is_live]
    record(
        case,
        kind,
        by=by,
        department=active[0].department if len(active) == 1 else case.department,
        due_at=case.due_at,
        note=note,
    )
    recipients = (
        handlers_of({t.department_id for t in active})
        if active
        else operators_of([case.level_region_id])
    )
    notify_on_commit(recipients, kind=str(kind), title=title, body=note, case=case, by=by)
    return case


@transaction.atomic
def urge_case(*, case: Case, by: User, note: str, version: int | None = None) -> Case:
    """The urging slip (催办单, seed 003): recorded, counted, sent to whoever holds the case."""
    note = _require_text(note, "note", _("请填写催办内容"))
    case = lock_case(case, version)
    require(by, "cases.urge_case", case)
    return _control_event(
        case,
        by,
        EventKind.URGE,
        note,
        in_every_language(gettext_noop("催办:%(title)s"), title=case.title),
        "urge_count",
    )


@transaction.atomic
def supervise_case(*, case: Case, by: User, note: str, version: int | None = None) -> Case:
    """Supervision (督办) by a level above (跟踪督查, seed 002): recorded, counted, notified."""
    note = _require_text(note, "note", _("请填写督办意见"))
    case = lock_case(case, version)
    require(by, "cases.supervise_case", case)
    return _control_event(
        case,
        by,
        EventKind.SUPERVISE,
        note,
        in_every_language(gettext_noop("督办:%(title)s"), title=case.title),
        "supervise_count",
    )


@transaction.atomic
def comment_case(
    *,
    case: Case,
    by: User,
    note: str,
    photos: Sequence[CheckedPhoto] = (),
    version: int | None = None,
) -> CaseEvent:
    """A follow-up note (跟进记录): a worker following an emergency on site, a handler's progress."""
    note = _require_text(note, "note", _("请填写跟进内容"))
    case = lock_case(case, version)
    require(by, "cases.comment_case", case)
    if case.state == S.MERGED:
        raise _conflict(case, by, _("跟进记录"))
    _save(case, by)
    event = record(case, EventKind.NOTE, by=by, note=note)
    _attach(case, photos, by=by, event=event, purpose=CaseAttachment.Purpose.NOTE)
    return event
