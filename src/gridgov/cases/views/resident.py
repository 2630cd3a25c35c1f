"""Resident pages (no account): report a problem, optionally for a grid chosen on a map or reached
by the QR code of its public board; follow it by tracking code; give the satisfaction callback.
The map's grid outlines come from the shell (web: `resident_grids`), reached by its URL.
They count against the same per-address limits as the public API (cases.api): one budget
whichever door a resident (or a flood) comes through."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from gridgov.cases.api import PUBLIC_CALLBACKS, PUBLIC_REPORTS, PUBLIC_TRACKING
from gridgov.cases.forms import ResidentCallbackForm, ResidentReportForm, TrackForm
from gridgov.cases.models import CaseAttachment, Channel
from gridgov.cases.queues import tracking_view
from gridgov.cases.services.intake import Intake, report_case
from gridgov.cases.views.pages import file_response
from gridgov.core.errors import DomainError
from gridgov.core.pages import add_domain_error, answers_domain_errors, report_config
from gridgov.grids.models import Grid

RESIDENT_FIELDS = {"grid": "address", "lon": "lon", "crs": "lon", "contact_phone": "contact_phone"}


@answers_domain_errors
def resident_report(request: HttpRequest) -> HttpResponse:
    """Report a problem without an account; a grid code (the QR code of its board) picks the
    grid. The answer is the tracking page of the new case."""
    focus = (request.GET.get("grid") or request.POST.get("grid") or "").strip()
    grid = (
        Grid.objects.active().filter(code=focus).select_related("level").first() if focus else None
    )
    if request.method != "POST":
        form = ResidentReportForm(initial={"grid": grid.code if grid else ""})
        return _resident_page(request, form, grid)
    PUBLIC_REPORTS.check(request)
    form = ResidentReportForm(request.POST, request.FILES)
    intake = _resident_intake(form) if form.is_valid() else None
    if intake is None:
        return _resident_page(request, form, grid, status=400)
    return redirect(reverse("track_detail", args=[intake.case.tracking_code]) + "?new=1")


def _resident_intake(form: ResidentReportForm) -> Intake | None:
    data = form.cleaned_data
    try:
        return report_case(
            by=None,
            channel=Channel.RESIDENT,
            description=data["description"],
            item=form.item(),
            lon=data.get("lon"),
            lat=data.get("lat"),
            address=data.get("address") or "",
            grid_code=data.get("grid") or "",
            photos=data.get("photos") or [],  # checked by the form
            contact_name=data.get("contact_name") or "",
            contact_phone=data.get("contact_phone") or "",
            idempotency_key=data.get("idempotency_key") or None,
            attributes=form.attribute_answers(),
        )
    except DomainError as exc:
        add_domain_error(form, exc, aliases=RESIDENT_FIELDS)
        return None


def _resident_page(
    request: HttpRequest, form: ResidentReportForm, grid: Grid | None, *, status: int = 200
) -> HttpResponse:
    config = report_config(
        reverse("resident_grids"), focus=grid.code if grid else "", auto_locate=False
    )
    context = {"form": form, "grid": grid, "map_config": config}
    return render(request, "cases/resident/report.html", context, status=status)


@answers_domain_errors
def track(request: HttpRequest) -> HttpResponse:
    form = TrackForm(request.GET or None)
    if form.is_bound:
        PUBLIC_TRACKING.check(request)
    if form.is_bound and form.is_valid():
        code = form.cleaned_data["code"]
        if tracking_view(code) is not None:
            return redirect("track_detail", code=code)
        form.add_error("code", _not_found())
    return render(
        request, "cases/resident/track.html", {"form": form}, status=400 if form.errors else 200
    )


def _not_found() -> Any:
    from django.utils.translation import gettext as _

    return _("没有找到该查询码对应的案件,请核对后重试")


@answers_domain_errors
def track_detail(request: HttpRequest, code: str) -> HttpResponse:
    """The public progress of a resident's case and, once closed, the satisfaction callback."""
    PUBLIC_TRACKING.check(request)
    view = tracking_view(code)
    if view is None:
        raise Http404
    if request.method != "POST":
        return _track_page(request, view, ResidentCallbackForm())
    PUBLIC_CALLBACKS.check(request)
    form = ResidentCallbackForm(request.POST)
    if form.is_valid() and _callback_taken(view.tracking_code, form):
        return redirect(reverse("track_detail", args=[view.tracking_code]) + "?thanks=1")
    return _track_page(request, tracking_view(code) or view, form, status=400)


def _track_page(
    request: HttpRequest, view: Any, form: ResidentCallbackForm, *, status: int = 200
) -> HttpResponse:
    context = {
        "view": view,
        "form": form,
        "is_new": request.GET.get("new") == "1",
        "thanks": request.GET.get("thanks") == "1",
        "can_callback": view.state == "closed" and view.satisfaction is None,
    }
    return render(request, "cases/resident/track_detail.html", context, status=status)


def _callback_taken(code: str, form: ResidentCallbackForm) -> bool:
    try:
        _resident_callback(code, form.cleaned_data)
    except DomainError as exc:
        add_domain_error(form, exc)
        return False
    return True


def _resident_callback(code: str, data: dict[str, Any]) -> None:
    from gridgov.cases.services import resident_callback

    resident_callback(
        tracking_code=code, satisfaction=data["satisfaction"], note=data.get("note") or ""
    )


@answers_domain_errors
@require_GET
def track_photo(request: HttpRequest, code: str, index: int) -> FileResponse:
    """A report photo of the resident's own case, reached through its tracking code (a wrong
    code counts against the tracking limit: codes are not for guessing)."""
    view = tracking_view(code)
    if view is None:
        PUBLIC_TRACKING.check(request)
        raise Http404
    items = list(
        CaseAttachment.objects.filter(
            case__tracking_code=view.tracking_code, purpose=CaseAttachment.Purpose.REPORT
        ).order_by("uploaded_at", "pk")
    )
    if not 0 <= index < len(items):
        raise Http404
    return file_response(get_object_or_404(CaseAttachment, pk=items[index].pk))
