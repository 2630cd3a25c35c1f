"""Patrols: start, record fixes in batches, end, summarise; day summaries; track import.

Every figure comes from `fieldwork.tracks` (the rules of STANDARDS.md), so the API, the CLI,
the pages and the bench agree.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError, ImportRejectedError, ImportRowError
from gridgov.core.jurisdiction import get_referenced, scope_of
from gridgov.fieldwork import dayfigures, packing, tracks
from gridgov.fieldwork.models import KeyPoint, Patrol, PatrolReport, PatrolSource, TrackChunk
from gridgov.fieldwork.trackfiles import read_track_file
from gridgov.fieldwork.tracks import DEFAULT_RULES, StayPoint, Track, TrackRules
from gridgov.grids.models import Grid

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    User = AbstractBaseUser

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def local_aware(value: datetime | None) -> datetime | None:
    """A time given without an offset is Asia/Shanghai time (issue 11's rule for the API)."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=LOCAL_TZ)
    return value


SHANGHAI_OFFSET_S = 8 * 3600
# Issue 11: up to 5,000 fixes per request.
MAX_BATCH = 5000
# A batch may not reach further back than this before the patrol started (a phone's clock is
# not exact), nor into the future beyond the skew.
CLOCK_SKEW = timedelta(minutes=10)


# --- patrols ------------------------------------------------------------------------------------


def unit_grids_of(user: Any) -> list[Grid]:
    """The unit grids (leaves) where the user holds a current post."""
    return list(
        Grid.objects.filter(
            posts__staff__user=user,
            posts__ended_on__isnull=True,
            children__isnull=True,
        )
        .distinct()
        .order_by("code")
    )


def _require_owner(patrol: Patrol, by: Any) -> None:
    if patrol.user_id != by.pk and not scope_of(by).is_admin:
        raise PermissionDenied(_("只有巡查人本人可以记录或结束这次巡查"))


@transaction.atomic
def start_patrol(
    *,
    by: Any,
    uid: uuid.UUID | None = None,
    grid_code: str | None = None,
    started_at: datetime | None = None,
) -> tuple[Patrol, bool]:
    """Start a patrol for `by`; repeating the same `uid` returns the same patrol (a phone that
    re-sends its start after losing the answer). Returns (patrol, created)."""
    if uid is not None:
        existing = Patrol.objects.filter(uid=uid).first()
        if existing is not None:
            if existing.user_id != by.pk:
                raise DomainError(_("巡查编号已被使用"), field="uid")
            return existing, False
    now = timezone.now()
    started_at = started_at or now
    if started_at > now + CLOCK_SKEW:
        raise DomainError(_("开始时间不能晚于现在"), field="started_at")
    if grid_code:
        grid: Grid | None = get_referenced(
            Grid.objects.visible_to(by), field="grid", code=grid_code
        )
    else:
        own = unit_grids_of(by)
        grid = own[0] if len(own) == 1 else None
    patrol = Patrol.objects.create(
        uid=uid or uuid.uuid4(), user=by, grid=grid, started_at=started_at
    )
    return patrol, True


@dataclass(frozen=True)
class FixBatch:
    """Parallel arrays of one upload (t in epoch seconds), already parsed."""

    t: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    accuracy: np.ndarray

    @classmethod
    def from_rows(cls, rows: Sequence[tuple[datetime, float, float, float | None]]) -> FixBatch:
        t = np.fromiter(
            (
                (when if when.tzinfo else when.replace(tzinfo=LOCAL_TZ)).timestamp()
                for when, _lon, _lat, _acc in rows
            ),
            dtype=np.float64,
            count=len(rows),
        )
        lon = np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))
        lat = np.fromiter((r[2] for r in rows), dtype=np.float64, count=len(rows))
        acc = np.fromiter(
            (np.nan if r[3] is None else r[3] for r in rows), dtype=np.float64, count=len(rows)
        )
        return cls(t=t, lon=lon, lat=lat, accuracy=acc)

    def __len__(self) -> int:
        return int(self.t.shape[0])


def _validate_batch(batch: FixBatch) -> None:
    n = len(batch)
    if n == 0:
        raise DomainError(_("没有定位点"), field="fixes")
    if n > MAX_BATCH:
        raise DomainError(
            _("一次最多上传 %(max)s 个定位点(本次 %(n)s 个)") % {"max": MAX_BATCH, "n": n},
            field="fixes",
        )
    for name, values, low, high in (
        ("lon", batch.lon, -180.0, 180.0),
        ("lat", batch.lat, -90.0, 90.0),
    ):
        bad = np.flatnonzero(~((values >= low) & (values <= high)))
        if bad.size:
            i = int(bad[0])
            raise DomainError(
                _("第 %(i)s 个定位点的 %(name)s 超出范围") % {"i": i, "name": name},
                field=f"fixes[{i}].{name}",
            )
    bad = np.flatnonzero(batch.accuracy < 0)
    if bad.size:
        i = int(bad[0])
        raise DomainError(
            _("第 %(i)s 个定位点的精度不能为负") % {"i": i}, field=f"fixes[{i}].accuracy"
        )


