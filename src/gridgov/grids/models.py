from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from tree_queries.models import TreeNode
from tree_queries.query import TreeQuerySet

from gridgov.core.jurisdiction import scope_of, scope_q

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class RegionLevel(models.IntegerChoices):
    PROVINCE = 1, _("省级")
    CITY = 2, _("地级")
    COUNTY = 3, _("县级")
    TOWN = 4, _("乡级")
    VILLAGE = 5, _("村级")


# Significant digits of a 12-digit statistical code at each level (GB/T 2260 + 3 + 3).
SIGNIFICANT_DIGITS = {
    RegionLevel.PROVINCE: 2,
    RegionLevel.CITY: 4,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWN: 9,
    RegionLevel.VILLAGE: 12,
}


def path_with_ancestors(path: str) -> list[str]:
    """The materialised paths from the top of the tree down to `path` itself:
    "/41/4101/" gives ["/41/", "/41/4101/"]."""
    parts = [part for part in path.split("/") if part]
    return ["/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts) + 1)]


class RegionQuerySet(TreeQuerySet):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> RegionQuerySet:
        """Regions inside the user's region scopes, and the regions of every grid in their grid
        scopes' subtrees (a town office opens its villages' regions too)."""
        scope = scope_of(user)
        if scope.is_admin:
            return self
        q = scope_q(user, grid_field=None, region_field="")
        for path in sorted(scope.all_grid_paths()):
            q |= Q(grids__path__startswith=path)
        return self.filter(q).distinct()

    def within(self, region: Region) -> RegionQuerySet:
        return self.filter(path__startswith=region.path)


class Region(TreeNode):
    """Administrative division (行政区划) with its 12-digit statistical code (统计用区划代码)."""

    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.PositiveSmallIntegerField(_("层级"), choices=RegionLevel.choices)
    # "/41/4101/410182/410182100/": subtree = one indexed prefix match (STYLE).
    path = models.CharField(max_length=80, db_index=True, editable=False)

    objects = RegionQuerySet.as_manager(with_tree_fields=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def short_code(self) -> str:
        return self.code[: SIGNIFICANT_DIGITS[RegionLevel(self.level)]]


class GridLevel(models.Model):
    """One configured level of the grid hierarchy (seed 001: four levels; 004: station/base/unit)."""

    depth = models.PositiveSmallIntegerField(_("层次"), unique=True, help_text=_("0 为最高层"))
    name = models.CharField(_("名称"), max_length=40)
    # How a grid's code is built from its region's 12-digit code: 0 means the grid is the
    # region itself; 3 is the unit-grid convention (community code + 3-digit serial).
    code_digits = models.PositiveSmallIntegerField(_("编码序号位数"), default=0)

    class Meta:
        ordering = ["depth"]
        verbose_name = _("网格层级")
        verbose_name_plural = _("网格层级")

    def __str__(self) -> str:
        return self.name


class GridTier(models.IntegerChoices):
    """Management tier by hotline volume and governance results (seed 001: 三级管理)."""

    ONE = 1, _("一级(重点)")
    TWO = 2, _("二级")
    THREE = 3, _("三级")


class GridQuerySet(TreeQuerySet):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> GridQuerySet:
        return self.filter(scope_q(user, grid_field=""))

    def within(self, grid: Grid) -> GridQuerySet:
        return self.filter(path__startswith=grid.path)

    def active(self) -> GridQuerySet:
        return self.filter(is_active=True)

    def leaves(self) -> GridQuerySet:
        return self.filter(children__isnull=True)


class Grid(TreeNode):
    """A grid (网格) at a configured level; unit grids (单元网格) are the leaves (seed 002)."""

    code = models.CharField(_("网格编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.ForeignKey(
        GridLevel, on_delete=models.PROTECT, related_name="grids", verbose_name=_("层级")
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="grids", verbose_name=_("所属区划")
    )
    # "/<code>/<code>/…/" of the grid and its ancestors, maintained by the grid services.
    path = models.CharField(max_length=255, db_index=True, editable=False)
    # WGS84 GeoJSON geometry (Polygon or MultiPolygon) with its bbox beside it for cheap filters.
    boundary = models.JSONField(_("边界"), null=True, blank=True)
    min_lon = models.FloatField(null=True, blank=True, editable=False)
    min_lat = models.FloatField(null=True, blank=True, editable=False)
    max_lon = models.FloatField(null=True, blank=True, editable=False)
    max_lat = models.FloatField(null=True, blank=True, editable=False)
    label_lon = models.FloatField(null=True, blank=True, editable=False)
    label_lat = models.FloatField(null=True, blank=True, editable=False)
    area_m2 = models.FloatField(_("面积(平方米)"), null=True, blank=True, editable=False)
    # A short digest of the boundary: the change log keeps it instead of the polygon itself.
    boundary_hash = models.CharField(_("边界摘要"), max_length=16, blank=True, editable=False)
    households = models.PositiveIntegerField(_("户数"), default=0)
    population = models.PositiveIntegerField(_("人口"), default=0)
    tier = models.PositiveSmallIntegerField(
        _("管理等级"), choices=GridTier.choices, default=GridTier.TWO
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GridQuerySet.as_manager(with_tree_fields=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("网格")
        verbose_name_plural = _("网格")
        constraints = [
            models.CheckConstraint(condition=Q(tier__gte=1, tier__lte=3), name="grid_tier_1_3"),
            models.CheckConstraint(
                condition=Q(min_lon__isnull=True) | Q(min_lon__lte=F("max_lon")),
                name="grid_bbox_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def bbox(self) -> tuple[float, float, float, float] | None:
        if self.min_lon is None:
            return None
        return (self.min_lon, self.min_lat, self.max_lon, self.max_lat)  # type: ignore[return-value]

    def ancestor_codes(self) -> list[str]:
        """Codes from the top grid down to this one, read from the materialised path."""
        return [part for part in self.path.split("/") if part]

    def as_feature_properties(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "level": self.level.name if self.level_id else None,
            "parent_code": self.parent.code if self.parent_id else None,
            "households": self.households,
            "population": self.population,
            "tier": self.tier,
        }


class GridRevision(models.Model):
    """A counter bumped in the same transaction as any grid write, so every process's spatial
    index knows to rebuild without a restart."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    revision = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("网格版本")

    def __str__(self) -> str:
        return f"r{self.revision}"


class ImportKind(models.TextChoices):
    REGIONS = "regions", _("行政区划")
    GRIDS = "grids", _("网格")


class ImportOrigin(models.TextChoices):
    CLI = "cli", _("命令行")
    ADMIN = "admin", _("管理后台")
    API = "api", _("接口")


class ImportRun(models.Model):
    """One import of regions or grids (导入记录): who ran it, on which file, with what result.
    Imports write in bulk, which the row-by-row change log does not see."""

    kind = models.CharField(_("类别"), max_length=16, choices=ImportKind.choices)
    origin = models.CharField(
        _("来源"), max_length=8, choices=ImportOrigin.choices, default=ImportOrigin.CLI
    )
    file_name = models.CharField(_("文件"), max_length=500)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("操作人"),
    )
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("结束时间"))
    dry_run = models.BooleanField(_("试运行"), default=False)
    created = models.PositiveIntegerField(_("新建"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    unchanged = models.PositiveIntegerField(_("未变"), default=0)
    warnings = models.PositiveIntegerField(_("警告"), default=0)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("导入记录")
        verbose_name_plural = _("导入记录")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.file_name} · {self.started_at:%Y-%m-%d %H:%M}"
