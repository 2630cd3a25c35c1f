"""Patrol days, compliance with the patrol standards, and the office's daily monitoring.

`refresh_patrol_day` turns one person's Asia/Shanghai day of fixes into a `PatrolDay` row (the
track rules of STANDARDS.md via `fieldwork.tracks`); the compliance table and the monitoring page
read those rows, one per person and day, never the fixes.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.core.errors import DomainError
from gridgov.fieldwork import dayfigures, tracks
from gridgov.fieldwork.models import (
    CheckIn,
    Diary,
    KeyPoint,
    Leave,
    Patrol,
    PatrolDay,
    PatrolPeriod,
    PatrolStandard,
    TrackChunk,
    Visit,
)
from gridgov.fieldwork.services import (
    LOCAL_TZ,
    day_bounds,
    day_track,
)
from gridgov.fieldwork.tracks import DEFAULT_RULES, Track, TrackRules
from gridgov.grids.models import Grid
from gridgov.people.models import GRID_POST_KINDS, Post, PostKind

# A day is flagged "track outside the grid" when more than this share of its kept fixes lies
# farther than the buffer (30 m) from every grid of the person's posts.
OUTSIDE_FLAG_SHARE = 0.1
# Longest period the compliance table computes in one request (a year and a bit).
MAX_PERIOD_DAYS = 400


def posted_grids_of(user: Any) -> list[Grid]:
    """Grids (any level) where the user holds a current post: where they are meant to patrol."""
    return list(
        Grid.objects.filter(posts__staff__user=user, posts__ended_on__isnull=True)
        .distinct()
        .order_by("code")
    )


def outside_share(kept: Track, grids: Sequence[Grid], rules: TrackRules = DEFAULT_RULES) -> float:
    """Share of kept fixes farther than the buffer from every one of the grids."""
    return dayfigures.outside_share(kept, [g.boundary for g in grids if g.boundary], rules)


def _stored(figures: dict[str, Any]) -> dict[str, Any]:
    """PatrolDay's field values from `dayfigures.day_figures`."""
    values = dict(figures)
    first, last = values.pop("first_t"), values.pop("last_t")
    values["first_fix_at"] = None if first is None else datetime.fromtimestamp(first, tz=UTC)
    values["last_fix_at"] = None if last is None else datetime.fromtimestamp(last, tz=UTC)
    return values


def _day_values(
    track: Track,
    day: date,
    grids: Sequence[Grid],
    key_points: Sequence[KeyPoint],
    rules: TrackRules = DEFAULT_RULES,
) -> dict[str, Any]:
    """The stored figures of one person's day from their fixes (the same code for one person
    and for the nightly run over everyone)."""
    figures = dayfigures.day_figures(
        track,
        [(g.code, g.boundary) for g in grids],
        [(k.lon, k.lat) for k in key_points],
        rules,
    )
    return _stored(figures)


@transaction.atomic
def refresh_patrol_day(user: Any, day: date, rules: TrackRules = DEFAULT_RULES) -> PatrolDay:
    """Compute (again) one person's patrol day from their fixes and store it."""
    grids = posted_grids_of(user)
    key_points = list(KeyPoint.objects.active().filter(grid__in=grids).select_related("grid"))
    values = _day_values(day_track(user, day), day, grids, key_points, rules)
    row, _created = PatrolDay.objects.update_or_create(user=user, day=day, defaults=values)
    return row


def days_of_patrol(patrol: Patrol) -> list[date]:
    """The Asia/Shanghai days a patrol's fixes fall on."""
    span = patrol.chunks.aggregate(first=Min("starts_at"), last=Max("ends_at"))
    if span["first"] is None:
        return []
    first = span["first"].astimezone(LOCAL_TZ).date()
    last = span["last"].astimezone(LOCAL_TZ).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def refresh_days_of_patrol(patrol: Patrol) -> list[PatrolDay]:
    return [refresh_patrol_day(patrol.user, day) for day in days_of_patrol(patrol)]


# The nightly run reads and writes this many people's days at a time, and computes them in
# worker processes when there are at least PARALLEL_MIN days and more than one CPU.
REFRESH_BATCH = 250
PARALLEL_MIN = 40


