"""Background jobs of the case workflow (django-tasks, DB queue), enqueued by `gridgov scheduler`.

The deadline sweep is idempotent: each case, slip or step is claimed by compare-and-set on its
flag column (healthchecks), so two sweeps running at once, or one run twice, warn and flag each
once. Three clocks are swept:
- the case's handling deadline (Case.due_at), told to the departments and the platform;
- each co-handler's own slip deadline (CaseTask.due_at, role co), told to that department (the
  lead's slip shares the case's deadline, which the first clock covers);
- the platform's own step (accept, or register and dispatch: Case.step_due_at), told to the
  operators of the holding level.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, fields

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop
from django_tasks import task

from gridgov.cases import clock
from gridgov.cases.deadlines import Due, Limit, compute_due, warn_at_for
from gridgov.cases.models import (
    LIVE_TASK_STATES,
    OPEN_STATES,
    STANDING_TASK_STATES,
    Case,
    CaseTask,
    EventKind,
    LimitUnit,
    PlatformStep,
    TaskRole,
)
from gridgov.cases.notifications import handlers_of, notify_on_commit, operators_of
from gridgov.cases.services import record
from gridgov.core.errors import DomainError
from gridgov.core.models import NotificationKind
from gridgov.core.notify import in_every_language

log = logging.getLogger(__name__)
BATCH = 500


@dataclass
class SweepResult:
    warned: int = 0
    overdue: int = 0
    recomputed: int = 0
    tasks_warned: int = 0
    tasks_overdue: int = 0
    steps_warned: int = 0
    steps_overdue: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _local(moment: dt.datetime | None) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment else ""


def _holders(case: Case) -> list[object]:
    """Who must hear of a deadline: the departments with live assignments and the platform."""
    active = case.tasks.filter(state__in=LIVE_TASK_STATES)
    users = list(handlers_of(active.values_list("department_id", flat=True)))
    users += list(operators_of([case.level_region_id]))
    return users


def _flag(case_id: int, now: dt.datetime, *, overdue: bool) -> bool:
    """Claim one case for the warning or the overdue flag; record and notify if we won."""
    open_states = sorted(OPEN_STATES)
    with transaction.atomic():
        if overdue:
            claimed = Case.objects.filter(
                pk=case_id, state__in=open_states, due_at__lt=now, overdue_flagged_at__isnull=True
            ).update(overdue_flagged_at=now, warned_at=now)
        else:
            claimed = Case.objects.filter(
                pk=case_id,
                state__in=open_states,
                warn_at__lte=now,
                due_at__gte=now,
                warned_at__isnull=True,
            ).update(warned_at=now)
        if not claimed:
            return False
        case = Case.objects.select_related("grid", "level_region").get(pk=case_id)
        kind = EventKind.OVERDUE if overdue else EventKind.WARN
        record(case, kind, by=None, at=now, due_at=case.due_at, department=case.department)
        notify_on_commit(
            _holders(case),
            kind=NotificationKind.OVERDUE if overdue else NotificationKind.APPROACHING,
            title=in_every_language(
                gettext_noop("案件已超期:%(title)s")
                if overdue
                else gettext_noop("案件即将到期:%(title)s"),
                title=case.title,
            ),
            body=in_every_language(gettext_noop("办理期限 %(due)s"), due=_local(case.due_at)),
            case=case,
        )
    return True


def _flag_task(task_id: int, now: dt.datetime, *, overdue: bool) -> bool:
    """Claim one co-handler's slip for its warning or overdue flag; record and notify."""
    with transaction.atomic():
        live = CaseTask.objects.filter(pk=task_id, role=TaskRole.CO, state__in=LIVE_TASK_STATES)
        if overdue:
            claimed = live.filter(due_at__lt=now, overdue_flagged_at__isnull=True).update(
                overdue_flagged_at=now, warned_at=now
            )
        else:
            claimed = live.filter(warn_at__lte=now, due_at__gte=now, warned_at__isnull=True).update(
                warned_at=now
            )
        if not claimed:
            return False
        slip = CaseTask.objects.select_related("case", "department").get(pk=task_id)
        case = slip.case
        record(
            case,
            EventKind.OVERDUE if overdue else EventKind.WARN,
            by=None,
            at=now,
            due_at=slip.due_at,
            department=slip.department,
            task=slip,
        )
        recipients = list(handlers_of([slip.department_id]))
        if overdue:
            # The dispatching level supervises its slips (跟踪督查, seed 002).
            recipients += list(operators_of([slip.dispatch_region_id]))
        notify_on_commit(
            recipients,
            kind=NotificationKind.OVERDUE if overdue else NotificationKind.APPROACHING,
            title=in_every_language(
                gettext_noop("协办任务已超期:%(title)s")
                if overdue
                else gettext_noop("协办任务即将到期:%(title)s"),
                title=case.title,
            ),
            body=in_every_language(
                gettext_noop("%(dept)s 办理期限 %(due)s"),
                dept=slip.department.name,
                due=_local(slip.due_at),
            ),
            case=case,
        )
    return True


