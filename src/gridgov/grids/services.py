"""Writes to regions and grids. Every grid write keeps the materialised `path` of the grid and its
subtree, the derived bbox/label/area columns, and bumps `GridRevision` in the same transaction,
so the spatial index of every process rebuilds itself on its next lookup (no restart).

`by` is the acting user; `by=None` is the system (the command line, the demo builder). The
admin and the command line are the only writers; both are for platform administrators. Every
write records who made it: `@audited` makes `by` the actor of the change log (grids.audit), and
each import writes an ImportRun (imports write in bulk, which the change log does not see)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry.base import BaseGeometry

from gridgov.core.errors import DomainError
from gridgov.grids.audit import audited
from gridgov.grids.geometry import (
    GeometryError,
    apply_boundary,
    to_shape,
    validity_problem,
)
from gridgov.grids.grid_import import GridImportPlan, apply_grid_plan, plan_grid_import
from gridgov.grids.models import (
    SIGNIFICANT_DIGITS,
    Grid,
    GridLevel,
    GridRevision,
    ImportKind,
    ImportOrigin,
    ImportRun,
    Region,
    RegionLevel,
)
from gridgov.grids.region_import import (
    RegionImportPlan,
    ancestor_codes,
    apply_region_plan,
    read_region_files,
    short_code,
)
from gridgov.grids.treepaths import replace_path_prefix

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
    raise DomainError(_("区划代码 %(code)r 的位数须为 2、4、6、9 或 12") % {"code": code})


def region_path_for(short_code: str, parent: Region | None) -> str:
    return (parent.path if parent else "/") + short_code + "/"


def grid_path_for(code: str, parent: Grid | None) -> str:
    return (parent.path if parent else "/") + code + "/"


def bump_grid_revision() -> int:
    """Called inside the writing transaction; returns the new revision. The time is bumped too:
    with it the version stays unique even if a rolled-back write had reused a number."""
    updated = GridRevision.objects.filter(pk=1).update(
        revision=F("revision") + 1, changed_at=timezone.now()
    )
    if not updated:
        GridRevision.objects.get_or_create(pk=1, defaults={"revision": 1})
    return GridRevision.objects.get(pk=1).revision


def current_grid_revision() -> int:
    row = GridRevision.objects.filter(pk=1).values_list("revision", flat=True).first()
    return row or 0


def current_grid_version() -> tuple[int, Any]:
    """(revision, changed_at) in one primary-key query: what the spatial index compares."""
    row = GridRevision.objects.filter(pk=1).values_list("revision", "changed_at").first()
    return (row[0], row[1]) if row else (0, None)


@transaction.atomic
@audited
def create_region(
    *,
    code: str,
    name: str,
    parent: Region | None = None,
    by: AbstractBaseUser | None = None,
) -> Region:
    try:
        short, level = short_code(code)
    except ValueError as exc:
        raise DomainError(str(exc), field="code") from None
    if parent is not None and (parent.level >= level or not short.startswith(parent.short_code)):
        raise DomainError(
            _("区划代码 %(code)s 不在上级 %(parent)s 之下") % {"code": code, "parent": parent.code},
            field="parent",
        )
    if parent is None and level != RegionLevel.PROVINCE:
        parent = nearest_stored_ancestor(short, level)
    if Region.objects.filter(code=pad_region_code(short)).exists():
        raise DomainError(_("区划代码 %(code)s 已存在") % {"code": code}, field="code")
    if not name.strip():
        raise DomainError(_("名称为空"), field="name")
    return Region.objects.create(
        code=pad_region_code(short),
        name=name,
        level=level,
        parent=parent,
        path=region_path_for(short, parent),
    )


def nearest_stored_ancestor(short: str, level: int) -> Region:
    """The stored region a code below province level hangs from when no parent is given: the
    nearest ancestor its code names. Only a province may be a root."""
    above = ancestor_codes(short, level)
    found = {
        r.short_code: r for r in Region.objects.filter(code__in=[pad_region_code(c) for c in above])
    }
    for candidate in above:
        if candidate in found:
            return found[candidate]
    raise DomainError(
        _("上级区划不存在:区划 %(code)s 的上级(%(above)s)都不存在;只有省级区划可以没有上级")
        % {"code": short, "above": "、".join(above)},
        field="parent",
    )


def level_of_padded_code(code: str) -> int:
    """Level of a 12-digit code: the deepest segment that is not all zeros."""
    if len(code) != 12 or not code.isdigit():
        raise DomainError(_("区划代码 %(code)r 须为 12 位数字") % {"code": code})
    bounds = [0, *SIGNIFICANT_DIGITS.values()]
    for level in reversed(RegionLevel):
        start, end = bounds[level - 1], bounds[level]
        if code[start:end].strip("0"):
            return int(level)
    raise DomainError(_("区划代码 %(code)r 无效") % {"code": code})


@transaction.atomic
@audited
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
    check_grid_fields(code=code, name=name, tier=tier)
    check_placement(None, level=level, parent=parent)
    if Grid.objects.filter(code=code).exists():
        raise DomainError(_("网格编码 %(code)s 已存在") % {"code": code}, field="code")
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
    _apply_boundary_or_400(grid, boundary)
    grid.save()
    bump_grid_revision()
    return grid


def check_grid_fields(
    *, code: str | None = None, name: str | None = None, tier: int | None = None
) -> None:
    """Rules on single fields; the admin form runs them too, to show them on the form."""
    if code is not None and (
        not code or len(code) > 32 or "/" in code or any(ch.isspace() for ch in code)
    ):
        raise DomainError(_("网格编码须为不含空格和“/”的 1–32 个字符"), field="code")
    if name is not None and not name.strip():
        raise DomainError(_("名称为空"), field="name")
    if tier is not None and tier not in (1, 2, 3):
        raise DomainError(_("管理等级须为 1、2 或 3"), field="tier")


def check_placement(grid: Grid | None, *, level: GridLevel, parent: Grid | None) -> None:
    """A grid sits below its parent's level and never below itself; its children stay below."""
    if parent is not None:
        if (
            grid is not None
            and grid.pk
            and (parent.pk == grid.pk or parent.path.startswith(grid.path))
        ):
            raise DomainError(_("不能把网格移到它自己或它的下级之下"), field="parent")
        if parent.level.depth >= level.depth:
            raise DomainError(
                _("网格的层级须低于上级网格 %(parent)s 的层级(%(level)s)")
                % {"parent": parent.code, "level": parent.level.name},
                field="level",
            )
    if grid is not None and grid.pk:
        depths = Grid.objects.filter(parent_id=grid.pk).values_list("level__depth", flat=True)
        if any(depth <= level.depth for depth in depths):
            raise DomainError(_("下级网格的层级须低于本网格"), field="level")


