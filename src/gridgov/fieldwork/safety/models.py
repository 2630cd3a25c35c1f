"""Business safety (安全生产网格化, seed 003) and special campaigns (专项排查): inspection
frequencies per risk grade, checklists as data, inspection records, hazards with their
lifecycle (fieldwork/hazards.py: the verb table) and campaigns answered per unit grid.

Businesses are `registry.Organisation` rows (risk grade, key-supervision flag); they are named
by string so this app imports nothing of the registry (the two apps are one layer).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from gridgov.core.jurisdiction import scope_of, scope_q
from gridgov.grids.models import Grid

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class InspectionFrequency(models.Model):
    """How often a business of one risk grade is inspected (检查频次, seed 003: 按规定频次对
    辖区内生产经营单位进行检查); one row per grade, edited by the office."""

    # The registry's RiskGrade values (red/orange/yellow/blue); "key" is the key-supervision list.
    risk_grade = models.CharField(_("风险等级"), max_length=8, unique=True)
    interval_days = models.PositiveSmallIntegerField(_("检查间隔(天)"))

    class Meta:
        ordering = ["interval_days"]
        verbose_name = _("检查频次")
        verbose_name_plural = _("检查频次")
        constraints = [
            models.CheckConstraint(
                condition=Q(interval_days__gte=1, interval_days__lte=366),
                name="inspection_interval_1_366",
            )
        ]

    def __str__(self) -> str:
        return f"{self.risk_grade}: {self.interval_days}"


class ChecklistPurpose(models.TextChoices):
    INSPECTION = "inspection", _("安全检查")
    CAMPAIGN = "campaign", _("专项排查")


class Checklist(models.Model):
    """A checklist (检查表) as data: per industry for inspections ("" is the general list used
    when an industry has none), or the items of a campaign."""

    name = models.CharField(_("名称"), max_length=100)
    purpose = models.CharField(
        _("用途"),
        max_length=16,
        choices=ChecklistPurpose.choices,
        default=ChecklistPurpose.INSPECTION,
    )
    industry = models.CharField(_("行业"), max_length=60, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["purpose", "industry", "name"]
        verbose_name = _("检查表")
        verbose_name_plural = _("检查表")

    def __str__(self) -> str:
        return self.name


class ChecklistItem(models.Model):
    """One item of a checklist (检查项)."""

    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(_("序号"), default=0)
    text = models.CharField(_("检查内容"), max_length=200)

    class Meta:
        ordering = ["checklist_id", "order", "pk"]
        verbose_name = _("检查项")
        verbose_name_plural = _("检查项")

    def __str__(self) -> str:
        return self.text


# Extra ways to see inspections and hazards that a higher app adds from its AppConfig.ready
# (oversight: members of a 条块融合 group see the group's inspections and hazards). Each hook
# takes the user and returns a Q over a model with a `grid` FK (Inspection and Hazard both), or
# None; `visible_to` ORs them into the one scoping path, so the pages' 404s answer them too.
VISIBILITY_HOOKS: dict[str, Callable[[Any], Q | None]] = {}


def register_visibility_hook(name: str, hook: Callable[[Any], Q | None]) -> None:
    VISIBILITY_HOOKS[name] = hook


def _with_hooks(q: Q, user: Any) -> Q:
    if not q:
        # An empty Q is everything (an administrator's scope); `Q() | extra` would be `extra`
        # alone and hide every inspection outside the hook's groups.
        return q
    for hook in VISIBILITY_HOOKS.values():
        extra = hook(user)
        if extra is not None:
            q |= extra
    return q


class InspectionQuerySet(models.QuerySet["Inspection"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> InspectionQuerySet:
        return self.filter(_with_hooks(scope_q(user, grid_field="grid"), user))


class Inspection(models.Model):
    """A safety inspection of a business (安全检查记录) with its checklist answers."""

    organisation = models.ForeignKey(
        "registry.Organisation",
        on_delete=models.PROTECT,
        related_name="inspections",
        verbose_name=_("生产经营单位"),
    )
    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("网格")
    )
    checklist = models.ForeignKey(
        Checklist, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("检查表")
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="inspections",
        verbose_name=_("检查人"),
    )
    at = models.DateTimeField(_("检查时间"), default=timezone.now, db_index=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    note = models.TextField(_("检查情况"), blank=True)
    # The phone's outbox key: a resend after a lost answer returns the first record.
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)

    objects = InspectionQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("安全检查")
        verbose_name_plural = _("安全检查")
        indexes = [models.Index(fields=["organisation", "at"], name="inspection_org_at")]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.at:%Y-%m-%d}"


class InspectionAnswer(models.Model):
    """The answer to one checklist item in an inspection: passed, or a problem."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="+")
    ok = models.BooleanField(_("合格"))
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["inspection_id", "item__order"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "item"], name="inspection_answer_once")
        ]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.ok}"


