"""Shared infrastructure rows: the working-day calendar, the in-app inbox and outbound messages."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from gridgov.core.crypto import EncryptedTextField


class CalendarSource(models.TextChoices):
    LIBRARY = "chinesecalendar", _("chinesecalendar 库")
    FILE = "file", _("导入文件")
    ADMIN = "admin", _("管理员录入")


class WorkCalendarDay(models.Model):
    """A day of the official calendar (工作日历) that is not a plain Monday–Friday day: a holiday
    on a weekday, a make-up working day (调休上班) on a weekend, or a named holiday weekend day
    (seeds 002, 003: 限时办理 counts working days)."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("上班"))
    name = models.CharField(_("名称"), max_length=60, blank=True)
    source = models.CharField(
        _("来源"), max_length=20, choices=CalendarSource.choices, default=CalendarSource.ADMIN
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("工作日历日")
        verbose_name_plural = _("工作日历日")

    def __str__(self) -> str:
        kind = _("上班") if self.is_workday else _("休息")
        return f"{self.date.isoformat()} {kind} {self.name}".strip()


class WorkCalendarYear(models.Model):
    """A year whose official holiday notice (国务院办公厅节假日安排) is loaded; deadlines past the
    loaded years count Monday–Friday and are provisional."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    source = models.CharField(
        _("来源"), max_length=20, choices=CalendarSource.choices, default=CalendarSource.ADMIN
    )
    loaded_at = models.DateTimeField(_("载入时间"), default=timezone.now)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("载入人"),
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("工作日历年度")
        verbose_name_plural = _("工作日历年度")

    def __str__(self) -> str:
        return str(self.year)


class CalendarRevision(models.Model):
    """A marker changed in the same transaction as any calendar write, so each process's cached
    calendar knows to reload. The token is random, so a rolled-back write never leaves a process
    trusting a calendar that a later, different write happens to number alike."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    revision = models.PositiveBigIntegerField(default=0)
    token = models.UUIDField(default=uuid.uuid4)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("工作日历版本")

    def __str__(self) -> str:
        return f"r{self.revision}"


class NotificationKind(models.TextChoices):
    """The usual kinds; apps may use other lower-case codes (`case_overdue`), shown as generic."""

    ASSIGNMENT = "assignment", _("交办")
    URGE = "urge", _("催办")
    SUPERVISE = "supervise", _("督办")
    RETURN = "return", _("退回")
    OVERDUE = "overdue", _("超期")
    APPROACHING = "approaching", _("即将到期")
    CALLBACK = "callback", _("回访")
    ESCALATION = "escalation", _("上报")
    EXTENSION = "extension", _("延期")
    VERIFY = "verify", _("核查")
    CALENDAR = "calendar", _("工作日历")
    GENERIC = "generic", _("通知")


class NotificationQuerySet(models.QuerySet["Notification"]):
    def for_user(self, user: object) -> NotificationQuerySet:
        pk = getattr(user, "pk", None)
        if pk is None or not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(user_id=pk)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """A message in a user's in-app inbox (消息): assignment slips, urges, returns, overdue
    warnings, callbacks (seed 003: 交办单、催办单、反馈单)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("接收人"),
    )
    kind = models.CharField(_("类型"), max_length=40, default=NotificationKind.GENERIC)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=500, blank=True)
    target_type = models.ForeignKey(
        ContentType,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("对象类型"),
    )
    target_id = models.PositiveBigIntegerField(_("对象编号"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("发送人"),
    )
    # The title and body in every UI language when they were written from our own messages:
    # {"en": {"title": …, "body": …}}. Written once, since the sender's language at the time
    # is not the reader's; `title`/`body` hold the deployment's language (SMS, admin).
    translations = models.JSONField(_("各语言文本"), default=dict, blank=True)
    # Set when one alert must reach a user once while unread ("calendar for 2027 missing").
    dedupe_key = models.CharField(_("去重键"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    target = GenericForeignKey("target_type", "target_id")

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="notification_inbox"),
            models.Index(
                fields=["user", "-created_at"],
                name="notification_unread",
                condition=Q(read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def _in_reader_language(self, field: str) -> str:
        text = self.translations.get(translation.get_language() or "", {}).get(field)
        return str(text) if text else str(getattr(self, field))

    @property
    def shown_title(self) -> str:
        """The title in the language of the request being served."""
        return self._in_reader_language("title")

    @property
    def shown_body(self) -> str:
        return self._in_reader_language("body")

    @property
    def kind_label(self) -> str:
        try:
            return str(NotificationKind(self.kind).label)
        except ValueError:
            return str(NotificationKind.GENERIC.label)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class OutboundStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("失败待重试")
    DEAD = "dead", _("放弃")
    SKIPPED = "skipped", _("未发送")


class OutboundMessage(models.Model):
    """A copy of a notification sent outside the platform (SMS, WeChat) through the configured
    sender; each attempt is claimed by compare-and-set on `status` (healthchecks), so a retry
    never sends twice and a failure never loses the inbox row."""

    notification = models.ForeignKey(
        Notification,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outbound",
        verbose_name=_("通知"),
    )
    # Given to the gateway so that it can drop a repeat of a message it already accepted.
    key = models.UUIDField(_("幂等键"), default=uuid.uuid4, unique=True, editable=False)
    channel = models.CharField(_("渠道"), max_length=20, default="sms")
    # A staff member's phone: encrypted at rest like every phone (issue 10), masked in the admin.
    recipient = EncryptedTextField(_("接收号码"), blank=True)
    text = models.TextField(_("内容"))
    status = models.CharField(
        _("状态"), max_length=10, choices=OutboundStatus.choices, default=OutboundStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), default=timezone.now)
    claimed_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    sender = models.CharField(_("发送器"), max_length=200, blank=True)
    provider_ref = models.CharField(_("网关回执"), max_length=200, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("外发消息")
        verbose_name_plural = _("外发消息")
        indexes = [
            models.Index(
                fields=["status", "next_attempt_at"],
                name="outbound_due",
                condition=Q(status__in=["pending", "failed", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.recipient} {self.status}"
