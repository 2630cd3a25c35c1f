"""Fieldwork API (/api/v1/fieldwork): patrols, their fixes in batches, and their tracks.

Lookups go through `Patrol.objects.visible_to`, so a patrol outside the caller's scope is a 404
like a missing one; recording to or ending a visible patrol of someone else is a 403."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import numpy as np
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Schema, Status, UploadedFile

from gridgov.core.coords import to_wgs84_array
from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import Role, get_scoped_or_404, scope_of
from gridgov.core.openapi import documented_body
from gridgov.fieldwork import daily, fixbody, records, services, tracks, visit_api
from gridgov.fieldwork.models import Patrol
from gridgov.fieldwork.safety import api as safety_api
from gridgov.fieldwork.schemas import (
    CheckInIn,
    CheckInOut,
    ComplianceOut,
    DiaryCountOut,
    DiaryIn,
    DiaryOut,
    DutyIn,
    DutyOut,
    FixBatchIn,
    FixBatchOut,
    LeaveIn,
    LeaveOut,
    LedgerOut,
    MonitoringOut,
    PatrolDetailOut,
    PatrolEndIn,
    PatrolOut,
    PatrolStartIn,
)
from gridgov.fieldwork.services import local_aware

router = Router(tags=["fieldwork"])

LIST_LIMIT = 200


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
        started_at=local_aware(payload.started_at),
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
        "visits": list(patrol.visits.values_list("pk", flat=True)),
        "hazards": list(patrol.hazards.values_list("pk", flat=True)),  # type: ignore[attr-defined]
        "stay_points": services.stay_points_json(tracks.stay_points(kept)),
        "track": services.track_geojson(kept),
    }


@router.post(
    "/patrols/{uid}/fixes",
    response={200: FixBatchOut, 201: FixBatchOut},
    openapi_extra=documented_body(FixBatchIn),
)
def upload_fixes(request: HttpRequest, uid: str) -> Status:
    # The body is FixBatchIn, read column by column (fixbody): pydantic objects for 5,000 fixes
    # were most of the request's time. Read first, so a bad body is a 422 as before.
    upload = fixbody.read_fix_upload(request)
    patrol = _patrol(request, uid)
    batch = upload.batch
    if upload.crs != "wgs84":
        lon, lat = to_wgs84_array(batch.lon, batch.lat, upload.crs)
        batch = services.FixBatch(
            t=batch.t, lon=np.asarray(lon), lat=np.asarray(lat), accuracy=batch.accuracy
        )
    chunk, created = services.upload_fixes(
        patrol=patrol, by=request.user, batch_id=upload.batch_id, batch=batch
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
        patrol=_patrol(request, uid), by=request.user, ended_at=local_aware(payload.ended_at)
    )
    return _out(patrol)


# --- days, compliance, monitoring ---------------------------------------------------------------


def _office(request: HttpRequest) -> None:
    if not scope_of(request.user).has_role(Role.ADMIN, Role.OFFICE, Role.LEADER):
        raise PermissionDenied


@router.get("/days/{username}/{day}", response=dict[str, Any])
def day_detail(request: HttpRequest, username: str, day: str) -> dict[str, Any]:
    """One person's day for the replay map: the kept fixes, the walked pieces, the summary."""
    user = daily.visible_worker(request.user, username)
    if user is None:
        raise Http404
    return daily.replay_json(user, services.parse_day(day, field="day"))


class PeriodQuery(Schema):
    start: date
    end: date


@router.get("/compliance", response=list[ComplianceOut])
def compliance(request: HttpRequest, period: Query[PeriodQuery]) -> list[dict[str, Any]]:
    _office(request)
    rows = daily.compliance(request.user, period.start, period.end)
    return [{**vars(r), "rate": r.rate} for r in rows]


class DayQuery(Schema):
    date: date


@router.get("/monitoring", response=list[MonitoringOut])
def monitoring(request: HttpRequest, query: Query[DayQuery]) -> list[dict[str, Any]]:
    _office(request)
    return [{**vars(r), "flags": r.flags} for r in daily.monitoring(request.user, query.date)]


# --- diaries, attendance, leave, duty -----------------------------------------------------------


def _diary_out(diary: Any) -> dict[str, Any]:
    return {
        "id": diary.pk,
        "kind": diary.kind,
        "day": diary.day,
        "text": diary.text,
        "tags": diary.tags,
        "grid": diary.grid.code if diary.grid else None,
        "cases": [c.pk for c in diary.cases.all()],
        "households": [h.number for h in diary.households.all()],
        "photos": [
            reverse("api:diary_photo", kwargs={"diary_id": diary.pk, "photo_id": p.pk})
            for p in diary.photos.all()
        ],
    }


