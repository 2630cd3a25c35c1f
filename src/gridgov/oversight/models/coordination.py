"""The coordination the seeds run on: 条块融合 groups (seed 000: 14 groups), joint enforcement
actions (seed 000: 开展联合执法20次; seed 002), meetings with decisions, training (seed 000/004:
先后6次培训) and notices with read receipts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CoordinationGroup(models.Model):
    """A standing lines-and-blocks group (条块融合工作组, seed 000): supervised objects, duties,
    member departments and patrol content, over a territory."""

    name = models.CharField(_("名称"), max_length=100)
    grid = models.ForeignKey(
        "grids.Grid", on_delete=models.PROTECT, related_name="+", verbose_name=_("范围")
    )
    supervised_objects = models.TextField(_("监管对象"))
    duties = models.TextField(_("工作职责"))
    patrol_content = models.TextField(_("巡查内容"), blank=True)
    departments = models.ManyToManyField(
        "people.Department", related_name="+", verbose_name=_("成员部门")
    )
    members = models.ManyToManyField("people.Staff", related_name="+", verbose_name=_("成员"))
    # The classes of matter the group supervises: its members see the cases of these classes in
    # its territory (none: the cases its member departments lead or handle there).
    matter_classes = models.ManyToManyField(
        "cases.MatterClass", related_name="+", blank=True, verbose_name=_("监管事项类别")
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("条块融合工作组")
        verbose_name_plural = _("条块融合工作组")

    def __str__(self) -> str:
        return self.name


class JointActionState(models.TextChoices):
    REQUESTED = "requested", _("已申请")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("未批准")
    PLANNED = "planned", _("已部署")
    DONE = "done", _("已完成")


class JointAction(models.Model):
    """A joint enforcement action (联合执法, seed 002: 乡镇可向县平台申请集中执法): request,
    approval, plan, linked cases, result."""

    title = models.CharField(_("名称"), max_length=120)
    grid = models.ForeignKey(
        "grids.Grid", on_delete=models.PROTECT, related_name="+", verbose_name=_("范围")
    )
    reason = models.TextField(_("申请事由"))
    state = models.CharField(
        _("状态"),
        max_length=16,
        choices=JointActionState.choices,
        default=JointActionState.REQUESTED,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_note = models.TextField(_("审批意见"), blank=True)
    planned_on = models.DateField(_("执法日期"), null=True, blank=True)
    place = models.CharField(_("地点"), max_length=200, blank=True)
    departments = models.ManyToManyField(
        "people.Department", related_name="+", blank=True, verbose_name=_("参加部门")
    )
    people = models.ManyToManyField(
        "people.Staff", related_name="+", blank=True, verbose_name=_("参加人员")
    )
    cases = models.ManyToManyField(
        "cases.Case", related_name="+", blank=True, verbose_name=_("关联案件")
    )
    hazards = models.ManyToManyField(
        "fieldwork.Hazard", related_name="+", blank=True, verbose_name=_("关联隐患")
    )
    result = models.TextField(_("执法结果"), blank=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("联合执法")
        verbose_name_plural = _("联合执法")

    def __str__(self) -> str:
        return self.title


class MeetingKind(models.TextChoices):
    ROUTINE = "routine", _("例会")
    JOINT = "joint", _("联席会议")
    SITUATION = "situation", _("民情分析会")


class Meeting(models.Model):
    """A meeting (例会, 联席会议, 民情分析会): agenda, attendees, minutes."""

    kind = models.CharField(_("类型"), max_length=16, choices=MeetingKind.choices)
    grid = models.ForeignKey(
        "grids.Grid", on_delete=models.PROTECT, related_name="+", verbose_name=_("范围")
    )
    held_at = models.DateTimeField(_("时间"))
    agenda = models.TextField(_("议题"))
    minutes = models.TextField(_("纪要"), blank=True)
    attendees = models.ManyToManyField("people.Staff", related_name="+", verbose_name=_("参会人员"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-held_at"]
        verbose_name = _("会议")
        verbose_name_plural = _("会议")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.held_at:%Y-%m-%d}"


class MeetingDecision(models.Model):
    """A decision of a meeting that becomes a task with an owner and a deadline (议定事项)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField(_("议定事项"))
    owner_department = models.ForeignKey(
        "people.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    owner = models.ForeignKey(
        "people.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    deadline = models.DateField(_("完成时限"))
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_note = models.TextField(_("完成情况"), blank=True)

    class Meta:
        ordering = ["deadline", "pk"]
        verbose_name = _("议定事项")
        verbose_name_plural = _("议定事项")

    def __str__(self) -> str:
        return self.text[:40]


class Training(models.Model):
    """A training session (培训, seed 000/004): topic, date, hours, attendees."""

    topic = models.CharField(_("主题"), max_length=120)
    grid = models.ForeignKey(
        "grids.Grid", on_delete=models.PROTECT, related_name="+", verbose_name=_("组织范围")
    )
    held_on = models.DateField(_("日期"))
    hours = models.DecimalField(_("学时"), max_digits=5, decimal_places=1, default=2)
    attendees = models.ManyToManyField(
        "people.Staff", related_name="trainings", verbose_name=_("参训人员")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-held_on"]
        verbose_name = _("培训")
        verbose_name_plural = _("培训")

    def __str__(self) -> str:
        return self.topic


class Notice(models.Model):
    """A notice (通知公告) from an office to everyone in its scope, with read receipts."""

    title = models.CharField(_("标题"), max_length=120)
    body = models.TextField(_("正文"))
    grid = models.ForeignKey(
        "grids.Grid", on_delete=models.PROTECT, related_name="+", verbose_name=_("范围")
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("通知公告")
        verbose_name_plural = _("通知公告")

    def __str__(self) -> str:
        return self.title


class NoticeReceipt(models.Model):
    """One reader of a notice; read_at empty until they open it (已读回执)."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="receipts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    reminders = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("阅读回执")
        verbose_name_plural = _("阅读回执")
        constraints = [
            models.UniqueConstraint(fields=["notice", "user"], name="notice_receipt_once")
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} {self.user_id}"
