"""Diaries, attendance (check-in/out and the monthly ledger), leave and the duty roster.

Writes take the actor as `by=`; everything a body names (grids, cases, people) is looked up
through the actor's scope, so what lies outside it reads as missing (404 naming the field).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError, ReferenceNotFoundError
from gridgov.core.jurisdiction import Role, get_referenced, scope_of
from gridgov.fieldwork.daily import visible_worker
from gridgov.fieldwork.models import (
    CheckIn,
    CheckKind,
    Diary,
    DiaryKind,
    DiaryPhoto,
    DutyShift,
    Leave,
)
from gridgov.fieldwork.services import LOCAL_TZ, day_bounds
from gridgov.grids.models import Grid, path_with_ancestors

MAX_DIARY_CHARS = 5000
# The households one diary entry may name.
MAX_DIARY_LINKS = 50
OFFICE_ROLES = (Role.ADMIN, Role.OFFICE)


def _require_office(by: Any) -> None:
    if not scope_of(by).has_role(*OFFICE_ROLES):
        raise PermissionDenied(_("只有网格办操作员可以执行此操作"))


def _worker(by: Any, username: str, *, field_name: str = "user") -> Any:
    user = visible_worker(by, username)
    if user is None:
        raise ReferenceNotFoundError(
            _("%(field)s:%(value)s 不存在或不在您的辖区")
            % {"field": field_name, "value": username},
            field=field_name,
        )
    return user


# --- diaries ------------------------------------------------------------------------------------


@transaction.atomic
def write_diary(
    *,
    by: Any,
    kind: str,
    day: date,
    text: str,
    tags: str = "",
    grid_code: str | None = None,
    case_ids: Sequence[int] = (),
    client_key: str = "",
    household_numbers: Sequence[str] = (),
    photos: Sequence[Any] = (),
) -> Diary:
    """A diary entry by the worker themselves (民情日志 daily, 工作日志 weekly; seed 002),
    linked to households and cases the worker sees, with photos (`photos`: uploads, or photos
    already checked by cases.attachments.check_photos). The phone's `client_key` makes an
    entry re-sent from the offline queue return the first."""
    from gridgov.cases.attachments import CheckedPhoto, check_photos
    from gridgov.cases.models import Case
    from gridgov.registry.models import Household

    client_key = (client_key or "").strip()[:64]
    if client_key:
        existing = Diary.objects.filter(user_id=by.pk, client_key=client_key).first()
        if existing is not None:
            return existing
    if kind not in DiaryKind.values:
        raise DomainError(_("日志类别无效"), field="kind")
    text = text.strip()
    if not text:
        raise DomainError(_("请填写日志内容"), field="text")
    if len(text) > MAX_DIARY_CHARS:
        raise DomainError(_("日志最多 %(n)s 字") % {"n": MAX_DIARY_CHARS}, field="text")
    if day > timezone.localdate() + timedelta(days=1):
        raise DomainError(_("日志日期不能晚于今天"), field="day")
    grid = (
        get_referenced(Grid.objects.visible_to(by), field="grid", code=grid_code)
        if grid_code
        else None
    )
    cases = [
        get_referenced(Case.objects.visible_to(by), field="cases", pk=pk)
        for pk in dict.fromkeys(case_ids)
    ]
    if len(household_numbers) > MAX_DIARY_LINKS:
        raise DomainError(
            _("每条日志最多关联 %(n)s 户") % {"n": MAX_DIARY_LINKS}, field="households"
        )
    households = [
        get_referenced(Household.objects.visible_to(by), field="households", number=number)
        for number in dict.fromkeys(n.strip() for n in household_numbers if n and n.strip())
    ]
    if grid is None:
        # An entry from the phone names no grid: the first linked household's, or the
        # worker's unit grid when they have one, so the office sees and counts the entry.
        grid = households[0].grid if households else _own_unit_grid(by)
    checked = [p for p in photos if isinstance(p, CheckedPhoto)]
    checked += check_photos([p for p in photos if not isinstance(p, CheckedPhoto)])
    diary = Diary.objects.create(
        user=by,
        kind=kind,
        day=day,
        text=text,
        tags=tags.strip()[:200],
        grid=grid,
        client_key=client_key,
    )
    diary.cases.set(cases)
    diary.households.set(households)
    _store_diary_photos(diary, checked)
    return diary


def _own_unit_grid(user: Any) -> Grid | None:
    paths = list(scope_of(user).all_grid_paths(Role.WORKER))
    return Grid.objects.filter(path=paths[0]).first() if len(paths) == 1 else None


def _store_diary_photos(diary: Diary, photos: Sequence[Any]) -> list[DiaryPhoto]:
    """Write checked photos last in the service's transaction, so a refused entry wrote none."""
    stored = []
    for photo in photos:
        row = DiaryPhoto(
            diary=diary,
            original_name=photo.name,
            content_type=photo.content_type,
            size=len(photo.data),
            width=photo.width,
            height=photo.height,
        )
        row.file.save(f"photo{photo.suffix}", ContentFile(photo.data), save=False)
        row.save()
        stored.append(row)
    return stored


