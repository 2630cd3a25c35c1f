"""The pure working-day module, on the official calendar as chinesecalendar knows it (no DB)."""

from __future__ import annotations

import datetime as dt

import pytest
from chinese_calendar import constants
from hypothesis import given, settings
from hypothesis import strategies as st

from gridgov.core import workdays as w
from gridgov.core.workdays import SHANGHAI, WorkCalendar, WorkSchedule

OFFICIAL = WorkCalendar(
    holidays=frozenset(constants.holidays),
    makeup_workdays=frozenset(constants.workdays),
    covered_years=frozenset(range(2004, 2027)),
)


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def end_of(y: int, m: int, d: int) -> dt.datetime:
    return dt.datetime(y, m, d, 23, 59, 59, 999999, tzinfo=SHANGHAI)


# --- working days: the examples and the awkward spots of the calendar ---


def test_dispatched_before_national_day_is_due_on_the_makeup_saturday() -> None:
    # issue 3: 10-01..10-07 holiday, 10-08 and 10-09 worked, Saturday 10-10 a make-up day.
    deadline = w.add_workdays(OFFICIAL, at(2026, 9, 30, 15, 0), 3)
    assert deadline == w.Deadline(end_of(2026, 10, 10), provisional=False)


def test_spring_festival_days_are_skipped_and_its_makeup_saturday_counts() -> None:
    # 2026: Saturday 02-14 is worked, 02-15..02-23 off, Saturday 02-28 worked.
    assert w.add_workdays(OFFICIAL, at(2026, 2, 12, 10, 0), 3).due_at == end_of(2026, 2, 24)
    assert w.add_workdays(OFFICIAL, at(2026, 2, 26, 10, 0), 2).due_at == end_of(2026, 2, 28)


def test_counting_starts_the_day_after_the_local_date() -> None:
    # 23:30 on Monday in Beijing is still Monday, although it is 15:30 UTC.
    monday_night = at(2026, 6, 8, 23, 30).astimezone(dt.UTC)
    assert w.add_workdays(OFFICIAL, monday_night, 1).due_at == end_of(2026, 6, 9)
    # 00:30 Tuesday in Beijing is Monday 16:30 UTC: counting starts Wednesday.
    tuesday_early = at(2026, 6, 9, 0, 30).astimezone(dt.UTC)
    assert w.add_workdays(OFFICIAL, tuesday_early, 1).due_at == end_of(2026, 6, 10)


def test_friday_plus_one_working_day_is_monday() -> None:
    assert w.add_workdays(OFFICIAL, at(2026, 6, 12, 9, 0), 1).due_at == end_of(2026, 6, 15)


def test_zero_days_is_the_end_of_today_or_of_the_next_working_day() -> None:
    assert w.add_workdays(OFFICIAL, at(2026, 6, 8, 9, 0), 0).due_at == end_of(2026, 6, 8)
    # Sunday 2026-06-07: the office is closed, so "within the working day" means Monday.
    assert w.add_workdays(OFFICIAL, at(2026, 6, 7, 9, 0), 0).due_at == end_of(2026, 6, 8)


def test_negative_or_fractional_days_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        w.add_workdays(OFFICIAL, at(2026, 6, 8, 9, 0), -1)
    with pytest.raises(TypeError):
        w.add_workdays(OFFICIAL, at(2026, 6, 8, 9, 0), 1.5)  # type: ignore[arg-type]


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        w.add_workdays(OFFICIAL, dt.datetime(2026, 6, 8, 9, 0), 1)  # noqa: DTZ001


def test_crossing_into_an_uncovered_year_counts_monday_to_friday_and_is_provisional() -> None:
    # 12-31 Thursday (covered), then 2027 is not loaded: Friday 01-01 counts as a weekday.
    deadline = w.add_workdays(OFFICIAL, at(2026, 12, 30, 10, 0), 3)
    assert deadline == w.Deadline(end_of(2027, 1, 4), provisional=True)
    assert w.add_workdays(OFFICIAL, at(2026, 12, 28, 10, 0), 3).provisional is False


def test_a_loaded_next_year_makes_the_same_deadline_final() -> None:
    loaded = WorkCalendar(
        holidays=OFFICIAL.holidays | {dt.date(2027, 1, 1)},
        makeup_workdays=OFFICIAL.makeup_workdays,
        covered_years=OFFICIAL.covered_years | {2027},
    )
    deadline = w.add_workdays(loaded, at(2026, 12, 30, 10, 0), 3)
    assert deadline == w.Deadline(end_of(2027, 1, 5), provisional=False)


