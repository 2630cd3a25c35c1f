"""What an office keeps for its work summaries: its own text sections per unit and period, and
its own Word templates (imported by ReportsConfig.ready)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SummaryText(models.Model):
    """The office's own text sections of one summary (unit and period), edited before export."""

    unit_kind = models.CharField(_("对象类别"), max_length=16)
    unit_code = models.CharField(_("对象编码"), max_length=64)
    period = models.CharField(_("期间"), max_length=10)
    title = models.CharField(_("标题"), max_length=120, blank=True)
    # [{"title": "一、…", "body": "…"}, …]
    sections = models.JSONField(_("文字部分"), default=list)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("工作总结文字")
        verbose_name_plural = _("工作总结文字")
        constraints = [
            models.UniqueConstraint(
                fields=["unit_kind", "unit_code", "period"], name="reports_one_text_per_summary"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_kind}:{self.unit_code} {self.period}"


class SummaryTemplate(models.Model):
    """A Word template (.docx with docxtpl tags) an office uploaded for its territory; the newest
    one of the unit's grid or the nearest grid above it is used, else the one the app ships."""

    name = models.CharField(_("名称"), max_length=120)
    grid = models.ForeignKey(
        "grids.Grid",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("适用范围"),
    )
    content = models.BinaryField(_("模板文件"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        verbose_name = _("工作总结模板")
        verbose_name_plural = _("工作总结模板")

    def __str__(self) -> str:
        return self.name
