"""Inputs of the assessment items that come from outside the case tables (issue 12):

- field work (fieldwork app), per person and month:
  - 巡查: periods of the applicable patrol standard due in the month and those met, exactly as
    the field-work compliance table counts them (`fieldwork.daily`: a period wholly on leave is
    excused; a met period has `min_days` qualifying patrol days);
  - 出勤: working days of the month (official calendar) not on leave, and those with a check-in;
  - 民情日志: of those working days, the days with a diary entry;
  counted up to the end of the month or yesterday, whichever is earlier (a running month is
  not charged for days still to come). A grid's figures are those of the people posted to it
  (a person with posts in two grids counts in each), rolled up the tree.
- hotline back-tracing (hotline app): per unit grid, the imported records received in the month
  whose current (not superseded) back-tracing result is "not found by the grid" (未主动发现).
- two-way assessment (双向考核): the platform's ratings of a department, and the departments'
  ratings of a platform (the grid it stands for), each out of 100.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from gridgov.oversight.indicators import SHANGHAI, Period


@dataclass
class FieldCounts:
    patrol_due: int = 0
    patrol_met: int = 0
    workdays_due: int = 0
    workdays_present: int = 0
    diary_days: int = 0


def _days(period: Period) -> tuple[dt.date, dt.date] | None:
    """The month's days counted: from its first day to its last or yesterday."""
    first = period.start.astimezone(SHANGHAI).date()
    last = (period.end - dt.timedelta(days=1)).astimezone(SHANGHAI).date()
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    last = min(last, yesterday)
    return (first, last) if last >= first else None


def _posts(period: Period, kinds: tuple[str, ...]) -> list[Any]:
    from gridgov.people.models import Post

    first = period.start.astimezone(SHANGHAI).date()
    last = (period.end - dt.timedelta(days=1)).astimezone(SHANGHAI).date()
    return list(
        Post.objects.filter(kind__in=kinds, grid__isnull=False, staff__user__isnull=False)
        .filter(Q(started_on__isnull=True) | Q(started_on__lte=last))
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=first))
        .select_related("staff", "grid__level")
    )


def field_counts(
    period: Period, kinds: tuple[str, ...]
) -> tuple[dict[int, FieldCounts], dict[int, list[int]]]:
    """Per user id: the month's field-work counts; and per user id, the grids of their posts."""
    from gridgov.core.calendar import get_calendar
    from gridgov.fieldwork.daily import leave_days, periods, qualifies, standard_for
    from gridgov.fieldwork.models import CheckIn, CheckKind, Diary, PatrolDay, PatrolStandard

    posts = _posts(period, kinds)
    grids_of: dict[int, list[int]] = defaultdict(list)
    for post in posts:
        grids_of[post.staff.user_id].append(post.grid_id)
    span = _days(period)
    out: dict[int, FieldCounts] = defaultdict(FieldCounts)
    if span is None or not posts:
        return dict(out), dict(grids_of)
    first, last = span
    user_ids = sorted(grids_of)
    calendar = get_calendar()
    workdays = [
        first + dt.timedelta(days=i)
        for i in range((last - first).days + 1)
        if calendar.is_workday(first + dt.timedelta(days=i))
    ]
    leaves = leave_days(user_ids, first, last)
    start = dt.datetime.combine(first, dt.time.min, tzinfo=SHANGHAI)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=SHANGHAI)
    present: dict[int, set[dt.date]] = defaultdict(set)
    for user_id, at in CheckIn.objects.filter(
        user_id__in=user_ids, kind=CheckKind.IN, at__gte=start, at__lt=end
    ).values_list("user_id", "at"):
        present[user_id].add(at.astimezone(SHANGHAI).date())
    diaries: dict[int, set[dt.date]] = defaultdict(set)
    for user_id, day in Diary.objects.filter(
        user_id__in=user_ids, day__gte=first, day__lte=last
    ).values_list("user_id", "day"):
        diaries[user_id].add(day)
    for user_id in user_ids:
        due = [d for d in workdays if d not in leaves.get(user_id, set())]
        c = out[user_id]
        c.workdays_due = len(due)
        c.workdays_present = sum(1 for d in due if d in present[user_id])
        c.diary_days = sum(1 for d in due if d in diaries[user_id])
    # Patrols against the standards, post by post (as fieldwork.daily.compliance counts them).
    standards = list(PatrolStandard.objects.filter(is_active=True))
    days_of: dict[int, list[Any]] = defaultdict(list)
    for row in PatrolDay.objects.filter(user_id__in=user_ids, day__gte=first, day__lte=last):
        days_of[row.user_id].append(row)
    for post in posts:
        standard = standard_for(post, standards)
        if standard is None:
            continue
        user_id = post.staff.user_id
        good = {d.day for d in days_of[user_id] if qualifies(d, standard, post.grid.code)}
        on_leave = leaves.get(user_id, set())
        for p_first, p_last in periods(first, last, standard.period):
            days = {p_first + dt.timedelta(days=i) for i in range((p_last - p_first).days + 1)}
            if days <= on_leave:
                continue
            out[user_id].patrol_due += 1
            out[user_id].patrol_met += len(days & good) >= standard.min_days
    return dict(out), dict(grids_of)


def backtrace_misses(period: Period) -> dict[int, int]:
    """Per unit grid: records received in the month that the current back-tracing result says
    the grid did not find first (未主动发现)."""
    from gridgov.hotline.models import CrosscheckResult

    rows = (
        CrosscheckResult.objects.filter(
            superseded=False,
            matched=False,
            grid__isnull=False,
            record__received_at__gte=period.start,
            record__received_at__lt=period.end,
        )
        .values("grid_id")
        .annotate(n=Count("record_id", distinct=True))
    )
    return {r["grid_id"]: r["n"] for r in rows}


def two_way(period: Period, direction: str, key: str) -> dict[int, tuple[float, int]]:
    """Per department (key "department_id") or platform grid (key "platform_id"): the sum of
    the month's ratings in one direction and how many there are."""
    from gridgov.oversight.models import TwoWayRating

    rows = (
        TwoWayRating.objects.filter(month=period.label, direction=direction)
        .values(key)
        .annotate(total=Sum("score"), n=Count("pk"))
    )
    return {r[key]: (float(r["total"] or 0), r["n"]) for r in rows}