def default_processes() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def refresh_all_days(
    day: date,
    rules: TrackRules = DEFAULT_RULES,
    *,
    batch: int = REFRESH_BATCH,
    processes: int | None = None,
) -> int:
    """Summarise the day of everyone with fixes on it (the nightly job, and the bench): the
    same figures as `refresh_patrol_day` for each person, read and written in batches (one
    query each for posts, key points and fixes, one upsert), computed in worker processes."""
    start, end = day_bounds(day)
    user_ids = sorted(
        set(
            TrackChunk.objects.filter(starts_at__lt=end, ends_at__gte=start).values_list(
                "user_id", flat=True
            )
        )
    )
    processes = default_processes() if processes is None else processes
    batches = [user_ids[i : i + batch] for i in range(0, len(user_ids), batch)]
    if processes <= 1 or len(user_ids) < PARALLEL_MIN:
        return sum(_refresh_batch(ids, day, rules) for ids in batches)
    # Worker processes compute only (no database); "spawn" gives them no inherited connection.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        return sum(_refresh_batch(ids, day, rules, pool) for ids in batches)


def _refresh_batch(
    user_ids: list[int], day: date, rules: TrackRules, pool: Executor | None = None
) -> int:
    start, end = day_bounds(day)
    # Current posts' grids per person, as posted_grids_of gives them (distinct, by code).
    grid_ids: dict[int, set[int]] = defaultdict(set)
    for user_id, grid_id in Post.objects.filter(
        staff__user_id__in=user_ids, ended_on__isnull=True, grid__isnull=False
    ).values_list("staff__user_id", "grid_id"):
        grid_ids[user_id].add(grid_id)
    grids = Grid.objects.in_bulk({g for ids in grid_ids.values() for g in ids})
    points: dict[int, list[KeyPoint]] = defaultdict(list)
    for point in KeyPoint.objects.active().filter(grid__in=list(grids)):
        points[point.grid_id].append(point)
    # Fixes per person in the order day_track reads them (TrackChunk's ordering).
    data: dict[int, list[bytes]] = defaultdict(list)
    for user_id, blob in TrackChunk.objects.filter(
        user_id__in=user_ids, starts_at__lt=end, ends_at__gte=start
    ).values_list("user_id", "data"):
        data[user_id].append(bytes(blob))
    inputs = []
    for user_id in user_ids:
        own = sorted((grids[g] for g in grid_ids.get(user_id, ())), key=lambda g: g.code)
        inputs.append(
            dayfigures.DayInput(
                key=user_id,
                chunks=data.get(user_id, []),
                start_ts=start.timestamp(),
                end_ts=end.timestamp(),
                grids=[(g.code, g.boundary) for g in own],
                key_points=[(p.lon, p.lat) for g in own for p in points.get(g.pk, [])],
            )
        )
    results = (
        pool.map(dayfigures.compute, inputs, [rules] * len(inputs), chunksize=4)
        if pool is not None
        else (dayfigures.compute(i, rules) for i in inputs)
    )
    rows = [PatrolDay(user_id=key, day=day, **_stored(figures)) for key, figures in results]
    fields = [*_day_values_fields(), "computed_at"]
    with transaction.atomic():
        PatrolDay.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["user", "day"], update_fields=fields
        )
    return len(rows)


def _day_values_fields() -> list[str]:
    return [
        "fixes",
        "kept",
        "mileage_m",
        "duration_s",
        "stay_points",
        "coverage",
        "key_points_visited",
        "outside_share",
        "first_fix_at",
        "last_fix_at",
    ]


# --- compliance ---------------------------------------------------------------------------------


def standard_for(post: Post, standards: Sequence[PatrolStandard]) -> PatrolStandard | None:
    """The most specific active standard matching the post's kind and its grid's level and tier."""
    grid = post.grid
    matching = [
        s
        for s in standards
        if s.is_active
        and s.post_kind in ("", post.kind)
        and (s.level_depth is None or (grid is not None and grid.level.depth == s.level_depth))
        and (s.tier is None or (grid is not None and grid.tier == s.tier))
    ]
    if not matching:
        return None
    return max(matching, key=lambda s: (s.specificity(), -s.pk))


def periods(start: date, end: date, period: str) -> list[tuple[date, date]]:
    """The periods (inclusive date ranges, clipped to [start, end]) of a kind within the range:
    days, ISO weeks (Monday to Sunday) or calendar months."""
    out = []
    day = start
    while day <= end:
        if period == PatrolPeriod.DAILY:
            last = day
        elif period == PatrolPeriod.WEEKLY:
            last = day + timedelta(days=6 - day.weekday())
        else:
            following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
            last = following - timedelta(days=1)
        last = min(last, end)
        out.append((day, last))
        day = last + timedelta(days=1)
    return out


