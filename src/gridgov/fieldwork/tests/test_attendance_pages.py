"""The office's attendance ledger, leave and duty-roster pages (issue 11, 出勤/请假/值班): the
ledger's figures on hand-made check-ins and leave, the same 出勤 figures as the assessment, the
Excel export, form errors, scoping and permissions."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time

import pytest
import time_machine
from openpyxl import load_workbook

from gridgov.core.testing.town import INSIDE, TOWN_CODE, UNIT_A1, UNIT_B1, VILLAGE_A
from gridgov.fieldwork import attendance, records
from gridgov.fieldwork.models import CheckIn, CheckKind, DutyShift, Leave, LeaveKind
from gridgov.fieldwork.services import LOCAL_TZ
from gridgov.grids.models import Grid
from gridgov.people.models import Post

pytestmark = pytest.mark.django_db

# March 2026 has no public holiday: its working days are the 22 weekdays (2–6, 9–13, 16–20,
# 23–27, 30–31). The tests look at it from April, so the whole month counts.
AFTER_MARCH = datetime(2026, 4, 10, 2, 0, tzinfo=UTC)
# The ledger page's queries do not grow with people or check-ins: the navigation's badges
# (about 17, see web/tests/test_query_counts.py) and one each for the grids, the posts, the
# leave and the check-ins, once the calendar is cached by a first request.
QUERIES = 22


@pytest.fixture
def in_april(town):
    # The cast's posts start the day the session built it; these tests look back to 2026.
    Post.objects.update(started_on=date(2026, 1, 1))
    with time_machine.travel(AFTER_MARCH, tick=False):
        yield


def stamp(user, day: int, hh: int, mm: int, kind: str = CheckKind.IN, where: str = UNIT_A1):
    lon, lat = INSIDE[where]
    return CheckIn.objects.create(
        user=user,
        kind=kind,
        at=datetime.combine(date(2026, 3, day), time(hh, mm), tzinfo=LOCAL_TZ),
        lon=lon,
        lat=lat,
        grid=Grid.objects.get(code=where),
    )


@pytest.fixture
def march(town):
    """worker_a1's March: on time on the 2nd, late and early on the 3rd, checked in from
    worker_b1's grid on the 4th, a Saturday check-in on the 7th, sick leave 9–13 (five working
    days, one check-in during it) and personal leave 14–16 (one working day, the 16th)."""
    worker, office = town.user("worker_a1"), town.user("town_office")
    stamp(worker, 2, 8, 20)
    stamp(worker, 2, 17, 40, CheckKind.OUT)
    stamp(worker, 3, 8, 45)
    stamp(worker, 3, 17, 0, CheckKind.OUT)
    stamp(worker, 4, 8, 0, where=UNIT_B1)
    stamp(worker, 7, 9, 0)
    stamp(worker, 10, 8, 10)
    Leave.objects.create(
        user=worker,
        kind=LeaveKind.SICK,
        starts_on=date(2026, 3, 9),
        ends_on=date(2026, 3, 13),
        recorded_by=office,
    )
    Leave.objects.create(
        user=worker,
        kind=LeaveKind.PERSONAL,
        starts_on=date(2026, 3, 14),
        ends_on=date(2026, 3, 16),
        recorded_by=office,
    )
    return worker


def row_of(rows, username: str):
    return next(r for r in rows if r.person.username == username)


def test_month_ledger_counts_a_hand_made_march(town, march, in_april) -> None:
    rows = attendance.month_ledger(town.user("town_office"), 2026, 3)
    row = row_of(rows, "worker_a1")
    assert row.days_due == 22 - 5 - 1
    assert row.days_present == 3
    assert (row.late, row.early) == (1, 1)
    assert row.leave_by_kind == {LeaveKind.SICK: 5, LeaveKind.PERSONAL: 1}
    assert row.absent == 13
    assert row.outside == 1
    assert row.check_ins == 7
    assert row.rate == pytest.approx(3 / 16)
    # worker_b1 did nothing: every working day of March is due and absent.
    idle = row_of(rows, "worker_b1")
    assert (idle.days_due, idle.days_present, idle.absent) == (22, 0, 22)


def test_a_running_month_counts_only_to_yesterday(town, march, in_april) -> None:
    with time_machine.travel(datetime(2026, 3, 5, 2, 0, tzinfo=UTC), tick=False):
        row = row_of(attendance.month_ledger(town.user("town_office"), 2026, 3), "worker_a1")
    # 2, 3 and 4 March are the days counted so far, all present.
    assert (row.days_due, row.days_present, row.absent) == (3, 3, 0)


def test_late_and_early_follow_the_configured_working_hours(town, march, in_april, settings):
    settings.GRIDGOV_WORK_HOURS = "09:00-12:00,13:00-17:00"
    row = row_of(attendance.month_ledger(town.user("town_office"), 2026, 3), "worker_a1")
    assert (row.late, row.early) == (0, 0)


def test_the_ledger_gives_the_assessments_attendance_figures(town, march, in_april) -> None:
    """The 出勤 item of seed 002's sheet (oversight.fieldcounts) and the page count alike."""
    from gridgov.oversight.fieldcounts import field_counts
    from gridgov.oversight.indicators import WORKER_POSTS, Period

    counts, _grids = field_counts(Period.month("2026-03"), WORKER_POSTS)
    rows = attendance.month_ledger(town.user("admin"), 2026, 3)
    compared = 0
    for user_id, figures in counts.items():
        row = next(r for r in rows if r.person.user_id == user_id)
        assert (row.days_due, row.days_present) == (
            figures.workdays_due,
            figures.workdays_present,
        ), row.person.username
        compared += 1
    assert compared >= 2
    assert counts[march.pk].workdays_present == 3


