"""Log-in throttling (STACK: django-axes): after `GRIDGOV_LOGIN_FAILURE_LIMIT` wrong passwords
for one user name, or from one address, further log-ins of that name or address are refused for
`GRIDGOV_LOGIN_COOLOFF_MINUTES`, even with the right password.

Failures are rows of axes' database handler, so every gunicorn worker and every app server
behind the same database counts the same failures. A lockout writes an audit-log entry; an admin
unlocks from the admin's "login attempts" page (the `unlock` action), which is audited too.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from auditlog.models import LogEntry
from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

LOCKOUT_EVENT = "login_locked_out"
UNLOCK_EVENT = "login_unlocked"


def client_ip(request: HttpRequest) -> str | None:
    """The peer address for axes (AXES_CLIENT_IP_CALLABLE), as in core.throttle: X-Forwarded-For
    is not trusted. None when there is none (a unix socket, a test's force_login), since axes
    stores it in an address column."""
    return request.META.get("REMOTE_ADDR") or None


def cooloff_minutes() -> int:
    cooloff = settings.AXES_COOLOFF_TIME
    if isinstance(cooloff, timedelta):
        return max(1, int(cooloff.total_seconds() // 60))
    return 0


def lockout_message() -> str:
    return _(
        "登录失败次数过多,该账号或本机地址已被暂时锁定。请 %(minutes)s 分钟后再试,"
        "或联系管理员解锁。"
    ) % {"minutes": cooloff_minutes()}


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """The log-in page again, with the lockout as the form's error (AXES_LOCKOUT_CALLABLE).

    429 like every other "too many" answer of the platform; the form keeps the user name so the
    person sees which account is concerned."""
    # Unbound: validating the posted form would authenticate, and count, once more.
    form = AuthenticationForm(request, initial={"username": request.POST.get("username", "")})
    form.cleaned_data = {}
    form.add_error(None, lockout_message())
    response = render(
        request,
        "registration/login.html",
        {"form": form, "next": request.POST.get("next", ""), "locked_out": True},
        status=429,
    )
    response["Retry-After"] = str(cooloff_minutes() * 60)
    return response


def _audit(
    *, event: str, username: str, ip_address: str | None, actor: Any = None, **extra: Any
) -> LogEntry:
    """One audit-log row about a user name (attached to the user when the name exists)."""
    user_model = get_user_model()
    user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
    return LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(user_model),
        object_pk=str(user.pk) if user is not None else "",
        object_id=user.pk if user is not None else None,
        object_repr=username[:200],
        action=LogEntry.Action.ACCESS,
        changes_text=event,
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        remote_addr=ip_address or None,
        additional_data={"event": event, "username": username, "ip_address": ip_address, **extra},
    )


def record_lockout(
    sender: Any, request: HttpRequest, username: str | None, ip_address: str | None, **kwargs: Any
) -> None:
    """Receiver of axes' `user_locked_out`: the audit trail of every lockout.

    axes signals again on every refused attempt while the lockout lasts (and more than once per
    request): one row per lockout is what an auditor reads, so repeats within the cooling-off
    time of an audited lockout of the same name and address are not written again."""
    if getattr(request, "gridgov_lockout_audited", False):
        return
    request.gridgov_lockout_audited = True  # type: ignore[attr-defined]
    since = timezone.now() - (settings.AXES_COOLOFF_TIME or timedelta(0))
    if LogEntry.objects.filter(
        timestamp__gte=since,
        additional_data__event=LOCKOUT_EVENT,
        additional_data__username=username or "",
        additional_data__ip_address=ip_address,
    ).exists():
        return
    _audit(
        event=LOCKOUT_EVENT,
        username=username or "",
        ip_address=ip_address,
        failure_limit=settings.AXES_FAILURE_LIMIT,
        cooloff_minutes=cooloff_minutes(),
    )


@transaction.atomic
def unlock_logins(attempts: QuerySet[AccessAttempt], *, by: Any) -> int:
    """Forget the failures of these attempt rows (their user names and addresses): the admin's
    way to let a locked-out person in before the cooling-off time ends. Returns rows removed."""
    removed = 0
    for attempt in list(attempts):
        removed += AxesProxyHandler.reset_attempts(
            ip_address=attempt.ip_address, username=attempt.username, ip_or_username=True
        )
        _audit(
            event=UNLOCK_EVENT,
            username=attempt.username or "",
            ip_address=attempt.ip_address,
            actor=by,
        )
    return removed