def upload_fixes(
    *, patrol: Patrol, by: Any, batch_id: str, batch: FixBatch
) -> tuple[TrackChunk, bool]:
    """Store one batch of fixes as one TrackChunk; the same `batch_id` again (a retry) stores
    nothing and returns the chunk stored the first time. Returns (chunk, created)."""
    _require_owner(patrol, by)
    batch_id = batch_id.strip()
    if not batch_id or len(batch_id) > 64:
        raise DomainError(_("批次编号必须是 1-64 个字符"), field="batch_id")
    existing = TrackChunk.objects.filter(user_id=patrol.user_id, batch_id=batch_id).first()
    if existing is not None:
        if existing.patrol_id != patrol.pk:
            raise DomainError(_("批次编号已用于另一次巡查"), field="batch_id")
        return existing, False
    _validate_batch(batch)
    earliest = patrol.started_at.timestamp() - CLOCK_SKEW.total_seconds()
    latest = timezone.now().timestamp() + CLOCK_SKEW.total_seconds()
    bad = np.flatnonzero((batch.t < earliest) | (batch.t > latest))
    if bad.size:
        i = int(bad[0])
        raise DomainError(
            _("第 %(i)s 个定位点的时间不在巡查期间") % {"i": i}, field=f"fixes[{i}].t"
        )
    chunk = _chunk_for(patrol, batch_id, batch)
    try:
        with transaction.atomic():
            chunk.save(force_insert=True)
            Patrol.objects.filter(pk=patrol.pk).update(fix_count=F("fix_count") + len(batch))
            if patrol.ended_at is not None:
                # A phone that was offline sends its last batches after the end.
                transaction.on_commit(lambda: summarise_patrol(patrol=patrol))
    except IntegrityError:
        # Two copies of the same batch raced; the other one won.
        return TrackChunk.objects.get(user_id=patrol.user_id, batch_id=batch_id), False
    return chunk, True


def _chunk_for(patrol: Patrol, batch_id: str, batch: FixBatch) -> TrackChunk:
    order = np.argsort(batch.t, kind="stable")
    t, lon, lat, acc = batch.t[order], batch.lon[order], batch.lat[order], batch.accuracy[order]
    return TrackChunk(
        patrol=patrol,
        user_id=patrol.user_id,
        batch_id=batch_id,
        starts_at=datetime.fromtimestamp(float(t[0]), tz=UTC),
        ends_at=datetime.fromtimestamp(float(t[-1]), tz=UTC),
        count=int(t.shape[0]),
        min_lon=float(lon.min()),
        min_lat=float(lat.min()),
        max_lon=float(lon.max()),
        max_lat=float(lat.max()),
        data=packing.pack(t, lon, lat, acc),
    )


def _decode(chunks: Iterable[bytes | memoryview]) -> Track:
    return dayfigures.decode(chunks)


def patrol_track(patrol: Patrol) -> Track:
    """All fixes of a patrol in time order (unfiltered)."""
    return _decode(patrol.chunks.values_list("data", flat=True))


def link_reports(patrol: Patrol) -> int:
    """Link the cases the worker reported while the patrol ran (by time window) to it."""
    from gridgov.cases.models import Case

    end = patrol.ended_at or timezone.now()
    cases = Case.objects.filter(
        reporter_id=patrol.user_id,
        created_at__gte=patrol.started_at,
        created_at__lte=end,
        patrol_link__isnull=True,
    ).values_list("pk", flat=True)
    links = [PatrolReport(patrol=patrol, case_id=pk) for pk in cases]
    PatrolReport.objects.bulk_create(links, ignore_conflicts=True)
    return len(links)


@transaction.atomic
def summarise_patrol(*, patrol: Patrol, rules: TrackRules = DEFAULT_RULES) -> Patrol:
    """Recompute a patrol's summary columns from its track."""
    track = patrol_track(patrol)
    summary = tracks.summarise(track, rules)
    patrol.fix_count = summary.fixes
    patrol.kept_count = summary.kept
    patrol.mileage_m = summary.mileage_m
    patrol.duration_s = summary.duration_s
    patrol.summary_at = timezone.now()
    patrol.save(update_fields=["fix_count", "kept_count", "mileage_m", "duration_s", "summary_at"])
    link_reports(patrol)
    from gridgov.fieldwork.daily import refresh_days_of_patrol

    refresh_days_of_patrol(patrol)
    return patrol


