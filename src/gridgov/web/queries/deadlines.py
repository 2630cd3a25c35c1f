"""How a deadline reads on a page, on the official working-day calendar."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from gridgov.core.workdays import WorkCalendar, working_days_left


@dataclass(frozen=True)
class DeadlineInfo:
    overdue: bool
    days_left: int | None
    label: str


def request_calendar(request: Any = None) -> WorkCalendar:
    """The working-day calendar, read once per request: `get_calendar()` checks the calendar's
    revision row with one query each call, and a queue page shows fifty deadlines."""
    from gridgov.core.calendar import get_calendar

    if request is None:
        return get_calendar()
    calendar: WorkCalendar | None = getattr(request, "_gridgov_calendar", None)
    if calendar is None:
        calendar = get_calendar()
        setattr(request, "_gridgov_calendar", calendar)  # noqa: B010
    return calendar


def deadline_info(
    due_at: dt.datetime,
    *,
    is_open: bool = True,
    at: dt.datetime | None = None,
    calendar: WorkCalendar | None = None,
) -> DeadlineInfo:
    """How a deadline reads on a page: working days left on the official calendar (还剩 N 个
    工作日), due today, or overdue (超期). Pass the request's `calendar` when rendering many."""
    if not is_open:
        return DeadlineInfo(overdue=False, days_left=None, label=_("已办结"))
    now = at or timezone.now()
    left = working_days_left(calendar or request_calendar(), now, due_at)
    if left < 0:
        return DeadlineInfo(overdue=True, days_left=left, label=_("已超期"))
    if left == 0:
        return DeadlineInfo(overdue=False, days_left=0, label=_("今日到期"))
    return DeadlineInfo(
        overdue=False,
        days_left=left,
        label=ngettext("剩余 %(n)s 个工作日", "剩余 %(n)s 个工作日", left) % {"n": left},
    )