def test_ledger_page_and_scope(
    client_for, town, march, in_april, django_assert_max_num_queries
) -> None:
    office = client_for("town_office")
    office.get("/fieldwork/attendance/?month=2026-02")
    with django_assert_max_num_queries(QUERIES):
        page = office.get("/fieldwork/attendance/?month=2026-03")
    assert page.status_code == 200
    assert {r.person.username for r in page.context["rows"]} >= {"worker_a1", "worker_b1"}
    village = client_for("village_a").get("/fieldwork/attendance/?month=2026-03")
    assert "worker_b1" not in {r.person.username for r in village.context["rows"]}
    assert (
        client_for("village_a").get(f"/fieldwork/attendance/?month=2026-03&grid={UNIT_B1}")
    ).status_code == 404
    assert client_for("village_a").get("/fieldwork/attendance/worker_b1/").status_code == 404
    assert client_for("worker_a1").get("/fieldwork/attendance/").status_code == 403
    filtered = client_for("town_office").get(f"/fieldwork/attendance/?month=2026-03&grid={UNIT_B1}")
    assert [r.person.username for r in filtered.context["rows"]] == ["worker_b1"]
    bad = client_for("town_office").get("/fieldwork/attendance/?month=2026-13")
    assert bad.status_code == 200
    assert bad.context["error"]


def test_a_persons_month_day_by_day(client_for, town, march, in_april) -> None:
    page = client_for("town_office").get("/fieldwork/attendance/worker_a1/?month=2026-03")
    assert page.status_code == 200
    days = {d.day.day: d for d in page.context["days"]}
    assert days[2].status == "present"
    assert not days[2].late
    assert days[3].late
    assert days[3].early
    assert days[4].check_ins[0].outside
    assert days[5].status == "absent"
    assert days[7].status == "present"
    assert not days[7].is_workday
    assert days[8].status == "rest"
    assert days[10].status == "leave"
    assert days[10].leave_kind == LeaveKind.SICK
    assert len(page.context["map"]["points"]) == 7
    assert sum(p["outside"] for p in page.context["map"]["points"]) == 1
    assert page.context["summary"].days_present == 3


def test_excel_export_holds_the_pages_rows(client_for, town, march, in_april) -> None:
    response = client_for("town_office").get(
        f"/fieldwork/attendance/?month=2026-03&grid={VILLAGE_A}&format=xlsx"
    )
    assert response.status_code == 200
    assert "attendance-2026-03" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    lines = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = lines[1]
    body = {line[1]: dict(zip(header, line, strict=True)) for line in lines[2:] if line[1]}
    assert "worker_b1" not in body
    a1 = body["worker_a1"]
    assert (a1["应出勤天数"], a1["出勤天数"], a1["迟到"], a1["早退"]) == (16, 3, 1, 1)
    assert (a1["病假"], a1["事假"], a1["缺勤天数"], a1["网格外打卡"]) == (5, 1, 13, 1)
    assert a1["出勤率"] == pytest.approx(0.1875)


def test_ledgers_page_links_the_attendance_export(client_for, town) -> None:
    page = client_for("town_office").get("/reports/ledgers/")
    assert page.status_code == 200
    assert "/fieldwork/attendance/?month=" in page.content.decode()


