"""The app configs of two dependencies with a Chinese name in the admin: theirs are English
only ("Audit log", "Tasks Database Backend"), which broke the admin index of a Chinese UI."""

from __future__ import annotations

from auditlog.apps import AuditlogConfig
from axes.apps import AppConfig as AxesConfig
from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


class AuditLogAppConfig(AuditlogConfig):
    verbose_name = _("审计日志")


class TaskResultsAppConfig(TasksAppConfig):
    verbose_name = _("后台任务")  # type: ignore[assignment]  # lazy, as Django's own are


class LoginAttemptsAppConfig(AxesConfig):
    verbose_name = _("登录失败与锁定")
