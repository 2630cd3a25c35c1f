"""Log-in lands here: each role goes to the page it works from."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from gridgov.core.jurisdiction import Role
from gridgov.web.navigation import primary_role
from gridgov.web.views.common import answers_domain_errors


@answers_domain_errors
@login_required
def home(request: HttpRequest) -> HttpResponse:
    role = primary_role(request.user)
    if role in (Role.OFFICE, Role.LEADER):
        return redirect("command_centre")
    if role == Role.HANDLER:
        return redirect("queue", name="my_tasks")
    if role == Role.WORKER:
        return redirect("phone_home")
    if role == Role.ADMIN:
        from django.contrib import admin

        return render(
            request, "web/home_admin.html", {"app_list": admin.site.get_app_list(request)}
        )
    return render(request, "web/home_no_role.html", status=403)
