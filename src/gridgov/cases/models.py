"""Cases (事件/案件) from intake to callback, the matter catalogue (事项清单) that routes them, and
the typed event rows every step leaves behind (seed 000: 痕迹化管理; seed 002: 统一受理、分类处置、
逐级上报、跟踪督查、评价奖惩; seed 003: 申报单、交办单、催办单、反馈单).

Transition methods only change fields of the case; services (services.py) guard, act, save and
write the CaseEvent row in one transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from gridgov.core.crypto import BlindIndexField, EncryptedTextField
from gridgov.core.jurisdiction import scope_of, scope_q
from gridgov.core.masking import normalise_phone_lenient
from gridgov.grids.models import Grid, Region
from gridgov.people.models import Department, DepartmentKind

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


# ---------------------------------------------------------------------------------------------
# Vocabulary


class PlatformLevel(models.TextChoices):
    """The platform holding a case, and where it was finally closed (seed 004: 120 in the village,
    162 by town departments, 2 by district departments, 4 handed to the 96361 hotline)."""

    VILLAGE = "village", _("村(社区)")
    TOWN = "town", _("乡镇(街道)")
    COUNTY = "county", _("县(区)")
    CITY = "city", _("市")
    HOTLINE = "hotline", _("转交热线")


# Region levels (grids.RegionLevel) → the platform level serving that region.
REGION_LEVEL_TO_PLATFORM = {
    2: PlatformLevel.CITY,
    3: PlatformLevel.COUNTY,
    4: PlatformLevel.TOWN,
    5: PlatformLevel.VILLAGE,
}


class Channel(models.TextChoices):
    """Where a case came from (来源渠道; seeds 001, 002, 004)."""

    PATROL = "patrol", _("网格员巡查上报")
    RESIDENT = "resident", _("群众反映")
    HOTLINE = "hotline", _("热线转办")
    DEPARTMENT = "department", _("部门移交")
    OFFSITE = "offsite", _("非现场检查")
    PARTY_MEMBER = "party_member", _("党员报告")
    # Outside reporting apps through Open311 GeoReport v2; the app's name is kept by the open311
    # app's submission row.
    OPEN311 = "open311", _("Open311 应用")


class Urgency(models.TextChoices):
    """How urgent a report is (紧急程度): ordinary 一般, urgent 紧急, emergency 突发 (seed 003)."""

    ORDINARY = "ordinary", _("一般")
    URGENT = "urgent", _("紧急")
    EMERGENCY = "emergency", _("突发")


class HandlingMode(models.TextChoices):
    """Seed 003: 一般性工作现场处理、需要协调处理、突发性事件、需要审批的工作."""

    ON_SPOT = "on_spot", _("现场处理")
    COORDINATE = "coordinate", _("需协调处理")
    EMERGENCY = "emergency", _("突发事件")
    APPROVAL = "approval", _("需审批(掌握信息)")


class CaseState(models.TextChoices):
    """Where a case stands in its lifecycle (案件状态), from 已上报 to 已回访 (seed 002)."""

    REPORTED = "reported", _("已上报")
    RECORDED = "recorded", _("已备案")
    ACCEPTED = "accepted", _("已受理")
    REGISTERED = "registered", _("已立案")
    DISPATCHED = "dispatched", _("已派遣")
    HANDLING = "handling", _("处置中")
    RETURNED = "returned", _("已退回")
    FED_BACK = "fed_back", _("已反馈")
    VERIFIED = "verified", _("已核查")
    CLOSED = "closed", _("已结案")
    CALLED_BACK = "called_back", _("已回访")
    REJECTED = "rejected", _("不予受理")
    MERGED = "merged", _("已合并")


S = CaseState
OPEN_STATES = frozenset(
    {
        S.REPORTED,
        S.ACCEPTED,
        S.REGISTERED,
        S.DISPATCHED,
        S.HANDLING,
        S.RETURNED,
        S.FED_BACK,
        S.VERIFIED,
    }
)
CLOSED_STATES = frozenset({S.CLOSED, S.CALLED_BACK})
INVALID_STATES = frozenset({S.REJECTED, S.MERGED})


class ClosureType(models.TextChoices):
    """How a case was closed (结案类型, STANDARDS): normal, overdue, erroneous, special."""

    NORMAL = "normal", _("正常结案")
    OVERDUE = "overdue", _("超时结案")
    ERRONEOUS = "erroneous", _("差错结案")
    SPECIAL = "special", _("特殊结案")


class Satisfaction(models.IntegerChoices):
    """The reporter's rating at the callback (满意度, seed 002): 5, 4 or 3."""

    SATISFIED = 5, _("满意")
    FAIRLY = 4, _("基本满意")
    DISSATISFIED = 3, _("不满意")


class LimitUnit(models.TextChoices):
    """The unit a handling limit counts in (时限单位): working days, working hours, clock hours."""

    WORKDAYS = "workdays", _("工作日")
    WORK_HOURS = "work_hours", _("工作小时")
    CLOCK_HOURS = "clock_hours", _("自然小时")