def diary_photo_response(photo: DiaryPhoto) -> FileResponse:
    """The stored photo as a private, cacheable response (404 if its file is gone)."""
    try:
        handle = photo.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type=photo.content_type or "application/octet-stream")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@transaction.atomic
def add_diary_photos(*, diary: Diary, by: Any, uploads: Sequence[Any]) -> list[DiaryPhoto]:
    """More photos for one's own diary entry (the API sends them after the entry)."""
    from gridgov.cases.attachments import DEFAULT_MAX_PHOTOS, check_photos

    if diary.user_id != by.pk:
        raise PermissionDenied(_("只能给自己的日志添加照片"))
    checked = check_photos(uploads)
    if not checked:
        raise DomainError(_("请选择照片"), field="photos")
    if diary.photos.count() + len(checked) > DEFAULT_MAX_PHOTOS:
        raise DomainError(
            _("每条日志最多 %(n)s 张照片") % {"n": DEFAULT_MAX_PHOTOS}, field="photos"
        )
    return _store_diary_photos(diary, checked)


@dataclass
class DiaryCount:
    username: str
    people: int = 0
    work: int = 0

    @property
    def total(self) -> int:
        return self.people + self.work


def diary_counts(viewer: Any, start: date, end: date) -> list[DiaryCount]:
    """Diary entries per person and kind in [start, end] (seed 000 counts them per year)."""
    counts: dict[str, DiaryCount] = {}
    rows = (
        Diary.objects.visible_to(viewer)
        .filter(day__gte=start, day__lte=end)
        .values_list("user__username", "kind")
        .annotate(n=Count("pk"))
        .order_by("user__username")
    )
    for username, kind, n in rows:
        entry = counts.setdefault(username, DiaryCount(username=username))
        setattr(entry, kind, n)
    return list(counts.values())


# --- attendance ---------------------------------------------------------------------------------


@transaction.atomic
def check_in(
    *,
    by: Any,
    kind: str,
    lon: float | None,
    lat: float | None,
    accuracy: float | None = None,
    crs: str = "wgs84",
    at: datetime | None = None,
    client_key: str = "",
) -> CheckIn:
    """A check-in or check-out with the position the phone gave (打卡), at `at` (the phone's
    time when it was queued offline, at most a day back) or now. The phone's `client_key`
    makes a check-in re-sent from the offline queue return the first."""
    from gridgov.core.coords import to_wgs84
    from gridgov.grids.index import locate

    client_key = (client_key or "").strip()[:64]
    if client_key:
        existing = CheckIn.objects.filter(user_id=by.pk, client_key=client_key).first()
        if existing is not None:
            return existing
    now = timezone.now()
    if at is not None and not (now - timedelta(days=1) <= at <= now + timedelta(minutes=10)):
        raise DomainError(_("打卡时间须在一天之内"), field="at")
    if kind not in CheckKind.values:
        raise DomainError(_("打卡类别无效"), field="kind")
    if (lon is None) != (lat is None):
        raise DomainError(_("经纬度须同时提供"), field="lat" if lat is None else "lon")
    grid_id = None
    if lon is not None and lat is not None:
        if not (math.isfinite(lon) and -180 <= lon <= 180):
            raise DomainError(_("经度超出范围"), field="lon")
        if not (math.isfinite(lat) and -90 <= lat <= 90):
            raise DomainError(_("纬度超出范围"), field="lat")
        lon, lat = to_wgs84(lon, lat, crs)
        found = locate(lon, lat)
        grid_id = found.grid_id if found is not None else None
    return CheckIn.objects.create(
        user=by,
        kind=kind,
        at=min(at, now) if at is not None else now,
        lon=lon,
        lat=lat,
        accuracy=accuracy,
        grid_id=grid_id,
        client_key=client_key,
    )


@dataclass
class LedgerDay:
    day: date
    first_in: datetime | None = None
    last_out: datetime | None = None
    on_leave: bool = False

    @property
    def present(self) -> bool:
        return self.first_in is not None


@dataclass
class Ledger:
    """One person's attendance for a month (出勤, seed 002's assessment sheet)."""

    username: str
    year: int
    month: int
    days: list[LedgerDay] = field(default_factory=list)

    @property
    def present_days(self) -> int:
        return sum(d.present for d in self.days)

    @property
    def leave_days(self) -> int:
        return sum(d.on_leave for d in self.days)

    @property
    def complete_days(self) -> int:
        """Days with both a check-in and a later check-out."""
        return sum(
            d.first_in is not None and d.last_out is not None and d.last_out > d.first_in
            for d in self.days
        )


