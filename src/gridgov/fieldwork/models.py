"""Field work: patrols and their tracks, and the places an office marks for them.

A track is not stored one row per fix (issue 11's scale: 16 M fixes a day in one district):
each batch a phone uploads (or a slice of an imported file) is one `TrackChunk` holding its
fixes packed (`fieldwork.packing`), with its time range and bounding box in plain columns so a
day's chunks of a person are one indexed range query.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.jurisdiction import scope_of, scope_q
from gridgov.grids.models import Grid

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class PatrolSource(models.TextChoices):
    PHONE = "phone", _("手机")
    IMPORT = "import", _("导入")


class PatrolQuerySet(models.QuerySet["Patrol"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> PatrolQuerySet:
        """A worker's own patrols, and patrols in grids inside the user's scope."""
        if user is None or not user.is_authenticated:
            return self.none()
        if scope_of(user).is_admin:
            # Q(...) | Q() would drop the empty (match-all) side: say "everything" outright.
            return self
        return self.filter(Q(user_id=user.pk) | scope_q(user, grid_field="grid"))


class Patrol(models.Model):
    """A worker's walk of the grid (巡查) with its track (巡查轨迹, seed 001)."""

    # Made by the phone, so a patrol started offline has its name before the server knows it.
    uid = models.UUIDField(_("编号"), unique=True, default=uuid.uuid4)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="patrols",
        verbose_name=_("巡查人"),
    )
    grid = models.ForeignKey(
        Grid,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="patrols",
        verbose_name=_("网格"),
    )
    source = models.CharField(
        _("来源"), max_length=16, choices=PatrolSource.choices, default=PatrolSource.PHONE
    )
    started_at = models.DateTimeField(_("开始时间"), db_index=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    # Summary columns, computed from the track by `summarise_patrol` (on end, import and upload
    # to an ended patrol); `summary_at` null means not computed yet.
    fix_count = models.PositiveIntegerField(_("定位点数"), default=0)
    kept_count = models.PositiveIntegerField(_("有效点数"), default=0)
    mileage_m = models.FloatField(_("里程(米)"), default=0)
    duration_s = models.FloatField(_("时长(秒)"), default=0)
    summary_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PatrolQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("巡查")
        verbose_name_plural = _("巡查")
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="patrol_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["user", "started_at"], name="patrol_user_started")]

    def __str__(self) -> str:
        return f"{self.user} · {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class TrackChunk(models.Model):
    """One uploaded batch of a patrol's fixes, packed (巡查轨迹 storage; see module docstring)."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="chunks")
    # The patrol's user again, so a person's day is one range query on (user, starts_at).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The client's name for the batch: a re-sent batch is recognised and not stored twice.
    batch_id = models.CharField(max_length=64)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    count = models.PositiveIntegerField()
    min_lon = models.FloatField()
    min_lat = models.FloatField()
    max_lon = models.FloatField()
    max_lat = models.FloatField()
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "batch_id"], name="trackchunk_user_batch"),
            models.CheckConstraint(
                condition=Q(ends_at__gte=F("starts_at")), name="trackchunk_ends_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "starts_at"], name="trackchunk_user_starts"),
        ]

    def __str__(self) -> str:
        return f"{self.patrol_id}/{self.batch_id} ({self.count})"


class KeyPointKind(models.TextChoices):
    CIVILISED_CITY = "civilised_city", _("创城")
    LIVING_ENVIRONMENT = "living_environment", _("人居环境")
    SAFETY = "safety", _("安全隐患")
    OTHER = "other", _("其他")


class KeyPointQuerySet(models.QuerySet["KeyPoint"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> KeyPointQuerySet:
        return self.filter(scope_q(user, grid_field="grid"))

    def active(self) -> KeyPointQuerySet:
        return self.filter(is_active=True)


class KeyPoint(models.Model):
    """A place the office marks for patrols to pass (重点点位, e.g. for 创城 or 人居环境)."""

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(
        _("类别"), max_length=32, choices=KeyPointKind.choices, default=KeyPointKind.OTHER
    )
    grid = models.ForeignKey(
        Grid, on_delete=models.CASCADE, related_name="key_points", verbose_name=_("网格")
    )
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = KeyPointQuerySet.as_manager()

    class Meta:
        ordering = ["grid_id", "name"]
        verbose_name = _("重点点位")
        verbose_name_plural = _("重点点位")
        constraints = [
            models.CheckConstraint(
                condition=Q(lon__gte=-180, lon__lte=180, lat__gte=-90, lat__lte=90),
                name="keypoint_lonlat_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PatrolReport(models.Model):
    """A report (case) made during a patrol: the link lives here, not on the case, so the cases
    app needs no field for it (issue 11: reports made during a patrol are linked to it)."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="report_links")
    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="patrol_link")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.patrol_id} → {self.case_id}"
