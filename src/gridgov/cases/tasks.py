"""Background jobs of the case workflow (django-tasks, DB queue), enqueued by `gridgov scheduler`.

The deadline sweep is idempotent: each case is claimed by compare-and-set on its flag column
(healthchecks), so two sweeps running at once, or one run twice, warn and flag each case once.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from gridgov.cases import clock
from gridgov.cases.deadlines import Limit, compute_due, warn_at_for
from gridgov.cases.models import (
    ACTIVE_TASK_STATES,
    OPEN_STATES,
    Case,
    CaseTask,
    EventKind,
    LimitUnit,
    TaskState,
)
from gridgov.cases.notifications import handlers_of, notify_on_commit, operators_of
from gridgov.cases.services import record
from gridgov.core.errors import DomainError
from gridgov.core.models import NotificationKind

log = logging.getLogger(__name__)
BATCH = 500


@dataclass
class SweepResult:
    warned: int = 0
    overdue: int = 0
    recomputed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"warned": self.warned, "overdue": self.overdue, "recomputed": self.recomputed}


def _holders(case: Case) -> list[object]:
    """Who must hear of a deadline: the departments with live assignments and the platform."""
    active = case.tasks.filter(state__in=[TaskState.PENDING, TaskState.ACCEPTED])
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
        due = f"{timezone.localtime(case.due_at):%Y-%m-%d %H:%M}" if case.due_at else ""
        notify_on_commit(
            _holders(case),
            kind=NotificationKind.OVERDUE if overdue else NotificationKind.APPROACHING,
            title=(_("案件已超期:%(title)s") if overdue else _("案件即将到期:%(title)s"))
            % {"title": case.title},
            body=_("办理期限 %(due)s") % {"due": due},
            case=case,
        )
    return True


def sweep(now: dt.datetime | None = None) -> SweepResult:
    """Warn of approaching deadlines, flag overdue cases, and recompute provisional deadlines
    whose year has been loaded into the calendar since."""
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
    result.recomputed = recompute_provisional_deadlines(now=now)
    return result


def recompute_provisional_deadlines(*, now: dt.datetime | None = None) -> int:
    """Deadlines computed past the loaded calendar years counted Monday–Friday and were marked
    provisional; once the year is loaded, count them again on the real calendar."""
    now = now or clock.now()
    changed = 0
    cases = Case.objects.filter(
        due_provisional=True,
        state__in=sorted(OPEN_STATES),
        limit_value__gt=0,
        limit_started_at__isnull=False,
    ).values_list("pk", "due_at", "limit_value", "limit_unit", "limit_started_at")
    for pk, old_due, value, unit, started in list(cases[:BATCH]):
        try:
            due = compute_due(started, Limit(value, LimitUnit(unit)))
        except DomainError:
            log.warning("case %s: provisional deadline cannot be recomputed", pk)
            continue
        if due.provisional and due.at == old_due:
            continue
        with transaction.atomic():
            claimed = Case.objects.filter(pk=pk, due_provisional=True, due_at=old_due).update(
                due_at=due.at,
                due_provisional=due.provisional,
                warn_at=warn_at_for(started, due.at),
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
        due_provisional=True, state__in=sorted(ACTIVE_TASK_STATES), limit_value__gt=0
    ).values_list("pk", "due_at", "limit_value", "limit_unit", "dispatched_at")
    for pk, old_due, value, unit, started in list(tasks[:BATCH]):
        try:
            due = compute_due(started, Limit(value, LimitUnit(unit)))
        except DomainError:
            continue
        if due.provisional and due.at == old_due:
            continue
        CaseTask.objects.filter(pk=pk, due_provisional=True, due_at=old_due).update(
            due_at=due.at, due_provisional=due.provisional
        )
    return changed


@task()
def sweep_deadlines() -> dict[str, int]:
    """Scheduled every few minutes (settings.GRIDGOV_SCHEDULE)."""
    return sweep().as_dict()
