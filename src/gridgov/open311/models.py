"""API keys of outside reporting apps and their submissions (Open311 GeoReport v2)."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.cases.models import Case
from gridgov.core.crypto import EncryptedTextField
from gridgov.grids.models import Grid


def new_token() -> str:
    """A submission's token: unguessable, since it leads to the case."""
    return secrets.token_urlsafe(18)


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def active(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """The key of one outside reporting app (接入应用密钥); only its SHA-256 is stored."""

    name = models.CharField(_("应用名称"), max_length=80, unique=True)
    prefix = models.CharField(_("密钥前缀"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    # Reports of a scoped key must lie in this grid's subtree; unplaced ones go to it.
    scope = models.ForeignKey(
        Grid,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("限定网格"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    use_count = models.PositiveIntegerField(_("使用次数"), default=0, editable=False)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("Open311 密钥")
        verbose_name_plural = _("Open311 密钥")

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Submission(models.Model):
    """One POST of a service request: its token, the app that sent it, and the case it made
    (at once, or when the queue ran it); `error` when the queued intake refused it."""

    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    api_key = models.ForeignKey(
        ApiKey, on_delete=models.PROTECT, related_name="submissions", verbose_name=_("应用")
    )
    case = models.ForeignKey(
        Case,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="open311_submissions",
        verbose_name=_("案件"),
    )
    # What the intake needs, kept until the queue has run it. The reporter's name and phone
    # are personal data: they wait encrypted (`contact`, JSON), never in the payload, and both
    # are emptied once the case exists (issue 10: never in clear in the database).
    payload = models.JSONField(default=dict, blank=True)
    contact = EncryptedTextField(blank=True)
    # The request's photo (`media`), already checked and stripped of its metadata, until the
    # queue has given it to the case.
    photo = models.FileField(upload_to="open311/queue/", blank=True)
    error = models.TextField(_("未受理原因"), blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    processed_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("Open311 提交")
        verbose_name_plural = _("Open311 提交")

    def __str__(self) -> str:
        return self.token