def check_boundary(boundary: BaseGeometry | dict[str, Any] | None) -> BaseGeometry | None:
    """A usable boundary or a DomainError saying what is wrong with it."""
    if boundary is None:
        return None
    try:
        shp = to_shape(boundary) if isinstance(boundary, dict) else boundary
    except GeometryError as exc:
        raise DomainError(str(exc), field="boundary") from None
    problem = validity_problem(shp)
    if problem:
        raise DomainError(problem, field="boundary")
    return shp


def _apply_boundary_or_400(grid: Grid, boundary: BaseGeometry | dict[str, Any] | None) -> None:
    try:
        apply_boundary(grid, boundary)
    except GeometryError as exc:
        raise DomainError(str(exc), field="boundary") from None


KEEP: Any = object()


@transaction.atomic
@audited
def update_grid(
    grid: Grid,
    *,
    by: AbstractBaseUser | None = None,
    name: str = KEEP,
    level: GridLevel = KEEP,
    region: Region = KEEP,
    parent: Grid | None = KEEP,
    boundary: BaseGeometry | dict[str, Any] | None = KEEP,
    households: int = KEEP,
    population: int = KEEP,
    tier: int = KEEP,
    is_active: bool = KEEP,
) -> Grid:
    """Change a grid; only the arguments given change. Moving it (a new parent) rewrites the
    path of its whole subtree."""
    stored = Grid.objects.select_for_update().select_related("level").get(pk=grid.pk)
    check_grid_fields(name=None if name is KEEP else name, tier=None if tier is KEEP else tier)
    new_level = stored.level if level is KEEP else level
    new_parent = stored.parent if parent is KEEP else parent
    if level is not KEEP or parent is not KEEP:
        check_placement(stored, level=new_level, parent=new_parent)
    for attr, value in (
        ("name", name),
        ("level", level),
        ("region", region),
        ("households", households),
        ("population", population),
        ("tier", tier),
        ("is_active", is_active),
    ):
        if value is not KEEP:
            setattr(stored, attr, value)
    if boundary is not KEEP:
        _apply_boundary_or_400(stored, boundary)
    old_path = stored.path
    if parent is not KEEP:
        stored.parent = new_parent
        stored.path = grid_path_for(stored.code, new_parent)
    stored.save()
    if stored.path != old_path:
        replace_path_prefix(Grid.objects.exclude(pk=stored.pk), old_path, stored.path)
    bump_grid_revision()
    return stored