def qualifies(row: PatrolDay, standard: PatrolStandard, grid_code: str) -> bool:
    """A patrol day that meets a standard's daily minimums for the grid."""
    return (
        row.kept >= 2
        and row.duration_s >= standard.min_duration_s
        and row.mileage_m >= standard.min_mileage_m
        and float(row.coverage.get(grid_code, 0.0)) >= standard.min_coverage
    )


@dataclass
class ComplianceRow:
    user_id: int
    username: str
    name: str
    post_kind: str
    grid_code: str
    grid_name: str
    standard: str
    period: str
    periods_due: int
    periods_met: int
    days_patrolled: int
    mileage_m: float
    excused: int = 0  # periods entirely on leave, not counted as due

    @property
    def rate(self) -> float | None:
        return self.periods_met / self.periods_due if self.periods_due else None


def leave_days(user_ids: Iterable[int], start: date, end: date) -> dict[int, set[date]]:
    days: dict[int, set[date]] = defaultdict(set)
    for leave in Leave.objects.filter(
        user_id__in=list(user_ids), starts_on__lte=end, ends_on__gte=start
    ):
        day = max(leave.starts_on, start)
        while day <= min(leave.ends_on, end):
            days[leave.user_id].add(day)
            day += timedelta(days=1)
    return days


def _check_range(start: date, end: date) -> None:
    if end < start:
        raise DomainError(_("结束日期不能早于开始日期"), field="end")
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise DomainError(_("期间最长 %(n)s 天") % {"n": MAX_PERIOD_DAYS}, field="end")


def compliance(viewer: Any, start: date, end: date) -> list[ComplianceRow]:
    """Per person and grid (current posts in grids the viewer sees): periods of the applicable
    standard due in [start, end], those met (enough qualifying patrol days), and the totals."""
    _check_range(start, end)
    standards = list(PatrolStandard.objects.filter(is_active=True))
    posts = list(
        Post.objects.current()
        .filter(grid__in=Grid.objects.visible_to(viewer), staff__user__isnull=False)
        .select_related("staff__user", "grid__level")
        .order_by("grid__code", "kind", "pk")
    )
    user_ids = {p.staff.user_id for p in posts if p.staff.user_id is not None}
    by_user: dict[int, list[PatrolDay]] = defaultdict(list)
    for row in PatrolDay.objects.filter(user_id__in=user_ids, day__gte=start, day__lte=end):
        by_user[row.user_id].append(row)
    leaves = leave_days(user_ids, start, end)
    rows = []
    for post in posts:
        standard = standard_for(post, standards)
        if standard is None or post.grid is None:
            continue
        user = post.staff.user
        assert user is not None  # noqa: S101 - filtered above
        good_days = {d.day for d in by_user[user.pk] if qualifies(d, standard, post.grid.code)}
        due = met = excused = 0
        for first, last in periods(start, end, standard.period):
            span = {first + timedelta(days=i) for i in range((last - first).days + 1)}
            if span <= leaves.get(user.pk, set()):
                excused += 1
                continue
            due += 1
            met += len(span & good_days) >= standard.min_days
        patrolled = [d for d in by_user[user.pk] if d.kept >= 2]
        rows.append(
            ComplianceRow(
                user_id=user.pk,
                username=user.get_username(),
                name=post.staff.name,
                post_kind=str(PostKind(post.kind).label),
                grid_code=post.grid.code,
                grid_name=post.grid.name,
                standard=standard.name,
                period=str(PatrolPeriod(standard.period).label),
                periods_due=due,
                periods_met=met,
                days_patrolled=len(patrolled),
                mileage_m=sum(d.mileage_m for d in patrolled),
                excused=excused,
            )
        )
    return rows


# --- daily monitoring ---------------------------------------------------------------------------


@dataclass
class MonitoringRow:
    user_id: int
    username: str
    name: str
    grid_codes: list[str]
    reports: int = 0
    patrols: int = 0
    mileage_m: float = 0.0
    coverage: dict[str, float] = field(default_factory=dict)
    diaries: int = 0
    visits: int = 0
    last_seen: datetime | None = None
    outside_share: float = 0.0
    on_leave: bool = False

    @property
    def flags(self) -> list[str]:
        if self.on_leave:
            return []
        out = []
        if self.patrols == 0 and self.mileage_m == 0:
            out.append("no_patrol")
        if self.reports == 0:
            out.append("no_report")
        if self.outside_share > OUTSIDE_FLAG_SHARE:
            out.append("outside")
        return out

    @property
    def km(self) -> float:
        return self.mileage_m / 1000

    @property
    def mean_coverage(self) -> float | None:
        return sum(self.coverage.values()) / len(self.coverage) if self.coverage else None


