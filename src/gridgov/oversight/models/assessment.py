"""Assessment (考核): schemes as versioned data, monthly runs frozen when published, the office's
inputs (manual scores, surveys) and appeals (申诉)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.oversight.indicators import INDICATORS, UnitKind

UNIT_CHOICES = [(k, UnitKind.LABELS[k]) for k in UnitKind.ALL]
INDICATOR_CHOICES = [(code, i.name) for code, i in INDICATORS.items()]


class ItemKind(models.TextChoices):
    """How an item scores (STANDARDS: rate items clamped, deduction items capped)."""

    RATE = "rate", _("指标计算")
    DEDUCTION = "deduction", _("按次扣分")
    MANUAL = "manual", _("评分人打分")
    SURVEY = "survey", _("满意度测评")


class RateFormula(models.TextChoices):
    DIRECT = "direct", _("权重×比率")
    INVERSE = "inverse", _("权重×(1−比率)")


class WhenEmpty(models.TextChoices):
    """A rate with nothing due (0/0): full points (nothing failed) or none."""

    FULL = "full", _("得满分")
    ZERO = "zero", _("不得分")


class Scheme(models.Model):
    """An assessment scheme (考核方案), one version of it (seed 002: 百分制; seed 003: 千分制)."""

    code = models.CharField(_("编码"), max_length=32)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    unit_kinds = models.JSONField(_("考核对象"), default=list)
    # seed 002: "工作队考核评分结果占职能部门考核评分的7%": the share this scheme's score carries
    # in a department's overall assessment, in percent (blank when it stands alone).
    share_in_department = models.DecimalField(
        _("占职能部门考核比重(%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    is_current = models.BooleanField(_("现行版本"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["code", "-version"]
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="scheme_code_version"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(is_current=True), name="scheme_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def total_weight(self) -> float:
        return float(sum(i.weight for i in self.items.all()))


class SchemeItem(models.Model):
    """One scored item of a scheme (考核项目), with its weight and how it scores."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    code = models.CharField(_("编码"), max_length=40)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("计分方式"), max_length=16, choices=ItemKind.choices)
    weight = models.DecimalField(_("分值"), max_digits=7, decimal_places=2)
    indicator = models.CharField(_("指标"), max_length=32, choices=INDICATOR_CHOICES, blank=True)
    formula = models.CharField(
        _("公式"), max_length=16, choices=RateFormula.choices, default=RateFormula.DIRECT
    )
    when_empty = models.CharField(
        _("无应办数时"), max_length=8, choices=WhenEmpty.choices, default=WhenEmpty.FULL
    )
    per_event = models.DecimalField(_("每次扣分"), max_digits=7, decimal_places=2, default=0)
    cap = models.DecimalField(_("扣分上限"), max_digits=7, decimal_places=2, default=0)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["scheme", "order", "pk"]
        verbose_name = _("考核项目")
        verbose_name_plural = _("考核项目")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="scheme_item_code"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.weight})"


class ManualScore(models.Model):
    """A score a named assessor gives one unit on one manual item for one month (定性评分)."""

    scheme_code = models.CharField(max_length=32)
    item_code = models.CharField(max_length=40)
    month = models.CharField(_("月份"), max_length=7)
    unit_kind = models.CharField(max_length=16, choices=UNIT_CHOICES)
    unit_code = models.CharField(max_length=64)
    points = models.DecimalField(_("得分"), max_digits=7, decimal_places=2)
    note = models.TextField(_("评分依据"), blank=True)
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("人工评分")
        verbose_name_plural = _("人工评分")
        constraints = [
            models.UniqueConstraint(
                fields=["scheme_code", "item_code", "month", "unit_kind", "unit_code"],
                name="manual_score_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.unit_code} {self.item_code} {self.points}"


class SurveyResult(models.Model):
    """A satisfaction survey of one unit for one month (民意测评, seed 002: 满意 5、一般满意 4、
    不满意 3 分为基数,按得票数比例计分), entered by the office that ran it."""

    month = models.CharField(_("月份"), max_length=7)
    unit_kind = models.CharField(max_length=16, choices=UNIT_CHOICES)
    unit_code = models.CharField(max_length=64)
    satisfied = models.PositiveIntegerField(_("满意"), default=0)
    fairly = models.PositiveIntegerField(_("一般满意"), default=0)
    dissatisfied = models.PositiveIntegerField(_("不满意"), default=0)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("满意度测评")
        verbose_name_plural = _("满意度测评")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "unit_kind", "unit_code"], name="survey_result_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.unit_code}"

    @property
    def votes(self) -> int:
        return self.satisfied + self.fairly + self.dissatisfied


class RunState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已公布")
    SUPERSEDED = "superseded", _("已更正")


class AssessmentRun(models.Model):
    """One month's assessment of every unit of a kind under one scheme version (月度考核)."""

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="runs")
    month = models.CharField(_("月份"), max_length=7)
    unit_kind = models.CharField(_("考核对象"), max_length=16, choices=UNIT_CHOICES)
    revision = models.PositiveSmallIntegerField(_("修订"), default=1)
    state = models.CharField(
        _("状态"), max_length=16, choices=RunState.choices, default=RunState.DRAFT
    )
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    computed_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["-month", "scheme__code", "unit_kind", "-revision"]
        verbose_name = _("考核批次")
        verbose_name_plural = _("考核批次")
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "month", "unit_kind", "revision"], name="run_revision_once"
            ),
            models.UniqueConstraint(
                fields=["scheme", "month", "unit_kind"],
                condition=Q(state="published"),
                name="run_one_published",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme.code} {self.month} {self.unit_kind} r{self.revision}"