@transaction.atomic
def end_patrol(*, patrol: Patrol, by: Any, ended_at: datetime | None = None) -> Patrol:
    """End a patrol and compute its summary; ending it again keeps the first end time."""
    _require_owner(patrol, by)
    if patrol.ended_at is None:
        ended_at = ended_at or timezone.now()
        if ended_at < patrol.started_at:
            raise DomainError(_("结束时间不能早于开始时间"), field="ended_at")
        patrol.ended_at = ended_at
        patrol.save(update_fields=["ended_at"])
    return summarise_patrol(patrol=patrol)


# --- days ---------------------------------------------------------------------------------------


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """An Asia/Shanghai day as an aware [start, end) in UTC."""
    start = datetime.combine(day, time.min, tzinfo=LOCAL_TZ)
    return start, start + timedelta(days=1)


def day_track(user: Any, day: date) -> Track:
    """The user's fixes within the Asia/Shanghai day, from every patrol, in time order."""
    start, end = day_bounds(day)
    data = TrackChunk.objects.filter(
        user_id=user.pk, starts_at__lt=end, ends_at__gte=start
    ).values_list("data", flat=True)
    track = _decode(data)
    inside = (track.t >= start.timestamp()) & (track.t < end.timestamp())
    return track.take(inside)


@dataclass
class DaySummary:
    day: date
    fixes: int
    kept: int
    mileage_m: float
    duration_s: float
    stay_points: list[StayPoint]
    coverage: dict[str, float]
    key_points_visited: list[KeyPoint] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "fixes": self.fixes,
            "kept": self.kept,
            "mileage_m": round(self.mileage_m, 1),
            "duration_s": round(self.duration_s, 1),
            "stay_points": stay_points_json(self.stay_points),
            "coverage": {code: round(share, 4) for code, share in self.coverage.items()},
            "key_points_visited": [
                {"id": k.pk, "name": k.name, "grid": k.grid.code, "lon": k.lon, "lat": k.lat}
                for k in self.key_points_visited
            ],
        }


def summarise_track_for_grids(
    track: Track,
    *,
    day: date,
    grids: Sequence[Grid],
    key_points: Sequence[KeyPoint] = (),
    rules: TrackRules = DEFAULT_RULES,
) -> DaySummary:
    kept = tracks.filter_track(track, rules)
    runs = tracks.kept_segment_runs(kept, rules)
    coverage = {
        grid.code: (
            tracks.coverage_share(kept, grid.boundary, rules, runs) if grid.boundary else 0.0
        )
        for grid in grids
    }
    visited = tracks.key_points_visited(kept, [(k.lon, k.lat) for k in key_points], rules, runs)
    return DaySummary(
        day=day,
        fixes=len(track),
        kept=len(kept),
        mileage_m=tracks.mileage_m(kept, rules),
        duration_s=tracks.duration_s(kept, rules),
        stay_points=tracks.stay_points(kept, rules),
        coverage=coverage,
        key_points_visited=[key_points[i] for i in visited],
    )


def day_summary(user: Any, day: date, rules: TrackRules = DEFAULT_RULES) -> DaySummary:
    """Issue 11's patrol summary of one person's day: mileage, duration, stay points, coverage
    of each of their unit grids, and the active key points of those grids they passed."""
    grids = unit_grids_of(user)
    key_points = list(
        KeyPoint.objects.active().filter(grid__in=grids).select_related("grid").order_by("pk")
    )
    return summarise_track_for_grids(
        day_track(user, day), day=day, grids=grids, key_points=key_points, rules=rules
    )


# --- import -------------------------------------------------------------------------------------


def cut_patrols(track: Track, rules: TrackRules = DEFAULT_RULES) -> list[slice]:
    """Pieces of a time-ordered track: a new piece at each Asia/Shanghai day and at each gap
    (more than 300 s and more than 300 m between consecutive fixes)."""
    n = len(track)
    if n == 0:
        return []
    # Asia/Shanghai has kept UTC+8 without daylight saving since 1991.
    local_days = (track.t + SHANGHAI_OFFSET_S) // 86400
    if n > 1:
        d = tracks.haversine_m(track.lon[:-1], track.lat[:-1], track.lon[1:], track.lat[1:])
        dt = np.diff(track.t)
        gap = (dt > rules.gap_seconds) & (d > rules.gap_metres)
        cut = gap | (np.diff(local_days) != 0)
        starts = [0, *(np.flatnonzero(cut) + 1).tolist()]
    else:
        starts = [0]
    ends = [*starts[1:], n]
    return [slice(a, b) for a, b in zip(starts, ends, strict=True)]


