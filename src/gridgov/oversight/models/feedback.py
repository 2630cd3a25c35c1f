"""What others say of the grid work: the residents' short survey (群众评价/知晓度, seed 002's
群众评价 item), and the two-way assessment between the platform and the departments (双向考核,
seed 003)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SurveySource(models.TextChoices):
    BOARD = "board", _("公示牌二维码")
    CALLBACK = "callback", _("案件回访")


class ResidentSurvey(models.Model):
    """One resident's answer, anonymous: do they know their grid worker, a rating of the grid's
    work (1–5) and an optional comment; counted per unit grid and month."""

    grid = models.ForeignKey(
        "grids.Grid", on_delete=models.CASCADE, related_name="+", verbose_name=_("网格")
    )
    month = models.CharField(_("月份"), max_length=7, db_index=True)
    source = models.CharField(_("来源"), max_length=16, choices=SurveySource.choices)
    # The case whose callback link was used (one answer per case).
    case = models.OneToOneField(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    knows_worker = models.BooleanField(_("认识网格员"))
    rating = models.PositiveSmallIntegerField(
        _("评价"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.CharField(_("意见建议"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("群众评价")
        verbose_name_plural = _("群众评价")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="resident_survey_rating_1_5"
            )
        ]
        indexes = [models.Index(fields=["month", "grid"], name="resident_survey_month_grid")]

    def __str__(self) -> str:
        return f"{self.month} {self.grid_id} {self.rating}"


class RatingDirection(models.TextChoices):
    DEPARTMENT_RATES_PLATFORM = "dept_to_platform", _("部门评价平台派遣")
    PLATFORM_RATES_DEPARTMENT = "platform_to_dept", _("平台评价部门处置")


class TwoWayRating(models.Model):
    """One month's rating in the two-way assessment (双向考核, seed 003): a department rates the
    dispatch quality of a platform (the town or county grid it works with), or the platform rates
    a department's handling; a score out of 100 with the reason, by a named rater."""

    month = models.CharField(_("月份"), max_length=7, db_index=True)
    direction = models.CharField(_("方向"), max_length=16, choices=RatingDirection.choices)
    department = models.ForeignKey(
        "people.Department", on_delete=models.PROTECT, related_name="+", verbose_name=_("部门")
    )
    platform = models.ForeignKey(
        "grids.Grid", on_delete=models.PROTECT, related_name="+", verbose_name=_("平台")
    )
    score = models.DecimalField(
        _("评分"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    note = models.TextField(_("评价意见"))
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-month", "direction", "department__code"]
        verbose_name = _("双向考核评分")
        verbose_name_plural = _("双向考核评分")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "direction", "department", "platform"],
                name="two_way_rating_once",
            ),
            models.CheckConstraint(
                condition=models.Q(score__gte=0, score__lte=100), name="two_way_rating_0_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.direction} {self.department_id} {self.score}"
