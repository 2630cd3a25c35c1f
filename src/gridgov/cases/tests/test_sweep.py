"""The deadline sweep: approaching and overdue cases are flagged once, notified and recorded, and
provisional deadlines are recomputed when their year is loaded into the calendar."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from gridgov.cases import services, tasks
from gridgov.cases.models import Case, CaseEvent, CaseTask, EventKind

from .conftest import SHANGHAI

pytestmark = pytest.mark.usefixtures("clock")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def dispatched(town, report, *, days: int = 5) -> Case:
    case = services.accept_case(case=report(), by=town.user("village_a"))
    case = services.escalate_case(case=case, by=town.user("village_a"), note="上报")
    return services.dispatch_case(case=case, by=town.user("town_office"), to=town.env, days=days)


def events(case: Case, kind: str) -> int:
    return CaseEvent.objects.filter(case=case, kind=kind).count()


def test_approaching_deadline_is_warned_once(town, report, django_capture_on_commit_callbacks):
    from gridgov.core.models import Notification

    case = dispatched(town, report)  # Monday 09:00 + 5 working days: end of Monday 06-15
    assert tasks.sweep(now=at(2026, 6, 12, 9, 0)).warned == 0
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.sweep(now=at(2026, 6, 15, 9, 0))
    assert (result.warned, result.overdue) == (1, 0)
    assert tasks.sweep(now=at(2026, 6, 15, 10, 0)).warned == 0
    assert events(case, EventKind.WARN) == 1
    assert (
        Notification.objects.filter(user=town.user("env_handler"), kind="approaching").count() == 1
    )


def test_overdue_case_is_flagged_once_and_both_sides_hear_of_it(
    town, report, django_capture_on_commit_callbacks
):
    from gridgov.core.models import Notification

    case = dispatched(town, report, days=1)
    with django_capture_on_commit_callbacks(execute=True):
        first = tasks.sweep(now=at(2026, 6, 10, 9, 0))
        second = tasks.sweep(now=at(2026, 6, 10, 9, 5))
    assert (first.overdue, second.overdue) == (1, 0)
    event = CaseEvent.objects.get(case=case, kind=EventKind.OVERDUE)
    assert (event.actor, event.due_at, event.department) == (None, case.due_at, town.env)
    assert events(case, EventKind.WARN) == 0  # overdue supersedes the warning
    told = set(Notification.objects.filter(kind="overdue").values_list("user__username", flat=True))
    assert told == {"env_handler", "town_office"}


def test_new_deadline_rearms_the_flags(town, report):
    handler = town.user("env_handler")
    case = dispatched(town, report, days=1)
    tasks.sweep(now=at(2026, 6, 10, 9, 0))
    assert Case.objects.get(pk=case.pk).overdue_flagged_at is not None
    extension = services.request_extension(case=case, by=handler, days=5, reason="等待检测")
    services.decide_extension(extension=extension, by=town.user("town_office"), approve=True)
    case = Case.objects.get(pk=case.pk)
    assert case.overdue_flagged_at is None
    assert not case.is_overdue(at(2026, 6, 10, 9, 0))


def test_closed_cases_are_not_swept(town, report):
    case = dispatched(town, report, days=1)
    services.close_case(case=case, by=town.user("town_office"), closure_type="special", note="撤销")
    assert tasks.sweep(now=at(2026, 6, 20, 9, 0)).overdue == 0


def test_sweep_runs_as_a_django_task(town, report, immediate_tasks, clock):
    dispatched(town, report, days=1)
    clock.move_to(at(2026, 6, 10, 9, 0))
    result = tasks.sweep_deadlines.enqueue()
    assert result.return_value == {
        "warned": 0,
        "overdue": 1,
        "recomputed": 0,
        "tasks_warned": 0,
        "tasks_overdue": 0,
        "steps_warned": 0,
        "steps_overdue": 0,
    }


def test_sweep_is_in_the_schedule():
    assert {
        "task": "gridgov.cases.tasks.sweep_deadlines",
        "minutes": 5,
    } in settings.GRIDGOV_SCHEDULE


def test_provisional_deadline_is_recomputed_when_the_year_is_loaded(town, report, clock):
    from gridgov.core.calendar import CalendarRow, load_calendar_year

    clock.move_to(at(2026, 12, 30, 10, 0))  # Wednesday
    case = dispatched(town, report, days=3)
    # 12-31 (Thu), then 2027 not loaded: 01-01 (Fri) and 01-04 (Mon) counted Monday–Friday.
    assert (case.due_at.astimezone(SHANGHAI).date(), case.due_provisional) == (
        dt.date(2027, 1, 4),
        True,
    )
    assert CaseTask.objects.get(case=case).due_provisional
    assert tasks.recompute_provisional_deadlines() == 0  # nothing changes while 2027 is missing
    load_calendar_year(
        year=2027,
        rows=[CalendarRow(dt.date(2027, 1, 1), False, "元旦")],
        source="file",
    )
    result = tasks.sweep(now=at(2026, 12, 31, 9, 0))
    assert result.recomputed == 1
    case = Case.objects.get(pk=case.pk)
    assert (case.due_at.astimezone(SHANGHAI).date(), case.due_provisional) == (
        dt.date(2027, 1, 5),
        False,
    )
    task = CaseTask.objects.get(case=case)
    assert (task.due_at, task.due_provisional) == (case.due_at, False)
    event = CaseEvent.objects.get(case=case, kind=EventKind.DEADLINE_RECOMPUTED)
    assert event.due_at == case.due_at
    assert tasks.recompute_provisional_deadlines() == 0


def test_explicit_due_date_past_the_calendar_is_provisional_and_confirmed_later(town, report):
    """Issue 3: beyond the covered years count Monday–Friday and mark the deadline provisional;
    a typed date there was refused ("超出工作日历范围") before."""
    from gridgov.core.calendar import CalendarRow, load_calendar_year
    from gridgov.core.errors import DomainError

    case = services.accept_case(case=report(), by=town.user("village_a"))
    case = services.escalate_case(case=case, by=town.user("village_a"), note="上报")
    office = town.user("town_office")
    for due_on, message in (
        (dt.date(2026, 6, 1), "早于今天"),
        (dt.date(2026, 6, 13), "不是工作日,可选 2026-06-15"),  # a Saturday
        (dt.date(2026, 6, 19), "不是工作日,可选 2026-06-22"),  # 端午节
        (dt.date(2027, 3, 6), "不是工作日,可选 2027-03-08"),  # a Saturday, counted Mon–Fri
        # More than a year past the last loaded notice: a slip of the keyboard, refused.
        (dt.date(2028, 1, 3), r"超出工作日历范围\(可选至 2027 年底\)"),
        (dt.date(9999, 12, 31), "超出工作日历范围"),
    ):
        with pytest.raises(DomainError, match=message) as err:
            services.dispatch_case(case=case, by=office, to=town.env, due_on=due_on)
        assert err.value.field == "due_on"
    case = services.dispatch_case(case=case, by=office, to=town.env, due_on=dt.date(2027, 3, 1))
    assert (case.due_at.astimezone(SHANGHAI), case.due_provisional) == (
        dt.datetime.combine(dt.date(2027, 3, 1), dt.time.max, tzinfo=SHANGHAI),
        True,
    )
    assert CaseTask.objects.get(case=case).due_provisional
    assert CaseEvent.objects.filter(kind=EventKind.REGISTER, case=case).count() == 1
    assert tasks.recompute_provisional_deadlines() == 0  # 2027 still missing: nothing to do
    # The official notice makes 2027-03-01 a holiday: the date moves to the next working day.
    load_calendar_year(
        year=2027, rows=[CalendarRow(dt.date(2027, 3, 1), False, "假日")], source="file"
    )
    assert tasks.recompute_provisional_deadlines() == 1
    case = Case.objects.get(pk=case.pk)
    assert (case.due_at.astimezone(SHANGHAI).date(), case.due_provisional) == (
        dt.date(2027, 3, 2),
        False,
    )
    slip = CaseTask.objects.get(case=case)
    assert (slip.due_at, slip.due_provisional) == (case.due_at, False)
    assert events(case, EventKind.DEADLINE_RECOMPUTED) == 1


def test_explicit_due_date_stands_once_its_year_is_loaded(town, report):
    from gridgov.core.calendar import load_calendar_year

    case = services.accept_case(case=report(), by=town.user("village_a"))
    case = services.escalate_case(case=case, by=town.user("village_a"), note="上报")
    case = services.dispatch_case(
        case=case, by=town.user("town_office"), to=town.env, due_on=dt.date(2027, 3, 1)
    )
    due = case.due_at
    load_calendar_year(year=2027, rows=[], source="file")
    assert tasks.recompute_provisional_deadlines() == 1
    case = Case.objects.get(pk=case.pk)
    assert (case.due_at, case.due_provisional) == (due, False)
