"""Handling deadlines from the matter catalogue and the working-day calendar (限时办理, seeds 002
and 003). The arithmetic lives in core.workdays; this module only picks the limit for a case and
turns calendar failures into errors a person can act on."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases import clock
from gridgov.cases.models import LimitUnit, MatterItem, StepLimit, Urgency
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

    - A date before today is refused: a deadline already passed promises nothing.
    - A date in a year whose official calendar is not loaded yet is taken, counted Monday to
      Friday and marked provisional (issue 3: beyond the covered years count Monday–Friday);
      the sweep confirms it, or moves it to the next working day, once the year is loaded.
    - A day that is not a working day is refused, naming the nearest working day after it: a
      deadline is the end of a working day (限时办理 counts working days), and the person who
      typed the date decides, rather than having it moved silently.
    """
    from gridgov.core import workdays
    from gridgov.core.calendar import get_calendar

    now = now or clock.now()
    today = timezone.localdate(now)
    if day < today:
        raise DomainError(_("截止日期 %(day)s 早于今天") % {"day": day.isoformat()}, field="due_on")
    calendar = get_calendar()
    # Beyond the year after the last loaded notice a date is a typing slip, not a plan, and
    # no calendar will confirm it (issue 3: a deadline date outside the calendar is refused).
    last_year = max(calendar.covered_years, default=today.year)
    if day.year > max(last_year, today.year) + 1:
        raise DomainError(
            _("截止日期 %(day)s 超出工作日历范围(可选至 %(year)s 年底)")
            % {"day": day.isoformat(), "year": max(last_year, today.year) + 1},
            field="due_on",
        )
    if not calendar.is_workday(day):
        try:
            after = workdays.next_workday(calendar, day).isoformat()
        except OverflowError:
            after = "—"
        raise DomainError(
            _("截止日期 %(day)s 不是工作日,可选 %(next)s")
            % {"day": day.isoformat(), "next": after},
            field="due_on",
        )
    return Due(at=workdays.end_of_workday(calendar, day), provisional=not calendar.is_covered(day))


def warn_at_for(start: dt.datetime, due_at: dt.datetime) -> dt.datetime:
    """When the approaching-deadline warning fires: with a fifth of the span left (at least
    one hour before the deadline)."""
    span = due_at - start
    lead = max(span / 5, dt.timedelta(hours=1))
    return due_at - lead


@dataclass(frozen=True)
class StepDue:
    at: dt.datetime
    warn_at: dt.datetime


# The step limits, read once per STEP_LIMITS_TTL seconds in each process: every report starts a
# step clock, and a query per report for six rows that change a few times a year is waste. An
# edit in the admin clears this process's copy at once; other workers see it within the TTL.
STEP_LIMITS_TTL = 30.0
_step_limits: tuple[float, dict[tuple[str, str], tuple[int, bool]]] | None = None
_step_limits_lock = threading.Lock()


def step_limits() -> dict[tuple[str, str], tuple[int, bool]]:
    """(step, urgency) → (minutes, working time only), from the StepLimit rows."""
    global _step_limits
    cached = _step_limits
    if cached is not None and time.monotonic() - cached[0] < STEP_LIMITS_TTL:
        return cached[1]
    with _step_limits_lock:
        rows = StepLimit.objects.values_list("step", "urgency", "minutes", "working_time")
        table = {(s, u): (m, w) for s, u, m, w in rows}
        _step_limits = (time.monotonic(), table)
    return table


def forget_step_limits() -> None:
    """Drop this process's copy of the step limits (after an edit)."""
    global _step_limits
    _step_limits = None


def step_due(step: str, urgency: str, start: dt.datetime) -> StepDue | None:
    """When a platform step started at `start` must be done, from the StepLimit row of the step
    and urgency (None when the administrator keeps no row: no clock for that step). Working
    time counts office hours of working days; the warning comes with a fifth of the span left."""
    from gridgov.core import workdays
    from gridgov.core.calendar import get_calendar

    limit = step_limits().get((step, urgency))
    if limit is None:
        return None
    minutes, working_time = limit
    at = start + dt.timedelta(minutes=minutes)
    if working_time:
        # A calendar with no working time ahead keeps the clock minutes.
        with contextlib.suppress(ValueError, OverflowError):
            at = workdays.add_work_hours(get_calendar(), start, minutes / 60).due_at
    return StepDue(at=at, warn_at=at - (at - start) / 5)