class HazardState(models.TextChoices):
    FOUND = "found", _("待处置")
    RECTIFYING = "rectifying", _("限期整改")
    LISTED = "listed", _("挂牌整改")
    REVIEWING = "reviewing", _("待复查")
    CLOSED = "closed", _("已销号")


# The states in which a rectification deadline runs (overdue, urging and escalation apply).
RUNNING_STATES = frozenset({HazardState.RECTIFYING, HazardState.LISTED})
OPEN_HAZARD_STATES = frozenset(set(HazardState.values) - {HazardState.CLOSED})


class HazardGrade(models.TextChoices):
    ORDINARY = "ordinary", _("一般隐患")
    MAJOR = "major", _("重大隐患")


class HazardSource(models.TextChoices):
    INSPECTION = "inspection", _("安全检查")
    VISIT = "visit", _("走访")
    CAMPAIGN = "campaign", _("专项排查")
    PATROL = "patrol", _("巡查")


class HazardEventKind(models.TextChoices):
    REPORT = "report", _("发现")
    FIX_ON_SPOT = "fix_on_spot", _("当场整改")
    ORDER = "order", _("责令限期整改")
    LIST = "list", _("挂牌整改")
    COMPLETE = "complete", _("整改完成")
    REVIEW_PASS = "review_pass", _("复查通过")
    REVIEW_FAIL = "review_fail", _("复查未通过")
    URGE = "urge", _("催办")
    ESCALATE = "escalate", _("上报上级")
    # Written by the deadline sweep (no actor), once per deadline.
    OVERDUE = "overdue", _("超期")


