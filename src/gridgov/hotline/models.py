"""Hotline and other outside-source records imported by mapping (seed 001: 12345热线、创城、城乡环境、
农村人居环境 问题数据), and the back-tracing rounds (倒查) that match them to grid-reported cases.

A record keeps the source's own dates and status: a historical, closed record is stored as it
was, without creating dispatch work on the platform.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.cases.models import Case, MatterItem
from gridgov.core.jurisdiction import scope_q
from gridgov.grids.models import Grid


class RecordStatus(models.TextChoices):
    """A source record's status after mapping (STANDARDS: open / closed / cancelled)."""

    OPEN = "open", _("办理中")
    CLOSED = "closed", _("已办结")
    CANCELLED = "cancelled", _("已撤销")


class HotlineSource(models.Model):
    """An outside source of records (数据来源: 12345 热线, 创城, 城乡环境 … ; seed 001) and the
    column mapping saved for it."""

    name = models.SlugField(_("来源代号"), max_length=40, unique=True)
    label = models.CharField(_("名称"), max_length=80, blank=True)
    # The mapping as the operator wrote it (TOML) and as parsed, so the next import of the same
    # export needs no --mapping.
    mapping_text = models.TextField(_("映射(TOML)"), blank=True)
    mapping = models.JSONField(_("映射"), default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("热线数据来源")
        verbose_name_plural = _("热线数据来源")

    def __str__(self) -> str:
        return self.label or self.name


class HotlineRecordQuerySet(models.QuerySet["HotlineRecord"]):
    def visible_to(self, user: object) -> HotlineRecordQuerySet:
        return self.filter(scope_q(user, grid_field="grid"))  # type: ignore[arg-type]

    def counted(self) -> HotlineRecordQuerySet:
        """Records that count in the rates: cancelled ones are left out (STANDARDS)."""
        return self.exclude(status=RecordStatus.CANCELLED)


class HotlineRecord(models.Model):
    """One imported outside-source record (热线工单), with its own dates, status and rating."""

    source = models.ForeignKey(
        HotlineSource, on_delete=models.PROTECT, related_name="records", verbose_name=_("来源")
    )
    external_number = models.CharField(_("工单编号"), max_length=64)
    received_at = models.DateTimeField(_("受理时间"), db_index=True)
    description = models.TextField(_("诉求内容"), blank=True)
    category_value = models.CharField(_("来源分类"), max_length=200, blank=True)
    # None: the source's category is not mapped yet ("unclassified", for an operator).
    item = models.ForeignKey(
        MatterItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("事项"),
    )
    status_value = models.CharField(_("来源状态"), max_length=60, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=RecordStatus.choices)
    due_at = models.DateTimeField(_("办理期限"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    satisfaction_value = models.CharField(_("来源满意度"), max_length=40, blank=True)
    # Seed 002's scores: 5 satisfied, 4 fairly satisfied, 3 dissatisfied; None without a rating.
    satisfaction = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)  # WGS84
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    grid = models.ForeignKey(
        Grid,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("网格"),
    )
    # The record entered the platform's own intake (an open record taken in as a case).
    case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    imported_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = HotlineRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "pk"]
        verbose_name = _("热线工单")
        verbose_name_plural = _("热线工单")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_number"], name="hotline_record_number_per_source"
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__in=[3, 4, 5]),
                name="hotline_record_satisfaction_543",
            ),
        ]
        indexes = [models.Index(fields=["source", "received_at"], name="hotline_src_received")]

    def __str__(self) -> str:
        return f"{self.source.name}:{self.external_number}"


class HotlineImport(models.Model):
    """One run of an import (导入记录): what it did and which rows it refused."""

    source = models.ForeignKey(HotlineSource, on_delete=models.CASCADE, related_name="imports")
    filename = models.CharField(max_length=255)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    bad = models.PositiveIntegerField(default=0)
    # [[row number, reason], …] of the refused rows (the first 1,000).
    problems = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("热线导入记录")
        verbose_name_plural = _("热线导入记录")

    def __str__(self) -> str:
        return f"{self.source.name} {self.filename} {self.at:%Y-%m-%d %H:%M}"