def attendance_ledger(user: Any, year: int, month: int) -> Ledger:
    if not (1 <= month <= 12 and 2000 <= year <= 2200):
        raise DomainError(_("月份无效"), field="month")
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    start, _unused = day_bounds(first)
    end, _unused = day_bounds(following)
    ledger = Ledger(username=user.get_username(), year=year, month=month)
    by_day = {
        first + timedelta(days=i): LedgerDay(day=first + timedelta(days=i))
        for i in range((following - first).days)
    }
    for record in CheckIn.objects.filter(user=user, at__gte=start, at__lt=end).order_by("at"):
        entry = by_day[record.at.astimezone(LOCAL_TZ).date()]
        if record.kind == CheckKind.IN and entry.first_in is None:
            entry.first_in = record.at
        if record.kind == CheckKind.OUT:
            entry.last_out = record.at
    for leave in Leave.objects.filter(user=user, starts_on__lt=following, ends_on__gte=first):
        for day, entry in by_day.items():
            if leave.starts_on <= day <= leave.ends_on:
                entry.on_leave = True
    ledger.days = list(by_day.values())
    return ledger


# --- leave and duty -----------------------------------------------------------------------------


@transaction.atomic
def record_leave(
    *, by: Any, username: str, kind: str, starts_on: date, ends_on: date, reason: str = ""
) -> Leave:
    """The office records a leave for a worker in its scope."""
    _require_office(by)
    user = _worker(by, username)
    if ends_on < starts_on:
        raise DomainError(_("结束日期不能早于开始日期"), field="ends_on")
    if (ends_on - starts_on).days > 366:
        raise DomainError(_("请假最长一年"), field="ends_on")
    clash = (
        Leave.objects.filter(user=user, starts_on__lte=ends_on, ends_on__gte=starts_on)
        .order_by("starts_on")
        .first()
    )
    if clash is not None:
        raise DomainError(
            _("与已有请假(%(start)s 至 %(end)s)重叠")
            % {"start": clash.starts_on.isoformat(), "end": clash.ends_on.isoformat()},
            field="starts_on",
        )
    return Leave.objects.create(
        user=user,
        kind=kind,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason.strip()[:200],
        recorded_by=by,
    )


@transaction.atomic
def add_duty_shift(
    *,
    by: Any,
    username: str,
    grid_code: str,
    starts_at: datetime,
    ends_at: datetime,
    note: str = "",
) -> DutyShift:
    """Put someone on the duty roster (值班, seed 000) of a grid in the office's scope."""
    from django.contrib.auth import get_user_model

    from gridgov.fieldwork.attendance import duty_candidates

    _require_office(by)
    grid = get_referenced(Grid.objects.visible_to(by), field="grid", code=grid_code)
    user = get_user_model().objects.filter(username=username).first()
    # The office rosters its own people: staff posted in its grids or colleagues whose
    # jurisdiction lies in them; anyone else reads as missing.
    if user is None or username not in dict(duty_candidates(by)):
        raise ReferenceNotFoundError(
            _("%(field)s:%(value)s 不存在或不在您的辖区") % {"field": "user", "value": username},
            field="user",
        )
    if ends_at <= starts_at:
        raise DomainError(_("结束时间须晚于开始时间"), field="ends_at")
    if ends_at - starts_at > timedelta(days=7):
        raise DomainError(_("一个班次最长 7 天"), field="ends_at")
    running = DutyShift.objects.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)
    # One person cannot stand two shifts at once, and a grid has one person on duty at a time
    # (the command centre names one).
    clash = running.filter(Q(user=user) | Q(grid=grid)).select_related("user", "grid").first()
    if clash is not None:
        raise DomainError(
            _("与已有值班(%(who)s,%(grid)s,%(start)s–%(end)s)时间重叠")
            % {
                "who": clash.user.get_username(),
                "grid": clash.grid.name,
                "start": timezone.localtime(clash.starts_at).strftime("%m-%d %H:%M"),
                "end": timezone.localtime(clash.ends_at).strftime("%m-%d %H:%M"),
            },
            field="starts_at",
        )
    return DutyShift.objects.create(
        user=user, grid=grid, starts_at=starts_at, ends_at=ends_at, note=note.strip()[:100]
    )


def on_duty(viewer: Any, at: datetime | None = None) -> list[DutyShift]:
    """Shifts running at `at` (now) in grids the viewer sees, or in grids above the viewer's
    own (a town's duty officer is on duty for its villages too)."""
    at = at or timezone.now()
    roots = scope_of(viewer).all_grid_paths()
    above = [p for root in roots for p in path_with_ancestors(root)]
    return list(
        DutyShift.objects.filter(starts_at__lte=at, ends_at__gt=at)
        .filter(Q(grid__in=Grid.objects.visible_to(viewer)) | Q(grid__path__in=above))
        .select_related("user__staff", "grid")
        .distinct()
    )