FLAG_LABELS = {
    "no_patrol": gettext_lazy("无巡查"),
    "no_report": gettext_lazy("无上报"),
    "outside": gettext_lazy("轨迹出网格"),
}


def monitoring(viewer: Any, day: date) -> list[MonitoringRow]:
    """The office's view of one day: every grid worker with a current post in a grid the viewer
    sees, with reports, patrols, kilometres, coverage, household visits, diary entries, last seen
    and flags (issue 11)."""
    from gridgov.cases.models import Case

    posts = list(
        Post.objects.current()
        .filter(
            grid__in=Grid.objects.visible_to(viewer),
            staff__user__isnull=False,
            kind__in=[*GRID_POST_KINDS, PostKind.EMBEDDED_OFFICER],
        )
        .exclude(kind__in=[PostKind.VOLUNTEER, PostKind.INFORMANT])
        .select_related("staff__user", "grid")
        .order_by("grid__code", "pk")
    )
    rows: dict[int, MonitoringRow] = {}
    for post in posts:
        user = post.staff.user
        if user is None or post.grid is None:
            continue
        row = rows.setdefault(
            user.pk,
            MonitoringRow(
                user_id=user.pk, username=user.get_username(), name=post.staff.name, grid_codes=[]
            ),
        )
        if post.grid.code not in row.grid_codes:
            row.grid_codes.append(post.grid.code)
    ids = list(rows)
    start, end = day_bounds(day)
    for user_id, n in (
        Case.objects.filter(reporter_id__in=ids, created_at__gte=start, created_at__lt=end)
        .values_list("reporter_id")
        .annotate(n=Count("pk"))
    ):
        rows[user_id].reports = n
    for user_id, n in (
        Patrol.objects.filter(user_id__in=ids, started_at__gte=start, started_at__lt=end)
        .values_list("user_id")
        .annotate(n=Count("pk"))
    ):
        rows[user_id].patrols = n
    for pday in PatrolDay.objects.filter(user_id__in=ids, day=day):
        row = rows[pday.user_id]
        row.mileage_m = pday.mileage_m
        row.coverage = {c: float(v) for c, v in pday.coverage.items() if c in row.grid_codes}
        row.outside_share = pday.outside_share
        row.last_seen = pday.last_fix_at
    for user_id, n in (
        Diary.objects.filter(user_id__in=ids, day=day)
        .values_list("user_id")
        .annotate(n=Count("pk"))
    ):
        rows[user_id].diaries = n
    for user_id, n in (
        Visit.objects.filter(user_id__in=ids, visited_at__gte=start, visited_at__lt=end)
        .values_list("user_id")
        .annotate(n=Count("pk"))
    ):
        rows[user_id].visits = n
    for user_id, at in (
        CheckIn.objects.filter(user_id__in=ids, at__gte=start, at__lt=end)
        .values_list("user_id")
        .annotate(at=Max("at"))
    ):
        row = rows[user_id]
        if row.last_seen is None or at > row.last_seen:
            row.last_seen = at
    for user_id in Leave.objects.filter(
        user_id__in=ids, starts_on__lte=day, ends_on__gte=day
    ).values_list("user_id", flat=True):
        rows[user_id].on_leave = True
    return list(rows.values())


def visible_worker(viewer: Any, username: str) -> Any:
    """The person named, if the viewer may see their day: themselves, or someone with a current
    post in a grid the viewer sees. Otherwise None (the caller answers 404)."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        return None
    if user.pk == viewer.pk:
        return user
    visible = Grid.objects.visible_to(viewer).filter(
        Q(posts__staff__user=user) & Q(posts__ended_on__isnull=True)
    )
    return user if visible.exists() else None


def replay_json(user: Any, day: date) -> dict[str, Any]:
    """One person's day for the replay map: kept fixes as [lon, lat, epoch seconds], walked
    pieces, stay points, and the summary."""
    from gridgov.fieldwork.services import day_summary, stay_points_json

    track = day_track(user, day)
    kept = tracks.filter_track(track)
    summary = day_summary(user, day)
    points = [
        [round(float(lon), 7), round(float(lat), 7), math.floor(float(t))]
        for lon, lat, t in zip(kept.lon, kept.lat, kept.t, strict=True)
    ]
    return {
        **summary.as_json(),
        "user": user.get_username(),
        "points": points,
        "runs": tracks.kept_segment_runs(kept),
        "stay_points": stay_points_json(summary.stay_points),
    }