def test_office_records_a_leave_and_overlaps_are_refused(client_for, town, in_april) -> None:
    office = client_for("town_office")
    body = {
        "user": "worker_a1",
        "kind": "annual",
        "starts_on": "2026-04-20",
        "ends_on": "2026-04-22",
    }
    assert office.post("/fieldwork/leave/", body).status_code == 302
    leave = Leave.objects.get(user=town.user("worker_a1"))
    assert (leave.kind, leave.days, leave.recorded_by.username) == ("annual", 3, "town_office")
    overlap = office.post(
        "/fieldwork/leave/", {**body, "starts_on": "2026-04-22", "ends_on": "2026-04-24"}
    )
    assert overlap.status_code == 400
    assert overlap.context["form"].errors["starts_on"]
    backwards = office.post(
        "/fieldwork/leave/", {**body, "starts_on": "2026-05-02", "ends_on": "2026-05-01"}
    )
    assert backwards.status_code == 400
    assert backwards.context["form"].errors["ends_on"]
    outsider = client_for("village_a").post("/fieldwork/leave/", {**body, "user": "worker_b1"})
    assert outsider.status_code == 400
    assert outsider.context["form"].errors["user"]
    assert client_for("leader").post("/fieldwork/leave/", body).status_code == 403
    assert client_for("leader").get("/fieldwork/leave/").status_code == 200
    assert Leave.objects.count() == 1
    listed = office.get("/fieldwork/leave/")
    assert [x.pk for x in listed.context["leaves"]] == [leave.pk]
    assert client_for("village_a").post(f"/fieldwork/leave/{leave.pk}/cancel/").status_code == 302
    assert not Leave.objects.exists()


def test_cancelling_a_leave_outside_the_scope_is_404(client_for, town, in_april) -> None:
    leave = Leave.objects.create(
        user=town.user("worker_b1"),
        kind=LeaveKind.SICK,
        starts_on=date(2026, 4, 1),
        ends_on=date(2026, 4, 1),
        recorded_by=town.user("town_office"),
    )
    assert client_for("village_a").post(f"/fieldwork/leave/{leave.pk}/cancel/").status_code == 404
    assert client_for("leader").post(f"/fieldwork/leave/{leave.pk}/cancel/").status_code == 403
    assert Leave.objects.filter(pk=leave.pk).exists()


def test_duty_roster_adds_refuses_and_removes(client_for, town, in_april) -> None:
    office = client_for("town_office")
    shift = {
        "user": "village_a",
        "grid": VILLAGE_A,
        "starts_at": "2026-04-10T08:00",
        "ends_at": "2026-04-10T18:00",
    }
    assert office.post("/fieldwork/duty/", shift).status_code == 302
    same_grid = office.post("/fieldwork/duty/", {**shift, "user": "town_office"})
    assert same_grid.status_code == 400
    assert same_grid.context["form"].errors["starts_at"]
    same_person = office.post("/fieldwork/duty/", {**shift, "grid": TOWN_CODE})
    assert same_person.status_code == 400
    backwards = office.post("/fieldwork/duty/", {**shift, "ends_at": "2026-04-10T07:00"})
    assert backwards.context["form"].errors["ends_at"]
    outsider = client_for("village_a").post(
        "/fieldwork/duty/",
        {
            **shift,
            "user": "worker_b1",
            "starts_at": "2026-04-11T08:00",
            "ends_at": "2026-04-11T18:00",
        },
    )
    assert outsider.status_code == 400
    assert outsider.context["form"].errors["user"]
    assert client_for("leader").post("/fieldwork/duty/", shift).status_code == 403
    assert DutyShift.objects.count() == 1
    page = office.get("/fieldwork/duty/?month=2026-04")
    today = next(d for d in page.context["days"] if d["today"])
    assert today["day"] == date(2026, 4, 10)
    on_duty = DutyShift.objects.get()
    assert [s.pk for s in today["shifts"]] == [on_duty.pk]
    assert page.context["on_duty"] == {on_duty.pk}
    # The same person GET /duty/now answers (the command centre's source).
    now = office.get("/api/v1/fieldwork/duty/now").json()
    assert [s["user"] for s in now] == ["village_a"]
    assert client_for("worker_b1").get("/fieldwork/duty/").status_code == 403
    removed = client_for("village_a").post(
        f"/fieldwork/duty/{on_duty.pk}/remove/", {"month": "2026-04"}
    )
    assert removed.status_code == 302
    assert removed["Location"] == "/fieldwork/duty/?month=2026-04"
    assert not DutyShift.objects.exists()


def test_removing_a_shift_outside_the_scope_is_404(client_for, town, in_april) -> None:
    shift = records.add_duty_shift(
        by=town.user("town_office"),
        username="town_office",
        grid_code=TOWN_CODE,
        starts_at=datetime(2026, 4, 10, 8, tzinfo=LOCAL_TZ),
        ends_at=datetime(2026, 4, 10, 18, tzinfo=LOCAL_TZ),
    )
    assert client_for("village_a").post(f"/fieldwork/duty/{shift.pk}/remove/").status_code == 404
    assert DutyShift.objects.filter(pk=shift.pk).exists()
