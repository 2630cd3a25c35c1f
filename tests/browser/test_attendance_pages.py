"""The office's attendance ledger, a person's month with the check-in map, the leave page with an
overlap refused, and the duty roster with today's person on duty (issue 11, 出勤/请假/值班)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from gridgov.core.testing.town import INSIDE, UNIT_A1, UNIT_B1, VILLAGE_A

pytestmark = pytest.mark.browser


def _month_of_work() -> None:
    """worker_a1 checked in on the first four working days of last month (one day from
    worker_b1's grid, one day late) and was on leave on its 25th and 26th; village_a is on duty
    today."""
    from django.contrib.auth import get_user_model

    from gridgov.core.calendar import get_calendar
    from gridgov.fieldwork.models import CheckIn, CheckKind, DutyShift, Leave, LeaveKind
    from gridgov.fieldwork.services import LOCAL_TZ
    from gridgov.grids.models import Grid
    from gridgov.people.models import Post

    users = get_user_model().objects
    worker, office = users.get(username="worker_a1"), users.get(username="town_office")
    today = timezone.localdate()
    Post.objects.update(started_on=today - timedelta(days=60))
    calendar = get_calendar()
    # Last month, so that every day of it counts whatever day the test runs.
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    days = [first + timedelta(days=i) for i in range(20)]
    worked = [d for d in days if calendar.is_workday(d)][:4]
    for n, day in enumerate(worked):
        where = UNIT_B1 if n == 1 else UNIT_A1
        lon, lat = INSIDE[where]
        arrive = time(8, 50) if n == 2 else time(8, 15)
        for kind, at in ((CheckKind.IN, arrive), (CheckKind.OUT, time(17, 45))):
            CheckIn.objects.create(
                user=worker,
                kind=kind,
                at=datetime.combine(day, at, tzinfo=LOCAL_TZ),
                lon=lon + 0.001 * n,
                lat=lat,
                grid=Grid.objects.get(code=where),
            )
    Leave.objects.create(
        user=worker,
        kind=LeaveKind.ANNUAL,
        starts_on=first + timedelta(days=24),
        ends_on=first + timedelta(days=25),
        recorded_by=office,
    )
    start = datetime.combine(today, time(0, 0), tzinfo=LOCAL_TZ)
    DutyShift.objects.create(
        user=users.get(username="village_a"),
        grid=Grid.objects.get(code=VILLAGE_A),
        starts_at=start,
        ends_at=start + timedelta(days=1),
        note="白班",
    )


def test_attendance_leave_and_duty_pages(open_page: Any, shot: Any) -> None:
    _month_of_work()
    today = timezone.localdate()
    last_month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    w = open_page("town_office")
    page = w.page

    page.goto(f"/fieldwork/attendance/?month={last_month}")
    row = page.locator("#attendance-table tr[data-user='worker_a1']")
    row.wait_for()
    assert row.locator("td[data-col='outside']").inner_text() == "2"
    assert row.locator("td[data-col='late']").inner_text() == "1"
    shot(page, "attendance-ledger")

    row.locator("a").first.click()
    page.wait_for_selector("#checkin-map[data-ready='1']")
    assert page.locator("#checkin-map .leaflet-interactive").count() >= 8
    assert page.locator("#person-days tr[data-status='leave']").count() >= 1
    shot(page, "attendance-person")

    page.goto("/fieldwork/leave/")
    w.allow("status of 400")  # the overlapping leave this test submits is refused
    page.select_option("#leave-form select[name=user]", "worker_a1")
    page.select_option("#leave-form select[name=kind]", "sick")
    day = (today.replace(day=1) - timedelta(days=1)).replace(day=26)
    page.fill("#leave-form input[name=starts_on]", day.isoformat())
    page.fill("#leave-form input[name=ends_on]", (day + timedelta(days=2)).isoformat())
    page.get_by_role("button", name="登记请假").click()
    page.wait_for_selector("#leave-form .errorlist")
    assert "重叠" in page.locator("#leave-form .errorlist").inner_text()
    shot(page, "leave-overlap-refused")

    page.goto(f"/fieldwork/duty/?month={today:%Y-%m}")
    today_row = page.locator("#duty-table tr.today")
    assert "王建国" in today_row.locator(".on-duty").inner_text()
    assert "王建国" in page.locator("#on-duty-now").inner_text()
    shot(page, "duty-roster")
