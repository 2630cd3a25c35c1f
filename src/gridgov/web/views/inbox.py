"""The in-app inbox of every user (issue 3): notifications unread first, opening one marks it
read and leads to its case; the navigation badge polls the unread count."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from gridgov.core import notify
from gridgov.core.inbox import tasks_for
from gridgov.core.models import Notification
from gridgov.web.navigation import uses_phone_pages
from gridgov.web.queries.inbox import inbox_rows, notification_target, unread_count
from gridgov.web.views.common import answers_domain_errors

PAGE_SIZE = 20


@answers_domain_errors
@require_GET
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(inbox_rows(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    phone = uses_phone_pages(request.user)
    return render(
        request,
        "web/inbox.html",
        {
            "page": page,
            "base": "web/phone/base.html" if phone else "base.html",
            "tab": "inbox",
            "tasks": tasks_for(request.user),  # other apps' work items (core.inbox)
        },
    )


@answers_domain_errors
@require_GET
@login_required
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the notification read and go to what it is about; another user's is a 404."""
    notification = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
    notify.mark_read(notification=notification, by=request.user)
    return redirect(notification_target(notification))


@answers_domain_errors
@require_POST
@login_required
def read_all(request: HttpRequest) -> HttpResponse:
    notify.mark_all_read(by=request.user)
    return redirect("inbox")


# htmx stops polling an element whose answer has this status.
STOP_POLLING = 286


@answers_domain_errors
@require_GET
def unread_badge(request: HttpRequest) -> HttpResponse:
    """The badge alone, for htmx polling: one COUNT query. A page left open after logging out
    gets an empty badge that stops polling, not the log-in page swapped into the navigation."""
    if not request.user.is_authenticated:
        context = {"unread": 0, "stop": True}
        return render(request, "web/includes/inbox_badge.html", context, status=STOP_POLLING)
    return render(request, "web/includes/inbox_badge.html", {"unread": unread_count(request.user)})
