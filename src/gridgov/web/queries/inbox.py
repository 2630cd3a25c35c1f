"""A user's in-app inbox (issue 3: assignments, urges, returns, overdue warnings, callbacks),
read from core's Notification rows; marking read goes through core.notify."""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, Case, Value, When
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from gridgov.core.models import Notification, NotificationQuerySet


def inbox_rows(user: Any) -> NotificationQuerySet:
    """The user's notifications, unread first, newest first, with their senders."""
    return (
        Notification.objects.for_user(user)
        .annotate(
            unread=Case(
                When(read_at__isnull=True, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .select_related("actor__staff", "target_type")
        .order_by("-unread", "-created_at", "-id")
    )


def unread_count(user: Any) -> int:
    """One COUNT over the partial index of unread notifications (the navigation badge)."""
    return Notification.objects.for_user(user).unread().count()


def notification_target(notification: Notification) -> str:
    """Where opening a notification leads: its link when it is one of ours, else the page of
    its target (a case), else back to the inbox."""
    url = notification.url
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts=None):
        return url
    kind = notification.target_type
    if kind is not None and notification.target_id is not None and kind.model == "case":
        return reverse("case_detail", args=[notification.target_id])
    return reverse("inbox")
