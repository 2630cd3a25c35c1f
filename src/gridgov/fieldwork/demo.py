"""Demo field work: a month of plausible patrols walking the real unit grid polygons of the demo
town, with diaries, check-ins, a leave, key points and today's duty roster. Called by the demo
builder's fieldwork hook. Deterministic for a given day (a seeded generator).

Tracks are stored as the phone would have sent them (batches of fixes in TrackChunk rows) and the
patrol days are computed by the same services the platform uses.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import shapely
from django.db import transaction
from django.utils import timezone
from shapely.geometry import Point, shape

from gridgov.fieldwork import tracks
from gridgov.fieldwork.daily import refresh_patrol_day
from gridgov.fieldwork.models import (
    CheckIn,
    CheckKind,
    Diary,
    DiaryKind,
    DutyShift,
    KeyPoint,
    KeyPointKind,
    Leave,
    LeaveKind,
    Patrol,
    PatrolSource,
    TrackChunk,
)
from gridgov.fieldwork.services import LOCAL_TZ, FixBatch, _chunk_for
from gridgov.fieldwork.tracks import Track
from gridgov.grids.models import Grid
from gridgov.people.models import Post, PostKind

DAYS = 30
# Building a month of tracks costs time on every `gridgov demo`: the first dozen unit grids'
# workers (worker_a1 among them) get their month; the bench covers the scale.
MAX_WORKERS = 12
FIX_EVERY_S = 20
STEP_M = 1.3 * FIX_EVERY_S
M_PER_DEG = 6_371_008.8 * math.pi / 180
DIARY_TEXTS = (
    "走访独居老人,身体状况良好,提醒注意用电安全。",
    "巡查发现路边垃圾堆放,已联系保洁清理。",
    "入户宣传防范电信诈骗,发放宣传单。",
    "调解邻里噪音纠纷,双方达成谅解。",
    "检查沿街商铺消防器材,一处灭火器过期已提醒更换。",
    "了解低保户家庭近况,反映医疗报销问题。",
)


@dataclass
class DemoFieldwork:
    patrols: int
    fixes: int
    diaries: int
    check_ins: int


def _walk(polygon: Any, start: float, minutes: int, rng: random.Random) -> np.ndarray:
    """A walk inside the polygon: one fix every FIX_EVERY_S at about 1.3 m/s, turning gently,
    turning back at the boundary, with a few minutes' stop now and then (a visit: a stay)."""
    shapely.prepare(polygon)
    minx, miny, maxx, maxy = polygon.bounds
    for _try in range(200):
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if polygon.contains(Point(lon, lat)):
            break
    heading = rng.uniform(0, 2 * math.pi)
    cos_lat = math.cos(math.radians(lat))
    rows = []
    t = start
    stop_left = 0
    for _i in range(minutes * 60 // FIX_EVERY_S):
        jitter = rng.gauss(0, 3) / M_PER_DEG
        rows.append((t, lon + jitter / cos_lat, lat + jitter, rng.uniform(4, 25)))
        t += FIX_EVERY_S
        if stop_left > 0:
            stop_left -= 1
            continue
        if rng.random() < 0.01:
            stop_left = rng.randint(16, 30)  # 5-10 minutes at a household
            continue
        heading += rng.gauss(0, 0.35)
        step = STEP_M / M_PER_DEG
        nlon, nlat = lon + step * math.sin(heading) / cos_lat, lat + step * math.cos(heading)
        if polygon.contains(Point(nlon, nlat)):
            lon, lat = nlon, nlat
        else:
            heading += math.pi + rng.gauss(0, 0.5)
    return np.array(rows, dtype=np.float64)


def _at(day: date, hour: float) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ) + timedelta(hours=hour)


