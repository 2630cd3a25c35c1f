"""Notifications: the in-app inbox row, and a copy sent outside through a pluggable sender.

`notify()` writes the inbox row in the caller's transaction and an `OutboundMessage` beside it;
after commit the send is queued as a background task (Zulip: events go out on commit, so a
rolled-back action never notifies anyone). A failed send is retried later by
`retry_outbound_messages`, each attempt claimed by compare-and-set on the row's status
(healthchecks), so a message is never sent by two workers at once and a failure never loses
the inbox row.

Plugging in SMS or WeChat: write a class with `send(message: OutgoingMessage) -> SendResult`
(construct it without arguments; read gateway keys from your own settings or the environment),
and set `GRIDGOV_OUTBOUND_SENDER=yourpackage.module.ClassName`. Return `SendResult(ok=True,
provider_ref=...)` when the gateway accepted the message, `SendResult(ok=False, error=...,
retry=False)` for a permanent refusal (an invalid number), and raise or return
`retry=True` for a temporary one. Pass `message.key` to the gateway as its idempotency key
(most SMS gateways take one as "out id" / "外部流水号"): a worker that dies after the gateway
accepted a message but before the row was marked sent causes a resend, which the gateway then
drops.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django_tasks import task

from gridgov.core.masking import mask_phone
from gridgov.core.models import Notification, NotificationKind, OutboundMessage, OutboundStatus

log = logging.getLogger(__name__)

KIND_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TITLE_MAX = 200
TEXT_MAX = 500
DEFAULT_SENDER = "gridgov.core.notify.LoggingSender"
# A worker that claimed a message and did not finish within this time is presumed dead.
STALE_CLAIM = dt.timedelta(minutes=15)


# Our own message in every UI language ({"zh-hans": …, "en": …}), or a person's words as they
# were written.
Text = str | Mapping[str, str]


def in_every_language(message: str, /, **params: object) -> dict[str, str]:
    """Our own message rendered now in each configured language: a notification is read later,
    by someone whose language is not the sender's. `message` is a msgid marked with
    `gettext_noop`; a lazy label among `params` (a state, a role) is translated with it.

    >>> in_every_language(gettext_noop("案件已结案:%(title)s"), title="路灯不亮")["en"]
    'Case closed: 路灯不亮'
    """
    texts: dict[str, str] = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            values = {k: str(v) if isinstance(v, Promise) else v for k, v in params.items()}
            texts[code] = (
                translation.gettext(message) % values if values else translation.gettext(message)
            )
    return texts


def _split(text: Text) -> tuple[str, dict[str, str]]:
    """The text for the deployment's language, and the others by language code."""
    if isinstance(text, str):
        return text, {}
    default = text.get(settings.LANGUAGE_CODE) or next(iter(text.values()), "")
    return default, {code: value for code, value in text.items() if code != settings.LANGUAGE_CODE}


@dataclass(frozen=True)
class OutgoingMessage:
    """What a sender is given: no database row, so a sender cannot change our state."""

    key: str
    channel: str
    recipient: str
    text: str
    attempt: int


@dataclass(frozen=True)
class SendResult:
    ok: bool
    provider_ref: str = ""
    error: str = ""
    # False for a refusal that a retry cannot fix (an invalid number, a blocked account).
    retry: bool = True


class Sender(Protocol):
    def send(self, message: OutgoingMessage) -> SendResult: ...


class LoggingSender:
    """The default: sends nothing, writes the message to the log (the row records it)."""

    def send(self, message: OutgoingMessage) -> SendResult:
        log.info(
            "outbound %s to %s (attempt %d, key %s): %s",
            message.channel,
            mask_phone(message.recipient),  # never a phone in clear in the log
            message.attempt,
            message.key,
            message.text,
        )
        return SendResult(ok=True, provider_ref=f"log:{message.key}")


def sender_path() -> str:
    return str(getattr(settings, "GRIDGOV_OUTBOUND_SENDER", "") or DEFAULT_SENDER)


def get_sender() -> Sender:
    sender: Sender = import_string(sender_path())()
    return sender


def max_attempts() -> int:
    return int(getattr(settings, "GRIDGOV_OUTBOUND_MAX_ATTEMPTS", 5))


def retry_delay(attempts: int) -> dt.timedelta:
    """1, 5, 25, 125 minutes, then every 6 hours."""
    return dt.timedelta(minutes=min(5 ** max(attempts - 1, 0), 360))