def test_a_day_cannot_be_holiday_and_makeup_day_at_once() -> None:
    day = dt.date(2027, 1, 1)
    with pytest.raises(ValueError, match="both"):
        WorkCalendar(holidays=frozenset({day}), makeup_workdays=frozenset({day}))


def test_a_calendar_without_working_days_fails_instead_of_looping() -> None:
    nothing = WorkCalendar(
        holidays=frozenset(dt.date(2030, 1, 1) + dt.timedelta(days=i) for i in range(8000))
    )
    with pytest.raises(OverflowError):
        w.add_workdays(nothing, at(2029, 12, 31, 9, 0), 1)


def test_end_of_workday_refuses_a_holiday() -> None:
    assert w.end_of_workday(OFFICIAL, dt.date(2026, 10, 10)) == end_of(2026, 10, 10)
    with pytest.raises(ValueError, match="not a working day"):
        w.end_of_workday(OFFICIAL, dt.date(2026, 10, 1))


# --- working hours ---


def test_working_hours_skip_the_lunch_break() -> None:
    # STANDARDS.md: road not clean, 5 working hours. 09:00-12:00 is 3 h, then 13:30 + 2 h.
    assert w.add_work_hours(OFFICIAL, at(2026, 6, 8, 9, 0), 5).due_at == at(2026, 6, 8, 15, 30)


def test_working_hours_continue_the_next_working_day() -> None:
    # 16:30-17:30 is 1 h, next morning 3.5 h, then 13:30 + 0.5 h.
    assert w.add_work_hours(OFFICIAL, at(2026, 6, 8, 16, 30), 5).due_at == at(2026, 6, 9, 14, 0)


def test_working_hours_use_makeup_days_and_skip_holidays() -> None:
    # Friday 10-09 16:00: 1.5 h left that day, then Saturday 10-10 is worked.
    assert w.add_work_hours(OFFICIAL, at(2026, 10, 9, 16, 0), 2).due_at == at(2026, 10, 10, 9, 0)
    # 09-30 17:00: 0.5 h, then the National Day holiday, then 10-08.
    assert w.add_work_hours(OFFICIAL, at(2026, 9, 30, 17, 0), 1).due_at == at(2026, 10, 8, 9, 0)


def test_a_limit_ending_with_a_period_is_due_at_its_end() -> None:
    assert w.add_work_hours(OFFICIAL, at(2026, 6, 8, 9, 0), 3).due_at == at(2026, 6, 8, 12, 0)


def test_work_hours_started_at_night_begin_next_morning() -> None:
    assert w.add_work_hours(OFFICIAL, at(2026, 6, 8, 22, 0), 1).due_at == at(2026, 6, 9, 9, 30)


def test_a_custom_schedule_is_honoured() -> None:
    summer = WorkSchedule.parse("08:00-12:00, 14:30-18:00")
    due = w.add_work_hours(OFFICIAL, at(2026, 6, 8, 11, 0), 2, schedule=summer)
    assert due.due_at == at(2026, 6, 8, 15, 30)
    assert summer.hours_per_day == 7.5
    assert str(summer) == "08:00-12:00,14:30-18:00"


def test_the_calendar_carries_its_schedule() -> None:
    short = WorkCalendar(schedule=WorkSchedule.parse("09:00-10:00"))
    assert w.add_work_hours(short, at(2026, 6, 8, 9, 30), 1).due_at == at(2026, 6, 9, 9, 30)


@pytest.mark.parametrize(
    "text",
    ["", "08:30", "12:00-08:30", "08:30-12:00,11:00-17:00", "8h-12h", "25:00-26:00"],
)
def test_bad_schedules_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="period"):
        WorkSchedule.parse(text)


def test_working_hours_into_an_uncovered_year_are_provisional() -> None:
    assert w.add_work_hours(OFFICIAL, at(2026, 12, 31, 17, 0), 1).provisional is True
    assert w.add_work_hours(OFFICIAL, at(2026, 12, 31, 9, 0), 1).provisional is False


def test_negative_hours_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        w.add_work_hours(OFFICIAL, at(2026, 6, 8, 9, 0), -0.5)
    with pytest.raises(ValueError, match="negative"):
        w.add_clock_hours(at(2026, 6, 8, 9, 0), -1)


# --- clock hours ---


def test_emergencies_count_clock_hours_through_holidays_and_are_never_provisional() -> None:
    start = at(2026, 12, 31, 23, 0)
    assert w.add_clock_hours(start, 2) == w.Deadline(at(2027, 1, 1, 1, 0), provisional=False)
    assert w.add_clock_hours(OFFICIAL, start, 2) == w.add_clock_hours(start, 2)


