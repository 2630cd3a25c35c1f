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
    # The classifier's suggestion for an operator (never applied by itself) and its confidence.
    suggested_item = models.ForeignKey(
        MatterItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("建议事项"),
    )
    suggestion_confidence = models.FloatField(_("建议置信度"), null=True, blank=True)
    # Who gave an unclassified record its item on the operator's page, when, and whether it was
    # the classifier's suggestion (issue 13: a suggestion is never applied silently).
    classified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    classified_at = models.DateTimeField(_("人工分类时间"), null=True, blank=True)
    took_suggestion = models.BooleanField(_("采用建议"), null=True, blank=True)
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


class CrosscheckRule(models.Model):
    """The matching rule of back-tracing (倒查规则; STANDARDS defaults: same unit grid or within
    50 m, same item or class, grid case reported at most 72 h before the record). One row."""

    distance_m = models.PositiveIntegerField(_("匹配距离(米)"), default=50)
    window_hours = models.PositiveIntegerField(_("提前上报时段(小时)"), default=72)
    # Case channels that count as grid-reported (网格主动发现): patrol reports by default.
    channels = models.JSONField(_("网格上报渠道"), default=list, blank=True)
    task_days = models.PositiveSmallIntegerField(_("倒查说明时限(工作日)"), default=3)

    class Meta:
        verbose_name = _("倒查规则")
        verbose_name_plural = _("倒查规则")

    def __str__(self) -> str:
        return f"{self.distance_m} m / {self.window_hours} h"


class CrosscheckRound(models.Model):
    """One back-tracing round (倒查一期; seed 001: 共开展问题倒查33期) over a period."""

    number = models.PositiveIntegerField(_("期数"), unique=True)
    period_start = models.DateField(_("起始日"))
    period_end = models.DateField(_("截止日"))  # inclusive
    source = models.ForeignKey(
        HotlineSource, on_delete=models.PROTECT, null=True, blank=True, related_name="rounds"
    )
    # A round the scheduler ran for a calendar week: one per week, so a missed run catches up
    # and a repeated run does nothing.
    weekly = models.BooleanField(_("每周例行"), default=False)
    records = models.PositiveIntegerField(_("工单数"), default=0)
    matched = models.PositiveIntegerField(_("主动发现数"), default=0)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("倒查轮次")
        verbose_name_plural = _("倒查轮次")
        constraints = [
            models.UniqueConstraint(
                fields=["period_start", "period_end"],
                condition=Q(weekly=True),
                name="hotline_one_weekly_round_per_week",
            )
        ]

    def __str__(self) -> str:
        return _("第 %(n)d 期") % {"n": self.number}

    @property
    def discovery_rate(self) -> float | None:
        return self.matched / self.records if self.records else None


class CrosscheckResult(models.Model):
    """A record's outcome in a round: the grid case that found it first, with the evidence, or
    none (未主动发现)."""

    round = models.ForeignKey(CrosscheckRound, on_delete=models.CASCADE, related_name="results")
    record = models.ForeignKey(HotlineRecord, on_delete=models.CASCADE, related_name="results")
    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    matched = models.BooleanField(_("主动发现"), default=False)
    same_grid = models.BooleanField(default=False)
    same_item = models.BooleanField(default=False)
    distance_m = models.FloatField(null=True, blank=True)
    minutes_before = models.PositiveIntegerField(null=True, blank=True)
    # A later round over the same record replaces this one in the discovery rate.
    superseded = models.BooleanField(default=False)

    class Meta:
        ordering = ["round", "record"]
        verbose_name = _("倒查结果")
        verbose_name_plural = _("倒查结果")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "record"], name="hotline_result_once_per_round"
            )
        ]
        indexes = [models.Index(fields=["record", "superseded"], name="hotline_result_current")]

    def __str__(self) -> str:
        return f"{self.round} {self.record}"


class BacktraceState(models.TextChoices):
    """Where a back-tracing task stands (倒查任务)."""

    OPEN = "open", _("待说明")
    EXPLAINED = "explained", _("已说明")
    CORRECTED = "corrected", _("已整改")
    ACCEPTED = "accepted", _("已认定")


