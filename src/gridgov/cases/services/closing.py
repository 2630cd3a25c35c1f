"""Verification, closure, transfer to the hotline, callback and reopening (核查结案、回访)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from gridgov.cases import clock
from gridgov.cases.deadlines import (
    compute_due,
    limit_for,
)
from gridgov.cases.models import (
    Case,
    CaseState,
    ClosureType,
    EventKind,
    PlatformLevel,
    Satisfaction,
    TaskState,
)
from gridgov.cases.notifications import handlers_of, notify_on_commit, operators_of
from gridgov.cases.permissions import level_operator, require
from gridgov.core.errors import ConflictError, DomainError
from gridgov.core.models import NotificationKind
from gridgov.core.notify import in_every_language

if TYPE_CHECKING:
    from django.contrib.auth.models import User

from gridgov.cases.services.base import (
    _cancel_active_tasks,
    _department_users,
    _guard,
    _require_text,
    _save,
    _set_running_limit,
    lock_case,
    record,
)

S = CaseState

# ---------------------------------------------------------------------------------------------
# Verification, closure, callback (核查结案、回访)


@transaction.atomic
def verify_case(
    *,
    case: Case,
    by: User,
    passed: bool,
    note: str = "",
    close: bool = True,
    version: int | None = None,
) -> Case:
    """Check the result on site (核查): pass (and by default close), or send it back for rework
    (返工, counted)."""
    case = lock_case(case, version)
    require(by, "cases.verify_case", case)
    now = clock.now()
    from_state = case.state
    if passed:
        _guard(case, by, _("核查"), case.verify)
        case.verify()
        record(case, EventKind.VERIFY, by=by, from_state=from_state, at=now, note=note)
        if close:
            if not level_operator.test(by, case):
                # A worker verifies; the level's platform closes (supervision and command apart).
                _save(case, by)
                return case
            _close(case, by, closure_type=None, note="", at=now)
        _save(case, by)
        return case
    note = _require_text(note, "note", _("请填写返工原因"))
    _guard(case, by, _("返工"), case.rework)
    case.rework()
    reopened = []
    for t in case.tasks.all():
        if t.state == TaskState.FED_BACK:
            t.rework()
            t.save(update_fields=["state", "fed_back_at"])
            reopened.append(t.pk)
    _save(case, by)
    record(
        case, EventKind.REWORK, by=by, from_state=from_state, at=now, due_at=case.due_at, note=note
    )
    notify_on_commit(
        handlers_of({t.department_id for t in case.tasks.all() if t.pk in reopened})
        if reopened
        else operators_of([case.level_region_id]),
        kind="case_rework",
        title=_("案件核查未通过,需返工:%(title)s") % {"title": case.title},
        body=note,
        case=case,
        by=by,
    )
    return case


def _close(case: Case, by: Any, *, closure_type: str | None, note: str, at: dt.datetime) -> None:
    from_state = case.state
    if closure_type is None:
        overdue = case.due_at is not None and at > case.due_at
        closure_type = ClosureType.OVERDUE if overdue else ClosureType.NORMAL
    case.close(closure_type=closure_type, at=at)
    _cancel_active_tasks(case, keep_fed_back=True)
    record(
        case,
        EventKind.CLOSE,
        by=by,
        from_state=from_state,
        at=at,
        due_at=case.due_at,
        closure_type=closure_type,
        note=note,
    )
    if case.reporter_id:
        notify_on_commit(
            [case.reporter],
            kind="case_closed",
            title=in_every_language(gettext_noop("案件已结案:%(title)s"), title=case.title),
            body=case.result[:200],
            case=case,
            by=by,
        )


@transaction.atomic
def close_case(
    *,
    case: Case,
    by: User,
    closure_type: str | None = None,
    note: str = "",
    version: int | None = None,
) -> Case:
    """Close (结案). A verified case closes normally or as overdue (超时结案) by its deadline;
    any other open case can only be closed as erroneous (差错结案) or special (特殊结案), with a
    reason (STANDARDS: closure types)."""
    case = lock_case(case, version)
    require(by, "cases.close_case", case)
    _guard(case, by, _("结案"), case.close)
    if closure_type is not None and closure_type not in ClosureType.values:
        raise DomainError(_("结案类型无效"), field="closure_type")
    if case.state != S.VERIFIED or closure_type in {ClosureType.SPECIAL, ClosureType.ERRONEOUS}:
        if closure_type not in {ClosureType.SPECIAL, ClosureType.ERRONEOUS}:
            raise DomainError(
                _("未经核查的案件只能以差错结案或特殊结案方式结案"), field="closure_type"
            )
        note = _require_text(note, "note", _("请填写结案理由"))
    elif closure_type is not None:
        # Normal or overdue follows from the deadline, not from the operator's choice.
        closure_type = None
    _close(case, by, closure_type=closure_type, note=note, at=clock.now())
    _save(case, by)
    return case


@transaction.atomic
def transfer_case(*, case: Case, by: User, note: str, version: int | None = None) -> Case:
    """Hand the case over to the city hotline (seed 004: 转交"96361"); closed at level hotline."""
    note = _require_text(note, "note", _("请填写转交理由"))
    case = lock_case(case, version)
    require(by, "cases.transfer_case", case)
    _guard(case, by, _("转交热线"), case.transfer)
    from_state = case.state
    now = clock.now()
    case.transfer(at=now)
    _cancel_active_tasks(case, keep_fed_back=True)
    _save(case, by)
    record(
        case,
        EventKind.TRANSFER,
        by=by,
        from_state=from_state,
        at=now,
        closure_type=ClosureType.SPECIAL,
        note=note,
    )
    return case


@transaction.atomic
def callback_case(
    *,
    case: Case,
    by: User,
    satisfaction: int,
    note: str = "",
    reopen: bool = False,
    version: int | None = None,
) -> Case:
    """Call the reporter back (回访): satisfied 5, fairly satisfied 4, dissatisfied 3 (seed 002).
    A dissatisfied callback may reopen the case at once."""
    if satisfaction not in Satisfaction.values:
        raise DomainError(_("满意度须为 5(满意)、4(基本满意)或 3(不满意)"), field="satisfaction")
    if reopen and satisfaction != Satisfaction.DISSATISFIED:
        raise DomainError(_("只有不满意的回访可以重新办理"), field="reopen")
    case = lock_case(case, version)
    require(by, "cases.callback_case", case)
    _guard(case, by, _("回访"), case.callback)
    from_state = case.state
    case.callback(satisfaction)
    _save(case, by)
    record(
        case,
        EventKind.CALLBACK,
        by=by,
        from_state=from_state,
        satisfaction=satisfaction,
        note=note,
    )
    recipients = list(_department_users(case, only_active=False))
    if satisfaction == Satisfaction.DISSATISFIED:
        recipients += list(operators_of([case.level_region_id]))
    notify_on_commit(
        recipients,
        kind=NotificationKind.CALLBACK,
        title=in_every_language(
            gettext_noop("回访结果(%(result)s):%(title)s"),
            result=Satisfaction(satisfaction).label,
            title=case.title,
        ),
        body=note,
        case=case,
        by=by,
    )
    if reopen:
        _reopen(case, by, note=note)
        _save(case, by)
    return case


@transaction.atomic
def resident_callback(*, tracking_code: str, satisfaction: int, note: str = "") -> Case:
    """The resident rates their own closed case through the tracking code (回访 without a
    phone call). Recorded as the callback with no staff actor; a dissatisfied rating is sent to
    the closing platform, whose operator may reopen the case."""
    if satisfaction not in Satisfaction.values:
        raise DomainError(_("满意度须为 5(满意)、4(基本满意)或 3(不满意)"), field="satisfaction")
    found = Case.objects.filter(tracking_code=(tracking_code or "").strip().upper()).first()
    if found is None:
        raise Http404
    case = lock_case(found)
    if case.state != S.CLOSED or case.closed_level == PlatformLevel.HOTLINE:
        raise ConflictError(_("该案件当前不能评价"), state=case.state, allowed=[])
    from_state = case.state
    case.callback(satisfaction)
    _save(case, None)
    record(
        case,
        EventKind.CALLBACK,
        by=None,
        from_state=from_state,
        satisfaction=satisfaction,
        note=(note or "").strip()[:2000],
        extra={"by_resident": True},
    )
    if satisfaction == Satisfaction.DISSATISFIED:
        notify_on_commit(
            operators_of([case.level_region_id]),
            kind=NotificationKind.CALLBACK,
            title=in_every_language(gettext_noop("群众评价不满意:%(title)s"), title=case.title),
            body=note,
            case=case,
        )
    return case


def _reopen(case: Case, by: Any, *, note: str) -> None:
    _guard(case, by, _("重新办理"), case.reopen)
    now = clock.now()
    limit = limit_for(case.item, case.urgency)
    due = compute_due(now, limit)
    from_state = case.state
    case.reopen(due_at=due.at, provisional=due.provisional)
    _set_running_limit(case, limit, now, due)
    record(case, EventKind.REOPEN, by=by, from_state=from_state, at=now, due_at=due.at, note=note)


@transaction.atomic
def reopen_case(*, case: Case, by: User, note: str, version: int | None = None) -> Case:
    """Reopen after a dissatisfied callback: back to the closing level, registered, for a new
    dispatch."""
    note = _require_text(note, "note", _("请填写重新办理的理由"))
    case = lock_case(case, version)
    require(by, "cases.reopen_case", case)
    _reopen(case, by, note=note)
    _save(case, by)
    return case