class HazardQuerySet(models.QuerySet["Hazard"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> HazardQuerySet:
        if user is None or not user.is_authenticated:
            return self.none()
        if scope_of(user).is_admin:
            return self
        return self.filter(_with_hooks(scope_q(user, grid_field="grid"), user))

    def open(self) -> HazardQuerySet:
        return self.filter(state__in=sorted(OPEN_HAZARD_STATES))

    def overdue(self, at: object = None) -> HazardQuerySet:
        """Running a deadline that has passed (the sweep and the warning rule read this)."""
        return self.filter(state__in=sorted(RUNNING_STATES), due_at__lt=at or timezone.now())


def _was_listed(hazard: Any) -> bool:
    """A listed hazard has its interim measures (the listing requires them)."""
    return hazard.grade == HazardGrade.MAJOR and bool(hazard.measures)


class Hazard(ConcurrentTransitionMixin, models.Model):
    """A safety hazard (安全隐患) found in an inspection, a visit or a campaign, rectified on the
    spot, within a deadline (限期整改) or, when major, listed (挂牌整改), and closed by
    re-inspection (复查) (seed 003)."""

    number = models.CharField(_("编号"), max_length=20, unique=True)
    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, related_name="hazards", verbose_name=_("网格")
    )
    # The level whose office answers for it now: the unit grid's parent at first, one level up
    # per escalation (seed 003: 对需上级部门查处的及时上报).
    level_grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, related_name="+", verbose_name=_("责任层级")
    )
    organisation = models.ForeignKey(
        "registry.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazards",
        verbose_name=_("生产经营单位"),
    )
    source = models.CharField(_("来源"), max_length=16, choices=HazardSource.choices)
    inspection = models.ForeignKey(
        Inspection, null=True, blank=True, on_delete=models.SET_NULL, related_name="hazards"
    )
    # Issue 11: a hazard reported during a running patrol is linked to it (as visits are), and a
    # visit's problem turned into a hazard links back to that visit.
    patrol = models.ForeignKey(
        "fieldwork.Patrol",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hazards",
        verbose_name=_("巡查"),
    )
    visit = models.OneToOneField(
        "fieldwork.Visit",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hazard",
        verbose_name=_("走访"),
    )
    grade = models.CharField(
        _("隐患等级"), max_length=16, choices=HazardGrade.choices, default=HazardGrade.ORDINARY
    )
    description = models.TextField(_("隐患描述"))
    state = FSMField(
        _("状态"), choices=HazardState.choices, default=HazardState.FOUND, protected=True
    )
    found_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("发现人"),
    )
    found_at = models.DateTimeField(_("发现时间"), default=timezone.now)
    due_at = models.DateTimeField(_("整改期限"), null=True, blank=True)
    # Interim safety measures while a listed hazard is rectified (整改期间安全防范措施, seed 003).
    measures = models.TextField(_("整改期间安全防范措施"), blank=True)
    rectification = models.TextField(_("整改情况"), blank=True)
    reviews_failed = models.PositiveSmallIntegerField(_("复查未通过次数"), default=0)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    # Set by the sweep that claims an overdue hazard (compare-and-set), cleared by a new deadline.
    overdue_flagged_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = HazardQuerySet.as_manager()

    class Meta:
        ordering = ["-found_at", "-pk"]
        verbose_name = _("安全隐患")
        verbose_name_plural = _("安全隐患")
        indexes = [
            models.Index(
                fields=["due_at"],
                name="hazard_running_due",
                condition=Q(state__in=["rectifying", "listed"]),
            ),
            models.Index(fields=["grid", "state"], name="hazard_grid_state"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_overdue(self) -> bool:
        return (
            self.state in RUNNING_STATES
            and self.due_at is not None
            and self.due_at < timezone.now()
        )

    # Transitions change fields only (STYLE); the services save and write the event.
    @transition(state, source=HazardState.FOUND, target=HazardState.CLOSED)
    def fix_on_spot(self, note: str) -> None:
        self.rectification = note
        self.closed_at = timezone.now()

    @transition(state, source=HazardState.FOUND, target=HazardState.RECTIFYING)
    def order(self, due_at: object) -> None:
        self.due_at = due_at  # type: ignore[assignment]
        self.overdue_flagged_at = None

    @transition(state, source=HazardState.FOUND, target=HazardState.LISTED)
    def list_(self, due_at: object, measures: str) -> None:
        self.due_at = due_at  # type: ignore[assignment]
        self.overdue_flagged_at = None
        self.measures = measures

    @transition(state, source=sorted(RUNNING_STATES), target=HazardState.REVIEWING)
    def complete(self, note: str) -> None:
        self.rectification = note

    @transition(state, source=HazardState.REVIEWING, target=HazardState.CLOSED)
    def pass_review(self) -> None:
        self.closed_at = timezone.now()

    # Sent back: listed stays listed, the rest rectify again, with a new deadline.
    @transition(
        state,
        source=HazardState.REVIEWING,
        target=HazardState.RECTIFYING,
        conditions=[lambda h: not _was_listed(h)],
    )
    def fail_review(self, due_at: object) -> None:
        self.due_at = due_at  # type: ignore[assignment]
        self.overdue_flagged_at = None
        self.reviews_failed += 1

    @transition(
        state,
        source=HazardState.REVIEWING,
        target=HazardState.LISTED,
        conditions=[lambda h: _was_listed(h)],
    )
    def fail_listed_review(self, due_at: object) -> None:
        self.due_at = due_at  # type: ignore[assignment]
        self.overdue_flagged_at = None
        self.reviews_failed += 1


class HazardEvent(models.Model):
    """One step of a hazard, with typed columns like CaseEvent (痕迹化管理, seed 000)."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("类型"), max_length=16, choices=HazardEventKind.choices)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("操作人"),
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    level_grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["kind", "at"], name="hazard_event_kind_at")]

    def __str__(self) -> str:
        return f"{self.hazard_id} {self.kind}"


class CampaignQuerySet(models.QuerySet["Campaign"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> CampaignQuerySet:
        """Campaigns whose scope meets the user's: a grid of the scope inside the user's
        territory, or the user's territory inside a grid of the scope."""
        if user is None or not user.is_authenticated:
            return self.none()
        scope = scope_of(user)
        if scope.is_admin:
            return self
        q = scope_q(user, grid_field="grids")
        for path in sorted(scope.all_grid_paths()):
            for prefix in _prefixes(path):
                q |= Q(grids__path=prefix)
        return self.filter(q).distinct()


def _prefixes(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


class CampaignState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    OPEN = "open", _("进行中")
    CLOSED = "closed", _("已结束")
    CANCELLED = "cancelled", _("已撤销")


class CampaignEventKind(models.TextChoices):
    CREATE = "create", _("创建")
    PUBLISH = "publish", _("发布")
    CLOSE = "close", _("结束")
    CANCEL = "cancel", _("撤销")
    REOPEN = "reopen", _("重新开放")


class Campaign(ConcurrentTransitionMixin, models.Model):
    """A special campaign (专项排查, e.g. 秸秆禁烧, 燃气安全; seed 002's six focus areas) with a
    checklist, a scope of grids and a deadline; every unit grid in scope answers every item.
    Drafted, published (open), closed with a remark or cancelled with a reason."""

    title = models.CharField(_("名称"), max_length=100)
    checklist = models.ForeignKey(
        Checklist, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("检查表")
    )
    grids = models.ManyToManyField(Grid, related_name="campaigns", verbose_name=_("范围"))
    deadline = models.DateField(_("截止日期"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Campaigns that existed before the lifecycle were all being answered: "open".
    state = FSMField(
        _("状态"), choices=CampaignState.choices, default=CampaignState.OPEN, protected=True
    )
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    # The closing remark or the reason for cancelling (the event row keeps each one as well).
    remark = models.TextField(_("结束说明"), blank=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("专项排查")
        verbose_name_plural = _("专项排查")

    def __str__(self) -> str:
        return self.title

    @property
    def is_past_deadline(self) -> bool:
        return self.deadline < timezone.localdate()

    # Transitions change fields only (STYLE); the services save and write the event.
    @transition(state, source=CampaignState.DRAFT, target=CampaignState.OPEN)
    def publish(self) -> None:
        pass

    @transition(state, source=CampaignState.OPEN, target=CampaignState.CLOSED)
    def close(self, remark: str) -> None:
        self.remark = remark
        self.closed_at = timezone.now()

    @transition(
        state, source=[CampaignState.DRAFT, CampaignState.OPEN], target=CampaignState.CANCELLED
    )
    def cancel(self, reason: str) -> None:
        self.remark = reason
        self.closed_at = timezone.now()

    # A real office reopens a closed campaign when grids still have to answer: a new deadline.
    @transition(state, source=CampaignState.CLOSED, target=CampaignState.OPEN)
    def reopen(self, deadline: object) -> None:
        self.deadline = deadline  # type: ignore[assignment]
        self.closed_at = None


class CampaignEvent(models.Model):
    """One step of a campaign's lifecycle (痕迹化管理, seed 000), typed like HazardEvent."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("类型"), max_length=16, choices=CampaignEventKind.choices)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("操作人"),
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    deadline = models.DateField(_("截止日期"), null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.kind}"


class CampaignOutcome(models.TextChoices):
    DONE = "done", _("已排查,无问题")
    CASE = "case", _("发现问题,已上报事件")
    HAZARD = "hazard", _("发现隐患")


class CampaignAnswer(models.Model):
    """A unit grid's answer to one campaign item; a problem links to its case or hazard."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="answers")
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("结果"), max_length=16, choices=CampaignOutcome.choices)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(default=timezone.now)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hazard = models.ForeignKey(
        Hazard, null=True, blank=True, on_delete=models.SET_NULL, related_name="campaign_answers"
    )

    class Meta:
        ordering = ["campaign_id", "grid_id", "item__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "grid", "item"], name="campaign_answer_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.grid_id}/{self.item_id}"

    @property
    def campaign_state(self) -> str:
        """The state the correction verb is asked about (core.workflow's `state_field`)."""
        return str(self.campaign.state)


class CampaignAnswerRevision(models.Model):
    """One correction of a campaign answer (更正): who, when, old and new outcome and note; the
    answer row holds the current value, these rows its history."""

    answer = models.ForeignKey(CampaignAnswer, on_delete=models.CASCADE, related_name="revisions")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    old_outcome = models.CharField(max_length=16, choices=CampaignOutcome.choices)
    new_outcome = models.CharField(max_length=16, choices=CampaignOutcome.choices)
    old_note = models.CharField(max_length=500, blank=True)
    new_note = models.CharField(max_length=500, blank=True)
    reason = models.CharField(_("更正原因"), max_length=500, blank=True)

    class Meta:
        ordering = ["answer_id", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.answer_id}: {self.old_outcome} -> {self.new_outcome}"
