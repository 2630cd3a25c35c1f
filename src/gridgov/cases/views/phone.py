"""The grid worker's case pages on the phone: report with photo and position (kept on the phone
while the network is down, sent once), my tasks, cases to verify, my grid's map. They are the
worker's door into case intake and the worker's case queues, so they belong to the cases app;
the phone shell (home page, tab bar, service worker) stays in `web`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from gridgov.cases import queues as case_queues
from gridgov.cases.forms import WorkerReportForm
from gridgov.cases.models import Channel
from gridgov.cases.queues import my_open_cases
from gridgov.cases.services.intake import Intake, report_case
from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import Role
from gridgov.core.pages import (
    add_domain_error,
    answers_domain_errors,
    map_config,
    report_config,
    role_required,
    wants_json,
)

REPORT_FIELDS = {
    "category": "category",
    "photos": "photos",
    "lon": "lon",
    "crs": "lon",
    "grid": "address",
    "facility": "lon",
}


@answers_domain_errors
@role_required(Role.WORKER)
def phone_report(request: HttpRequest) -> HttpResponse:
    """The report form. The page's script posts it with fetch (Accept: application/json) and
    keeps it in the phone's outbox until an answer comes; without script it posts normally.
    The idempotency key makes a resend after a lost answer return the first case."""
    if request.method != "POST":
        return _report_page(request, WorkerReportForm())
    owner = request.POST.get("outbox_user")
    if owner and owner != str(request.user.pk):
        # Saved on this phone by another account (a shared phone): sending it now would file
        # it under the wrong name; the outbox keeps it for its own account.
        return JsonResponse({"ok": False, "detail": _("该上报属于其他账号")}, status=409)
    form = WorkerReportForm(request.POST, request.FILES)
    intake = _report(request, form) if form.is_valid() else None
    if intake is None:
        return _report_refused(request, form)
    return _report_accepted(request, intake)


def _report_page(request: HttpRequest, form: WorkerReportForm, status: int = 200) -> HttpResponse:
    config = report_config(reverse("command_grids"))
    context = {
        "form": form,
        "tab": "report",
        "map_config": config,
        "facility_config": facility_picker_config(),
    }
    return render(request, "cases/phone/report.html", context, status=status)


def facility_picker_config() -> dict[str, Any]:
    """Where the report map finds the public facilities to pick (registry/facility-picker.js)."""
    return {
        "url": reverse("registry_map_features"),
        "text": {
            "picked": _("已选部件:%(name)s(%(code)s)"),
            "none": _("未选部件;放大地图可点选井盖、路灯等部件"),
            "atFacility": _("部件位置"),
        },
    }


def _report(request: HttpRequest, form: WorkerReportForm) -> Intake | None:
    """File the report through the cases intake; a rule it breaks goes onto the form."""
    data = form.cleaned_data
    try:
        return report_case(
            by=request.user,  # type: ignore[arg-type]
            channel=Channel.PATROL,
            description=data["description"],
            item=form.item(),
            urgency=data.get("urgency") or "ordinary",
            mode=data.get("mode") or "coordinate",
            lon=data.get("lon"),
            lat=data.get("lat"),
            address=data.get("address") or "",
            photos=data.get("photos") or [],  # checked by the form
            result=data.get("result") or "",
            idempotency_key=data.get("idempotency_key") or None,
            attributes=form.attribute_answers(),
            facility=data.get("facility") or "",
        )
    except DomainError as exc:
        add_domain_error(form, exc, aliases=REPORT_FIELDS)
        return None


def _report_refused(request: HttpRequest, form: WorkerReportForm) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"ok": False, "errors": form.errors.get_json_data()}, status=400)
    return _report_page(request, form, status=400)


def _report_accepted(request: HttpRequest, intake: Intake) -> HttpResponse:
    case = intake.case
    if wants_json(request):
        body = {
            "ok": True,
            "created": intake.created,
            "id": case.pk,
            "number": case.number,
            "title": case.title,
            "url": reverse("case_detail", args=[case.pk]),
        }
        return JsonResponse(body, status=201 if intake.created else 200)
    message = _("已上报:%(title)s(编号 %(n)s)") % {"title": case.title, "n": case.number}
    messages.success(request, message)
    return redirect("case_detail", pk=case.pk)


def _phone_map_config() -> dict[str, Any]:
    return {**map_config(), "grids": reverse("command_grids")}


@answers_domain_errors
@role_required(Role.WORKER)
def phone_tasks(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "cases/phone/tasks.html",
        {"cases": my_open_cases(request.user)[:100], "tab": "tasks"},
    )


@answers_domain_errors
@role_required(Role.WORKER)
def phone_verify(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "cases/phone/verify.html",
        {"cases": case_queues.to_verify(request.user)[:100], "tab": "verify"},
    )


@answers_domain_errors
@role_required(Role.WORKER)
def phone_map(request: HttpRequest) -> HttpResponse:
    cases = [
        {
            "id": c.pk,
            "lon": c.lon,
            "lat": c.lat,
            "title": c.title,
            "state": c.get_state_display(),
            "url": reverse("case_detail", args=[c.pk]),
        }
        for c in my_open_cases(request.user).filter(lon__isnull=False)[:500]
    ]
    context = {"tab": "map", "map_data": {**_phone_map_config(), "cases": cases}}
    return render(request, "cases/phone/map.html", context)
