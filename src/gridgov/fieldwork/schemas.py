"""Schemas of the fieldwork API, per operation."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema

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


class FixIn(Schema):
    t: datetime = Field(description="ISO 8601; without an offset it is Asia/Shanghai")
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    accuracy: float | None = Field(None, ge=0, description="metres")


class FixBatchIn(Schema):
    batch_id: str = Field(
        min_length=1,
        max_length=64,
        description="the client's name for this batch; a retry re-sends it",
    )
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"
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
    stay_points: list[dict[str, Any]]
    track: dict[str, Any]
