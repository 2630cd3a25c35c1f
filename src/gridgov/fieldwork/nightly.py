"""Nightly jobs of fieldwork, enqueued by `gridgov scheduler` (settings.GRIDGOV_SCHEDULE).

Both are idempotent and re-check state, so the scheduler may run them any number of times:
- the patrol days of yesterday and today (Asia/Shanghai) are computed again only for people
  whose stored day is missing or older than their newest uploaded batch of that day, so the
  office's daily summaries are read precomputed (issue 11: a day's summary for every worker);
- the visit plans of the periods holding today are generated (a new month or quarter gets its
  tasks on its first night; a second run adds nothing).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Max
from django.utils import timezone
from django_tasks import task

from gridgov.fieldwork.daily import refresh_patrol_day
from gridgov.fieldwork.models import PatrolDay, TrackChunk
from gridgov.fieldwork.services import day_bounds
from gridgov.fieldwork.visits import generate_visit_plan


def stale_patrol_days(day: date) -> list[int]:
    """Ids of the people whose patrol day `day` is missing or older than an upload to it."""
    start, end = day_bounds(day)
    uploaded = dict(
        TrackChunk.objects.filter(starts_at__lt=end, ends_at__gte=start)
        .values("user_id")
        .annotate(last=Max("created_at"))
        .values_list("user_id", "last")
    )
    computed = dict(
        PatrolDay.objects.filter(day=day, user_id__in=list(uploaded)).values_list(
            "user_id", "computed_at"
        )
    )
    return sorted(
        user_id
        for user_id, last in uploaded.items()
        if user_id not in computed or computed[user_id] < last
    )


def refresh_stale_days(day: date) -> int:
    users = get_user_model().objects.filter(pk__in=stale_patrol_days(day))
    count = 0
    for user in users:
        refresh_patrol_day(user, day)
        count += 1
    return count


@task()
def refresh_patrol_days() -> dict[str, int]:
    """Precompute yesterday's and today's patrol days where an upload made them stale."""
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    return {
        "yesterday": refresh_stale_days(yesterday),
        "today": refresh_stale_days(today),
    }


@task()
def generate_visit_plans() -> dict[str, int]:
    """The visit plan tasks of the periods holding today, for every household."""
    result = generate_visit_plan(on=timezone.localdate())
    return {"created": result.created, "existing": result.existing}
