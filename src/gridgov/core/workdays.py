"""Working-day arithmetic on the Chinese official calendar (限时办理, seeds 002 and 003).

A pure module (FixMyStreet's WorkingDays.pm is the model): it knows nothing of the database.
`gridgov.core.calendar.get_calendar()` builds the `WorkCalendar` from the admin-editable table.

Rules, so every caller counts the same way:
- A limit of N working days counts from the day after the start (local date) and ends at the
  END of the Nth working day (local 23:59:59.999999): dispatched 2026-09-30 with 3 working
  days is due at the end of 2026-10-10 (10-01..10-07 National Day, 10-08 and 10-09 working
  days, Saturday 10-10 a make-up working day).
- Past the years the calendar covers, days count Monday to Friday and the deadline is marked
  provisional, to be recomputed when the year's official notice is loaded.
- Working hours count only inside the working periods of working days (STANDARDS.md: "road not
  clean: 5 working hours"); emergencies count clock hours and are never provisional.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import overload
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

# A calendar whose every day is a holiday would make the search run forever; no real limit is
# near ten years of working days.
MAX_SCAN_DAYS = 3660


@dataclass(frozen=True)
class WorkSchedule:
    """The local working periods of a working day, in order, not overlapping."""

    periods: tuple[tuple[dt.time, dt.time], ...] = (
        (dt.time(8, 30), dt.time(12, 0)),
        (dt.time(13, 30), dt.time(17, 30)),
    )

    def __post_init__(self) -> None:
        if not self.periods:
            raise ValueError("a work schedule needs at least one working period")
        previous_end: dt.time | None = None
        for start, end in self.periods:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("working periods are local wall-clock times without a zone")
            if not start < end:
                raise ValueError(f"working period {start:%H:%M}-{end:%H:%M} ends before it starts")
            if previous_end is not None and start < previous_end:
                raise ValueError(f"working period starting {start:%H:%M} overlaps the one before")
            previous_end = end

    @classmethod
    def parse(cls, text: str) -> WorkSchedule:
        """`"08:30-12:00,13:30-17:30"` (the form used by the GRIDGOV_WORK_HOURS setting)."""
        periods = []
        for chunk in text.split(","):
            chunk = chunk.strip()
            if not chunk:
                continue
            try:
                start_text, end_text = chunk.split("-")
                start = dt.time.fromisoformat(start_text.strip())
                end = dt.time.fromisoformat(end_text.strip())
            except ValueError:
                raise ValueError(
                    f"working period {chunk!r} is not of the form HH:MM-HH:MM"
                ) from None
            periods.append((start, end))
        return cls(tuple(periods))

    @property
    def hours_per_day(self) -> float:
        total = dt.timedelta()
        for start, end in self.periods:
            total += dt.datetime.combine(dt.date.min, end) - dt.datetime.combine(dt.date.min, start)
        return total / dt.timedelta(hours=1)

    def __str__(self) -> str:
        return ",".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in self.periods)


DEFAULT_SCHEDULE = WorkSchedule()


@dataclass(frozen=True)
class WorkCalendar:
    """The official calendar: holidays on weekdays, make-up working days (调休上班) on weekends,
    and the years for which the official notice is loaded. Other days follow Monday–Friday."""

    holidays: frozenset[dt.date] = frozenset()
    makeup_workdays: frozenset[dt.date] = frozenset()
    covered_years: frozenset[int] = frozenset()
    schedule: WorkSchedule = field(default=DEFAULT_SCHEDULE)

    def __post_init__(self) -> None:
        both = self.holidays & self.makeup_workdays
        if both:
            first = min(both)
            raise ValueError(f"{first.isoformat()} is both a holiday and a make-up working day")

    def is_workday(self, day: dt.date) -> bool:
        if day in self.makeup_workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def is_covered(self, day: dt.date) -> bool:
        """Whether the official calendar of that day's year is loaded (else Monday–Friday)."""
        return day.year in self.covered_years


@dataclass(frozen=True)
class Deadline:
    """When a limit runs out; `provisional` when it counted days of a year not yet loaded."""

    due_at: dt.datetime
    provisional: bool = False


def _local_date(moment: dt.datetime, tz: dt.tzinfo) -> dt.date:
    _require_aware(moment)
    return moment.astimezone(tz).date()


