"""Inbox (/api/v1/inbox) and calendar (/api/v1/calendar) APIs.

A notification is visible to its recipient only: anyone else gets the 404 of a missing one.
The calendar is readable by every signed-in user; only administrators change it."""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Path, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from gridgov.core import calendar as cal
from gridgov.core import notify, workdays
from gridgov.core.errors import DomainError
from gridgov.core.models import Notification, NotificationQuerySet, WorkCalendarYear
from gridgov.core.schemas import (
    CalendarDayIn,
    CalendarDayOut,
    CalendarMonthOut,
    CalendarYearOut,
    DeadlineOut,
    DeadlineQuery,
    MarkedOut,
    NotificationOut,
    Pagination,
    UnreadCountOut,
)

inbox_router = Router(tags=["inbox"])
calendar_router = Router(tags=["calendar"])

MAX_CALENDAR_FILE = 1024 * 1024


def _mine(request: HttpRequest) -> NotificationQuerySet:
    return Notification.objects.for_user(request.user).select_related("actor", "target_type")


@inbox_router.get("/", response=list[NotificationOut])
@paginate(Pagination)
def list_notifications(request: HttpRequest, unread: bool = False) -> Any:
    """My notifications, newest first; `unread=true` for the unread ones only."""
    rows = _mine(request)
    if unread:
        rows = rows.unread()
    return rows


@inbox_router.get("/unread-count", response=UnreadCountOut)
def unread_count(request: HttpRequest) -> UnreadCountOut:
    return UnreadCountOut(unread=_mine(request).unread().count())


@inbox_router.post("/read-all", response=MarkedOut)
def read_all(request: HttpRequest) -> MarkedOut:
    return MarkedOut(marked=notify.mark_all_read(by=request.user))


@inbox_router.get("/{int:notification_id}", response=NotificationOut)
def get_notification(request: HttpRequest, notification_id: int) -> Notification:
    return get_object_or_404(_mine(request), pk=notification_id)


@inbox_router.post("/{int:notification_id}/read", response=NotificationOut)
def read_one(request: HttpRequest, notification_id: int) -> Notification:
    notification = get_object_or_404(_mine(request), pk=notification_id)
    notify.mark_read(notification=notification, by=request.user)
    return notification


YEARS_RULE = "A year the working-day calendar can hold: 1900–2200 (400 naming the field outside)."


def _require_calendar_admin(request: HttpRequest) -> None:
    if not cal.can_edit_calendar(request.user):
        raise PermissionDenied(_("只有管理员可以修改工作日历"))


@calendar_router.get("/days", response=CalendarMonthOut)
def calendar_days(
    request: HttpRequest,
    year: int = Query(..., description=YEARS_RULE),
    month: int | None = Query(None, description="1–12 (400 outside); without it, the whole year"),
) -> CalendarMonthOut:
    """Every day of a month (or of the whole year without `month`), for a calendar page."""
    if not cal.FIRST_YEAR <= year <= cal.LAST_YEAR:
        raise DomainError(_("年份超出范围"), field="year")
    if month is not None and not 1 <= month <= 12:
        raise DomainError(_("月份应为 1–12"), field="month")
    first = dt.date(year, month or 1, 1)
    last = dt.date(year, month or 12, pycalendar.monthrange(year, month or 12)[1])
    days = cal.calendar_days(first, last)
    return CalendarMonthOut(
        year=year,
        month=month,
        covered=all(d.covered for d in days),
        workdays=sum(d.is_workday for d in days),
        days=[
            CalendarDayOut(date=d.date, is_workday=d.is_workday, name=d.name, covered=d.covered)
            for d in days
        ],
    )


@calendar_router.get("/years", response=list[CalendarYearOut])
def calendar_years(request: HttpRequest) -> Any:
    return WorkCalendarYear.objects.order_by("year")


@calendar_router.get("/deadline", response=DeadlineOut)
def deadline(request: HttpRequest, q: Query[DeadlineQuery]) -> DeadlineOut:
    """When a limit from `start` runs out on the working-day calendar."""
    start = q.start
    cal.check_calendar_date(start.date(), "start")
    if timezone.is_naive(start):
        start = start.replace(tzinfo=workdays.SHANGHAI)
    calendar = cal.get_calendar()
    if q.days is not None:
        result = workdays.add_workdays(calendar, start, q.days)
    elif q.hours is not None:
        result = workdays.add_work_hours(calendar, start, q.hours)
    else:
        result = workdays.add_clock_hours(start, q.clock_hours or 0)
    return DeadlineOut(
        start=start,
        due_at=result.due_at,
        provisional=result.provisional,
        working_days_left=workdays.working_days_left(calendar, timezone.now(), result.due_at),
    )


@calendar_router.put("/days/{date}", response={200: CalendarDayOut})
def set_day(request: HttpRequest, date: dt.date, payload: CalendarDayIn) -> CalendarDayOut:
    """Correct one day (admin): a holiday, a make-up working day, or back to normal."""
    _require_calendar_admin(request)
    cal.set_calendar_day(
        day=date, is_workday=payload.is_workday, name=payload.name, by=request.user
    )
    info = cal.calendar_days(date, date)[0]
    return CalendarDayOut(
        date=info.date, is_workday=info.is_workday, name=info.name, covered=info.covered
    )


@calendar_router.post("/years/{int:year}/import", response={201: CalendarYearOut})
def import_year(
    request: HttpRequest,
    year: Annotated[int, Path(description=YEARS_RULE)],
    file: File[UploadedFile],
    replace: Form[bool] = False,
) -> Any:
    """Load a year's official calendar from a CSV `date,is_workday,name` (admin), all or nothing."""
    _require_calendar_admin(request)
    if file.size and file.size > MAX_CALENDAR_FILE:
        raise DomainError(_("文件过大(上限 1 MB)"), field="file")
    rows = cal.parse_calendar_csv(file.read(), year=year, source=file.name or "CSV")
    loaded = cal.load_calendar_year(
        year=year, rows=rows, source="file", by=request.user, replace=replace, note=file.name or ""
    )
    return Status(201, loaded)
