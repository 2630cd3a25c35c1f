"""Field work: patrols and their tracks, and the places an office marks for them.

A track is not stored one row per fix (issue 11's scale: 16 M fixes a day in one district):
each batch a phone uploads (or a slice of an imported file) is one `TrackChunk` holding its
fixes packed (`fieldwork.packing`), with its time range and bounding box in plain columns so a
day's chunks of a person are one indexed range query.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.core.jurisdiction import scope_of, scope_q
from gridgov.grids.models import Grid

if TYPE_CHECKING:
    from datetime import date, datetime

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


class PatrolPeriod(models.TextChoices):
    DAILY = "daily", _("每日")
    WEEKLY = "weekly", _("每周")
    MONTHLY = "monthly", _("每月")


class PatrolStandard(models.Model):
    """How often and how much a post must patrol (巡查标准): grid workers daily (seed 001, by
    tier), embedded officers weekly in their community (seed 002), environment grids monthly at
    level 2 and weekly at level 3 (seed 003). The most specific active row applies."""

    name = models.CharField(_("名称"), max_length=100)
    # Blank matches every post kind; values are people.PostKind codes.
    post_kind = models.CharField(_("岗位类型"), max_length=32, blank=True)
    # Depth of the grid's level (GridLevel.depth); null matches every level.
    level_depth = models.PositiveSmallIntegerField(_("网格层次"), null=True, blank=True)
    # Grid management tier (GridTier); null matches every tier.
    tier = models.PositiveSmallIntegerField(_("管理等级"), null=True, blank=True)
    period = models.CharField(_("周期"), max_length=16, choices=PatrolPeriod.choices)
    min_days = models.PositiveSmallIntegerField(
        _("每周期最少巡查天数"), default=1, help_text=_("达标的巡查日数")
    )
    min_duration_s = models.PositiveIntegerField(_("每日最短时长(秒)"), default=0)
    min_mileage_m = models.PositiveIntegerField(_("每日最短里程(米)"), default=0)
    min_coverage = models.FloatField(_("每日最低覆盖率"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["post_kind", "level_depth", "tier", "pk"]
        verbose_name = _("巡查标准")
        verbose_name_plural = _("巡查标准")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_coverage__gte=0, min_coverage__lte=1),
                name="patrolstandard_coverage_0_1",
            ),
            models.CheckConstraint(condition=Q(min_days__gte=1), name="patrolstandard_min_days"),
        ]

    def __str__(self) -> str:
        return self.name

    def specificity(self) -> int:
        return sum(
            value not in (None, "") for value in (self.post_kind, self.level_depth, self.tier)
        )


class PatrolDay(models.Model):
    """One person's patrol day (Asia/Shanghai) summarised by the track rules, kept so that the
    office's daily monitoring and the compliance table read one row per person and day instead
    of every fix (issue 11: a day's summary for every worker is fast)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="patrol_days"
    )
    day = models.DateField(_("日期"))
    fixes = models.PositiveIntegerField(default=0)
    kept = models.PositiveIntegerField(default=0)
    mileage_m = models.FloatField(default=0)
    duration_s = models.FloatField(default=0)
    stay_points = models.PositiveIntegerField(default=0)
    # {unit grid code: share 0-1} for each of the person's unit grids that day.
    coverage = models.JSONField(default=dict)
    key_points_visited = models.PositiveIntegerField(default=0)
    # Share of kept fixes farther than the buffer from every one of the person's unit grids.
    outside_share = models.FloatField(default=0)
    first_fix_at = models.DateTimeField(null=True, blank=True)
    last_fix_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="patrolday_user_day"),
        ]
        indexes = [models.Index(fields=["day", "user"], name="patrolday_day_user")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day}"


class DiaryKind(models.TextChoices):
    PEOPLE = "people", _("民情日志")
    WORK = "work", _("工作日志")