def phone_of(user: Any) -> str:
    """The staff phone of a user (people.Staff.user, related name "staff"), or ""."""
    staff = getattr(user, "staff", None)
    if staff is None or not getattr(staff, "is_active", True):
        return ""
    return str(getattr(staff, "phone", "") or "").strip()


def _check_url(url: str) -> str:
    url = url.strip()
    if url and not (
        (url.startswith("/") and not url.startswith("//")) or re.match(r"^https?://", url)
    ):
        # An inbox link is rendered as href: never a javascript: or protocol-relative URL.
        raise ValueError(f"notification url must be a path or an http(s) URL, not {url!r}")
    return url


def _truncate(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def outbound_text(title: str, body: str, url: str) -> str:
    site = str(getattr(settings, "SITE_NAME", "") or "")
    text = f"【{site}】{title}" if site else title
    if body:
        text += f":{body}"
    base = str(getattr(settings, "GRIDGOV_PUBLIC_URL", "") or "").rstrip("/")
    if url.startswith("/") and base:
        url = base + url
    if url.startswith("http"):
        text = _truncate(text, TEXT_MAX - len(url) - 1) + " " + url
    return _truncate(text, TEXT_MAX)


def notify(
    *,
    user: Any,
    kind: str,
    title: Text,
    body: Text = "",
    url: str = "",
    target: models.Model | None = None,
    by: Any = None,
    dedupe_key: str = "",
) -> Notification:
    """Put a message in `user`'s inbox and queue its copy to the user's staff phone.

    `kind` is a NotificationKind value or another lower-case code. `title` and `body` are
    plain text, or our own message from `in_every_language` so each reader sees it in the
    language of their page. With `dedupe_key`, a user who still has an unread notification
    with that key gets no second one (that one is returned)."""
    if not KIND_RE.match(kind):
        raise ValueError(f"notification kind must be a lower-case code, not {kind!r}")
    title, other_titles = _split(title)
    body, other_bodies = _split(body)
    translations = {
        code: {
            "title": _truncate(other_titles.get(code, title), TITLE_MAX),
            "body": other_bodies.get(code, body).strip(),
        }
        for code in {*other_titles, *other_bodies}
    }
    if not title.strip():
        raise ValueError("a notification needs a title")
    if getattr(user, "pk", None) is None:
        raise ValueError("a notification needs a saved user")
    url = _check_url(url)
    with transaction.atomic():
        if dedupe_key:
            existing = (
                Notification.objects.filter(user_id=user.pk, dedupe_key=dedupe_key).unread().first()
            )
            if existing is not None:
                return existing
        target_type = None
        target_id = None
        if target is not None:
            if target.pk is None:
                raise ValueError("a notification target must be saved")
            target_type = ContentType.objects.get_for_model(target)
            target_id = int(target.pk)
        notification = Notification.objects.create(
            user_id=user.pk,
            kind=kind,
            title=_truncate(title, TITLE_MAX),
            body=body.strip(),
            translations=translations,
            url=url,
            target_type=target_type,
            target_id=target_id,
            actor_id=getattr(by, "pk", None),
            dedupe_key=dedupe_key[:100],
        )
        _queue_outbound(notification, user)
    return notification


def _queue_outbound(notification: Notification, user: Any) -> None:
    phone = phone_of(user) if getattr(user, "is_active", True) else ""
    # The SMS speaks the deployment's language, whatever the sender's page was in.
    with translation.override(settings.LANGUAGE_CODE):
        sms_text = outbound_text(notification.title, notification.body, notification.url)
    message = OutboundMessage.objects.create(
        notification=notification,
        channel="sms",
        recipient=phone,
        text=sms_text,
        status=OutboundStatus.PENDING if phone else OutboundStatus.SKIPPED,
        last_error="" if phone else "没有可用的手机号",
    )
    if phone:
        message_id = message.pk
        # robust: a queue that is down must not break the caller's commit; the row stays
        # pending and the retry sweep sends it.
        transaction.on_commit(lambda: _enqueue_delivery(message_id), robust=True)


def _enqueue_delivery(message_id: int) -> None:
    deliver_outbound.enqueue(message_id)


# The delivery job lives beside what it runs, so that this module and core/tasks.py (which
# re-exports it under its registered name) do not import each other (issue 8).
@task()
def deliver_outbound(message_id: int) -> str | None:
    """Send one outbound message (queued on commit by `_enqueue_delivery`)."""
    return deliver(message_id)


def admins() -> models.QuerySet[Any]:
    """Active superusers and users allowed to edit the calendar (the system administrators)."""
    perm = Permission.objects.filter(
        content_type__app_label="core", codename="change_workcalendarday"
    ).first()
    q = Q(is_superuser=True)
    if perm is not None:
        q |= Q(user_permissions=perm) | Q(groups__permissions=perm)
    return get_user_model().objects.filter(q, is_active=True).distinct().order_by("pk")


def notify_admins(
    *,
    kind: str,
    title: Text,
    body: Text = "",
    url: str = "",
    target: models.Model | None = None,
    by: Any = None,
    dedupe_key: str = "",
) -> list[Notification]:
    """Alert the system administrators ("the calendar of 2027 is not loaded")."""
    return [
        notify(
            user=user,
            kind=kind,
            title=title,
            body=body,
            url=url,
            target=target,
            by=by,
            dedupe_key=dedupe_key,
        )
        for user in admins()
    ]


def deliver(message_id: int, *, now: dt.datetime | None = None) -> str | None:
    """One attempt to send one message; returns its new status, or None when another worker
    holds it, it is already sent, or it is not due. Safe to call any number of times."""
    now = now or timezone.now()
    claimed = OutboundMessage.objects.filter(
        pk=message_id,
        status__in=[OutboundStatus.PENDING, OutboundStatus.FAILED],
        next_attempt_at__lte=now,
    ).update(status=OutboundStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return None
    message = OutboundMessage.objects.get(pk=message_id)
    path = sender_path()
    try:
        result = get_sender().send(
            OutgoingMessage(
                key=str(message.key),
                channel=message.channel,
                recipient=message.recipient,
                text=message.text,
                attempt=message.attempts,
            )
        )
    except Exception as exc:
        log.exception("outbound message %s: sender %s failed", message_id, path)
        result = SendResult(ok=False, error=f"{type(exc).__name__}: {exc}", retry=True)
    if result.ok:
        status = OutboundStatus.SENT
        fields: dict[str, Any] = {
            "sent_at": timezone.now(),
            "provider_ref": result.provider_ref[:200],
        }
        fields["last_error"] = ""
    elif result.retry and message.attempts < max_attempts():
        status = OutboundStatus.FAILED
        fields = {
            "next_attempt_at": now + retry_delay(message.attempts),
            "last_error": result.error,
        }
    else:
        status = OutboundStatus.DEAD
        fields = {"last_error": result.error}
        log.warning("outbound message %s given up: %s", message_id, result.error)
    # Only the claim we made may be finished: if the row was reclaimed as stale meanwhile, the
    # newer attempt's outcome stands.
    finished = OutboundMessage.objects.filter(
        pk=message_id, status=OutboundStatus.SENDING, attempts=message.attempts
    ).update(status=status, sender=path[:200], **fields)
    return str(status) if finished else None


def retry_outbound_messages(*, now: dt.datetime | None = None, limit: int = 200) -> int:
    """Release claims of dead workers, then attempt every message that is due; returns how many
    were sent."""
    now = now or timezone.now()
    OutboundMessage.objects.filter(
        status=OutboundStatus.SENDING, claimed_at__lt=now - STALE_CLAIM
    ).update(
        status=OutboundStatus.FAILED,
        next_attempt_at=now,
        last_error="发送过程中断(工作进程退出),将重试",
    )
    due = list(
        OutboundMessage.objects.filter(
            status__in=[OutboundStatus.PENDING, OutboundStatus.FAILED], next_attempt_at__lte=now
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in due if deliver(pk, now=now) == OutboundStatus.SENT)


@transaction.atomic
def mark_read(*, notification: Notification, by: Any, now: dt.datetime | None = None) -> None:
    """Mark one of `by`'s notifications read (reading twice keeps the first time)."""
    if notification.user_id != getattr(by, "pk", None):
        raise PermissionError("only the recipient marks a notification read")
    now = now or timezone.now()
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
    notification.refresh_from_db(fields=["read_at"])


@transaction.atomic
def mark_all_read(*, by: Any, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    return Notification.objects.for_user(by).unread().update(read_at=now)


__all__ = [
    "LoggingSender",
    "NotificationKind",
    "OutgoingMessage",
    "SendResult",
    "Sender",
    "deliver",
    "mark_all_read",
    "mark_read",
    "notify",
    "notify_admins",
    "retry_outbound_messages",
]
