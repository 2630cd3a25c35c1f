"""Handling deadlines from the matter catalogue and the working-day calendar (限时办理, seeds 002
and 003). The arithmetic lives in core.workdays; this module only picks the limit for a case and
turns calendar failures into errors a person can act on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases import clock
from gridgov.cases.models import LimitUnit, MatterItem, Urgency
from gridgov.core.errors import DomainError

# Without a catalogue item (an operator has not classified the case yet) a level still promises
# a date: the common ordinary limit of the seeds' catalogues.
DEFAULT_LIMIT_DAYS = 5


@dataclass(frozen=True)
class Limit:
    value: int
    unit: LimitUnit

    def describe(self) -> str:
        return f"{self.value} {LimitUnit(self.unit).label}"


@dataclass(frozen=True)
class Due:
    at: dt.datetime
    provisional: bool


def limit_for(item: MatterItem | None, urgency: str, *, days: int | None = None) -> Limit:
    """The handling limit: explicit working days, else the item's limit for the urgency
    (working days ordinary, working hours urgent, clock hours for emergencies)."""
    if days is not None:
        if days < 1 or days > 365:
            raise DomainError(_("办理时限须为 1–365 个工作日"), field="days")
        return Limit(days, LimitUnit.WORKDAYS)
    if item is None:
        return Limit(DEFAULT_LIMIT_DAYS, LimitUnit.WORKDAYS)
    if urgency == Urgency.EMERGENCY:
        return Limit(item.emergency_hours, LimitUnit.CLOCK_HOURS)
    if urgency == Urgency.URGENT:
        return Limit(item.urgent_hours, LimitUnit.WORK_HOURS)
    return Limit(item.limit_days, LimitUnit.WORKDAYS)


def compute_due(start: dt.datetime, limit: Limit) -> Due:
    """`start` plus the limit on the working-day calendar; provisional past the loaded years."""
    from gridgov.core import workdays
    from gridgov.core.calendar import get_calendar

    calendar = get_calendar()
    try:
        if limit.unit == LimitUnit.WORKDAYS:
            deadline = workdays.add_workdays(calendar, start, limit.value)
        elif limit.unit == LimitUnit.WORK_HOURS:
            deadline = workdays.add_work_hours(calendar, start, limit.value)
        else:
            deadline = workdays.add_clock_hours(calendar, start, limit.value)
    except (ValueError, LookupError, OverflowError) as exc:
        raise DomainError(
            _("无法按工作日历计算期限(%(start)s 起 %(limit)s):%(error)s")
            % {
                "start": f"{timezone.localtime(start):%Y-%m-%d}",
                "limit": limit.describe(),
                "error": exc,
            },
            field="due",
        ) from None
    return Due(at=deadline.due_at, provisional=bool(deadline.provisional))


def due_from_date(day: dt.date, *, now: dt.datetime | None = None) -> Due:
    """An explicit due date chosen by the dispatcher: the end of that working day.

    The date must be today or later and a working day of a loaded calendar year; a date outside
    the calendar is refused rather than guessed, since a person typed it."""
    from gridgov.core import workdays
    from gridgov.core.calendar import get_calendar

    now = now or clock.now()
    today = timezone.localdate(now)
    if day < today:
        raise DomainError(_("截止日期 %(day)s 早于今天") % {"day": day.isoformat()}, field="due_on")
    calendar = get_calendar()
    if not calendar.is_covered(day):
        years = sorted(calendar.covered_years)
        span = f"{years[0]}–{years[-1]}" if years else "—"
        raise DomainError(
            _("截止日期 %(day)s 超出工作日历范围(已载入 %(span)s 年)")
            % {"day": day.isoformat(), "span": span},
            field="due_on",
        )
    if not calendar.is_workday(day):
        raise DomainError(
            _("截止日期 %(day)s 不是工作日") % {"day": day.isoformat()}, field="due_on"
        )
    return Due(at=workdays.end_of_workday(calendar, day), provisional=False)


def warn_at_for(start: dt.datetime, due_at: dt.datetime) -> dt.datetime:
    """When the approaching-deadline warning fires: with a fifth of the span left (at least
    one hour before the deadline)."""
    span = due_at - start
    lead = max(span / 5, dt.timedelta(hours=1))
    return due_at - lead