def _flag_step(case_id: int, now: dt.datetime, *, overdue: bool) -> bool:
    """Claim one case's platform step for its warning or overdue flag; record and notify the
    operators of the holding level."""
    with transaction.atomic():
        running = Case.objects.filter(pk=case_id).exclude(step="")
        if overdue:
            claimed = running.filter(
                step_due_at__lt=now, step_overdue_flagged_at__isnull=True
            ).update(step_overdue_flagged_at=now, step_warned_at=now)
        else:
            claimed = running.filter(
                step_warn_at__lte=now, step_due_at__gte=now, step_warned_at__isnull=True
            ).update(step_warned_at=now)
        if not claimed:
            return False
        case = Case.objects.select_related("grid", "level_region").get(pk=case_id)
        step = PlatformStep(case.step)
        record(
            case,
            EventKind.STEP_OVERDUE if overdue else EventKind.STEP_WARN,
            by=None,
            at=now,
            due_at=case.step_due_at,
            reason=str(step),
        )
        notify_on_commit(
            operators_of([case.level_region_id]),
            kind=NotificationKind.OVERDUE if overdue else NotificationKind.APPROACHING,
            title=in_every_language(
                gettext_noop("%(step)s已超时:%(title)s")
                if overdue
                else gettext_noop("%(step)s即将超时:%(title)s"),
                step=step.label,
                title=case.title,
            ),
            body=in_every_language(
                gettext_noop("%(step)s时限 %(due)s"), step=step.label, due=_local(case.step_due_at)
            ),
            case=case,
        )
    return True


def sweep(now: dt.datetime | None = None) -> SweepResult:
    """Warn of approaching deadlines and flag overdue ones (cases, co-handlers' slips, platform
    steps), and recompute provisional deadlines whose year has been loaded since."""
    now = now or clock.now()
    result = SweepResult()
    open_states = sorted(OPEN_STATES)
    due_soon = Case.objects.filter(
        state__in=open_states, warned_at__isnull=True, warn_at__lte=now, due_at__gte=now
    ).values_list("pk", flat=True)
    for case_id in list(due_soon[:BATCH]):
        result.warned += _flag(case_id, now, overdue=False)
    late = Case.objects.filter(
        state__in=open_states, due_at__lt=now, overdue_flagged_at__isnull=True
    ).values_list("pk", flat=True)
    for case_id in list(late[:BATCH]):
        result.overdue += _flag(case_id, now, overdue=True)

    live = CaseTask.objects.filter(role=TaskRole.CO, state__in=LIVE_TASK_STATES)
    slips_soon = live.filter(warned_at__isnull=True, warn_at__lte=now, due_at__gte=now)
    for task_id in list(slips_soon.values_list("pk", flat=True)[:BATCH]):
        result.tasks_warned += _flag_task(task_id, now, overdue=False)
    slips_late = live.filter(overdue_flagged_at__isnull=True, due_at__lt=now)
    for task_id in list(slips_late.values_list("pk", flat=True)[:BATCH]):
        result.tasks_overdue += _flag_task(task_id, now, overdue=True)

    steps = Case.objects.exclude(step="")
    steps_soon = steps.filter(
        step_warned_at__isnull=True, step_warn_at__lte=now, step_due_at__gte=now
    )
    for case_id in list(steps_soon.values_list("pk", flat=True)[:BATCH]):
        result.steps_warned += _flag_step(case_id, now, overdue=False)
    steps_late = steps.filter(step_overdue_flagged_at__isnull=True, step_due_at__lt=now)
    for case_id in list(steps_late.values_list("pk", flat=True)[:BATCH]):
        result.steps_overdue += _flag_step(case_id, now, overdue=True)

    result.recomputed = recompute_provisional_deadlines(now=now)
    return result