@transaction.atomic
def seed_demo_fieldwork(
    *, summary: Any, by: Any, today: date | None = None
) -> DemoFieldwork | None:
    """A month of field work for the demo town's grid workers (once; a second call does
    nothing)."""
    root = Grid.objects.get(code=summary.root_code)
    posts = list(
        Post.objects.current()
        .filter(
            grid__path__startswith=root.path,
            grid__children__isnull=True,
            grid__boundary__isnull=False,
            staff__user__isnull=False,
            kind__in=[PostKind.WORKER_FULL, PostKind.WORKER_PART],
        )
        .select_related("staff__user", "grid")
        .order_by("grid__code", "pk")[:MAX_WORKERS]
    )
    if not posts or Patrol.objects.filter(user=posts[0].staff.user).exists():
        return None
    today = today or timezone.localdate()
    rng = random.Random(f"gridgov-demo-fieldwork:{root.code}")  # noqa: S311 - demo data
    first_day = today - timedelta(days=DAYS)
    patrols = fixes = diaries = check_ins = 0
    for post in posts:
        user, grid = post.staff.user, post.grid
        if user is None or grid is None:
            continue
        polygon = shape(grid.boundary)
        # Key points the office marked in about a third of the grids.
        if rng.random() < 0.35:
            centre = polygon.representative_point()
            KeyPoint.objects.create(
                name=f"{grid.name}垃圾收集点",
                kind=KeyPointKind.LIVING_ENVIRONMENT,
                grid=grid,
                lon=centre.x,
                lat=centre.y,
            )
        diligence = rng.uniform(0.55, 0.98)  # some workers patrol less than the standard asks
        for offset in range(DAYS):
            day = first_day + timedelta(days=offset)
            weekend = day.weekday() >= 5
            if weekend and rng.random() < 0.7:
                continue
            if not weekend:
                for kind, hour in ((CheckKind.IN, 8.2), (CheckKind.OUT, 17.6)):
                    CheckIn.objects.create(
                        user=user,
                        kind=kind,
                        at=_at(day, hour + rng.uniform(-0.3, 0.4)),
                        lon=polygon.representative_point().x,
                        lat=polygon.representative_point().y,
                        accuracy=15,
                        grid=grid,
                    )
                    check_ins += 1
            if rng.random() > diligence:
                continue
            start = _at(day, rng.choice((8.7, 9.0, 9.5, 14.5, 15.0))).timestamp()
            walk = _walk(polygon, start, rng.randint(45, 120), rng)
            patrol = Patrol.objects.create(
                user=user,
                grid=grid,
                source=PatrolSource.PHONE,
                started_at=datetime.fromtimestamp(walk[0, 0], tz=UTC),
                ended_at=datetime.fromtimestamp(walk[-1, 0], tz=UTC),
            )
            TrackChunk.objects.bulk_create(
                [
                    _chunk_for(patrol, f"demo:{patrol.uid}:{i}", FixBatch(*walk[i : i + 90].T))
                    for i in range(0, len(walk), 90)
                ]
            )
            summary = tracks.summarise(Track.of(*walk.T))
            Patrol.objects.filter(pk=patrol.pk).update(
                fix_count=summary.fixes,
                kept_count=summary.kept,
                mileage_m=summary.mileage_m,
                duration_s=summary.duration_s,
                summary_at=timezone.now(),
            )
            refresh_patrol_day(user, day)
            patrols += 1
            fixes += len(walk)
            if rng.random() < 0.7:
                Diary.objects.create(
                    user=user,
                    kind=DiaryKind.PEOPLE,
                    day=day,
                    grid=grid,
                    text=rng.choice(DIARY_TEXTS),
                    tags="走访" if rng.random() < 0.5 else "巡查",
                )
                diaries += 1
    # One worker is on sick leave for two days last week; today's duty officer is the office.
    Leave.objects.create(
        user=posts[-1].staff.user or by,
        kind=LeaveKind.SICK,
        starts_on=today - timedelta(days=6),
        ends_on=today - timedelta(days=5),
        reason="感冒发烧",
        recorded_by=by,
    )
    DutyShift.objects.create(
        user=by, grid=root, starts_at=_at(today, 8), ends_at=_at(today, 20), note="白班"
    )
    return DemoFieldwork(patrols=patrols, fixes=fixes, diaries=diaries, check_ins=check_ins)