class BacktraceTaskQuerySet(models.QuerySet["BacktraceTask"]):
    def visible_to(self, user: object) -> BacktraceTaskQuerySet:
        return self.filter(scope_q(user, grid_field="grid"))  # type: ignore[arg-type]

    def open(self) -> BacktraceTaskQuerySet:
        return self.filter(state=BacktraceState.OPEN)

    def overdue(self, at: object) -> BacktraceTaskQuerySet:
        return self.open().filter(due_at__lt=at)


class BacktraceTask(models.Model):
    """A back-tracing task (倒查任务): the unit grid's worker, seen by its station, explains or
    corrects a record the grid did not find itself (seed 001: 市民热线诉求未主动发现)."""

    result = models.OneToOneField(
        CrosscheckResult, on_delete=models.CASCADE, related_name="task", verbose_name=_("倒查结果")
    )
    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, related_name="+", verbose_name=_("网格")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("网格员"),
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=BacktraceState.choices, default=BacktraceState.OPEN
    )
    due_at = models.DateTimeField(_("说明期限"), db_index=True)
    answer = models.TextField(_("说明或整改情况"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = BacktraceTaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("倒查任务")
        verbose_name_plural = _("倒查任务")

    def __str__(self) -> str:
        return f"{self.result} ({self.get_state_display()})"

    def late(self, at: object) -> bool:
        return self.state == BacktraceState.OPEN and self.due_at < at  # type: ignore[operator]


class TextModel(models.Model):
    """A trained text classifier (文本分类模型): jieba words and a linear model over the
    platform's own closed, classified cases. Stored as plain arrays (numpy .npz, no pickle) and a
    vocabulary, so loading it never runs code."""

    created_at = models.DateTimeField(default=timezone.now)
    samples = models.PositiveIntegerField(_("训练样本数"))
    labels = models.JSONField(_("类别"), default=list)  # catalogue item codes, model order
    vocabulary = models.JSONField(default=list)  # terms in feature order
    weights = models.BinaryField()  # .npz: idf, coef, intercept
    cv_accuracy = models.FloatField(_("交叉验证准确率"), null=True, blank=True)
    baseline_accuracy = models.FloatField(_("多数类基线"), null=True, blank=True)
    # What the cross-validation covered, or why it could not run (too few cases per item).
    cv_note = models.CharField(_("交叉验证说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("文本分类模型")
        verbose_name_plural = _("文本分类模型")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} ({self.samples})"


class TierProposalState(models.TextChoices):
    PROPOSED = "proposed", _("待确认")
    CONFIRMED = "confirmed", _("已确认")


class TierProposal(models.Model):
    """A quarter's proposed management tier of a unit grid (网格分级; seed 001 tiers its village
    grids by hotline volume), which the grid office confirms before it applies."""

    quarter = models.CharField(_("季度"), max_length=7)  # "2026Q1"
    grid = models.ForeignKey(
        Grid, on_delete=models.CASCADE, related_name="+", verbose_name=_("网格")
    )
    current_tier = models.PositiveSmallIntegerField(_("现等级"))
    proposed_tier = models.PositiveSmallIntegerField(_("建议等级"))
    records = models.PositiveIntegerField(_("热线工单数"), default=0)
    matched = models.PositiveIntegerField(_("主动发现数"), default=0)
    reason = models.CharField(_("理由"), max_length=200, blank=True)
    state = models.CharField(
        _("状态"),
        max_length=16,
        choices=TierProposalState.choices,
        default=TierProposalState.PROPOSED,
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["quarter", "grid__code"]
        verbose_name = _("网格分级建议")
        verbose_name_plural = _("网格分级建议")
        constraints = [
            models.UniqueConstraint(fields=["quarter", "grid"], name="hotline_one_tier_proposal"),
            models.CheckConstraint(
                condition=Q(proposed_tier__gte=1, proposed_tier__lte=3),
                name="hotline_proposed_tier_1_3",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quarter} {self.grid.code}: {self.current_tier} → {self.proposed_tier}"