def _require_aware(moment: dt.datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("working-day arithmetic needs an aware datetime")


def _end_of_day(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.max, tzinfo=tz)


def end_of_workday(calendar: WorkCalendar, day: dt.date, tz: dt.tzinfo = SHANGHAI) -> dt.datetime:
    """The last moment of a working day (local 23:59:59.999999), aware."""
    if not calendar.is_workday(day):
        raise ValueError(f"{day.isoformat()} is not a working day")
    return _end_of_day(day, tz)


def next_workday(calendar: WorkCalendar, day: dt.date, *, include: bool = False) -> dt.date:
    """The first working day after `day` (or `day` itself when `include` and it works)."""
    candidate = day if include else day + dt.timedelta(days=1)
    for _ in range(MAX_SCAN_DAYS):
        if calendar.is_workday(candidate):
            return candidate
        candidate += dt.timedelta(days=1)
    raise OverflowError(f"no working day within {MAX_SCAN_DAYS} days of {day.isoformat()}")


def add_workdays(
    calendar: WorkCalendar, start: dt.datetime, days: int, tz: dt.tzinfo = SHANGHAI
) -> Deadline:
    """The end of the `days`-th working day after `start`'s local date.

    0 days means "within the current working day": the end of the start day when it is a
    working day, else of the next one."""
    if isinstance(days, bool) or not isinstance(days, int):
        raise TypeError("days must be a whole number of working days")
    if days < 0:
        raise ValueError("a limit in working days cannot be negative")
    if days > MAX_SCAN_DAYS:
        raise ValueError(f"a limit of more than {MAX_SCAN_DAYS} working days is not supported")
    first = _local_date(start, tz)
    provisional = False
    if days == 0:
        day = next_workday(calendar, first, include=True)
        provisional = any(not calendar.is_covered(d) for d in _dates(first, day))
        return Deadline(_end_of_day(day, tz), provisional)
    day = first
    counted = 0
    for _ in range(MAX_SCAN_DAYS * 2):
        day += dt.timedelta(days=1)
        if not calendar.is_covered(day):
            provisional = True
        if calendar.is_workday(day):
            counted += 1
            if counted == days:
                return Deadline(_end_of_day(day, tz), provisional)
    raise OverflowError(f"{days} working days after {first.isoformat()} not found in the calendar")


def add_work_hours(
    calendar: WorkCalendar,
    start: dt.datetime,
    hours: float,
    schedule: WorkSchedule | None = None,
    tz: dt.tzinfo = SHANGHAI,
) -> Deadline:
    """`hours` of working time after `start`, counted only inside the working periods of working
    days (the calendar's schedule unless one is given). A limit that ends exactly at the end of
    a period is due then, not at the start of the next one."""
    if isinstance(hours, bool) or not isinstance(hours, int | float):
        raise TypeError("hours must be a number")
    if hours < 0 or hours != hours:
        raise ValueError("a limit in working hours cannot be negative")
    schedule = schedule or calendar.schedule
    if hours > MAX_SCAN_DAYS * schedule.hours_per_day:
        raise ValueError("a limit of that many working hours is not supported")
    _require_aware(start)
    local_start = start.astimezone(tz)
    remaining = dt.timedelta(hours=hours)
    day = local_start.date()
    provisional = False
    for _ in range(MAX_SCAN_DAYS * 2):
        if calendar.is_workday(day):
            if not calendar.is_covered(day):
                provisional = True
            for period_start, period_end in schedule.periods:
                opens = dt.datetime.combine(day, period_start, tzinfo=tz)
                closes = dt.datetime.combine(day, period_end, tzinfo=tz)
                begin = max(opens, local_start)
                if begin >= closes:
                    continue
                available = closes - begin
                if remaining <= available:
                    return Deadline(begin + remaining, provisional)
                remaining -= available
        day += dt.timedelta(days=1)
    raise OverflowError(f"{hours} working hours after {start.isoformat()} not found")


@overload
def add_clock_hours(start: dt.datetime, hours: float, /) -> Deadline: ...
@overload
def add_clock_hours(
    calendar: WorkCalendar | None, start: dt.datetime, hours: float, /
) -> Deadline: ...
def add_clock_hours(*args: object) -> Deadline:
    """`start` plus `hours` of clock time (emergencies: the clock never stops). Never
    provisional. Also accepts a leading calendar, ignored, so that the three `add_*` functions
    can be called alike."""
    if len(args) == 3:
        args = args[1:]
    if len(args) != 2:
        raise TypeError("add_clock_hours(start, hours) or add_clock_hours(calendar, start, hours)")
    start, hours = args
    if not isinstance(start, dt.datetime):
        raise TypeError("start must be a datetime")
    if isinstance(hours, bool) or not isinstance(hours, int | float):
        raise TypeError("hours must be a number")
    if hours < 0 or hours != hours:
        raise ValueError("a limit in hours cannot be negative")
    _require_aware(start)
    return Deadline(start + dt.timedelta(hours=hours), provisional=False)


def workdays_between(calendar: WorkCalendar, start: dt.date, end: dt.date) -> int:
    """Working days in (start, end]: the inverse of `add_workdays` (N working days after a
    start land on a day D with `workdays_between(start, D) == N`). Negative when end < start."""
    if end < start:
        return -workdays_between(calendar, end, start)
    if (end - start).days > MAX_SCAN_DAYS * 20:
        raise ValueError("date range too long to count working days")
    return sum(1 for d in _dates(start + dt.timedelta(days=1), end) if calendar.is_workday(d))


def working_days_left(
    calendar: WorkCalendar, now: dt.datetime, due_at: dt.datetime, tz: dt.tzinfo = SHANGHAI
) -> int:
    """Whole working days left after today before the deadline ("还剩 N 个工作日"): 0 when due
    today, negative once overdue (at least -1 as soon as the moment has passed)."""
    _require_aware(due_at)
    left = workdays_between(calendar, _local_date(now, tz), _local_date(due_at, tz))
    if now > due_at:
        return min(left, -1)
    return left


def _dates(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)
