"""Pages for visits, diaries, surveys and check-in: the worker's phone pages (kept in the phone's
outbox while the network is down and sent once, gridgov/outbox.js) and the office's pages
(overdue visits per worker and grid, the visit ledger, survey design and tabulation).

Thin: each handler parses a form, calls one service, and answers the outbox in JSON
({"ok", "url", "title", "number"} or 400 with the form's errors) or with a page."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import Role, get_scoped_or_404, scope_of
from gridgov.fieldwork import records, surveys, visits
from gridgov.fieldwork.models import Survey, Visit, VisitKind
from gridgov.fieldwork.phone_forms import (
    CheckInForm,
    DiaryForm,
    OccasionForm,
    SurveyDesignForm,
    SurveyFillForm,
    VisitForm,
)
from gridgov.fieldwork.services import parse_day
from gridgov.grids.models import Grid

HOUSEHOLD_CHOICES_MAX = 500
# The recent cases a diary entry may be linked to on the phone.
CASE_CHOICES_MAX = 30


def _worker(request: HttpRequest) -> None:
    if not scope_of(request.user).has_role(Role.WORKER):
        raise PermissionDenied


def _office(request: HttpRequest) -> None:
    if not scope_of(request.user).has_role(Role.ADMIN, Role.OFFICE, Role.LEADER):
        raise PermissionDenied


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _foreign_outbox(request: HttpRequest) -> HttpResponse | None:
    """An entry saved on this phone by another account is kept for that account (409)."""
    owner = request.POST.get("outbox_user")
    if owner and owner != str(request.user.pk):
        return JsonResponse({"ok": False, "detail": _("该上报属于其他账号")}, status=409)
    return None


def _uid(key: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(key) if key else None
    except ValueError:
        return uuid.uuid5(uuid.NAMESPACE_URL, key)


def _refused(
    request: HttpRequest, form: forms.Form, exc: DomainError | None, page: Any
) -> HttpResponse:
    if exc is not None:
        name = exc.field if exc.field in form.fields else None
        form.add_error(name, exc.message)
    if _wants_json(request):
        return JsonResponse({"ok": False, "errors": form.errors.get_json_data()}, status=400)
    return page(form, 400)


def _accepted(request: HttpRequest, *, url: str, title: str, number: str, created: bool) -> Any:
    if _wants_json(request):
        body = {"ok": True, "created": created, "url": url, "title": title, "number": number}
        return JsonResponse(body, status=201 if created else 200)
    messages.success(request, _("已保存:%(t)s") % {"t": title})
    return redirect(request.path)


def _my_cases(user: Any) -> list[tuple[str, str]]:
    """Recent cases the worker sees, to link a diary entry to (newest first)."""
    from gridgov.cases.models import Case

    rows = Case.objects.visible_to(user).order_by("-created_at")[:CASE_CHOICES_MAX]
    return [(str(c.pk), f"{c.number} {c.description[:20]}".strip()) for c in rows]


def _my_households(user: Any) -> list[tuple[str, str]]:
    """The households the worker may visit, their own contact households first."""
    from gridgov.registry.models import Household

    rows = (
        Household.objects.visible_to(user)
        .filter(closed_on__isnull=True)
        .select_related("head")
        .order_by("number")[:HOUSEHOLD_CHOICES_MAX]
    )
    own = getattr(getattr(user, "staff", None), "pk", None)
    mine: list[tuple[str, str]] = []
    others: list[tuple[str, str]] = []
    for h in rows:
        label = f"{h.number} {h.address}".strip()
        (mine if own is not None and h.contact_worker_id == own else others).append(
            (h.number, label)
        )
    return mine + others


# --- phone: visits ------------------------------------------------------------------------------


@login_required
def phone_visits(request: HttpRequest) -> HttpResponse:
    """My visit list: overdue first, then due, soonest deadline first."""
    _worker(request)
    now = timezone.now()
    tasks = list(visits.my_tasks(request.user, now)[:200])
    recent = (
        Visit.objects.filter(user_id=request.user.pk or 0)
        .select_related("household")
        .order_by("-visited_at")[:10]
    )
    context = {
        "tab": "visits",
        "overdue": [t for t in tasks if t.due_at < now],
        "due": [t for t in tasks if t.due_at >= now],
        "recent": recent,
        "occasion_form": OccasionForm(),
    }
    return render(request, "fieldwork/phone_visits.html", context)


def _plan_kind_to_visit_kind(kind: str) -> str:
    return {"policy_talk": VisitKind.POLICY_TALK, "occasion": VisitKind.OCCASION}.get(
        kind, VisitKind.HOME
    )


@login_required
def phone_visit_new(request: HttpRequest) -> HttpResponse:
    """Record a visit (position from the phone; kept on the phone while offline)."""
    _worker(request)
    households = _my_households(request.user)

    def page(form: VisitForm, status: int = 200) -> HttpResponse:
        context = {"tab": "visits", "form": form}
        return render(request, "fieldwork/phone_visit_form.html", context, status=status)

    if request.method != "POST":
        initial = {
            "household": request.GET.get("household", ""),
            "kind": _plan_kind_to_visit_kind(request.GET.get("kind", "")),
        }
        return page(VisitForm(initial=initial, households=households))
    foreign = _foreign_outbox(request)
    if foreign is not None:
        return foreign
    form = VisitForm(request.POST, households=households)
    if not form.is_valid():
        return _refused(request, form, None, page)
    data = form.cleaned_data
    try:
        recorded = visits.record_visit(
            by=request.user,
            uid=_uid(data.get("idempotency_key") or ""),
            household_number=data["household"],
            kind=data["kind"],
            visited_at=data.get("at"),
            lon=data.get("lon"),
            lat=data.get("lat"),
            people_met=data.get("people_met") or "",
            learnt=data.get("learnt") or "",
            problems=data.get("problems") or "",
            assistance=data.get("assistance") or "",
        )
    except DomainError as exc:
        return _refused(request, form, exc, page)
    visit = recorded.visit
    return _accepted(
        request,
        url=reverse("phone_visit", args=[visit.pk]),
        title=_("走访 %(h)s") % {"h": visit.household.number},
        number=timezone.localtime(visit.visited_at).strftime("%m-%d %H:%M"),
        created=recorded.created,
    )


@login_required
def phone_visit(request: HttpRequest, pk: int) -> HttpResponse:
    visit = get_scoped_or_404(
        Visit.objects.visible_to(request.user).select_related(
            "household", "grid", "case", "hazard"
        ),
        pk=pk,
    )
    return render(request, "fieldwork/phone_visit.html", {"tab": "visits", "visit": visit})


@login_required
@require_POST
def phone_visit_case(request: HttpRequest, pk: int) -> HttpResponse:
    """One tap: the visit's problems become a case (cases intake), linked back."""
    visit = get_scoped_or_404(Visit.objects.visible_to(request.user), pk=pk)
    try:
        case = visits.visit_to_case(visit=visit, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("phone_visit", pk=pk)
    messages.success(request, _("已转为案件 %(n)s") % {"n": case.number})
    return redirect("case_detail", pk=case.pk)


@login_required
@require_POST
def phone_visit_hazard(request: HttpRequest, pk: int) -> HttpResponse:
    """One tap: the visit's problem becomes a safety hazard, linked back to the visit."""
    from gridgov.fieldwork.safety.services import visit_to_hazard

    visit = get_scoped_or_404(Visit.objects.visible_to(request.user), pk=pk)
    try:
        hazard = visit_to_hazard(visit=visit, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("phone_visit", pk=pk)
    messages.success(request, _("已转为隐患 %(n)s") % {"n": hazard.number})
    return redirect("phone_visit", pk=pk)


# --- phone: diary and check-in ------------------------------------------------------------------


@login_required
def phone_diary(request: HttpRequest) -> HttpResponse:
    _worker(request)
    from gridgov.fieldwork.models import Diary

    def page(form: DiaryForm, status: int = 200) -> HttpResponse:
        recent = (
            Diary.objects.filter(user_id=request.user.pk or 0)
            .prefetch_related("households", "cases", "photos")
            .order_by("-day", "-pk")[:10]
        )
        context = {"tab": "diary", "form": form, "recent": recent}
        return render(request, "fieldwork/phone_diary.html", context, status=status)

    links = {"households": _my_households(request.user), "cases": _my_cases(request.user)}
    if request.method != "POST":
        return page(DiaryForm(initial={"day": timezone.localdate()}, **links))
    foreign = _foreign_outbox(request)
    if foreign is not None:
        return foreign
    form = DiaryForm(request.POST, request.FILES, **links)
    if not form.is_valid():
        return _refused(request, form, None, page)
    data = form.cleaned_data
    try:
        diary = records.write_diary(
            by=request.user,
            kind=data["kind"],
            day=data["day"],
            text=data["text"],
            tags=data.get("tags") or "",
            client_key=data.get("idempotency_key") or "",
            household_numbers=data.get("households") or [],
            case_ids=[int(pk) for pk in data.get("cases") or []],
            photos=data.get("photos") or [],
        )
    except DomainError as exc:
        return _refused(request, form, exc, page)
    return _accepted(
        request,
        url=reverse("phone_diary"),
        title=diary.get_kind_display(),
        number=diary.day.isoformat(),
        created=True,
    )


@login_required
def phone_check_in(request: HttpRequest) -> HttpResponse:
    _worker(request)
    from gridgov.fieldwork.models import CheckIn

    def page(form: CheckInForm, status: int = 200) -> HttpResponse:
        today = CheckIn.objects.filter(
            user_id=request.user.pk or 0, at__date__gte=timezone.localdate()
        ).order_by("-at")[:10]
        context = {"tab": "checkin", "form": form, "today": today}
        return render(request, "fieldwork/phone_check_in.html", context, status=status)

    if request.method != "POST":
        return page(CheckInForm())
    foreign = _foreign_outbox(request)
    if foreign is not None:
        return foreign
    form = CheckInForm(request.POST)
    if not form.is_valid():
        return _refused(request, form, None, page)
    data = form.cleaned_data
    try:
        record = records.check_in(
            by=request.user,
            kind=data["kind"],
            lon=data.get("lon"),
            lat=data.get("lat"),
            at=data.get("at"),
            client_key=data.get("idempotency_key") or "",
        )
    except DomainError as exc:
        return _refused(request, form, exc, page)
    return _accepted(
        request,
        url=reverse("phone_check_in"),
        title=record.get_kind_display(),
        number=timezone.localtime(record.at).strftime("%H:%M"),
        created=True,
    )


# --- phone: surveys -----------------------------------------------------------------------------


@login_required
def phone_surveys(request: HttpRequest) -> HttpResponse:
    _worker(request)
    rows = Survey.objects.visible_to(request.user).filter(is_open=True).select_related("grid")
    return render(request, "fieldwork/phone_surveys.html", {"tab": "surveys", "surveys": rows})


@login_required
def phone_survey_fill(request: HttpRequest, pk: int) -> HttpResponse:
    _worker(request)
    survey = get_scoped_or_404(Survey.objects.visible_to(request.user), pk=pk)
    households = _my_households(request.user)

    def page(form: SurveyFillForm, status: int = 200) -> HttpResponse:
        context = {"tab": "surveys", "form": form, "survey": survey}
        return render(request, "fieldwork/phone_survey_fill.html", context, status=status)

    if request.method != "POST":
        return page(SurveyFillForm(survey=survey, households=households))
    foreign = _foreign_outbox(request)
    if foreign is not None:
        return foreign
    form = SurveyFillForm(request.POST, survey=survey, households=households)
    if not form.is_valid():
        return _refused(request, form, None, page)
    try:
        done = surveys.submit_response(
            by=request.user,
            survey=survey,
            household_number=form.cleaned_data["household"],
            answers=form.answers(),
            uid=_uid(form.cleaned_data.get("idempotency_key") or ""),
            submitted_at=form.cleaned_data.get("at"),
        )
    except DomainError as exc:
        return _refused(request, form, exc, page)
    return _accepted(
        request,
        url=reverse("phone_surveys"),
        title=survey.title,
        number=done.response.household.number,
        created=done.created,
    )


# --- office -------------------------------------------------------------------------------------


def _day(request: HttpRequest, name: str, default: date) -> date:
    raw = request.GET.get(name, "")
    try:
        return parse_day(raw, field=name) if raw else default
    except DomainError:
        return default


@login_required
def office_visits(request: HttpRequest) -> HttpResponse:
    """Overdue visits per worker and grid; plan generation; the ledger export."""
    _office(request)
    if request.method == "POST":
        try:
            result = visits.generate_visit_plan(on=timezone.localdate(), by=request.user)
        except PermissionDenied:
            messages.error(request, _("只有网格办操作员可以生成走访计划"))
        else:
            messages.success(
                request,
                _("已生成 %(n)s 项走访任务(已有 %(e)s 项,%(w)s 户没有联系网格员)")
                % {"n": result.created, "e": result.existing, "w": result.without_worker},
            )
        return redirect("fieldwork_visits")
    today = timezone.localdate()
    context = {
        "rows": visits.overdue_summary(request.user),
        "start": _day(request, "start", today.replace(day=1)),
        "end": _day(request, "end", today),
        "can_plan": scope_of(request.user).has_role(Role.ADMIN, Role.OFFICE),
        "occasion_form": OccasionForm(),
    }
    return render(request, "fieldwork/office_visits.html", context)


@login_required
def office_visit_ledger(request: HttpRequest) -> HttpResponse:
    _office(request)
    today = timezone.localdate()
    start = _day(request, "start", today.replace(day=1))
    end = max(_day(request, "end", today), start)
    code = (request.GET.get("grid") or "").strip()[:32]
    grid = get_object_or_404(Grid.objects.visible_to(request.user), code=code) if code else None
    kind = request.GET.get("kind") or ""
    data = visits.export_visit_ledger(
        request.user,
        start,
        end,
        grid_path=grid.path if grid else "",
        kind=kind if kind in VisitKind.values else "",
    )
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="visit-ledger-{start.isoformat()}-{end.isoformat()}.xlsx"'
    )
    return response


@login_required
def office_surveys(request: HttpRequest) -> HttpResponse:
    """Survey list and designer."""
    _office(request)
    grids = [(g.code, g.name) for g in Grid.objects.visible_to(request.user).order_by("path")[:300]]
    form = SurveyDesignForm(request.POST or None, grids=grids)
    if request.method == "POST" and form.is_valid():
        try:
            survey = surveys.create_survey(
                by=request.user,
                title=form.cleaned_data["title"],
                grid_code=form.cleaned_data["grid"],
                description=form.cleaned_data.get("description") or "",
                questions=[surveys.QuestionSpec(**q) for q in form.questions()],
            )
        except (DomainError, PermissionDenied) as exc:
            form.add_error(None, getattr(exc, "message", str(exc)) or _("无权操作"))
        else:
            messages.success(request, _("已创建调查表:%(t)s") % {"t": survey.title})
            return redirect("fieldwork_survey", pk=survey.pk)
    rows = Survey.objects.visible_to(request.user).select_related("grid")[:100]
    status = 400 if request.method == "POST" else 200
    return render(
        request, "fieldwork/office_surveys.html", {"form": form, "surveys": rows}, status=status
    )


@login_required
def office_survey(request: HttpRequest, pk: int) -> HttpResponse:
    """A survey's answers tabulated, with the Excel export."""
    _office(request)
    survey = get_scoped_or_404(Survey.objects.visible_to(request.user), pk=pk)
    if request.GET.get("format") == "xlsx":
        data = surveys.export_responses(survey, request.user)
        response = HttpResponse(
            data,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="survey-{survey.pk}.xlsx"'
        return response
    if request.GET.get("format"):
        raise Http404
    table = surveys.tabulate(survey, request.user)
    return render(request, "fieldwork/office_survey.html", {"table": table, "survey": survey})


@login_required
@require_POST
def raise_occasion(request: HttpRequest) -> HttpResponse:
    """Anyone who sees the household raises an occasion; back to the page it came from."""
    form = OccasionForm(request.POST)
    back = "fieldwork_visits" if request.POST.get("from") == "office" else "phone_visits"
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, "; ".join(str(e) for e in errors))
        return redirect(back)
    data = form.cleaned_data
    due_at = data.get("due_at")
    if due_at is not None and timezone.is_naive(due_at):
        due_at = timezone.make_aware(due_at)
    try:
        task = visits.raise_occasion(
            by=request.user,
            household_number=data["household"],
            occasion=data["occasion"],
            reason=data["reason"],
            due_at=due_at,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(
        request,
        _("已登记,交联系网格员 %(w)s 走访,期限 %(d)s")
        % {
            "w": getattr(getattr(task.worker, "staff", None), "name", "") or task.worker,
            "d": timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M"),
        },
    )
    return redirect(back)
