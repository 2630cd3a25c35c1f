"""Writes to regions and grids. Every grid write bumps `GridRevision` in the same transaction so
the spatial index of every process rebuilds itself on its next lookup."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F
from shapely.geometry.base import BaseGeometry

from gridgov.core.errors import DomainError
from gridgov.grids.geometry import summarise, to_geojson, to_shape
from gridgov.grids.models import (
    SIGNIFICANT_DIGITS,
    Grid,
    GridLevel,
    GridRevision,
    Region,
    RegionLevel,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def pad_region_code(code: str) -> str:
    """Published files shorten codes per level (2/4/6/9 digits); the stored code has 12."""
    return code.ljust(12, "0")


def region_level_of(code: str) -> int:
    """The level of a 2/4/6/9/12-digit code, from its length."""
    for level, digits in SIGNIFICANT_DIGITS.items():
        if len(code) == digits:
            return int(level)
    raise DomainError(f"区划代码 {code!r} 的位数须为 2、4、6、9 或 12")


def region_path_for(short_code: str, parent: Region | None) -> str:
    return (parent.path if parent else "/") + short_code + "/"


def grid_path_for(code: str, parent: Grid | None) -> str:
    return (parent.path if parent else "/") + code + "/"


def bump_grid_revision() -> int:
    """Called inside the writing transaction; returns the new revision."""
    updated = GridRevision.objects.filter(pk=1).update(revision=F("revision") + 1)
    if not updated:
        GridRevision.objects.get_or_create(pk=1, defaults={"revision": 1})
    return GridRevision.objects.get(pk=1).revision


def current_grid_revision() -> int:
    row = GridRevision.objects.filter(pk=1).values_list("revision", flat=True).first()
    return row or 0


@transaction.atomic
def create_region(
    *,
    code: str,
    name: str,
    parent: Region | None = None,
    by: AbstractBaseUser | None = None,
) -> Region:
    level = region_level_of(code) if len(code) != 12 else level_of_padded_code(code)
    short = code[: SIGNIFICANT_DIGITS[RegionLevel(level)]]
    if parent is not None and not short.startswith(parent.short_code):
        raise DomainError(f"区划代码 {code} 不在上级 {parent.code} 之下")
    return Region.objects.create(
        code=pad_region_code(short),
        name=name,
        level=level,
        parent=parent,
        path=region_path_for(short, parent),
    )


def level_of_padded_code(code: str) -> int:
    """Level of a 12-digit code: the deepest segment that is not all zeros."""
    if len(code) != 12 or not code.isdigit():
        raise DomainError(f"区划代码 {code!r} 须为 12 位数字")
    bounds = [0, *SIGNIFICANT_DIGITS.values()]
    for level in reversed(RegionLevel):
        start, end = bounds[level - 1], bounds[level]
        if code[start:end].strip("0"):
            return int(level)
    raise DomainError(f"区划代码 {code!r} 无效")


def apply_boundary(grid: Grid, geom: BaseGeometry | dict[str, Any] | None) -> None:
    """Set the boundary and its derived columns on an unsaved or unsaved-changes grid."""
    if geom is None:
        grid.boundary = None
        grid.min_lon = grid.min_lat = grid.max_lon = grid.max_lat = None
        grid.label_lon = grid.label_lat = grid.area_m2 = None
        return
    shp = to_shape(geom) if isinstance(geom, dict) else geom
    summary = summarise(shp)
    grid.boundary = to_geojson(shp)
    grid.min_lon, grid.min_lat = summary.min_lon, summary.min_lat
    grid.max_lon, grid.max_lat = summary.max_lon, summary.max_lat
    grid.label_lon, grid.label_lat = summary.label_lon, summary.label_lat
    grid.area_m2 = summary.area_m2


@transaction.atomic
def create_grid(
    *,
    code: str,
    name: str,
    level: GridLevel,
    region: Region,
    parent: Grid | None = None,
    boundary: BaseGeometry | dict[str, Any] | None = None,
    households: int = 0,
    population: int = 0,
    tier: int = 2,
    by: AbstractBaseUser | None = None,
) -> Grid:
    if parent is not None and parent.level.depth >= level.depth:
        raise DomainError(f"网格 {code} 的层级须低于上级网格 {parent.code}")
    grid = Grid(
        code=code,
        name=name,
        level=level,
        region=region,
        parent=parent,
        path=grid_path_for(code, parent),
        households=households,
        population=population,
        tier=tier,
    )
    apply_boundary(grid, boundary)
    grid.save()
    bump_grid_revision()
    return grid