class ReturnReason(models.TextChoices):
    """Why a department returned an assignment; "not ours" counts against accurate dispatch
    (STANDARDS: 准确派遣率)."""

    NOT_OURS = "not_ours", _("非本单位职责")
    INSUFFICIENT = "insufficient", _("信息不全")
    OTHER = "other", _("其他")


class PlatformStep(models.TextChoices):
    """A platform's own step before a department takes the case over (平台环节): accepting the
    report (受理核实) and registering and dispatching it (立案派遣), each with a time limit
    (STANDARDS: register + dispatch ≤ 30 min ordinary, ≤ 10 min urgent; verification 1–2 h)."""

    ACCEPT = "accept", _("受理核实")
    DISPATCH = "dispatch", _("立案派遣")


class StepLimit(models.Model):
    """How long a platform may take for one step at one urgency (环节时限): rows an
    administrator edits, not constants, since towns set their own (STANDARDS: time limits)."""

    step = models.CharField(_("环节"), max_length=16, choices=PlatformStep.choices)
    urgency = models.CharField(_("紧急程度"), max_length=16, choices=Urgency.choices)
    minutes = models.PositiveIntegerField(_("时限(分钟)"))
    # Ordinary and urgent steps wait for office hours; an emergency's clock never stops.
    working_time = models.BooleanField(_("只计工作时间"), default=True)

    class Meta:
        ordering = ["step", "urgency"]
        verbose_name = _("环节时限")
        verbose_name_plural = _("环节时限")
        constraints = [
            models.UniqueConstraint(fields=["step", "urgency"], name="step_limit_unique"),
            models.CheckConstraint(condition=Q(minutes__gte=1), name="step_limit_minutes_ge_1"),
        ]

    def __str__(self) -> str:
        return f"{self.get_step_display()} · {self.get_urgency_display()}: {self.minutes}"


# The step a platform owes in each state; any other state runs no step clock.
STEP_OF_STATE: dict[str, str] = {
    S.REPORTED: PlatformStep.ACCEPT,
    S.ACCEPTED: PlatformStep.DISPATCH,
    S.REGISTERED: PlatformStep.DISPATCH,
    S.RETURNED: PlatformStep.DISPATCH,
}


# ---------------------------------------------------------------------------------------------
# Catalogue of matters (事项清单)