@dataclass
class ImportResult:
    patrols: list[Patrol]
    fixes: int
    already: int  # pieces that an earlier import of the same file stored


@transaction.atomic
def import_track(*, by: Any, user: Any, name: str, data: bytes, crs: str = "wgs84") -> ImportResult:
    """Import a track file for `user` as patrols, one per day and gap. Any bad row rejects the
    whole file with a row-numbered report (nothing is written). Importing the same file again
    stores nothing new: each piece's patrol id and batch ids derive from the file's digest."""
    if crs not in ("wgs84", "gcj02", "bd09"):
        raise DomainError(_("坐标系必须是 wgs84、gcj02 或 bd09"), field="crs")
    track, problems = read_track_file(name, data, crs=crs)
    if problems:
        raise ImportRejectedError(problems)
    if len(track) == 0:
        raise ImportRejectedError([ImportRowError(_("文件中没有定位点"), source=name)])
    digest = hashlib.sha256(data + crs.encode()).hexdigest()
    grids = unit_grids_of(user)
    grid = grids[0] if len(grids) == 1 else None
    patrols = []
    already = 0
    for number, piece in enumerate(cut_patrols(track)):
        part = track.take(np.arange(piece.start, piece.stop))
        uid = uuid.uuid5(uuid.NAMESPACE_URL, f"gridgov:import:{user.pk}:{digest}:{number}")
        patrol, created = Patrol.objects.get_or_create(
            uid=uid,
            defaults={
                "user": user,
                "grid": grid,
                "source": PatrolSource.IMPORT,
                "started_at": datetime.fromtimestamp(float(part.t[0]), tz=UTC),
                "ended_at": datetime.fromtimestamp(float(part.t[-1]), tz=UTC),
            },
        )
        if not created:
            already += 1
            patrols.append(patrol)
            continue
        chunks = [
            _chunk_for(
                patrol,
                f"import:{digest[:40]}:{number}:{offset}",
                FixBatch(
                    t=part.t[offset : offset + MAX_BATCH],
                    lon=part.lon[offset : offset + MAX_BATCH],
                    lat=part.lat[offset : offset + MAX_BATCH],
                    accuracy=part.accuracy[offset : offset + MAX_BATCH],
                ),
            )
            for offset in range(0, len(part), MAX_BATCH)
        ]
        TrackChunk.objects.bulk_create(chunks)
        patrols.append(summarise_patrol(patrol=patrol))
    return ImportResult(patrols=patrols, fixes=len(track), already=already)


# --- presentation helpers shared by the API, the CLI and the pages --------------------------------


def parse_day(text: str, *, field: str = "date") -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DomainError(
            _("日期格式应为 YYYY-MM-DD: %(value)s") % {"value": text}, field=field
        ) from None


def stay_points_json(stays: Sequence[StayPoint]) -> list[dict[str, Any]]:
    def when(epoch: float) -> str:
        return datetime.fromtimestamp(epoch, tz=LOCAL_TZ).isoformat()

    return [
        {
            "lon": round(s.lon, 7),
            "lat": round(s.lat, 7),
            "arrived": when(s.arrived),
            "left": when(s.left),
        }
        for s in stays
    ]


def track_geojson(kept: Track, rules: TrackRules = DEFAULT_RULES) -> dict[str, Any]:
    """The kept track as a GeoJSON Feature: a MultiLineString of the walked pieces (gaps are not
    drawn as walked), with the first and last fix times."""
    runs = tracks.kept_segment_runs(kept, rules)
    lines = [
        [
            [round(float(x), 7), round(float(y), 7)]
            for x, y in zip(kept.lon[a : b + 1], kept.lat[a : b + 1], strict=True)
        ]
        for a, b in runs
    ]
    props: dict[str, Any] = {"fixes": len(kept)}
    if len(kept):
        props["first"] = datetime.fromtimestamp(float(kept.t[0]), tz=LOCAL_TZ).isoformat()
        props["last"] = datetime.fromtimestamp(float(kept.t[-1]), tz=LOCAL_TZ).isoformat()
    return {
        "type": "Feature",
        "geometry": {"type": "MultiLineString", "coordinates": lines},
        "properties": props,
    }
