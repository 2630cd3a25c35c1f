"""The grid worker's phone shell: the home page (cases, warnings) and the service worker that
keeps the phone pages for offline use. The case pages of the phone (report, tasks, verify, map)
are the cases app's (cases/views/phone.py)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from gridgov.cases import queues as case_queues
from gridgov.cases.models import Case
from gridgov.cases.queues import my_open_cases
from gridgov.core.jurisdiction import Role
from gridgov.fieldwork.safety.services import open_campaigns_for
from gridgov.oversight.models import EarlyWarning
from gridgov.web.views.common import answers_domain_errors, role_required


@answers_domain_errors
@role_required(Role.WORKER)
def phone_home(request: HttpRequest) -> HttpResponse:
    recent = (
        Case.objects.filter(reporter=request.user)
        .select_related("grid")
        .order_by("-created_at")[:5]
    )
    return render(
        request,
        "web/phone/home.html",
        {
            "open_count": my_open_cases(request.user).count(),
            "verify_count": case_queues.to_verify(request.user).count(),
            "recent": recent,
            "tab": "home",
            # Four-colour warnings in the worker's grids (oversight), shown on the phone.
            "warnings": EarlyWarning.objects.active()
            .visible_to(request.user)
            .select_related("grid")
            .order_by("-raised_at")[:5],
        },
    )


# What the service worker keeps for offline use (the report page opens without network).
OFFLINE_ASSETS = (
    "gridgov/app.css",
    "gridgov/favicon.svg",
    "gridgov/map.js",
    "gridgov/report.js",
    "gridgov/outbox.js",
    "hotline/suggest.js",
    "registry/facility-picker.js",
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet/leaflet.js",
    "django_htmx/htmx-2.min.js",
    # The field work pages' scripts and styles (patrol, visits, diary, surveys, check-in,
    # inspection and campaigns), so those pages also open without network.
    "fieldwork/patrol.css",
    "fieldwork/patrol.js",
    "fieldwork/phone-forms.js",
    "fieldwork/safety.css",
)

# The phone pages the service worker fetches when it is installed, so that a worker can open
# them with no network after one online visit (besides any page of /m/ opened since, which it
# keeps as it passes).
OFFLINE_PAGES = (
    "phone_report",
    "phone_home",
    "phone_patrol",
    "phone_visits",
    "phone_visit_new",
    "phone_diary",
    "phone_surveys",
    "phone_check_in",
    "phone_inspect",
)


@answers_domain_errors
@role_required(Role.WORKER)
def phone_sw(request: HttpRequest) -> HttpResponse:
    """The service worker of the phone pages, with the pages and files it keeps for offline use;
    its version changes with that list and with the worker script itself."""
    response = HttpResponse(
        service_worker_script(request.user), content_type="application/javascript; charset=utf-8"
    )
    response["Cache-Control"] = "no-cache"
    return response


def offline_pages(user: Any = None) -> list[str]:
    """The phone pages kept for offline use: the fixed ones, and for a worker the pages of the
    campaigns their grids answer (one page per campaign and unit grid)."""
    pages = [reverse(name) for name in OFFLINE_PAGES]
    if user is not None and user.is_authenticated:
        for campaign, grid, _answered, _items in open_campaigns_for(user):
            pages.append(reverse("phone_campaign", args=[campaign.pk, grid.code]))
    return pages


def service_worker_script(user: Any = None) -> str:
    from django.contrib.staticfiles import finders
    from django.templatetags.static import static

    config: dict[str, Any] = {
        "scope": reverse("phone_home"),
        "pages": offline_pages(user),
        "assets": [static(path) for path in OFFLINE_ASSETS],
        "data": [reverse("command_grids")],
    }
    template = Path(str(finders.find("gridgov/sw-template.js"))).read_text(encoding="utf-8")
    body = json.dumps(config, separators=(",", ":"))
    digest = hashlib.sha1((template + body).encode(), usedforsecurity=False).hexdigest()
    config["version"] = digest[:12]
    return template.replace("__CONFIG__", json.dumps(config, separators=(",", ":")))
