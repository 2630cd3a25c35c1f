"""The stored calendar: the seed, the cache, loading a year, the calendar API and the scheduler."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import chinese_calendar
import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import transaction

from gridgov.core import calendar as cal
from gridgov.core import workdays as w
from gridgov.core.errors import DomainError, ImportRejectedError
from gridgov.core.management.commands import scheduler
from gridgov.core.models import (
    CalendarRevision,
    CalendarSource,
    Notification,
    NotificationKind,
    WorkCalendarDay,
    WorkCalendarYear,
)
from gridgov.core.tasks import check_calendar
from gridgov.core.workdays import SHANGHAI

pytestmark = pytest.mark.django_db

CSV_2027 = """date,is_workday,name
2027-01-01,0,元旦
2027-02-06,1,春节调休上班
2027-02-08,0,春节
2027-02-09,0,春节
2027-02-10,0,春节
2027-02-11,0,春节
2027-02-12,0,春节
2027-02-20,1,春节调休上班
"""


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def days_of(year: int) -> list[dt.date]:
    first = dt.date(year, 1, 1)
    return [first + dt.timedelta(days=i) for i in range((dt.date(year + 1, 1, 1) - first).days)]


# --- the seed ---


def test_seed_covers_2004_to_2026_from_chinesecalendar() -> None:
    assert set(WorkCalendarYear.objects.values_list("year", flat=True)) == set(range(2004, 2027))
    assert cal.covered_years() == frozenset(range(2004, 2027))
    assert not WorkCalendarDay.objects.exclude(source=CalendarSource.LIBRARY).exists()


def test_seeded_calendar_agrees_with_chinesecalendar_on_every_day() -> None:
    calendar = cal.get_calendar()
    for year in range(2004, 2027):
        wrong = [
            d for d in days_of(year) if calendar.is_workday(d) != chinese_calendar.is_workday(d)
        ]
        assert wrong == [], year


def test_2026_has_the_official_number_of_working_days() -> None:
    expected = sum(chinese_calendar.is_workday(d) for d in days_of(2026))
    assert expected == 248  # 261 weekdays - 19 weekday holidays + 6 make-up weekend days
    calendar = cal.get_calendar()
    assert sum(calendar.is_workday(d) for d in days_of(2026)) == expected


def test_seeded_days_carry_chinese_names() -> None:
    assert WorkCalendarDay.objects.get(date=dt.date(2026, 10, 1)).name == "国庆节"
    makeup = WorkCalendarDay.objects.get(date=dt.date(2026, 10, 10))
    assert makeup.is_workday
    assert makeup.name == "国庆节调休上班"


def test_an_emptied_calendar_is_seeded_again_alike() -> None:
    # town_tx does this after a transactional test flushed the database.
    seeded = set(WorkCalendarDay.objects.values_list("date", "is_workday", "name"))
    assert cal.ensure_seeded() is False
    WorkCalendarDay.objects.all().delete()
    WorkCalendarYear.objects.all().delete()
    assert cal.ensure_seeded() is True
    assert set(WorkCalendarDay.objects.values_list("date", "is_workday", "name")) == seeded
    assert cal.covered_years() == frozenset(range(2004, 2027))


# --- the cache ---


def test_calendar_is_cached_until_the_revision_changes(django_assert_num_queries) -> None:
    cal.get_calendar()
    with django_assert_num_queries(1):
        first = cal.get_calendar()
    assert first.is_workday(dt.date(2026, 6, 8))
    cal.set_calendar_day(day=dt.date(2026, 6, 8), is_workday=False, name="临时停工")
    second = cal.get_calendar()
    assert not second.is_workday(dt.date(2026, 6, 8))
    assert second is not first


def test_a_rolled_back_change_does_not_stay_in_the_cache() -> None:
    day = dt.date(2026, 6, 9)

    def change_then_fail() -> None:
        with transaction.atomic():
            cal.set_calendar_day(day=day, is_workday=False, name="误操作")
            assert not cal.get_calendar().is_workday(day)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert cal.get_calendar().is_workday(day)


def test_a_plain_weekday_set_back_to_normal_leaves_no_row() -> None:
    day = dt.date(2026, 6, 10)
    cal.set_calendar_day(day=day, is_workday=False, name="停电")
    assert cal.set_calendar_day(day=day, is_workday=True) is None
    assert not WorkCalendarDay.objects.filter(date=day).exists()
    assert cal.get_calendar().is_workday(day)


# --- loading a year ---


def test_loading_2027_makes_provisional_deadlines_final() -> None:
    start = at(2026, 12, 30, 10, 0)
    before = w.add_workdays(cal.get_calendar(), start, 3)
    assert before.provisional
    revision = CalendarRevision.objects.get().revision
    rows = cal.parse_calendar_csv(CSV_2027.encode(), year=2027)
    cal.load_calendar_year(year=2027, rows=rows, source=CalendarSource.FILE)
    assert CalendarRevision.objects.get().revision == revision + 1
    assert 2027 in cal.covered_years()
    after = w.add_workdays(cal.get_calendar(), start, 3)
    # 12-31, then 01-01 is New Year's Day: 01-04 and 01-05.
    assert after == w.Deadline(at(2027, 1, 5, 23, 59, 59, 999999), provisional=False)
    assert cal.get_calendar().is_workday(dt.date(2027, 2, 6))  # Saturday make-up day


def test_csv_with_bad_rows_reports_every_row_and_writes_nothing() -> None:
    bad = (
        "date,is_workday,name\n"
        "2027-01-01,0,元旦\n"
        "2027-13-01,0,坏日期\n"
        "2026-12-31,0,上一年\n"
        "2027-02-08,maybe,春节\n"
        "2027-01-01,0,重复\n"
        "2027-02-09\n"
    )
    with pytest.raises(ImportRejectedError) as caught:
        cal.parse_calendar_csv(bad.encode(), year=2027, source="2027.csv")
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 5
    assert problems[0].startswith("2027.csv: 第 3 行: ")
    assert "第 4 行" in problems[1]
    assert "2027" in problems[1]
    assert "第 5 行" in problems[2]
    assert "maybe" in problems[2]
    assert "第 6 行" in problems[3]
    assert "第 2 行" in problems[3]
    assert "第 7 行" in problems[4]
    assert not WorkCalendarYear.objects.filter(year=2027).exists()


def test_csv_saved_by_excel_in_gbk_is_read() -> None:
    rows = cal.parse_calendar_csv(CSV_2027.encode("gbk"), year=2027)
    assert rows[0] == cal.CalendarRow(dt.date(2027, 1, 1), False, "元旦")
    assert len(rows) == 8


def test_csv_in_an_unknown_encoding_is_refused() -> None:
    with pytest.raises(ImportRejectedError, match="UTF-8"):
        cal.parse_calendar_csv(b"date,is_workday,name\n2027-01-01,0,\xff\xff\xff\n", year=2027)


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "为空"), ("day,off\n2027-01-01,0\n", "表头"), ("date,is_workday,name\n", "没有")],
)
def test_csv_without_usable_content_is_refused(text: str, message: str) -> None:
    with pytest.raises(ImportRejectedError, match=message):
        cal.parse_calendar_csv(text.encode(), year=2027)


def test_a_loaded_year_is_replaced_only_when_asked() -> None:
    rows = cal.library_rows(2025)
    with pytest.raises(DomainError, match="已载入"):
        cal.load_calendar_year(year=2025, rows=rows, source=CalendarSource.FILE)
    cal.load_calendar_year(
        year=2025, rows=rows[:1], source=CalendarSource.FILE, replace=True, note="test"
    )
    assert WorkCalendarDay.objects.filter(date__year=2025).count() == 1
    assert WorkCalendarYear.objects.get(year=2025).source == CalendarSource.FILE


def test_load_calendar_command_loads_a_file(tmp_path: Path, capsys) -> None:
    path = tmp_path / "2027.csv"
    path.write_text(CSV_2027, encoding="utf-8")
    call_command("load_calendar", "2027", "--from-file", str(path))
    assert "6 holiday(s) and 2 make-up" in capsys.readouterr().out
    assert WorkCalendarYear.objects.get(year=2027).source == CalendarSource.FILE
    assert WorkCalendarDay.objects.filter(date__year=2027).count() == 8


def test_load_calendar_command_names_the_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "2027.csv"
    path.write_text(
        "date,is_workday,name\n2027-01-01,0,元旦\n2027-02-30,0,春节\n", encoding="utf-8"
    )
    with pytest.raises(CommandError, match="第 3 行") as caught:
        call_command("load_calendar", "2027", "--from-file", str(path))
    assert "nothing loaded" in str(caught.value)
    assert not WorkCalendarYear.objects.filter(year=2027).exists()


def test_load_calendar_command_refuses_a_year_the_library_lacks() -> None:
    with pytest.raises(CommandError, match="no data for 2027"):
        call_command("load_calendar", "2027", "--from-library")
    with pytest.raises(CommandError, match="已载入"):
        call_command("load_calendar", "2026", "--from-library")
    call_command("load_calendar", "2026", "--from-library", "--replace")


# --- the coverage alert ---


def test_admins_are_alerted_once_when_next_year_is_missing(town) -> None:
    with time_machine.travel(at(2026, 11, 24, 9, 0)):
        assert check_calendar() == [2027]
        assert check_calendar() == [2027]
    alerts = Notification.objects.filter(kind=NotificationKind.CALENDAR)
    assert list(alerts.values_list("user__username", flat=True)) == ["admin"]
    assert "2027" in alerts.get().title


def test_no_alert_while_the_next_year_is_far(town) -> None:
    with time_machine.travel(at(2026, 6, 1, 9, 0)):
        assert check_calendar() == []
    assert not Notification.objects.filter(kind=NotificationKind.CALENDAR).exists()


# --- the calendar API ---


def test_a_month_of_the_calendar_lists_holidays_and_makeup_days(client_for) -> None:
    response = client_for("worker_a1").get("/api/v1/calendar/days?year=2026&month=10")
    assert response.status_code == 200
    body = response.json()
    assert len(body["days"]) == 31
    assert body["covered"] is True
    assert body["workdays"] == sum(
        chinese_calendar.is_workday(dt.date(2026, 10, d)) for d in range(1, 32)
    )
    tenth = body["days"][9]
    assert tenth == {
        "date": "2026-10-10",
        "is_workday": True,
        "name": "国庆节调休上班",
        "covered": True,
    }


def test_an_uncovered_month_says_so(client_for) -> None:
    body = client_for("worker_a1").get("/api/v1/calendar/days?year=2027&month=1").json()
    assert body["covered"] is False
    assert body["days"][0]["is_workday"] is True  # Monday–Friday assumed


@pytest.mark.parametrize("query", ["year=2026&month=13", "year=1800"])
def test_calendar_days_refuse_bad_months(client_for, query: str) -> None:
    assert client_for("worker_a1").get(f"/api/v1/calendar/days?{query}").status_code == 400


def test_deadline_api_computes_the_national_day_example(client_for) -> None:
    client = client_for("worker_a1")
    with time_machine.travel(at(2026, 9, 30, 15, 0)):
        body = client.get("/api/v1/calendar/deadline?start=2026-09-30T15:00:00&days=3").json()
    # Django's JSON encoder keeps milliseconds: 23:59:59.999 of 10-10, Beijing time.
    assert dt.datetime.fromisoformat(body["due_at"]) == at(2026, 10, 10, 23, 59, 59, 999000)
    assert body["provisional"] is False
    assert body["working_days_left"] == 3


def test_deadline_api_marks_uncovered_years_provisional(client_for) -> None:
    response = client_for("worker_a1").get(
        "/api/v1/calendar/deadline?start=2026-12-30T10:00:00%2B08:00&hours=20"
    )
    assert response.status_code == 200
    assert response.json()["provisional"] is True


@pytest.mark.parametrize(
    "query",
    [
        "start=2026-09-30T10:00&days=3&hours=2",
        "start=2026-09-30T10:00",
        "start=x&days=1",
        "start=2026-09-30T10:00&days=-1",
    ],
)
def test_deadline_api_needs_exactly_one_valid_limit(client_for, query: str) -> None:
    assert client_for("worker_a1").get(f"/api/v1/calendar/deadline?{query}").status_code == 422


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "2201-01-01"])
def test_dates_no_calendar_holds_are_refused_and_nothing_is_stored(client_for, day: str) -> None:
    from gridgov.core.models import WorkCalendarDay

    before = WorkCalendarDay.objects.count()
    put = client_for("admin").put(
        f"/api/v1/calendar/days/{day}", {"is_workday": False}, content_type="application/json"
    )
    assert put.status_code == 400, put.content
    assert put.json()["field"] == "date"
    assert "超出工作日历范围" in put.json()["detail"]
    assert WorkCalendarDay.objects.count() == before
    get = client_for("worker_a1").get(f"/api/v1/calendar/deadline?start={day}T10:00&days=5")
    assert get.status_code == 400, get.content
    assert get.json()["field"] == "start"


def test_only_admins_change_the_calendar(client_for) -> None:
    payload = {"is_workday": False, "name": "防汛停工"}
    worker = client_for("worker_a1").put(
        "/api/v1/calendar/days/2026-06-08", payload, content_type="application/json"
    )
    assert worker.status_code == 403
    assert cal.get_calendar().is_workday(dt.date(2026, 6, 8))
    admin = client_for("admin").put(
        "/api/v1/calendar/days/2026-06-08", payload, content_type="application/json"
    )
    assert admin.status_code == 200
    assert admin.json()["is_workday"] is False
    assert not cal.get_calendar().is_workday(dt.date(2026, 6, 8))
    assert client_for("").get("/api/v1/calendar/days?year=2026").status_code == 401


def test_importing_a_year_through_the_api(client_for) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    def upload(client, text: str):
        f = SimpleUploadedFile("2027.csv", text.encode(), content_type="text/csv")
        return client.post("/api/v1/calendar/years/2027/import", {"file": f})

    assert upload(client_for("town_office"), CSV_2027).status_code == 403
    bad = upload(client_for("admin"), "date,is_workday,name\n2027-02-30,0,x\n")
    assert bad.status_code == 400
    assert "第 2 行" in bad.json()["problems"][0]
    good = upload(client_for("admin"), CSV_2027)
    assert good.status_code == 201
    assert good.json()["year"] == 2027
    years = client_for("worker_a1").get("/api/v1/calendar/years").json()
    assert years[-1]["year"] == 2027
    assert years[0]["year"] == 2004


def test_calendar_admin_pages_open_for_the_admin(client_for) -> None:
    client = client_for("admin")
    for url in (
        "/admin/core/workcalendarday/",
        "/admin/core/workcalendaryear/",
        "/admin/core/workcalendaryear/import/",
        "/admin/core/notification/",
        "/admin/core/outboundmessage/",
    ):
        assert client.get(url).status_code == 200, url


def test_admin_import_page_loads_a_year(client_for) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for("admin")
    f = SimpleUploadedFile("2027.csv", CSV_2027.encode(), content_type="text/csv")
    response = client.post("/admin/core/workcalendaryear/import/", {"year": 2027, "file": f})
    assert response.status_code == 302
    assert 2027 in cal.covered_years()


# --- the scheduler ---


def test_every_scheduled_entry_is_a_task_with_an_interval() -> None:
    entries = scheduler.load_schedule()
    paths = [e.path for e in entries]
    assert "gridgov.core.tasks.retry_outbound" in paths
    assert "gridgov.core.tasks.check_calendar_coverage" in paths
    assert all(e.minutes > 0 for e in entries)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"task": "gridgov.core.calendar.get_calendar", "minutes": 5}, "not a django-tasks"),
        ({"task": "gridgov.nowhere.task", "minutes": 5}, "cannot import"),
        ({"task": "gridgov.core.tasks.retry_outbound", "minutes": 0}, "positive"),
        ({"task": "gridgov.core.tasks.retry_outbound"}, "positive"),
        (("gridgov.core.tasks.retry_outbound", 5), "must be"),
    ],
)
def test_a_bad_schedule_is_refused_with_its_index(settings, entry, message: str) -> None:
    settings.GRIDGOV_SCHEDULE = [entry]
    with pytest.raises(ImproperlyConfigured, match=message):
        scheduler.load_schedule()


def test_scheduler_runs_each_job_at_start_and_coalesces_missed_runs() -> None:
    now = at(2026, 6, 8, 9, 0)
    sched = scheduler.build_scheduler(scheduler.load_schedule(), now=now)
    jobs = {job.id: job for job in sched.get_jobs()}
    job = jobs["gridgov.core.tasks.retry_outbound"]
    assert job.next_run_time == now
    assert job.coalesce is True
    assert job.misfire_grace_time is None
    assert job.trigger.interval == dt.timedelta(minutes=5)


def test_scheduler_once_only_enqueues(run_task_queue, capsys) -> None:
    from django_tasks_db.models import DBTaskResult

    scheduled = {e.path for e in scheduler.load_schedule()}
    call_command("scheduler", "--once")
    assert f"enqueued {len(scheduled)} task(s)" in capsys.readouterr().out
    assert set(DBTaskResult.objects.values_list("task_path", flat=True)) == scheduled
    assert not DBTaskResult.objects.exclude(status="READY").exists()
    assert run_task_queue() == len(scheduled)
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == len(scheduled)


@pytest.fixture
def fresh_calendar_cache():
    """For tests that change settings the cached calendar was built from."""
    cal.clear_cache()
    yield
    cal.clear_cache()


def test_working_hours_come_from_the_setting(settings, fresh_calendar_cache) -> None:
    settings.GRIDGOV_WORK_HOURS = "09:00-17:00"
    calendar = cal.get_calendar()
    assert calendar.schedule == w.WorkSchedule.parse("09:00-17:00")
    due = w.add_work_hours(calendar, at(2026, 6, 8, 11, 0), 5)
    assert due.due_at == at(2026, 6, 8, 16, 0)


def test_a_bad_working_hours_setting_is_a_configuration_error(
    settings, fresh_calendar_cache
) -> None:
    settings.GRIDGOV_WORK_HOURS = "08:30-12:00,11:00-17:30"
    with pytest.raises(ImproperlyConfigured, match="GRIDGOV_WORK_HOURS"):
        cal.get_calendar()


def test_a_day_edited_in_the_admin_takes_effect_at_once(client_for) -> None:
    day = dt.date(2026, 7, 6)
    assert cal.get_calendar().is_workday(day)
    response = client_for("admin").post(
        "/admin/core/workcalendarday/add/",
        {"date": day.isoformat(), "is_workday": "", "name": "防汛"},
    )
    assert response.status_code == 302
    assert WorkCalendarDay.objects.get(date=day).source == CalendarSource.ADMIN
    assert not cal.get_calendar().is_workday(day)
    row = WorkCalendarDay.objects.get(date=day)
    client_for("admin").post(f"/admin/core/workcalendarday/{row.pk}/delete/", {"post": "yes"})
    assert cal.get_calendar().is_workday(day)