class MatterClass(models.Model):
    """A class of matters in the catalogue (事项大类; seed 001: 7 大类 27 项)."""

    code = models.CharField(_("编码"), max_length=16, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("事项大类")
        verbose_name_plural = _("事项大类")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class MatterItemQuerySet(models.QuerySet["MatterItem"]):
    def active(self) -> MatterItemQuerySet:
        return self.filter(is_active=True, matter_class__is_active=True)


class MatterItem(models.Model):
    """One matter of the catalogue (事项) with its time limits and on-the-spot rule (限时办理)."""

    matter_class = models.ForeignKey(
        MatterClass, on_delete=models.PROTECT, related_name="items", verbose_name=_("大类")
    )
    code = models.CharField(_("编码"), max_length=16, unique=True)
    name = models.CharField(_("名称"), max_length=80)
    description = models.TextField(_("说明"), blank=True)
    # Handling limits: working days for ordinary cases, working hours for urgent ones and clock
    # hours for emergencies (STANDARDS: limits in working hours and days both exist).
    limit_days = models.PositiveSmallIntegerField(_("办理时限(工作日)"), default=5)
    urgent_hours = models.PositiveSmallIntegerField(_("紧急时限(工作小时)"), default=8)
    emergency_hours = models.PositiveSmallIntegerField(_("突发时限(自然小时)"), default=2)
    on_spot_allowed = models.BooleanField(_("可现场处理"), default=False)
    # Possible duplicates: same grid, same item, within this distance and time.
    duplicate_radius_m = models.PositiveIntegerField(_("疑似重复距离(米)"), default=100)
    duplicate_window_hours = models.PositiveIntegerField(_("疑似重复时段(小时)"), default=72)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    objects = MatterItemQuerySet.as_manager()

    class Meta:
        ordering = ["matter_class__order", "order", "code"]
        verbose_name = _("事项")
        verbose_name_plural = _("事项清单")
        constraints = [
            models.CheckConstraint(condition=Q(limit_days__gte=1), name="matter_limit_days_ge_1"),
            models.CheckConstraint(condition=Q(urgent_hours__gte=1), name="matter_urgent_ge_1"),
            models.CheckConstraint(
                condition=Q(emergency_hours__gte=1), name="matter_emergency_ge_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class AttributeDatatype(models.TextChoices):
    """The kinds of answer an item's extra question takes (Open311 GeoReport v2 datatypes)."""

    STRING = "string", _("短文本")
    NUMBER = "number", _("数字")
    DATETIME = "datetime", _("日期时间")
    TEXT = "text", _("长文本")
    SINGLE = "singlevaluelist", _("单选")
    MULTI = "multivaluelist", _("多选")


class MatterAttribute(models.Model):
    """An extra question a catalogue item asks when it is reported (事项附加信息), e.g. the
    size of a pothole; served as the item's Open311 service definition."""

    item = models.ForeignKey(
        MatterItem, on_delete=models.CASCADE, related_name="attributes", verbose_name=_("事项")
    )
    code = models.CharField(_("编码"), max_length=50)
    datatype = models.CharField(
        _("类型"),
        max_length=16,
        choices=AttributeDatatype.choices,
        default=AttributeDatatype.STRING,
    )
    description = models.CharField(_("问题"), max_length=200)
    datatype_description = models.CharField(_("填写说明"), max_length=200, blank=True)
    required = models.BooleanField(_("必填"), default=False)
    # False: a notice shown to the reporter, not a question (Open311's `variable`).
    variable = models.BooleanField(_("需填写"), default=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=1)
    # Options of the list types: [{"key": "...", "name": "..."}, ...]
    values = models.JSONField(_("选项"), default=list, blank=True)

    class Meta:
        ordering = ["item", "order", "pk"]
        verbose_name = _("事项附加信息")
        verbose_name_plural = _("事项附加信息")
        constraints = [
            models.UniqueConstraint(fields=["item", "code"], name="matter_attribute_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} · {self.code}"

    def clean(self) -> None:
        """The admin's check: list types need options, each a {"key", "name"} pair."""
        from django.core.exceptions import ValidationError

        values = self.values if isinstance(self.values, list) else None
        if values is None or not all(
            isinstance(v, dict) and str(v.get("key", "")).strip() and str(v.get("name", "")).strip()
            for v in values
        ):
            raise ValidationError({"values": _('选项须为 [{"key": "…", "name": "…"}, …]')})
        lists = {AttributeDatatype.SINGLE, AttributeDatatype.MULTI}
        if self.datatype in lists and not values:
            raise ValidationError({"values": _("单选、多选须填写选项")})
        if self.datatype not in lists and values:
            raise ValidationError({"values": _("只有单选、多选有选项")})

    @property
    def value_keys(self) -> list[str]:
        return [str(v.get("key", "")) for v in self.values if isinstance(v, dict)]


class MatterRoute(models.Model):
    """Who handles a matter at a platform level: routing is data (FixMyStreet: category × body).

    A row names either a department kind (the level's department of that kind serving the case's
    region is chosen) or one department (for deployments where the kind is not enough)."""

    item = models.ForeignKey(
        MatterItem, on_delete=models.CASCADE, related_name="routes", verbose_name=_("事项")
    )
    level = models.CharField(
        _("平台层级"),
        max_length=16,
        choices=[c for c in PlatformLevel.choices if c[0] != PlatformLevel.HOTLINE],
    )
    department_kind = models.CharField(
        _("部门类别"), max_length=32, choices=DepartmentKind.choices, blank=True
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="matter_routes",
        verbose_name=_("指定部门"),
    )

    class Meta:
        ordering = ["item", "level", "pk"]
        verbose_name = _("事项派遣规则")
        verbose_name_plural = _("事项派遣规则")
        constraints = [
            models.CheckConstraint(
                condition=~Q(department_kind="") | Q(department__isnull=False),
                name="matter_route_has_target",
            ),
        ]

    def __str__(self) -> str:
        target = self.department or self.get_department_kind_display()
        return f"{self.item.code} · {self.get_level_display()} → {target}"


# ---------------------------------------------------------------------------------------------
# Cases

TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_tracking_code() -> str:
    """Ten characters without 0/O/1/I: readable over the phone, 32^10 ≈ 10^15 to guess from."""
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(10))


# Extra ways to see a case that a higher app adds from its AppConfig.ready (oversight: members of
# a 条块融合 group see the group's cases). Each hook takes the user and returns a Q over Case
# (or None); `visible_to` ORs them into the one scoping path, so `get_object_or_404` over it
# answers them too.
VISIBILITY_HOOKS: dict[str, Callable[[Any], Q | None]] = {}


def register_visibility_hook(name: str, hook: Callable[[Any], Q | None]) -> None:
    VISIBILITY_HOOKS[name] = hook


class CaseQuerySet(models.QuerySet["Case"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> CaseQuerySet:
        """Cases the user may see: territorial scopes (grid/region subtree) for workers,
        operators and leaders, the cases a worker reported, and for a department handler the
        cases with an assignment (sub-task) of their department."""
        scope = scope_of(user)
        if scope.is_admin:
            return self
        q = scope_q(user, grid_field="grid")
        if user is not None and user.is_authenticated:
            q |= Q(reporter_id=user.pk)
        departments = scope.all_department_ids()
        if departments:
            q |= Q(
                Exists(
                    CaseTask.objects.filter(case_id=OuterRef("pk"), department_id__in=departments)
                )
            )
        for hook in VISIBILITY_HOOKS.values():
            extra = hook(user)
            if extra is not None:
                q |= extra
        return self.filter(q)

    def within(self, grid: Grid) -> CaseQuerySet:
        return self.filter(grid__path__startswith=grid.path)

    def open(self) -> CaseQuerySet:
        return self.filter(state__in=OPEN_STATES)

    def closed(self) -> CaseQuerySet:
        return self.filter(state__in=CLOSED_STATES)

    def overdue(self, at: dt.datetime | None = None) -> CaseQuerySet:
        return self.open().filter(due_at__lt=at or timezone.now())

    def at_level(self, region_ids: frozenset[int] | set[int] | list[int]) -> CaseQuerySet:
        return self.filter(level_region_id__in=region_ids)


class Case(ConcurrentTransitionMixin, models.Model):
    """A reported problem (事件/案件), from intake to callback (seed 002: 统一受理…评价奖惩)."""

    state = FSMField(
        _("状态"), choices=CaseState.choices, default=CaseState.REPORTED, protected=True
    )
    # Bumped by every service write: a client that sends the version it saw gets 409 when the
    # case changed since (the stale-view path; the state check covers concurrent transitions).
    version = models.PositiveIntegerField(default=1)
    channel = models.CharField(_("来源渠道"), max_length=16, choices=Channel.choices)
    # The hotline's own case number (12345/96361), kept so the two systems can be matched.
    external_number = models.CharField(_("外部编号"), max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=160, blank=True, default="", editable=False)
    # Hash of what was submitted under the key: a key re-used for another payload is refused
    # instead of answering with this case (intake.py).
    idempotency_fingerprint = models.CharField(
        max_length=64, blank=True, default="", editable=False
    )
    # When the hotline took the call (12345/96361): acceptance-time KPIs count from it.
    received_at = models.DateTimeField(_("来电时间"), null=True, blank=True, db_index=True)
    tracking_code = models.CharField(
        _("查询码"), max_length=16, unique=True, default=new_tracking_code, editable=False
    )
    title = models.CharField(_("标题"), max_length=120)
    description = models.TextField(_("内容"), max_length=4000)
    item = models.ForeignKey(
        MatterItem,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("事项"),
    )
    urgency = models.CharField(
        _("紧急程度"), max_length=16, choices=Urgency.choices, default=Urgency.ORDINARY
    )
    mode = models.CharField(
        _("处理方式"), max_length=16, choices=HandlingMode.choices, default=HandlingMode.COORDINATE
    )
    # Location: WGS84 (converted from GCJ-02/BD-09 at intake), or an address only.
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    # The public facility (部件) the case is about, by its code in the registry (a code, not a
    # key: cases do not import the registry); it routes the case to the owner first (先属主后属地).
    facility_code = models.CharField(_("部件标识码"), max_length=32, blank=True)
    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, related_name="cases", verbose_name=_("所属网格")
    )
    # The point lay outside every grid: the case waits in the top level's queue (hotlines send
    # such cases, so they are taken in, not refused).
    outside_jurisdiction = models.BooleanField(_("辖区外"), default=False)
    needs_location = models.BooleanField(_("待定位"), default=False)
    # The platform currently holding the case, and the region it serves (逐级上报).
    level = models.CharField(_("当前层级"), max_length=16, choices=PlatformLevel.choices)
    level_region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("当前平台")
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lead_cases",
        verbose_name=_("主办部门"),
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_cases",
        verbose_name=_("上报人"),
    )
    # Contact of a resident or hotline caller: optional, shown only to staff in scope.
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    # Encrypted at rest (issue 10); the blind index finds a repeat caller by exact number.
    contact_phone = EncryptedTextField(_("联系电话"), blank=True)
    contact_phone_index = BlindIndexField(
        source="contact_phone", normalise=normalise_phone_lenient, db_index=True
    )
    # Answers to the item's extra questions (MatterAttribute), by attribute code.
    attributes = models.JSONField(_("附加信息"), default=dict, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="possible_duplicates",
        verbose_name=_("疑似重复"),
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_cases",
        verbose_name=_("并入案件"),
    )
    # Deadline of the handling now running; stored so the sweep is one indexed range query.
    due_at = models.DateTimeField(_("办理期限"), null=True, blank=True)
    due_provisional = models.BooleanField(_("期限待定"), default=False)
    # The limit now running and when it started, so a provisional deadline (past the loaded
    # calendar years) can be recomputed once the year is loaded. limit_value 0: a fixed date.
    limit_value = models.PositiveSmallIntegerField(default=0, editable=False)
    limit_unit = models.CharField(
        max_length=16, choices=LimitUnit.choices, default=LimitUnit.WORKDAYS, editable=False
    )
    limit_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    warn_at = models.DateTimeField(null=True, blank=True, editable=False)
    warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    overdue_flagged_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The platform's own step now running (accept, or register and dispatch) and when it must
    # be done: before registration a case has no handling deadline, and an emergency report
    # must not wait unseen (StepLimit). Swept like due_at, with its own flags.
    step = models.CharField(
        _("当前环节"), max_length=16, choices=PlatformStep.choices, blank=True, editable=False
    )
    step_due_at = models.DateTimeField(_("环节时限"), null=True, blank=True, editable=False)
    step_warn_at = models.DateTimeField(null=True, blank=True, editable=False)
    step_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    step_overdue_flagged_at = models.DateTimeField(null=True, blank=True, editable=False)
    result = models.TextField(_("处置结果"), blank=True)
    closure_type = models.CharField(
        _("结案类型"), max_length=16, choices=ClosureType.choices, blank=True
    )
    closed_level = models.CharField(
        _("办结层级"), max_length=16, choices=PlatformLevel.choices, blank=True
    )
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("满意度"), choices=Satisfaction.choices, null=True, blank=True
    )
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    rework_count = models.PositiveSmallIntegerField(_("返工次数"), default=0)
    urge_count = models.PositiveSmallIntegerField(_("催办次数"), default=0)
    supervise_count = models.PositiveSmallIntegerField(_("督办次数"), default=0)
    created_at = models.DateTimeField(_("上报时间"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("案件")
        verbose_name_plural = _("案件")
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="case_idempotency_key_unique",
            ),
            models.UniqueConstraint(
                fields=["channel", "external_number"],
                condition=~Q(external_number=""),
                name="case_external_number_unique",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__in=[3, 4, 5]),
                name="case_satisfaction_3_5",
            ),
        ]
        indexes = [
            # Work queues and the overdue sweep read open cases by deadline (STYLE).
            models.Index(
                fields=["due_at"],
                name="case_open_due_idx",
                condition=Q(state__in=sorted(OPEN_STATES)),
            ),
            models.Index(
                fields=["level_region", "due_at"],
                name="case_open_level_due_idx",
                condition=Q(state__in=sorted(OPEN_STATES)),
            ),
            models.Index(
                fields=["warn_at"],
                name="case_open_warn_idx",
                condition=Q(state__in=sorted(OPEN_STATES), warned_at__isnull=True),
            ),
            models.Index(
                fields=["step_due_at"],
                name="case_step_due_idx",
                condition=~Q(step="") & Q(step_overdue_flagged_at__isnull=True),
            ),
            models.Index(
                fields=["step_warn_at"],
                name="case_step_warn_idx",
                condition=~Q(step="") & Q(step_warned_at__isnull=True),
            ),
            models.Index(fields=["grid", "state"], name="case_grid_state_idx"),
            models.Index(fields=["state", "created_at"], name="case_state_created_idx"),
            models.Index(fields=["item", "grid", "created_at"], name="case_dup_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        """Case number: local report date and the row id (2026093000000123)."""
        local = timezone.localtime(self.created_at) if self.created_at else timezone.localtime()
        return f"{local:%Y%m%d}{self.pk or 0:08d}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def is_overdue(self, at: dt.datetime | None = None) -> bool:
        return bool(self.is_open and self.due_at and self.due_at < (at or timezone.now()))

    def is_step_overdue(self, at: dt.datetime | None = None) -> bool:
        return bool(self.step and self.step_due_at and self.step_due_at < (at or timezone.now()))

    def set_step(
        self, step: str, due_at: dt.datetime | None, warn_at: dt.datetime | None = None
    ) -> None:
        """Start the clock of a platform step ("" stops it); re-arms the step flags."""
        self.step = step
        self.step_due_at = due_at if step else None
        self.step_warn_at = warn_at if step and due_at else None
        self.step_warned_at = None
        self.step_overdue_flagged_at = None

    # -- transitions: field changes only (STYLE); services save and record the event --------

    @transition(state, source=S.REPORTED, target=S.CLOSED)
    def resolve_on_spot(self, *, result: str, at: dt.datetime) -> None:
        """Seed 003: an ordinary matter handled on the spot by the grid worker, still counted."""
        self.result = result
        self.closure_type = ClosureType.NORMAL
        self.closed_level = PlatformLevel.VILLAGE
        self.closed_at = at

    @transition(state, source=S.REPORTED, target=S.RECORDED)
    def record(self) -> None:
        """Seed 003: a matter needing approval; the worker keeps the information."""

    @transition(state, source=[S.REPORTED, S.RECORDED], target=S.ACCEPTED)
    def accept(self) -> None:
        pass

    @transition(state, source=S.REPORTED, target=S.REJECTED)
    def reject(self) -> None:
        pass

    @transition(state, source=[S.REPORTED, S.ACCEPTED, S.REGISTERED], target=S.MERGED)
    def merge(self, into: Case) -> None:
        self.merged_into = into
        self.due_at = None

    @transition(
        state, source=[S.REPORTED, S.RECORDED, S.ACCEPTED, S.REGISTERED, S.RETURNED], target=None
    )
    def classify(self, item: MatterItem) -> None:
        self.item = item

    @transition(state, source=S.ACCEPTED, target=S.REGISTERED)
    def register(self, *, due_at: dt.datetime | None, provisional: bool) -> None:
        self.set_deadline(due_at, provisional)

    @transition(state, source=[S.REGISTERED, S.RETURNED], target=S.DISPATCHED)
    def dispatch(
        self, department: Department, *, due_at: dt.datetime | None, provisional: bool
    ) -> None:
        self.department = department
        self.set_deadline(due_at, provisional)

    @transition(
        state, source=[S.DISPATCHED, S.ACCEPTED, S.REGISTERED, S.RETURNED], target=S.HANDLING
    )
    def handle(self) -> None:
        """The lead department signs for its assignment, or the level handles the case itself."""

    @transition(state, source=[S.DISPATCHED, S.HANDLING], target=S.RETURNED)
    def return_(self) -> None:
        self.department = None

    @transition(state, source=S.HANDLING, target=S.FED_BACK)
    def feedback(self, result: str) -> None:
        self.result = result

    @transition(state, source=S.FED_BACK, target=S.VERIFIED)
    def verify(self) -> None:
        pass

    @transition(state, source=S.FED_BACK, target=S.HANDLING)
    def rework(self) -> None:
        self.rework_count += 1

    @transition(
        state,
        source=[
            S.ACCEPTED,
            S.REGISTERED,
            S.DISPATCHED,
            S.HANDLING,
            S.RETURNED,
            S.FED_BACK,
            S.VERIFIED,
        ],
        target=S.CLOSED,
    )
    def close(self, *, closure_type: str, at: dt.datetime) -> None:
        self.closure_type = closure_type
        self.closed_level = self.level
        self.closed_at = at
        self.warn_at = None

    @transition(state, source=[S.ACCEPTED, S.REGISTERED, S.RETURNED], target=S.CLOSED)
    def transfer(self, *, at: dt.datetime) -> None:
        """Handed over to the city hotline (seed 004: 转交"96361")."""
        self.closure_type = ClosureType.SPECIAL
        self.closed_level = PlatformLevel.HOTLINE
        self.closed_at = at
        self.department = None
        self.warn_at = None

    @transition(state, source=S.CLOSED, target=S.CALLED_BACK)
    def callback(self, satisfaction: int) -> None:
        self.satisfaction = satisfaction

    @transition(
        state,
        source=S.CALLED_BACK,
        target=S.REGISTERED,
        conditions=[lambda case: case.satisfaction == Satisfaction.DISSATISFIED],  # type: ignore[attr-defined]
    )
    def reopen(self, *, due_at: dt.datetime | None, provisional: bool) -> None:
        self.reopen_count += 1
        self.closure_type = ""
        self.closed_level = ""
        self.closed_at = None
        self.department = None
        self.set_deadline(due_at, provisional)

    @transition(state, source=[S.ACCEPTED, S.REGISTERED, S.RETURNED], target=S.ACCEPTED)
    def escalate(self, *, level: str, region: Region) -> None:
        """Seed 002: beyond a level's remit the case goes up exactly one level."""
        self.level = level
        self.level_region = region
        self.department = None
        self.set_deadline(None, False)

    @transition(state, source=[S.DISPATCHED, S.HANDLING], target=None)
    def extend(self, *, due_at: dt.datetime, provisional: bool) -> None:
        self.set_deadline(due_at, provisional)

    def set_deadline(self, due_at: dt.datetime | None, provisional: bool) -> None:
        """A new deadline re-arms the approaching and overdue flags of the sweep."""
        if due_at is not None and self.due_at == due_at and self.due_provisional == provisional:
            return
        self.due_at = due_at
        self.due_provisional = provisional if due_at else False
        self.warn_at = None
        self.warned_at = None
        self.overdue_flagged_at = None


class TaskRole(models.TextChoices):
    """A department's part in joint handling (联合执法): lead 主办 or co-handler 协办."""

    LEAD = "lead", _("主办")
    CO = "co", _("协办")


class TaskState(models.TextChoices):
    """Where an assignment slip (交办单) stands: to sign for 待签收 … cancelled 已撤销."""

    PENDING = "pending", _("待签收")
    ACCEPTED = "accepted", _("处置中")
    RETURNED = "returned", _("已退回")
    FED_BACK = "fed_back", _("已反馈")
    CANCELLED = "cancelled", _("已撤销")


# The two state sets of a slip, each named once (issue 8): LIVE slips are the department's work
# in hand, whose deadline runs and is swept; STANDING slips are those not returned or cancelled
# (a slip that fed back still stands: its work counts as handled and rework reopens it).
LIVE_TASK_STATES = (TaskState.PENDING, TaskState.ACCEPTED)
STANDING_TASK_STATES = (*LIVE_TASK_STATES, TaskState.FED_BACK)


class CaseTaskQuerySet(models.QuerySet["CaseTask"]):
    def live(self) -> CaseTaskQuerySet:
        return self.filter(state__in=LIVE_TASK_STATES)

    def active(self) -> CaseTaskQuerySet:
        return self.filter(state__in=STANDING_TASK_STATES)


class CaseTask(models.Model):
    """An assignment slip (交办单) to one department; joint enforcement (联合执法) gives a case a
    lead task and co-handling tasks, each with its own deadline and feedback (seed 000)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="case_tasks", verbose_name=_("部门")
    )
    role = models.CharField(_("角色"), max_length=8, choices=TaskRole.choices)
    # Changed only through the transition methods below (issue 8: a declared state machine).
    state = FSMField(
        _("状态"),
        max_length=16,
        choices=TaskState.choices,
        default=TaskState.PENDING,
        protected=True,
    )
    instructions = models.TextField(_("交办要求"), blank=True)
    limit_value = models.PositiveSmallIntegerField(_("时限"), default=1)
    limit_unit = models.CharField(
        _("时限单位"), max_length=16, choices=LimitUnit.choices, default=LimitUnit.WORKDAYS
    )
    due_at = models.DateTimeField(_("办理期限"))
    due_provisional = models.BooleanField(_("期限待定"), default=False)
    # Each slip's own deadline is swept (a co-handler's may differ from the lead's), with
    # compare-and-set flags like the case's.
    warn_at = models.DateTimeField(null=True, blank=True, editable=False)
    warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    overdue_flagged_at = models.DateTimeField(null=True, blank=True, editable=False)
    dispatched_at = models.DateTimeField(_("派遣时间"), default=timezone.now)
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    dispatch_level = models.CharField(_("派遣层级"), max_length=16, choices=PlatformLevel.choices)
    dispatch_region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    accepted_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    fed_back_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    result = models.TextField(_("处置结果"), blank=True)
    return_reason = models.CharField(
        _("退回原因"), max_length=16, choices=ReturnReason.choices, blank=True
    )

    objects = CaseTaskQuerySet.as_manager()

    class Meta:
        ordering = ["case_id", "-role", "pk"]
        verbose_name = _("交办单")
        verbose_name_plural = _("交办单")
        indexes = [
            models.Index(fields=["department", "state", "due_at"], name="task_dept_state_idx"),
            models.Index(
                fields=["warn_at"],
                name="task_live_warn_idx",
                condition=Q(state__in=LIVE_TASK_STATES, warned_at__isnull=True),
            ),
            models.Index(
                fields=["due_at"],
                name="task_live_due_idx",
                condition=Q(state__in=LIVE_TASK_STATES, overdue_flagged_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.department} ({self.get_role_display()})"

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        # The protected state refuses assignment; re-reading the row is not a state change.
        fields = kwargs.get("fields") or (args[1] if len(args) > 1 else None)
        if fields is None or "state" in fields:
            self.__dict__.pop("state", None)
        super().refresh_from_db(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        """The slip stands (not returned or cancelled)."""
        return self.state in STANDING_TASK_STATES

    @property
    def is_live(self) -> bool:
        """The department's work in hand: its deadline runs."""
        return self.state in LIVE_TASK_STATES

    # -- transitions: field changes only, like the case's; services save and record the event --

    @transition(state, source=TaskState.PENDING, target=TaskState.ACCEPTED)
    def sign(self, *, at: dt.datetime) -> None:
        """The department signs for the slip (签收)."""
        self.accepted_at = at

    @transition(state, source=LIVE_TASK_STATES, target=TaskState.RETURNED)
    def return_(self, *, reason: str) -> None:
        self.return_reason = reason

    @transition(state, source=TaskState.ACCEPTED, target=TaskState.FED_BACK)
    def feedback(self, *, result: str, at: dt.datetime) -> None:
        self.result = result
        self.fed_back_at = at

    @transition(state, source=TaskState.FED_BACK, target=TaskState.ACCEPTED)
    def rework(self) -> None:
        """Verification failed: the slip that fed back is in hand again (返工)."""
        self.fed_back_at = None

    @transition(state, source=STANDING_TASK_STATES, target=TaskState.CANCELLED)
    def cancel(self) -> None:
        """The case moved on without this slip (re-dispatch, escalation, closure)."""

    def set_deadline(self, due_at: dt.datetime, provisional: bool, warn_at: dt.datetime) -> None:
        """A new deadline for this slip re-arms its approaching and overdue flags."""
        self.due_at = due_at
        self.due_provisional = provisional
        self.warn_at = warn_at
        self.warned_at = None
        self.overdue_flagged_at = None


class ExtensionState(models.TextChoices):
    """The decision on an extension request (延期审批): pending, approved or refused."""

    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("已驳回")


class ExtensionRequest(models.Model):
    """A department's request for more time (延期申请), decided by the dispatching level."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extensions")
    task = models.ForeignKey(CaseTask, on_delete=models.CASCADE, related_name="extensions")
    days = models.PositiveSmallIntegerField(_("延期工作日"))
    reason = models.TextField(_("理由"))
    state = models.CharField(
        _("状态"), max_length=16, choices=ExtensionState.choices, default=ExtensionState.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)
    new_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        constraints = [
            models.CheckConstraint(condition=Q(days__gte=1), name="extension_days_ge_1"),
            # One open request per assignment at a time.
            models.UniqueConstraint(
                fields=["task"], condition=Q(state="pending"), name="extension_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} +{self.days}"


class EventKind(models.TextChoices):
    """The kind of one step in a case's trace (案件轨迹类型, seed 000: 痕迹化管理)."""

    # Labels in their own context: a step in a timeline reads as a noun ("Acceptance"), where
    # the button that takes it reads as a verb ("Accept").
    REPORT = "report", pgettext_lazy("case event", "上报")
    RECORD = "record", pgettext_lazy("case event", "备案")
    ACCEPT = "accept", pgettext_lazy("case event", "受理")
    REJECT = "reject", pgettext_lazy("case event", "不予受理")
    MERGE = "merge", pgettext_lazy("case event", "合并")
    MERGED_IN = "merged_in", pgettext_lazy("case event", "并入重复件")
    CLASSIFY = "classify", pgettext_lazy("case event", "分类")
    REGISTER = "register", pgettext_lazy("case event", "立案")
    DISPATCH = "dispatch", pgettext_lazy("case event", "派遣")
    CO_DISPATCH = "co_dispatch", pgettext_lazy("case event", "协办派遣")
    HANDLE = "handle", pgettext_lazy("case event", "签收处置")
    RETURN = "return", pgettext_lazy("case event", "退回")
    FEEDBACK = "feedback", pgettext_lazy("case event", "反馈")
    VERIFY = "verify", pgettext_lazy("case event", "核查通过")
    REWORK = "rework", pgettext_lazy("case event", "返工")
    CLOSE = "close", pgettext_lazy("case event", "结案")
    TRANSFER = "transfer", pgettext_lazy("case event", "转交热线")
    CALLBACK = "callback", pgettext_lazy("case event", "回访")
    REOPEN = "reopen", pgettext_lazy("case event", "重新办理")
    ESCALATE = "escalate", pgettext_lazy("case event", "上报上级")
    EXTENSION_REQUEST = "extension_request", pgettext_lazy("case event", "申请延期")
    EXTEND = "extend", pgettext_lazy("case event", "批准延期")
    EXTENSION_REFUSE = "extension_refuse", pgettext_lazy("case event", "驳回延期")
    URGE = "urge", pgettext_lazy("case event", "催办")
    SUPERVISE = "supervise", pgettext_lazy("case event", "督办")
    WARN = "warn", pgettext_lazy("case event", "临期预警")
    OVERDUE = "overdue", pgettext_lazy("case event", "超期")
    STEP_WARN = "step_warn", pgettext_lazy("case event", "环节临期")
    STEP_OVERDUE = "step_overdue", pgettext_lazy("case event", "环节超时")
    DEADLINE_RECOMPUTED = "deadline_recomputed", pgettext_lazy("case event", "期限重算")
    NOTE = "note", pgettext_lazy("case event", "跟进记录")


class CaseEvent(models.Model):
    """One step of a case (痕迹化管理, seed 000): typed, indexed columns that KPIs and
    assessments are computed from (STANDARDS: 结案率, 按期处置率, 返工率, 准确派遣率 …)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("类型"), max_length=24, choices=EventKind.choices)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="case_events",
        verbose_name=_("操作人"),
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    # Where the case was at that moment: its grid and the platform holding it.
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=16, choices=PlatformLevel.choices)
    level_region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(
        MatterItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="case_events"
    )
    task = models.ForeignKey(
        CaseTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    due_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)
    # Typed outcome columns, filled on the events they belong to.
    closure_type = models.CharField(max_length=16, choices=ClosureType.choices, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        choices=Satisfaction.choices, null=True, blank=True
    )
    reason = models.CharField(max_length=16, blank=True)
    related_case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Rare extras only; anything a KPI reads has a column above.
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("案件轨迹")
        verbose_name_plural = _("案件轨迹")
        indexes = [
            models.Index(fields=["case", "at"], name="event_case_at_idx"),
            models.Index(fields=["kind", "at"], name="event_kind_at_idx"),
            models.Index(fields=["department", "kind", "at"], name="event_dept_kind_at_idx"),
            models.Index(fields=["level_region", "kind", "at"], name="event_region_kind_at_idx"),
            models.Index(fields=["actor", "kind", "at"], name="event_actor_kind_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} @ {self.at:%Y-%m-%d %H:%M}"


def attachment_path(instance: CaseAttachment, filename: str) -> str:
    now = timezone.now()
    return f"cases/{now:%Y/%m}/{secrets.token_hex(8)}{_suffix(filename)}"


def _suffix(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower()[:6] if dot >= 0 else ""


class CaseAttachment(models.Model):
    """A photo of a report (申报单) or of a feedback slip (反馈单), checked and stored through
    Django storage."""

    class Purpose(models.TextChoices):
        """Which slip a photo belongs to (照片用途): report, feedback or follow-up note."""

        REPORT = "report", _("上报照片")
        FEEDBACK = "feedback", _("处置照片")
        NOTE = "note", _("跟进照片")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        CaseEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    task = models.ForeignKey(
        CaseTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    file = models.FileField(_("文件"), upload_to=attachment_path)
    original_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(null=True)
    height = models.PositiveIntegerField(null=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("案件附件")
        verbose_name_plural = _("案件附件")

    def __str__(self) -> str:
        return self.original_name or self.file.name or ""


__all__ = [
    "AttributeDatatype",
    "CLOSED_STATES",
    "LIVE_TASK_STATES",
    "OPEN_STATES",
    "Case",
    "CaseAttachment",
    "CaseEvent",
    "CaseState",
    "CaseTask",
    "Channel",
    "ClosureType",
    "EventKind",
    "ExtensionRequest",
    "HandlingMode",
    "MatterAttribute",
    "MatterClass",
    "MatterItem",
    "MatterRoute",
    "PlatformLevel",
    "PlatformStep",
    "STANDING_TASK_STATES",
    "STEP_OF_STATE",
    "Satisfaction",
    "StepLimit",
    "TaskRole",
    "TaskState",
    "Urgency",
]
