"""Schemas of the fieldwork API, per operation."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal, get_args

from ninja import Field, Schema
from pydantic import BaseModel

from gridgov.fieldwork.services import MAX_BATCH


class PatrolStartIn(Schema):
    # Made by the phone so that a patrol started offline can be named before it is sent.
    uid: uuid.UUID | None = None
    grid: str | None = Field(
        None, max_length=32, description="unit grid code; default: the caller's own"
    )
    started_at: datetime | None = Field(
        None, description="ISO 8601; without an offset it is Asia/Shanghai"
    )


class PatrolEndIn(Schema):
    ended_at: datetime | None = None


# Plain pydantic models for the upload: ninja's Schema runs a Python root validator per object,
# which for 5,000 fixes was most of the request's time.
Crs = Literal["wgs84", "gcj02", "bd09"]
CRS_NAMES: tuple[str, ...] = get_args(Crs)


class FixIn(BaseModel):
    t: datetime = Field(description="ISO 8601; without an offset it is Asia/Shanghai")
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    accuracy: float | None = Field(None, ge=0, description="metres")


class FixBatchIn(BaseModel):
    batch_id: str = Field(
        min_length=1,
        max_length=64,
        description="the client's name for this batch; a retry re-sends it",
    )
    crs: Crs = "wgs84"
    fixes: list[FixIn] = Field(min_length=1, max_length=MAX_BATCH)


class FixBatchOut(Schema):
    batch_id: str
    stored: int
    created: bool
    patrol_fix_count: int


class PatrolOut(Schema):
    id: int
    uid: uuid.UUID
    user: str
    grid: str | None
    source: str
    started_at: datetime
    ended_at: datetime | None
    fix_count: int
    kept_count: int
    mileage_m: float
    duration_s: float
    summary_at: datetime | None


class PatrolDetailOut(PatrolOut):
    reports: list[int]
    # Visits and hazards made during the patrol (issue 11), by id.
    visits: list[int] = []
    hazards: list[int] = []
    stay_points: list[dict[str, Any]]
    track: dict[str, Any]


class DiaryIn(Schema):
    kind: Literal["people", "work"]
    day: date
    text: str = Field(min_length=1, max_length=5000)
    tags: str = Field("", max_length=200)
    grid: str | None = Field(None, max_length=32)
    cases: list[int] = Field(default_factory=list, max_length=50)
    households: list[str] = Field(default_factory=list, max_length=50)


class DiaryOut(Schema):
    id: int
    kind: str
    day: date
    text: str
    tags: str
    grid: str | None
    cases: list[int]
    households: list[str] = []
    photos: list[str] = []


class DiaryCountOut(Schema):
    username: str
    people: int
    work: int
    total: int


class CheckInIn(Schema):
    kind: Literal["in", "out"]
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    accuracy: float | None = Field(None, ge=0)
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"


class CheckInOut(Schema):
    id: int
    kind: str
    at: datetime
    lon: float | None
    lat: float | None
    grid: str | None


class LedgerDayOut(Schema):
    day: date
    first_in: datetime | None
    last_out: datetime | None
    on_leave: bool
    present: bool


class LedgerOut(Schema):
    username: str
    year: int
    month: int
    present_days: int
    complete_days: int
    leave_days: int
    days: list[LedgerDayOut]


class LeaveIn(Schema):
    user: str = Field(max_length=150)
    kind: Literal["personal", "sick", "annual", "other"]
    starts_on: date
    ends_on: date
    reason: str = Field("", max_length=200)


class LeaveOut(Schema):
    id: int
    user: str
    kind: str
    starts_on: date
    ends_on: date


class DutyIn(Schema):
    user: str = Field(max_length=150)
    grid: str = Field(max_length=32)
    starts_at: datetime
    ends_at: datetime
    note: str = Field("", max_length=100)


class DutyOut(Schema):
    id: int
    user: str
    grid: str
    starts_at: datetime
    ends_at: datetime
    note: str


class ComplianceOut(Schema):
    username: str
    name: str
    post_kind: str
    grid_code: str
    grid_name: str
    standard: str
    period: str
    periods_due: int
    periods_met: int
    excused: int
    rate: float | None
    days_patrolled: int
    mileage_m: float


class MonitoringOut(Schema):
    username: str
    name: str
    grid_codes: list[str]
    reports: int
    patrols: int
    mileage_m: float
    coverage: dict[str, float]
    diaries: int
    visits: int
    last_seen: datetime | None
    outside_share: float
    on_leave: bool
    flags: list[str]