# --- counting between dates ---


def test_workdays_between_counts_the_end_but_not_the_start() -> None:
    assert w.workdays_between(OFFICIAL, dt.date(2026, 9, 30), dt.date(2026, 10, 10)) == 3
    assert w.workdays_between(OFFICIAL, dt.date(2026, 10, 10), dt.date(2026, 9, 30)) == -3
    assert w.workdays_between(OFFICIAL, dt.date(2026, 6, 8), dt.date(2026, 6, 8)) == 0


def test_working_days_left_is_zero_on_the_due_day_and_negative_once_overdue() -> None:
    due = end_of(2026, 10, 10)
    assert w.working_days_left(OFFICIAL, at(2026, 9, 30, 9, 0), due) == 3
    assert w.working_days_left(OFFICIAL, at(2026, 10, 3, 9, 0), due) == 3
    assert w.working_days_left(OFFICIAL, at(2026, 10, 9, 9, 0), due) == 1
    assert w.working_days_left(OFFICIAL, at(2026, 10, 10, 20, 0), due) == 0
    # Sunday after: overdue although no working day has passed yet.
    assert w.working_days_left(OFFICIAL, at(2026, 10, 11, 9, 0), due) == -1
    assert w.working_days_left(OFFICIAL, at(2026, 10, 13, 9, 0), due) == -2


def test_an_hours_deadline_passed_today_is_overdue() -> None:
    due = at(2026, 6, 8, 15, 0)
    assert w.working_days_left(OFFICIAL, at(2026, 6, 8, 10, 0), due) == 0
    assert w.working_days_left(OFFICIAL, at(2026, 6, 8, 16, 0), due) == -1


# --- properties ---

starts = st.datetimes(
    min_value=dt.datetime(2004, 1, 1),  # noqa: DTZ001
    max_value=dt.datetime(2028, 12, 31),  # noqa: DTZ001
    timezones=st.just(SHANGHAI),
)
days = st.integers(min_value=0, max_value=60)


@settings(max_examples=300, deadline=None)
@given(start=starts, n=days)
def test_due_date_is_always_the_end_of_a_working_day(start: dt.datetime, n: int) -> None:
    due = w.add_workdays(OFFICIAL, start, n).due_at.astimezone(SHANGHAI)
    assert due.time() == dt.time.max
    assert OFFICIAL.is_workday(due.date())
    assert due > start


@settings(max_examples=300, deadline=None)
@given(start=starts, n=days)
def test_more_days_never_come_earlier(start: dt.datetime, n: int) -> None:
    shorter = w.add_workdays(OFFICIAL, start, n).due_at
    longer = w.add_workdays(OFFICIAL, start, n + 1).due_at
    assert longer > shorter or (n == 0 and longer == shorter)


@settings(max_examples=300, deadline=None)
@given(start=starts, n=st.integers(min_value=1, max_value=60))
def test_workdays_between_inverts_add_workdays(start: dt.datetime, n: int) -> None:
    deadline = w.add_workdays(OFFICIAL, start, n)
    first = start.astimezone(SHANGHAI).date()
    assert w.workdays_between(OFFICIAL, first, deadline.due_at.date()) == n
    # and the deadline is provisional exactly when a counted day lies outside the loaded years
    span = [
        first + dt.timedelta(days=i) for i in range(1, (deadline.due_at.date() - first).days + 1)
    ]
    assert deadline.provisional == any(not OFFICIAL.is_covered(d) for d in span)


quarters = st.integers(min_value=0, max_value=200).map(lambda q: q / 4)


@settings(max_examples=300, deadline=None)
@given(start=starts, h1=quarters, h2=quarters.filter(lambda h: h > 0))
def test_working_hours_add_up(start: dt.datetime, h1: float, h2: float) -> None:
    first = w.add_work_hours(OFFICIAL, start, h1).due_at
    both = w.add_work_hours(OFFICIAL, start, h1 + h2).due_at
    assert w.add_work_hours(OFFICIAL, first, h2).due_at == both
    assert both > first


@settings(max_examples=200, deadline=None)
@given(start=starts, h=quarters.filter(lambda h: h > 0))
def test_working_hours_end_inside_a_working_period(start: dt.datetime, h: float) -> None:
    due = w.add_work_hours(OFFICIAL, start, h).due_at.astimezone(SHANGHAI)
    assert OFFICIAL.is_workday(due.date())
    assert any(s < due.time() <= e for s, e in w.DEFAULT_SCHEDULE.periods)
