"""Request and response shapes of the grids API, one per operation."""

from __future__ import annotations

from typing import Any, Literal

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import field_validator

from gridgov.grids.index import MAX_BATCH
from gridgov.grids.models import Grid, Region

Crs = Literal["wgs84", "gcj02", "bd09"]


class LevelOut(Schema):
    depth: int
    name: str
    code_digits: int


class LevelRef(Schema):
    depth: int
    name: str


class RegionRef(Schema):
    code: str
    name: str


class RegionOut(Schema):
    code: str
    name: str
    level: int
    level_label: str
    parent_code: str | None

    @staticmethod
    def resolve_level_label(obj: Region) -> str:
        return str(obj.get_level_display())

    @staticmethod
    def resolve_parent_code(obj: Region) -> str | None:
        return obj.parent.code if obj.parent_id else None  # type: ignore[union-attr]


class GridRef(Schema):
    code: str
    name: str
    level: str


class GridOut(Schema):
    code: str
    name: str
    level: LevelRef
    parent_code: str | None
    region: RegionRef
    households: int
    population: int
    tier: int
    is_active: bool
    area_m2: float | None
    label: tuple[float, float] | None = Field(None, description="经纬度,位于网格内的标注点")
    bbox: tuple[float, float, float, float] | None

    @staticmethod
    def resolve_parent_code(obj: Grid) -> str | None:
        return obj.parent.code if obj.parent_id else None  # type: ignore[union-attr]

    @staticmethod
    def resolve_label(obj: Grid) -> tuple[float, float] | None:
        if obj.label_lon is None or obj.label_lat is None:
            return None
        return (obj.label_lon, obj.label_lat)


class GridDetailOut(GridOut):
    ancestors: list[GridRef]
    children_count: int


class FaultOut(Schema):
    kind: Literal["overlap", "gap", "outside", "no_boundary"]
    parent: str
    grids: list[str]
    area_m2: float
    lon: float | None
    lat: float | None


class CoverageOut(Schema):
    root: str | None
    tolerance_m2: float
    families: int
    grids: int
    ok: bool
    counts: dict[str, int]
    faults: list[FaultOut]


class LocateOut(Schema):
    """`{"outside": true}` outside every grid; `{"error": …}` for a bad point of a batch."""

    outside: bool | None = None
    error: str | None = None
    code: str | None = None
    name: str | None = None
    level: str | None = None
    unit: bool | None = None
    ancestors: list[str] | None = None
    region_code: str | None = None
    region_codes: list[str] | None = None


class LocateBatchIn(Schema):
    crs: Crs = "wgs84"
    points: list[tuple[float, float]] = Field(..., description="[[经度, 纬度], …],最多 10,000 个")

    @field_validator("points")
    @classmethod
    def at_most_max_batch(cls, value: list[Any]) -> list[Any]:
        if len(value) > MAX_BATCH:
            raise ValueError(
                _("每次最多 %(max)d 个点,收到 %(n)d 个;请分批提交")
                % {"max": MAX_BATCH, "n": len(value)}
            )
        return value


class LocateBatchOut(Schema):
    crs: Crs
    count: int
    results: list[LocateOut]