class AssessmentResult(models.Model):
    """One unit's frozen result in a run: the score and each item's inputs and points."""

    run = models.ForeignKey(AssessmentRun, on_delete=models.CASCADE, related_name="results")
    unit_kind = models.CharField(max_length=16, choices=UNIT_CHOICES)
    code = models.CharField(_("编码"), max_length=64)
    name = models.CharField(_("名称"), max_length=100)
    # The grid or region path, for scoping (blank for departments and workers' own rows).
    path = models.CharField(max_length=255, blank=True, db_index=True)
    department_id_ref = models.PositiveIntegerField(null=True, blank=True)
    user_id_ref = models.PositiveIntegerField(null=True, blank=True)
    score = models.DecimalField(_("得分"), max_digits=8, decimal_places=2)
    rank = models.PositiveIntegerField(_("排名"), default=0)
    # [{code, name, numerator, denominator, value, points}, …] exactly as published.
    items = models.JSONField(default=list)

    class Meta:
        ordering = ["run", "rank", "code"]
        verbose_name = _("考核结果")
        verbose_name_plural = _("考核结果")
        constraints = [
            models.UniqueConstraint(fields=["run", "code"], name="result_unit_once"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.score}"


class AppealState(models.TextChoices):
    RAISED = "raised", _("已提出")
    REVIEWING = "reviewing", _("审核中")
    ACCEPTED = "accepted", _("已采纳")
    REFUSED = "refused", _("已驳回")
    APPLIED = "applied", _("已更正公布")


class Appeal(models.Model):
    """An appeal (申诉) against one item of a published result; accepted ones are corrected and
    the run is published again."""

    result = models.ForeignKey(AssessmentResult, on_delete=models.PROTECT, related_name="appeals")
    item_code = models.CharField(_("申诉项目"), max_length=40)
    reason = models.TextField(_("申诉理由"))
    requested_points = models.DecimalField(
        _("申请分值"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=AppealState.choices, default=AppealState.RAISED
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("处理意见"), blank=True)
    corrected_points = models.DecimalField(
        _("更正分值"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    applied_run = models.ForeignKey(
        AssessmentRun, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-raised_at", "-pk"]
        verbose_name = _("考核申诉")
        verbose_name_plural = _("考核申诉")

    def __str__(self) -> str:
        return f"{self.result} {self.item_code} {self.state}"


class AppealEvent(models.Model):
    """One step of an appeal, who took it and why (one verb, one row)."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="events")
    verb = models.CharField(max_length=16)
    from_state = models.CharField(max_length=16)
    to_state = models.CharField(max_length=16)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("申诉记录")
        verbose_name_plural = _("申诉记录")

    def __str__(self) -> str:
        return f"{self.appeal_id} {self.verb}"


# -- four-colour warnings (蓝黄橙红四级预警, seed 000) -------------------------------------------


class WarningLevel(models.TextChoices):
    """STANDARDS: levels one to four shown as red (highest), orange, yellow and blue."""

    BLUE = "blue", _("蓝色预警")
    YELLOW = "yellow", _("黄色预警")
    ORANGE = "orange", _("橙色预警")
    RED = "red", _("红色预警")


LEVEL_RANK = {"blue": 1, "yellow": 2, "orange": 3, "red": 4}


class RuleKind(models.TextChoices):
    CLUSTER = "cluster", _("同类案件集中发生")
    OVERDUE = "overdue", _("超期案件积压")
    SURGE = "surge", _("热线诉求激增")
    UNVISITED = "unvisited", _("重点户逾期未走访")
    # issue 11 (h11b): field work's safety hazards.
    HAZARD_OVERDUE = "hazard_overdue", _("安全隐患超期未整改")
    HAZARD_LISTED = "hazard_listed", _("重大隐患挂牌整改")


class WarningRule(models.Model):
    """A warning rule the office configures (预警规则), one version of it; thresholds per level
    live in `params` (checked by services.validate_rule_params)."""

    code = models.CharField(_("编码"), max_length=32)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=RuleKind.choices)
    params = models.JSONField(_("参数"), default=dict)
    is_current = models.BooleanField(_("现行版本"), default=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    change_note = models.CharField(_("修改说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["code", "-version"]
        verbose_name = _("预警规则")
        verbose_name_plural = _("预警规则")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="warning_rule_version"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(is_current=True), name="warning_rule_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class EarlyWarningQuerySet(models.QuerySet["EarlyWarning"]):
    def active(self) -> EarlyWarningQuerySet:
        return self.filter(lifted_at__isnull=True)

    def visible_to(self, user: object) -> EarlyWarningQuerySet:
        from gridgov.core.jurisdiction import scope_of, scope_q

        if scope_of(user).is_admin:  # type: ignore[arg-type]
            return self
        return self.filter(scope_q(user, grid_field="grid"))  # type: ignore[arg-type]


class EarlyWarning(models.Model):
    """A four-colour warning raised by a rule on one grid (预警), with its reason and facts; it
    lifts itself when the condition clears or is lifted by hand with a note."""

    rule = models.ForeignKey(WarningRule, on_delete=models.PROTECT, related_name="warnings")
    rule_code = models.CharField(max_length=32, db_index=True)
    key = models.CharField(max_length=120, db_index=True)
    grid = models.ForeignKey(
        "grids.Grid", on_delete=models.CASCADE, related_name="+", verbose_name=_("网格")
    )
    level = models.CharField(_("等级"), max_length=8, choices=WarningLevel.choices)
    reason = models.CharField(_("原因"), max_length=300)
    facts = models.JSONField(_("依据"), default=dict)
    raised_at = models.DateTimeField(_("发布时间"), default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lift_note = models.CharField(_("解除说明"), max_length=300, blank=True)
    # A warning lifted by hand stays quiet while its condition persists at the same level; it
    # may be raised again once the condition has cleared or grown.
    quiet_until_clear = models.BooleanField(default=False)

    objects = EarlyWarningQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-pk"]
        verbose_name = _("预警")
        verbose_name_plural = _("预警")
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=Q(lifted_at__isnull=True), name="warning_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.reason}"


class BulletinState(models.TextChoices):
    ISSUED = "issued", _("已发布")
    CLOSED = "closed", _("已办结")


class WarningBulletin(models.Model):
    """A warning bulletin issued by hand (预警通报, seed 000: 发布预警6期), numbered per year."""

    year = models.PositiveSmallIntegerField(_("年度"))
    number = models.PositiveSmallIntegerField(_("期号"))
    title = models.CharField(_("标题"), max_length=120)
    level = models.CharField(_("等级"), max_length=8, choices=WarningLevel.choices)
    grid = models.ForeignKey(
        "grids.Grid", on_delete=models.PROTECT, related_name="+", verbose_name=_("范围")
    )
    situation = models.TextField(_("预警情况"))
    measures = models.TextField(_("工作要求"))
    deadline = models.DateField(_("办理时限"))
    state = models.CharField(
        _("状态"), max_length=8, choices=BulletinState.choices, default=BulletinState.ISSUED
    )
    issued_at = models.DateTimeField(_("发布时间"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-year", "-number"]
        verbose_name = _("预警通报")
        verbose_name_plural = _("预警通报")
        constraints = [
            models.UniqueConstraint(fields=["year", "number"], name="bulletin_number_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.year}年第{self.number}期 {self.title}"


class RecipientState(models.TextChoices):
    SENT = "sent", _("待签收")
    ACKNOWLEDGED = "acknowledged", _("已签收")
    REPORTED = "reported", _("已反馈")


class BulletinRecipient(models.Model):
    """One department a bulletin concerns: it acknowledges, then reports back."""

    bulletin = models.ForeignKey(
        WarningBulletin, on_delete=models.CASCADE, related_name="recipients"
    )
    department = models.ForeignKey("people.Department", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(
        _("状态"), max_length=16, choices=RecipientState.choices, default=RecipientState.SENT
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    report = models.TextField(_("落实情况"), blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["bulletin", "department__code"]
        verbose_name = _("通报接收部门")
        verbose_name_plural = _("通报接收部门")
        constraints = [
            models.UniqueConstraint(
                fields=["bulletin", "department"], name="bulletin_department_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.bulletin} → {self.department_id}"
