"""A first or reset password must be replaced before anything else (issue 10).

At log-in (`note_password_change_due`, connected to `user_logged_in` in PeopleConfig.ready) the
session learns whether its user still holds a password someone else chose; while it does, every
page sends them to the change page, and the API answers 403. Setting a password changes the
user's session hash, so a reset also ends the sessions opened with the old password."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

SESSION_KEY = "gridgov_password_change_due"


def note_password_change_due(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    from gridgov.people.models import PasswordChangeDue

    if request is None or not hasattr(request, "session"):
        return
    if PasswordChangeDue.objects.filter(user_id=user.pk).exists():
        request.session[SESSION_KEY] = True
    else:
        request.session.pop(SESSION_KEY, None)


def password_changed(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


class PasswordChangeMiddleware:
    """Holds a user whose password must change on the change page (log-out stays open)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if (
            session is not None
            and session.get(SESSION_KEY)
            and user is not None
            and user.is_authenticated
            and not self._open(request.path)
        ):
            if request.headers.get("HX-Request"):
                # A fragment polled in the background (the inbox badge): nothing to swap in.
                return HttpResponse(status=204)
            if request.path.startswith("/api/") or "application/json" in request.headers.get(
                "Accept", ""
            ):
                return JsonResponse({"detail": _("请先修改初始密码")}, status=403)
            target = reverse("password_change")
            return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _open(path: str) -> bool:
        open_paths = (
            reverse("password_change"),
            reverse("logout"),
            reverse("set_language"),
        )
        prefixes = (settings.STATIC_URL or "/static/", "/favicon")
        return path in open_paths or path.startswith(prefixes)