@transaction.atomic
@audited
def delete_grid(grid: Grid, *, by: AbstractBaseUser | None = None) -> None:
    """Delete a grid without children (a grid with children is split or merged first; rows of
    other apps that point to it protect it)."""
    if Grid.objects.filter(parent_id=grid.pk).exists():
        raise DomainError(_("网格 %(code)s 还有下级网格,不能删除") % {"code": grid.code})
    try:
        grid.delete()
    except ProtectedError:
        raise DomainError(
            _("网格 %(code)s 已被案件、岗位等记录引用,不能删除;可改为停用") % {"code": grid.code}
        ) from None
    bump_grid_revision()


@transaction.atomic
@audited
def update_region(
    region: Region,
    *,
    by: AbstractBaseUser | None = None,
    name: str = KEEP,
    parent: Region | None = KEEP,
) -> Region:
    """Rename a region or give it another parent (its code must still extend the parent's)."""
    stored = Region.objects.select_for_update().get(pk=region.pk)
    if name is not KEEP:
        if not name.strip():
            raise DomainError(_("名称为空"), field="name")
        stored.name = name.strip()
    if parent is not KEEP:
        if parent is None and stored.level != RegionLevel.PROVINCE:
            raise DomainError(_("只有省级区划可以没有上级"), field="parent")
        if parent is not None and (
            parent.level >= stored.level or not stored.short_code.startswith(parent.short_code)
        ):
            raise DomainError(
                _("区划代码 %(code)s 不在上级 %(parent)s 之下")
                % {"code": stored.code, "parent": parent.code},
                field="parent",
            )
        old_path = stored.path
        stored.parent = parent
        stored.path = region_path_for(stored.short_code, parent)
        stored.save()
        replace_path_prefix(Region.objects.exclude(pk=stored.pk), old_path, stored.path)
    else:
        stored.save()
    return stored


# --- imports ------------------------------------------------------------------------------------


@dataclass
class RegionImportResult:
    created: int
    renamed: int
    moved: int
    unchanged: int
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False


@transaction.atomic
@audited
def import_regions(
    *,
    files: Sequence[tuple[str, bytes]],
    by: AbstractBaseUser | None = None,
    dry_run: bool = False,
    origin: str = ImportOrigin.CLI,
) -> RegionImportResult:
    """Import region CSV files as one run (see region_import); all or nothing. The run is
    recorded as an ImportRun (renamed and moved regions count as updated)."""
    started_at = timezone.now()
    plan: RegionImportPlan = read_region_files(files)
    if not dry_run:
        apply_region_plan(plan)
    result = RegionImportResult(
        created=len(plan.created),
        renamed=len(plan.renamed),
        moved=len(plan.moved),
        unchanged=plan.unchanged,
        notes=plan.notes,
        warnings=plan.warnings,
        dry_run=dry_run,
    )
    record_import(
        kind=ImportKind.REGIONS,
        file_name=", ".join(name for name, _data in files),
        by=by,
        origin=origin,
        started_at=started_at,
        dry_run=dry_run,
        created=result.created,
        updated=result.renamed + result.moved,
        unchanged=result.unchanged,
        warnings=len(result.warnings),
    )
    return result


@transaction.atomic
@audited
def import_grids(
    *,
    data: bytes,
    source: str,
    by: AbstractBaseUser | None = None,
    dry_run: bool = False,
    create_levels: bool = False,
    repair: bool = False,
    origin: str = ImportOrigin.CLI,
) -> GridImportPlan:
    """Import or update grids from a GeoJSON FeatureCollection (see grid_import); all or
    nothing. Returns the plan: what was (or, with dry_run, would be) created and updated. The
    run is recorded as an ImportRun."""
    started_at = timezone.now()
    plan = plan_grid_import(data, source=source, create_levels=create_levels, repair_invalid=repair)
    if not dry_run and (plan.new_levels or plan.count("create") or plan.count("update")):
        apply_grid_plan(plan)
        bump_grid_revision()
    record_import(
        kind=ImportKind.GRIDS,
        file_name=source,
        by=by,
        origin=origin,
        started_at=started_at,
        dry_run=dry_run,
        created=plan.count("create"),
        updated=plan.count("update"),
        unchanged=plan.count("unchanged"),
        warnings=len(plan.warnings),
    )
    return plan


def record_import(
    *,
    kind: str,
    file_name: str,
    by: AbstractBaseUser | None,
    origin: str,
    started_at: Any,
    dry_run: bool,
    created: int,
    updated: int,
    unchanged: int,
    warnings: int,
) -> ImportRun:
    """The ImportRun row of an import, written in the import's own transaction."""
    return ImportRun.objects.create(
        kind=kind,
        origin=origin,
        file_name=file_name[:500],
        by_id=by.pk if by is not None and by.is_authenticated else None,
        started_at=started_at,
        finished_at=timezone.now(),
        dry_run=dry_run,
        created=created,
        updated=updated,
        unchanged=unchanged,
        warnings=warnings,
    )
