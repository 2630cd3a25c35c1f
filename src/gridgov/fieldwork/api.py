"""Fieldwork API (/api/v1/fieldwork): patrols, their fixes in batches, and their tracks.

Lookups go through `Patrol.objects.visible_to`, so a patrol outside the caller's scope is a 404
like a missing one; recording to or ending a visible patrol of someone else is a 403."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import numpy as np
from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema, Status

from gridgov.core.coords import to_wgs84_array
from gridgov.core.jurisdiction import get_scoped_or_404
from gridgov.fieldwork import services, tracks
from gridgov.fieldwork.models import Patrol
from gridgov.fieldwork.schemas import (
    FixBatchIn,
    FixBatchOut,
    PatrolDetailOut,
    PatrolEndIn,
    PatrolOut,
    PatrolStartIn,
)
from gridgov.fieldwork.services import LOCAL_TZ

router = Router(tags=["fieldwork"])

LIST_LIMIT = 200


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=LOCAL_TZ)
    return value


def _patrol(request: HttpRequest, uid: str) -> Patrol:
    try:
        uid_value = uuid.UUID(uid)
    except ValueError:
        raise Http404 from None
    return get_scoped_or_404(
        Patrol.objects.visible_to(request.user).select_related("user", "grid"), uid=uid_value
    )


def _out(patrol: Patrol) -> dict[str, Any]:
    return {
        "id": patrol.pk,
        "uid": patrol.uid,
        "user": patrol.user.get_username(),
        "grid": patrol.grid.code if patrol.grid else None,
        "source": patrol.source,
        "started_at": patrol.started_at,
        "ended_at": patrol.ended_at,
        "fix_count": patrol.fix_count,
        "kept_count": patrol.kept_count,
        "mileage_m": patrol.mileage_m,
        "duration_s": patrol.duration_s,
        "summary_at": patrol.summary_at,
    }


@router.post("/patrols", response={200: PatrolOut, 201: PatrolOut})
def start_patrol(request: HttpRequest, payload: PatrolStartIn) -> Status:
    patrol, created = services.start_patrol(
        by=request.user,
        uid=payload.uid,
        grid_code=payload.grid,
        started_at=_aware(payload.started_at),
    )
    return Status(201 if created else 200, _out(patrol))


class PatrolFilter(Schema):
    date: str | None = None
    user: str | None = None


@router.get("/patrols", response=list[PatrolOut])
def list_patrols(request: HttpRequest, filters: Query[PatrolFilter]) -> list[dict[str, Any]]:
    patrols = Patrol.objects.visible_to(request.user).select_related("user", "grid")
    if filters.user:
        patrols = patrols.filter(user__username=filters.user)
    if filters.date:
        start, end = services.day_bounds(services.parse_day(filters.date, field="date"))
        patrols = patrols.filter(started_at__lt=end, started_at__gte=start)
    return [_out(p) for p in patrols[:LIST_LIMIT]]


@router.get("/patrols/{uid}", response=PatrolDetailOut)
def patrol_detail(request: HttpRequest, uid: str) -> dict[str, Any]:
    patrol = _patrol(request, uid)
    kept = tracks.filter_track(services.patrol_track(patrol))
    return {
        **_out(patrol),
        "reports": list(patrol.report_links.values_list("case_id", flat=True)),
        "stay_points": services.stay_points_json(tracks.stay_points(kept)),
        "track": services.track_geojson(kept),
    }


@router.post("/patrols/{uid}/fixes", response={200: FixBatchOut, 201: FixBatchOut})
def upload_fixes(request: HttpRequest, uid: str, payload: FixBatchIn) -> Status:
    patrol = _patrol(request, uid)
    batch = services.FixBatch.from_rows([(f.t, f.lon, f.lat, f.accuracy) for f in payload.fixes])
    if payload.crs != "wgs84":
        lon, lat = to_wgs84_array(batch.lon, batch.lat, payload.crs)
        batch = services.FixBatch(
            t=batch.t, lon=np.asarray(lon), lat=np.asarray(lat), accuracy=batch.accuracy
        )
    chunk, created = services.upload_fixes(
        patrol=patrol, by=request.user, batch_id=payload.batch_id, batch=batch
    )
    patrol.refresh_from_db(fields=["fix_count"])
    body = {
        "batch_id": chunk.batch_id,
        "stored": chunk.count,
        "created": created,
        "patrol_fix_count": patrol.fix_count,
    }
    return Status(201 if created else 200, body)


@router.post("/patrols/{uid}/end", response=PatrolOut)
def end_patrol(request: HttpRequest, uid: str, payload: PatrolEndIn) -> dict[str, Any]:
    patrol = services.end_patrol(
        patrol=_patrol(request, uid), by=request.user, ended_at=_aware(payload.ended_at)
    )
    return _out(patrol)