def _recomputed(
    old_due: dt.datetime, value: int, unit: str, started: dt.datetime | None
) -> Due | None:
    """The deadline counted again on the calendar as loaded now, or None when nothing changes.

    A limit (value > 0) counts again from its start. A date the dispatcher typed (value 0)
    stands once its year is loaded, unless the official notice made it a holiday: then it moves
    to the end of the next working day (deadlines.due_from_date)."""
    from gridgov.core import workdays
    from gridgov.core.calendar import get_calendar

    if value and started is not None:
        due = compute_due(started, Limit(value, LimitUnit(unit)))
    else:
        calendar = get_calendar()
        day = timezone.localtime(old_due).date()
        if not calendar.is_covered(day):
            return None
        if calendar.is_workday(day):
            due = Due(at=old_due, provisional=False)
        else:
            after = workdays.next_workday(calendar, day)
            due = Due(
                at=workdays.end_of_workday(calendar, after),
                provisional=not calendar.is_covered(after),
            )
    if due.provisional and due.at == old_due:
        return None
    return due


def recompute_provisional_deadlines(*, now: dt.datetime | None = None) -> int:
    """Deadlines computed past the loaded calendar years counted Monday–Friday and were marked
    provisional; once the year is loaded, count them again on the real calendar."""
    now = now or clock.now()
    changed = 0
    cases = Case.objects.filter(
        due_provisional=True, state__in=sorted(OPEN_STATES), due_at__isnull=False
    ).values_list("pk", "due_at", "limit_value", "limit_unit", "limit_started_at")
    for pk, old_due, value, unit, started in list(cases[:BATCH]):
        try:
            due = _recomputed(old_due, value, unit, started)
        except (DomainError, ValueError, OverflowError):
            log.warning("case %s: provisional deadline cannot be recomputed", pk)
            continue
        if due is None:
            continue
        with transaction.atomic():
            claimed = Case.objects.filter(pk=pk, due_provisional=True, due_at=old_due).update(
                due_at=due.at,
                due_provisional=due.provisional,
                warn_at=warn_at_for(started or now, due.at),
                warned_at=None,
                overdue_flagged_at=None,
            )
            if claimed:
                case = Case.objects.get(pk=pk)
                record(
                    case,
                    EventKind.DEADLINE_RECOMPUTED,
                    by=None,
                    at=now,
                    due_at=due.at,
                    extra={"previous_due_at": old_due.isoformat() if old_due else None},
                )
                changed += 1
    tasks = CaseTask.objects.filter(
        due_provisional=True, state__in=STANDING_TASK_STATES
    ).values_list("pk", "due_at", "limit_value", "limit_unit", "dispatched_at")
    for pk, old_due, value, unit, started in list(tasks[:BATCH]):
        try:
            due = _recomputed(old_due, value, unit, started)
        except (DomainError, ValueError, OverflowError):
            continue
        if due is None:
            continue
        CaseTask.objects.filter(pk=pk, due_provisional=True, due_at=old_due).update(
            due_at=due.at,
            due_provisional=due.provisional,
            warn_at=warn_at_for(started, due.at),
            warned_at=None,
            overdue_flagged_at=None,
        )
    return changed


@task()
def sweep_deadlines() -> dict[str, int]:
    """Scheduled every few minutes (settings.GRIDGOV_SCHEDULE)."""
    return sweep().as_dict()
