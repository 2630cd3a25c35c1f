"""One file per person (一人一档, seed 000): rewards and sanctions (定奖惩, seed 001/002) and
responsibility contracts (职责状, seed 003)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RecordKind(models.TextChoices):
    """Seed 001: rewards 表扬/评先; sanctions 约谈提醒、通报批评、扣发绩效、开除辞退."""

    PRAISE = "praise", _("表扬")
    EXCELLENCE = "excellence", _("评先")
    TALK = "talk", _("约谈提醒")
    CRITICISM = "criticism", _("通报批评")
    WITHHOLD = "withhold", _("扣发绩效")
    DISMISSAL = "dismissal", _("开除辞退")


REWARD_KINDS = frozenset({RecordKind.PRAISE, RecordKind.EXCELLENCE})


class RewardSanction(models.Model):
    """A reward or sanction of one person, with its reason and the approver (奖惩记录)."""

    staff = models.ForeignKey(
        "people.Staff", on_delete=models.PROTECT, related_name="rewards_sanctions"
    )
    kind = models.CharField(_("类别"), max_length=16, choices=RecordKind.choices)
    reason = models.TextField(_("事由"))
    month = models.CharField(_("考核月份"), max_length=7, blank=True)
    amount = models.DecimalField(
        _("扣发金额"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    decided_on = models.DateField(_("决定日期"))
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_on", "-pk"]
        verbose_name = _("奖惩记录")
        verbose_name_plural = _("奖惩记录")

    def __str__(self) -> str:
        return f"{self.staff_id} {self.get_kind_display()}"

    @property
    def is_reward(self) -> bool:
        return self.kind in REWARD_KINDS


class ResponsibilityContract(models.Model):
    """A responsibility contract (职责状, seed 003) between a town and a village: targets, the
    signing date, and the assessment score the village must reach under a scheme."""

    year = models.PositiveSmallIntegerField(_("年度"))
    town = models.ForeignKey(
        "grids.Grid", on_delete=models.PROTECT, related_name="+", verbose_name=_("乡镇")
    )
    village = models.ForeignKey(
        "grids.Grid", on_delete=models.PROTECT, related_name="+", verbose_name=_("村(社区)")
    )
    targets = models.TextField(_("目标任务"))
    scheme_code = models.CharField(_("考核方案"), max_length=32)
    target_score = models.DecimalField(_("目标得分"), max_digits=8, decimal_places=2)
    signed_on = models.DateField(_("签订日期"))
    town_signatory = models.ForeignKey(
        "people.Staff", on_delete=models.PROTECT, related_name="+", verbose_name=_("乡镇签订人")
    )
    village_signatory = models.ForeignKey(
        "people.Staff", on_delete=models.PROTECT, related_name="+", verbose_name=_("村签订人")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-year", "village__code"]
        verbose_name = _("职责状")
        verbose_name_plural = _("职责状")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "village", "scheme_code"], name="contract_once_per_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.village_id}"
