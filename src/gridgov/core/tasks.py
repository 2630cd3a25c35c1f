"""Background jobs of the shared infrastructure (django-tasks, DB queue). Each is idempotent:
it re-reads the state and claims its work by compare-and-set, so running twice is harmless."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_noop
from django_tasks import task

from gridgov.core import notify as notify_module
from gridgov.core.calendar import years_needed
from gridgov.core.models import NotificationKind

# Registered as gridgov.core.tasks.deliver_outbound; defined beside what it runs (notify.py).
deliver_outbound = notify_module.deliver_outbound

# The official notice for next year usually comes out in October or November; warn from
# 60 days before a year that is still missing, so deadlines of new cases are not provisional.
CALENDAR_HORIZON_DAYS = 60


@task()
def retry_outbound() -> int:
    """Scheduled: resend failed messages that are due and release claims of dead workers."""
    return notify_module.retry_outbound_messages()


def check_calendar(*, today: dt.date | None = None) -> list[int]:
    """Alert the administrators, once while unread, of each missing year near ahead."""
    today = today or timezone.localdate()
    missing = years_needed(today=today, horizon_days=CALENDAR_HORIZON_DAYS)
    for year in missing:
        notify_module.notify_admins(
            kind=NotificationKind.CALENDAR,
            title=notify_module.in_every_language(
                gettext_noop("%(year)d 年工作日历尚未载入"), year=year
            ),
            body=notify_module.in_every_language(
                gettext_noop(
                    "%(year)d 年的办理期限暂按周一至周五计算并标记为临时期限。国务院办公厅公布"
                    "节假日安排后,请用 gridgov load-calendar %(year)d --from-file 文件.csv 或在"
                    "管理后台载入,临时期限会自动重算。"
                ),
                year=year,
            ),
            url="/admin/core/workcalendaryear/",
            dedupe_key=f"calendar-missing-{year}",
        )
    return missing


@task()
def check_calendar_coverage() -> list[int]:
    """Scheduled daily: see `check_calendar`."""
    return check_calendar()