class DiaryQuerySet(models.QuerySet["Diary"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> DiaryQuerySet:
        if user is None or not user.is_authenticated:
            return self.none()
        if scope_of(user).is_admin:
            return self
        return self.filter(Q(user_id=user.pk) | scope_q(user, grid_field="grid"))


class Diary(models.Model):
    """A diary entry: a worker's daily 民情日志 or an embedded officer's weekly 工作日志
    (seed 002); counted per person and period (seed 000: 8,530 entries a year)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="diaries"
    )
    kind = models.CharField(_("类别"), max_length=16, choices=DiaryKind.choices)
    day = models.DateField(_("日期"))
    grid = models.ForeignKey(
        Grid, null=True, blank=True, on_delete=models.PROTECT, related_name="diaries"
    )
    text = models.TextField(_("内容"))
    tags = models.CharField(_("标签"), max_length=200, blank=True)
    cases = models.ManyToManyField("cases.Case", blank=True, related_name="diaries")
    households = models.ManyToManyField("registry.Household", blank=True, related_name="diaries")
    # The phone's name for the entry: an entry sent again from the offline queue is kept once.
    client_key = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DiaryQuerySet.as_manager()

    class Meta:
        ordering = ["-day", "-pk"]
        verbose_name = _("日志")
        verbose_name_plural = _("日志")
        indexes = [models.Index(fields=["user", "day"], name="diary_user_day")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "client_key"],
                condition=~Q(client_key=""),
                name="diary_user_client_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.day}"


def diary_photo_path(instance: DiaryPhoto, filename: str) -> str:
    now = timezone.now()
    dot = filename.rfind(".")
    suffix = filename[dot:].lower()[:6] if dot >= 0 else ""
    return f"fieldwork/diary/{now:%Y/%m}/{secrets.token_hex(8)}{suffix}"


class DiaryPhoto(models.Model):
    """A photo of a diary entry, checked and stripped of its metadata like a case report's
    (cases/attachments.py) and served only behind the entry's visibility."""

    diary = models.ForeignKey(Diary, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to=diary_photo_path, max_length=200)
    original_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("日志照片")
        verbose_name_plural = _("日志照片")

    def __str__(self) -> str:
        return f"{self.diary_id}/{self.pk}"


class CheckKind(models.TextChoices):
    IN = "in", _("签到")
    OUT = "out", _("签退")


class CheckIn(models.Model):
    """A check-in or check-out on the phone with its position (打卡; 出勤 of seed 002's sheet)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="check_ins"
    )
    kind = models.CharField(_("类别"), max_length=8, choices=CheckKind.choices)
    at = models.DateTimeField(_("时间"))
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    accuracy = models.FloatField(_("精度(米)"), null=True, blank=True)
    # The unit grid the position falls in, if any (located when recorded).
    grid = models.ForeignKey(
        Grid, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The phone's name for the check-in: one sent again from the offline queue is kept once.
    client_key = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("打卡")
        verbose_name_plural = _("打卡")
        indexes = [models.Index(fields=["user", "at"], name="checkin_user_at")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "client_key"],
                condition=~Q(client_key=""),
                name="checkin_user_client_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class LeaveKind(models.TextChoices):
    PERSONAL = "personal", _("事假")
    SICK = "sick", _("病假")
    ANNUAL = "annual", _("年休假")
    OTHER = "other", _("其他")


class Leave(models.Model):
    """A leave record (请假): days a person is excused from attendance and patrols."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="leaves"
    )
    kind = models.CharField(_("类别"), max_length=16, choices=LeaveKind.choices)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    reason = models.CharField(_("事由"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        verbose_name = _("请假")
        verbose_name_plural = _("请假")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="leave_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.starts_on}–{self.ends_on}"

    @property
    def days(self) -> int:
        """Calendar days the leave spans, both ends included."""
        return (self.ends_on - self.starts_on).days + 1


class DutyShift(models.Model):
    """A duty shift of the office (值班, seed 000): who is on duty, for which grid subtree."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="duty_shifts"
    )
    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, related_name="duty_shifts")
    starts_at = models.DateTimeField(_("开始"))
    ends_at = models.DateTimeField(_("结束"))
    note = models.CharField(_("说明"), max_length=100, blank=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("值班")
        verbose_name_plural = _("值班")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="dutyshift_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["grid", "starts_at"], name="dutyshift_grid_start")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.starts_at:%Y-%m-%d %H:%M}"


# --- household visits by plan (走访, issue 11; h11a) -----------------------------------------------


class VisitPlanKind(models.TextChoices):
    """What a plan asks of a contact worker (seed 003): a home visit to each key household
    monthly, to each ordinary household quarterly, a policy talk to each contact household
    quarterly; and occasions raised one by one (必访/必到)."""

    KEY = "key", _("重点户走访")
    ORDINARY = "ordinary", _("普通户走访")
    POLICY_TALK = "policy_talk", _("微宣讲")
    OCCASION = "occasion", _("必访必到")


class VisitKind(models.TextChoices):
    HOME = "home", _("入户走访")
    POLICY_TALK = "policy_talk", _("微宣讲")
    OCCASION = "occasion", _("必访必到")


class Occasion(models.TextChoices):
    # seed 003: 突发事件、意外事件、邻里矛盾纠纷必到; 四必到 and 五必访 as a town defines them.
    EMERGENCY = "emergency", _("突发事件必到")
    ACCIDENT = "accident", _("意外事件必到")
    DISPUTE = "dispute", _("邻里纠纷必到")
    FOUR_MUST_ATTEND = "four_attend", _("四必到")
    FIVE_MUST_VISIT = "five_visit", _("五必访")


class VisitCadence(models.Model):
    """How often a plan kind is due (走访频次): one row per kind, admin-editable; the defaults
    are seed 003's (key households monthly, ordinary quarterly, policy talks quarterly)."""

    kind = models.CharField(_("类别"), max_length=16, choices=VisitPlanKind.choices, unique=True)
    # Period length in calendar months, periods aligned to 1 January: 1 monthly, 3 quarterly.
    months = models.PositiveSmallIntegerField(_("周期(月)"), default=1)
    is_active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["kind"]
        verbose_name = _("走访频次")
        verbose_name_plural = _("走访频次")
        constraints = [
            models.CheckConstraint(
                condition=Q(months__in=[1, 2, 3, 4, 6, 12]), name="visitcadence_months_divide_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} / {self.months}"


class VisitQuerySet(models.QuerySet["Visit"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> VisitQuerySet:
        """A worker's own visits, and visits to households in grids inside the user's scope."""
        if user is None or not user.is_authenticated:
            return self.none()
        if scope_of(user).is_admin:
            return self
        return self.filter(Q(user_id=user.pk) | scope_q(user, grid_field="grid"))


class Visit(models.Model):
    """A household visit record (走访记录, seed 003): who was met, what was learnt, problems
    found (one may become a case, linked here) and assistance given (seed 004)."""

    # Made by the phone, so a visit recorded offline is stored once however often it is sent.
    uid = models.UUIDField(_("编号"), unique=True, default=uuid.uuid4)
    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="visits"
    )
    # The household's unit grid when visited: scoping and per-grid counts read it directly.
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="visits")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits"
    )
    kind = models.CharField(_("类别"), max_length=16, choices=VisitKind.choices)
    visited_at = models.DateTimeField(_("走访时间"))
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    people_met = models.CharField(_("走访对象"), max_length=200, blank=True)
    learnt = models.TextField(_("了解情况"), blank=True)
    problems = models.TextField(_("发现问题"), blank=True)
    assistance = models.TextField(_("帮扶措施"), blank=True)
    patrol = models.ForeignKey(
        Patrol, null=True, blank=True, on_delete=models.SET_NULL, related_name="visits"
    )
    case = models.OneToOneField(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visit",
        verbose_name=_("转立案件"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["-visited_at", "-pk"]
        verbose_name = _("走访")
        verbose_name_plural = _("走访")
        indexes = [
            models.Index(fields=["household", "visited_at"], name="visit_household_at"),
            models.Index(fields=["user", "visited_at"], name="visit_user_at"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.visited_at:%Y-%m-%d}"


class VisitTaskQuerySet(models.QuerySet["VisitTask"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> VisitTaskQuerySet:
        if user is None or not user.is_authenticated:
            return self.none()
        if scope_of(user).is_admin:
            return self
        return self.filter(Q(worker_id=user.pk) | scope_q(user, grid_field="grid"))

    def open(self) -> VisitTaskQuerySet:
        return self.filter(visit__isnull=True)

    def overdue(self, at: datetime) -> VisitTaskQuerySet:
        return self.open().filter(due_at__lt=at)


class VisitTask(models.Model):
    """A visit a worker owes (走访任务): generated from the registry by the cadences, or raised
    for an occasion (必访/必到) by anyone in scope, with a deadline; done by a visit."""

    kind = models.CharField(_("类别"), max_length=16, choices=VisitPlanKind.choices)
    household = models.ForeignKey(
        "registry.Household", on_delete=models.CASCADE, related_name="visit_tasks"
    )
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="visit_tasks")
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="visit_tasks",
        verbose_name=_("网格员"),
    )
    # Plan tasks: the first day of their period (the generator's idempotency key); null for
    # occasions.
    period_start = models.DateField(_("周期开始"), null=True, blank=True)
    opens_at = models.DateTimeField(_("开始时间"))
    # Stored so the overdue sweep is one indexed range query (healthchecks).
    due_at = models.DateTimeField(_("期限"))
    occasion = models.CharField(_("事由类别"), max_length=16, choices=Occasion.choices, blank=True)
    reason = models.CharField(_("事由"), max_length=200, blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    visit = models.ForeignKey(
        Visit, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisitTaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("走访任务")
        verbose_name_plural = _("走访任务")
        constraints = [
            models.UniqueConstraint(
                fields=["household", "kind", "period_start"],
                condition=Q(period_start__isnull=False),
                name="visittask_one_per_period",
            ),
            models.CheckConstraint(
                condition=Q(due_at__gt=F("opens_at")), name="visittask_due_after_open"
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"], condition=Q(visit__isnull=True), name="visittask_open_due"
            ),
            models.Index(fields=["worker", "due_at"], name="visittask_worker_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.household_id} {self.due_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.visit_id is None

    @property
    def last_day(self) -> date:
        """The last Asia/Shanghai day of a plan task's period (its deadline is the midnight
        after it)."""
        from gridgov.fieldwork.services import LOCAL_TZ

        return (self.due_at - timedelta(microseconds=1)).astimezone(LOCAL_TZ).date()


# --- surveys (民情调查表, issue 11; h11a) ----------------------------------------------------------


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("单选")
    MULTIPLE = "multiple", _("多选")
    TEXT = "text", _("文字")
    NUMBER = "number", _("数字")
    DATE = "date", _("日期")
    YES_NO = "yes_no", _("是/否")


class SurveyQuerySet(models.QuerySet["Survey"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> SurveyQuerySet:
        """Surveys of a grid inside the user's scope or above it (a town's survey reaches its
        villages' workers)."""
        from gridgov.grids.models import path_with_ancestors

        if user is None or not user.is_authenticated:
            return self.none()
        scope = scope_of(user)
        if scope.is_admin:
            return self
        above = [p for root in scope.all_grid_paths() for p in path_with_ancestors(root)]
        return self.filter(scope_q(user, grid_field="grid") | Q(grid__path__in=above))


class Survey(models.Model):
    """A survey form the office designs (民情调查表, seed 002), filled per household."""

    title = models.CharField(_("标题"), max_length=120)
    description = models.TextField(_("说明"), blank=True)
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="surveys")
    is_open = models.BooleanField(_("开放填写"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SurveyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("民情调查表")
        verbose_name_plural = _("民情调查表")

    def __str__(self) -> str:
        return self.title


class SurveyQuestion(models.Model):
    """One question of a survey, of the usual types."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(_("题目"), max_length=200)
    kind = models.CharField(_("题型"), max_length=16, choices=QuestionKind.choices)
    # The options of a single or multiple choice question, in order.
    choices = models.JSONField(_("选项"), default=list, blank=True)
    required = models.BooleanField(_("必答"), default=True)

    class Meta:
        ordering = ["survey_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "position"], name="surveyquestion_position"),
        ]

    def __str__(self) -> str:
        return self.text


class SurveyResponseQuerySet(models.QuerySet["SurveyResponse"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> SurveyResponseQuerySet:
        if user is None or not user.is_authenticated:
            return self.none()
        if scope_of(user).is_admin:
            return self
        return self.filter(Q(user_id=user.pk) | scope_q(user, grid_field="grid"))


class SurveyResponse(models.Model):
    """One household's answers to a survey, filled by a worker on the phone."""

    uid = models.UUIDField(unique=True, default=uuid.uuid4)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="survey_responses"
    )
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # {str(question id): answer}: a string, a number, a list of option strings or a boolean.
    answers = models.JSONField(default=dict)
    submitted_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SurveyResponseQuerySet.as_manager()

    class Meta:
        ordering = ["survey_id", "submitted_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "household"], name="surveyresponse_once"),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}/{self.household_id}"


# h11b: business safety and special campaigns live in their own module (issue 11).
from gridgov.fieldwork.safety import models as safety_models  # noqa: E402, F401
