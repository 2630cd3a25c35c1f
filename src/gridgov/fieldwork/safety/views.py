"""Pages of business safety and campaigns. Thin: parse, scoped lookup (outside the scope is a
404), one service call, render. Office pages: the inspection plan and key-supervision list,
hazard queues and a hazard's page with its allowed verbs, campaigns and their progress. Phone
pages: an inspection and a campaign's answers, posted through the phone's outbox (outbox.js)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST

from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import Role, scope_of
from gridgov.fieldwork.safety import exports, services
from gridgov.fieldwork.safety.campaign_workflow import (
    ANSWER_VERBS,
    LIFECYCLE,
    allowed_answer_actions,
)
from gridgov.fieldwork.safety.campaign_workflow import VERBS as CAMPAIGN_VERBS
from gridgov.fieldwork.safety.campaign_workflow import (
    allowed_actions as allowed_campaign_actions,
)
from gridgov.fieldwork.safety.forms import (
    ACTION_FORMS,
    CAMPAIGN_FORMS,
    CampaignAnswerForm,
    CampaignForm,
    CorrectAnswerForm,
    InspectionForm,
)
from gridgov.fieldwork.safety.models import (
    Campaign,
    CampaignAnswer,
    CampaignState,
    Hazard,
    HazardGrade,
    InspectionFrequency,
)
from gridgov.fieldwork.safety.services import AnswerIn, ItemAnswer
from gridgov.fieldwork.safety.workflow import (
    QUEUES,
    VERBS,
    allowed_actions,
    queue,
    queue_counts,
)
from gridgov.grids.models import Grid

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _office_only(request: HttpRequest) -> None:
    if not scope_of(request.user).has_role(Role.ADMIN, Role.OFFICE, Role.LEADER):
        raise PermissionDenied


def _worker_only(request: HttpRequest) -> None:
    if not scope_of(request.user).has_role(Role.WORKER):
        raise PermissionDenied


def _xlsx(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _day_param(request: HttpRequest, name: str) -> dt.date | None:
    """A YYYY-MM-DD day of the query string; anything else is no filter."""
    raw = (request.GET.get(name) or "").strip()[:10]
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo("Asia/Shanghai"))


def _grid_param(request: HttpRequest) -> Grid | None:
    code = (request.GET.get("grid") or "").strip()[:32]
    if not code:
        return None
    return get_object_or_404(Grid.objects.visible_to(request.user), code=code)


# --- office -------------------------------------------------------------------------------------


@login_required
def plan(request: HttpRequest) -> HttpResponse:
    """The inspection plan by risk grade (检查计划) and the key-supervision list (重点监管名单)."""
    _office_only(request)
    key_only = request.GET.get("key") == "1"
    grid = _grid_param(request)
    rows = services.inspection_plan(request.user, key_only=key_only, grid=grid)
    if request.GET.get("format") == "xlsx":
        name = "key-supervision" if key_only else "inspection-plan"
        return _xlsx(exports.plan_workbook(rows, key_only=key_only), name)
    context = {
        "rows": rows,
        "key_only": key_only,
        "grid": grid,
        "frequencies": InspectionFrequency.objects.all(),
        "overdue": sum(1 for r in rows if r.overdue),
    }
    return render(request, "fieldwork/safety/plan.html", context)


@login_required
def hazards(request: HttpRequest) -> HttpResponse:
    """Hazard queues by state and the ledger per grid and business (隐患台账)."""
    _office_only(request)
    name = request.GET.get("queue") or ""
    if name and name not in QUEUES:
        raise Http404
    grid = _grid_param(request)
    org = (request.GET.get("organisation") or "").strip()
    qs = queue(name, request.user) if name else Hazard.objects.visible_to(request.user)
    if grid is not None:
        qs = qs.filter(grid__path__startswith=grid.path)
    if org.isdigit():
        qs = qs.filter(organisation_id=int(org))
    # Found in the local days [start, end] and of one grade: the statistics page links its
    # "发现隐患" figures here with its period (issue 13).
    first, last = _day_param(request, "start"), _day_param(request, "end")
    if first is not None:
        qs = qs.filter(found_at__gte=_local_midnight(first))
    if last is not None:
        qs = qs.filter(found_at__lt=_local_midnight(last + dt.timedelta(days=1)))
    grade = request.GET.get("grade") or ""
    if grade in HazardGrade.values:
        qs = qs.filter(grade=grade)
    qs = qs.select_related("grid", "organisation", "level_grid")
    if request.GET.get("format") == "xlsx":
        return _xlsx(exports.hazard_workbook(list(qs[:20000])), "hazards")
    counts = queue_counts(request.user)
    context = {
        "queues": [(key, q.label, counts[key]) for key, q in QUEUES.items()],
        "current": name,
        "grid": grid,
        "organisation": org if org.isdigit() else "",
        "hazards": qs[:200],
        "count": qs.count(),
        "start": first,
        "end": last,
        "grade": grade if grade in HazardGrade.values else "",
        "grades": HazardGrade.choices,
        "query": request.GET.urlencode(),
    }
    return render(request, "fieldwork/safety/hazards.html", context)


def _hazard_for(request: HttpRequest, pk: int) -> Hazard:
    qs = Hazard.objects.visible_to(request.user).select_related(
        "grid__region",
        "level_grid__region",
        "organisation",
        "found_by",
        "inspection",
        "visit__household",
        "patrol",
    )
    return get_object_or_404(qs, pk=pk)


@login_required
def hazard_detail(request: HttpRequest, pk: int) -> HttpResponse:
    hazard = _hazard_for(request, pk)
    return _detail(request, hazard)


def _detail(
    request: HttpRequest, hazard: Hazard, failed: tuple[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    forms = []
    for verb in allowed_actions(hazard, request.user):
        form = failed[1] if failed and failed[0] == verb else ACTION_FORMS[verb](prefix=verb)
        forms.append((verb, VERBS[verb].label, form))
    context = {
        "hazard": hazard,
        "events": hazard.events.select_related("actor", "level_grid"),
        "forms": forms,
        "campaign_answers": hazard.campaign_answers.select_related("campaign"),
    }
    return render(request, "fieldwork/safety/hazard_detail.html", context, status=status)


HAZARD_SERVICES: dict[str, Callable[..., Hazard]] = {
    "fix_on_spot": services.fix_hazard_on_spot,
    "order": services.order_rectification,
    "list": services.list_hazard,
    "complete": services.complete_rectification,
    "review": services.review_hazard,
    "urge": services.urge_hazard,
    "escalate": services.escalate_hazard,
}


@login_required
@require_POST
def hazard_action(request: HttpRequest, pk: int, verb: str) -> HttpResponse:
    """One verb on a hazard: the form of that verb, then its service (403/409 from the rules)."""
    if verb not in VERBS:
        raise Http404
    hazard = _hazard_for(request, pk)
    form = ACTION_FORMS[verb](request.POST, prefix=verb)
    if form.is_valid():
        try:
            HAZARD_SERVICES[verb](hazard, by=request.user, **form.service_kwargs())
        except DomainError as exc:
            if exc.status_code != 400:
                messages.error(request, exc.message)
                return _detail(request, _hazard_for(request, pk), status=exc.status_code)
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已%(verb)s") % {"verb": VERBS[verb].label})
            return redirect("hazard_detail", pk=pk)
    return _detail(request, hazard, failed=(verb, form), status=400)


@login_required
def campaigns(request: HttpRequest) -> HttpResponse:
    """Campaigns (专项排查) with their progress, and the office's form to start one."""
    _office_only(request)
    may_create = scope_of(request.user).has_role(Role.OFFICE)
    grids = Grid.objects.visible_to(request.user).filter(children__isnull=False).order_by("path")
    form = CampaignForm(request.POST or None, grids=grids)
    if request.method == "POST":
        if not may_create:
            raise PermissionDenied
        if form.is_valid():
            try:
                campaign = services.create_campaign(
                    by=request.user,
                    title=form.cleaned_data["title"],
                    items=form.item_lines(),
                    grids=form.cleaned_data["grids"],
                    deadline=form.deadline_value(),
                    publish=not form.cleaned_data.get("draft"),
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                return redirect("campaign_detail", pk=campaign.pk)
    shown = list(Campaign.objects.visible_to(request.user)[:100])
    rows = services.campaign_summaries(shown, request.user)
    context = {"rows": rows, "form": form if may_create else None}
    return render(
        request, "fieldwork/safety/campaigns.html", context, status=400 if form.errors else 200
    )


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _office_only(request)
    campaign = get_object_or_404(Campaign.objects.visible_to(request.user), pk=pk)
    towns = services.campaign_progress(campaign, request.user)
    if request.GET.get("format") == "xlsx":
        return _xlsx(exports.progress_workbook(campaign, towns), f"campaign-{campaign.pk}")
    return _campaign_page(request, campaign, towns)


def _campaign_page(
    request: HttpRequest,
    campaign: Campaign,
    towns: list[Any] | None = None,
    failed: tuple[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    if towns is None:
        towns = services.campaign_progress(campaign, user)
    answers = list(
        CampaignAnswer.objects.filter(campaign=campaign, grid__in=Grid.objects.visible_to(user))
        .select_related("grid__region", "item", "case", "hazard", "answered_by__staff", "campaign")
        .prefetch_related("revisions__by__staff")
    )
    forms = []
    for verb in allowed_campaign_actions(campaign, user):
        if verb in LIFECYCLE:
            form = failed[1] if failed and failed[0] == verb else CAMPAIGN_FORMS[verb](prefix=verb)
            forms.append((verb, CAMPAIGN_VERBS[verb].label, form))
    rows = [
        (a, CorrectAnswerForm(prefix=f"a{a.pk}", initial={"outcome": a.outcome, "note": a.note}))
        if "correct" in allowed_answer_actions(a, user)
        else (a, None)
        for a in answers
    ]
    context = {
        "campaign": campaign,
        "towns": towns,
        "overdue": services.overdue_units(towns),
        "items": campaign.checklist.items.all(),
        "problems": [a for a in answers if a.outcome != "done"],
        "answers": rows,
        "events": campaign.events.select_related("actor__staff"),
        "forms": forms,
    }
    return render(request, "fieldwork/safety/campaign_detail.html", context, status=status)


CAMPAIGN_SERVICES: dict[str, Callable[..., Campaign]] = {
    "publish": services.publish_campaign,
    "close": services.close_campaign,
    "cancel": services.cancel_campaign,
    "reopen": services.reopen_campaign,
}


@login_required
@require_POST
def campaign_action(request: HttpRequest, pk: int, verb: str) -> HttpResponse:
    """One lifecycle verb on a campaign: its form, then its service (403/409 from the rules)."""
    if verb not in LIFECYCLE:
        raise Http404
    campaign = get_object_or_404(Campaign.objects.visible_to(request.user), pk=pk)
    form = CAMPAIGN_FORMS[verb](request.POST, prefix=verb)
    if form.is_valid():
        try:
            CAMPAIGN_SERVICES[verb](campaign, by=request.user, **form.service_kwargs())
        except DomainError as exc:
            if exc.status_code != 400:
                messages.error(request, exc.message)
                return _campaign_page(request, campaign, status=exc.status_code)
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已%(verb)s") % {"verb": CAMPAIGN_VERBS[verb].label})
            return redirect("campaign_detail", pk=pk)
    return _campaign_page(request, campaign, failed=(verb, form), status=400)


@login_required
@require_POST
def campaign_correct(request: HttpRequest, pk: int, answer_pk: int) -> HttpResponse:
    """A correction of one answer, from the office's page or the worker's phone page; back to
    the page it came from."""
    campaign = get_object_or_404(Campaign.objects.visible_to(request.user), pk=pk)
    answer = get_object_or_404(
        CampaignAnswer.objects.filter(
            campaign=campaign, grid__in=Grid.objects.visible_to(request.user)
        ),
        pk=answer_pk,
    )
    back = (
        reverse("phone_campaign", args=[campaign.pk, answer.grid.code])
        if request.POST.get("back") == "phone"
        else reverse("campaign_detail", args=[campaign.pk])
    )
    form = CorrectAnswerForm(request.POST, prefix=f"a{answer.pk}")
    if not form.is_valid():
        messages.error(request, _("更正未保存:请选择排查结果"))
        return redirect(back)
    try:
        services.correct_campaign_answer(answer, by=request.user, **form.service_kwargs())
    except DomainError as exc:
        if exc.status_code == 409:
            messages.error(request, exc.message)
            return redirect(back)
        messages.error(request, _("更正未保存:%(error)s") % {"error": exc.message})
        return redirect(back)
    messages.success(request, _("已%(verb)s") % {"verb": ANSWER_VERBS["correct"].label})
    return redirect(back)


# --- phone -------------------------------------------------------------------------------------


@login_required
def phone_inspect(request: HttpRequest) -> HttpResponse:
    """The worker's businesses by date due, and the campaigns their grids answer."""
    _worker_only(request)
    context = {
        "tab": "home",
        "rows": services.inspection_plan(request.user),
        "campaigns": services.open_campaigns_for(request.user),
        "hazards": Hazard.objects.visible_to(request.user)
        .open()
        .select_related("organisation")[:50],
    }
    return render(request, "fieldwork/safety/phone_inspect.html", context)


def _owner_mismatch(request: HttpRequest) -> HttpResponse | None:
    owner = request.POST.get("outbox_user")
    if owner and owner != str(request.user.pk):
        # Saved on this phone by another account: the outbox keeps it for its own account.
        return JsonResponse({"ok": False, "detail": _("该记录属于其他账号")}, status=409)
    return None


def _refused(
    request: HttpRequest, form: Any, template: str, context: dict[str, Any]
) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"ok": False, "errors": form.errors.get_json_data()}, status=400)
    return render(request, template, {**context, "form": form}, status=400)


@login_required
@ensure_csrf_cookie
def phone_inspection(request: HttpRequest, org_pk: int) -> HttpResponse:
    """An inspection of one business on the phone; kept in the outbox until the server answers."""
    _worker_only(request)
    org = get_object_or_404(services.businesses(request.user), pk=org_pk)
    checklist = services.checklist_for(org.industry)
    items = list(checklist.items.all())
    summary = _("检查:%(name)s") % {"name": org.name}
    template = "fieldwork/safety/phone_inspection.html"
    context = {"tab": "home", "organisation": org, "checklist": checklist}
    if request.method != "POST":
        form = InspectionForm(items=items, initial={"description": summary})
        return render(request, template, {**context, "form": form})
    if (mismatch := _owner_mismatch(request)) is not None:
        return mismatch
    form = InspectionForm(request.POST, items=items)
    if not form.is_valid():
        return _refused(request, form, template, context)
    data = form.cleaned_data
    answers = [
        ItemAnswer(
            item.pk,
            bool(data[f"ok_{item.pk}"]),
            data.get(f"note_{item.pk}") or "",
            data.get(f"handling_{item.pk}") or "",
            data.get(f"days_{item.pk}") or services.DEFAULT_DAYS,
        )
        for item in items
    ]
    try:
        result = services.record_inspection(
            by=request.user,
            organisation=org,
            answers=answers,
            note=data.get("note") or "",
            lon=data.get("lon"),
            lat=data.get("lat"),
            idempotency_key=data.get("idempotency_key") or None,
        )
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _refused(request, form, template, context)
    title = _("%(name)s 检查完成,发现隐患 %(n)s 处") % {"name": org.name, "n": len(result.hazards)}
    if _wants_json(request):
        body = {
            "ok": True,
            "created": result.created,
            "id": result.inspection.pk,
            "number": ", ".join(h.number for h in result.hazards),
            "title": title,
            "url": reverse("phone_inspect"),
        }
        return JsonResponse(body, status=201 if result.created else 200)
    messages.success(request, title)
    return redirect("phone_inspect")


@login_required
@ensure_csrf_cookie
def phone_campaign(request: HttpRequest, pk: int, grid_code: str) -> HttpResponse:
    """A unit grid's answers to a campaign's open items, through the outbox."""
    _worker_only(request)
    campaign = get_object_or_404(Campaign.objects.visible_to(request.user), pk=pk)
    grid = get_object_or_404(Grid.objects.visible_to(request.user), code=grid_code)
    answered = {
        a.item_id: a
        for a in CampaignAnswer.objects.filter(campaign=campaign, grid=grid)
        .select_related("case", "hazard", "grid__region")
        .prefetch_related("revisions")
    }
    all_items = list(campaign.checklist.items.all())
    is_open = campaign.state == CampaignState.OPEN
    items = [i for i in all_items if i.pk not in answered] if is_open else []
    template = "fieldwork/safety/phone_campaign.html"
    done = []
    for i in all_items:
        if i.pk in answered:
            a = answered[i.pk]
            a.campaign = campaign
            correct = None
            if "correct" in allowed_answer_actions(a, request.user):
                correct = CorrectAnswerForm(
                    prefix=f"a{a.pk}", initial={"outcome": a.outcome, "note": a.note}
                )
            done.append((i, a, correct))
    context = {
        "tab": "home",
        "campaign": campaign,
        "grid": grid,
        "is_open": is_open,
        "done": done,
    }
    summary = _("专项排查:%(title)s") % {"title": campaign.title}
    if request.method != "POST":
        form = CampaignAnswerForm(items=items, initial={"description": summary})
        return render(request, template, {**context, "form": form})
    if (mismatch := _owner_mismatch(request)) is not None:
        return mismatch
    if not is_open:
        detail = _("专项排查%(state)s,不再接受填报") % {"state": campaign.get_state_display()}
        if _wants_json(request):
            return JsonResponse({"ok": False, "detail": detail}, status=409)
        messages.error(request, detail)
        return render(request, template, {**context, "form": None}, status=409)
    form = CampaignAnswerForm(request.POST, items=all_items)
    if not form.is_valid():
        return _refused(request, form, template, context)
    data = form.cleaned_data
    answers = [
        AnswerIn(i.pk, data[f"outcome_{i.pk}"], data.get(f"note_{i.pk}") or "")
        for i in all_items
        if data.get(f"outcome_{i.pk}")
    ]
    try:
        result = services.answer_campaign(
            by=request.user,
            campaign=campaign,
            grid=grid,
            answers=answers,
            idempotency_key=data.get("idempotency_key") or "",
        )
    except DomainError as exc:
        if exc.status_code == 409 and _wants_json(request):
            return JsonResponse({"ok": False, "detail": exc.message}, status=409)
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _refused(request, form, template, context)
    title = _("%(title)s:已填报 %(n)s 项") % {"title": campaign.title, "n": result.saved}
    url = reverse("phone_campaign", args=[campaign.pk, grid.code])
    if _wants_json(request):
        body = {
            "ok": True,
            "created": result.saved > 0,
            "id": campaign.pk,
            "number": grid.code,
            "title": title,
            "url": url,
        }
        return JsonResponse(body, status=201 if result.saved else 200)
    messages.success(request, title)
    return redirect(url)