@router.post("/diaries", response={201: DiaryOut})
def write_diary(request: HttpRequest, payload: DiaryIn) -> Status:
    diary = records.write_diary(
        by=request.user,
        kind=payload.kind,
        day=payload.day,
        text=payload.text,
        tags=payload.tags,
        grid_code=payload.grid,
        case_ids=payload.cases,
        household_numbers=payload.households,
    )
    return Status(201, _diary_out(diary))


@router.get("/diaries/{int:diary_id}", response=DiaryOut)
def diary_detail(request: HttpRequest, diary_id: int) -> dict[str, Any]:
    from gridgov.fieldwork.models import Diary

    diary = get_scoped_or_404(Diary.objects.visible_to(request.user), pk=diary_id)
    return _diary_out(diary)


@router.post("/diaries/{int:diary_id}/photos", response={201: DiaryOut})
def diary_photos(
    request: HttpRequest,
    diary_id: int,
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Status:
    """Photos for one's own diary entry (checked like a case report's, metadata stripped)."""
    from gridgov.fieldwork.models import Diary

    diary = get_scoped_or_404(Diary.objects.visible_to(request.user), pk=diary_id)
    records.add_diary_photos(diary=diary, by=request.user, uploads=photos or [])
    return Status(201, _diary_out(diary))


@router.get("/diaries/{int:diary_id}/photos/{int:photo_id}", url_name="diary_photo")
def diary_photo(request: HttpRequest, diary_id: int, photo_id: int) -> Any:
    """A diary photo, behind the entry's visibility (never under /media/)."""
    from gridgov.fieldwork.models import Diary, DiaryPhoto

    diary = get_scoped_or_404(Diary.objects.visible_to(request.user), pk=diary_id)
    photo = get_scoped_or_404(DiaryPhoto.objects.filter(diary=diary), pk=photo_id)
    return records.diary_photo_response(photo)


@router.get("/diaries/counts", response=list[DiaryCountOut])
def diary_counts(request: HttpRequest, period: Query[PeriodQuery]) -> list[dict[str, Any]]:
    rows = records.diary_counts(request.user, period.start, period.end)
    return [{**vars(r), "total": r.total} for r in rows]


@router.post("/check-ins", response={201: CheckInOut})
def check_in(request: HttpRequest, payload: CheckInIn) -> Status:
    record = records.check_in(by=request.user, **payload.dict())
    grid = record.grid.code if record.grid else None
    body = {
        "id": record.pk,
        "kind": record.kind,
        "at": record.at,
        "lon": record.lon,
        "lat": record.lat,
        "grid": grid,
    }
    return Status(201, body)


@router.get("/attendance/{username}/{month}", response=LedgerOut)
def attendance(request: HttpRequest, username: str, month: str) -> dict[str, Any]:
    """A person's attendance ledger for a month (YYYY-MM)."""
    user = daily.visible_worker(request.user, username)
    if user is None:
        raise Http404
    try:
        year, number = (int(part) for part in month.split("-"))
    except ValueError:
        raise DomainError(_("月份格式应为 YYYY-MM"), field="month") from None
    ledger = records.attendance_ledger(user, year, number)
    return {
        "username": ledger.username,
        "year": ledger.year,
        "month": ledger.month,
        "present_days": ledger.present_days,
        "complete_days": ledger.complete_days,
        "leave_days": ledger.leave_days,
        "days": [{**vars(d), "present": d.present} for d in ledger.days],
    }


@router.post("/leaves", response={201: LeaveOut})
def record_leave(request: HttpRequest, payload: LeaveIn) -> Status:
    leave = records.record_leave(
        by=request.user,
        username=payload.user,
        kind=payload.kind,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        reason=payload.reason,
    )
    body = {
        "id": leave.pk,
        "user": payload.user,
        "kind": leave.kind,
        "starts_on": leave.starts_on,
        "ends_on": leave.ends_on,
    }
    return Status(201, body)


def _duty_out(shift: Any) -> dict[str, Any]:
    return {
        "id": shift.pk,
        "user": shift.user.get_username(),
        "grid": shift.grid.code,
        "starts_at": shift.starts_at,
        "ends_at": shift.ends_at,
        "note": shift.note,
    }


@router.post("/duty", response={201: DutyOut})
def add_duty_shift(request: HttpRequest, payload: DutyIn) -> Status:
    shift = records.add_duty_shift(
        by=request.user,
        username=payload.user,
        grid_code=payload.grid,
        starts_at=local_aware(payload.starts_at),  # type: ignore[arg-type]
        ends_at=local_aware(payload.ends_at),  # type: ignore[arg-type]
        note=payload.note,
    )
    return Status(201, _duty_out(shift))


@router.get("/duty/now", response=list[DutyOut])
def on_duty(request: HttpRequest) -> list[dict[str, Any]]:
    return [_duty_out(s) for s in records.on_duty(request.user)]


# --- visits and surveys (fieldwork/visit_api.py) ------------------------------------------------

router.add_router("", visit_api.router)
# Business safety (issue 11): the inspection plan, inspections, hazards and their verbs.
router.add_router("", safety_api.router)
