"""Pages of the hotline app: the import page (upload with a mapping per source), discovery
rates with their trend across rounds, and a round's detail. Thin: parse, call one service,
render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from gridgov.core.errors import DomainError, ImportRejectedError
from gridgov.core.jurisdiction import Role, scope_of
from gridgov.core.pages import answers_domain_errors
from gridgov.core.throttle import throttle
from gridgov.grids.models import Grid
from gridgov.hotline.forms import ImportForm, PeriodForm, RoundForm
from gridgov.hotline.models import (
    BacktraceTask,
    CrosscheckResult,
    CrosscheckRound,
    HotlineImport,
    HotlineRecord,
    HotlineSource,
    TierProposal,
)
from gridgov.hotline.permissions import require
from gridgov.hotline.services import (
    discovery_rates,
    hotline_kpis,
    import_hotline,
    month_bounds,
    run_crosscheck,
)
from gridgov.hotline.services.crosscheck import round_trend
from gridgov.hotline.services.suggest import suggest_item
from gridgov.hotline.services.tiers import (
    confirm_tiers,
    last_quarter,
    propose_tiers,
    quarter_bounds,
)

# Depths shown on the discovery page: town (0), village (1) and unit grids (the leaves).
SHOWN_LEVELS = 3


def _readers(request: HttpRequest) -> None:
    if not scope_of(request.user).has_role(Role.OFFICE, Role.LEADER, Role.ADMIN):
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    require(request.user, "hotline.import_records")
    sources = list(HotlineSource.objects.all())
    initial_source = request.GET.get("source", "")
    saved = next((s for s in sources if s.name == initial_source), None)
    form = ImportForm(
        request.POST or None,
        request.FILES or None,
        initial={"source": initial_source, "mapping": saved.mapping_text if saved else ""},
    )
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = import_hotline(
                data=upload.read(),
                filename=upload.name,
                source=form.cleaned_data["source"],
                by=request.user,  # type: ignore[arg-type]
                mapping_text=form.cleaned_data["mapping"] or None,
                dry_run=form.cleaned_data["dry_run"],
                strict=form.cleaned_data["strict"],
            )
        except ImportRejectedError as exc:
            form.add_error(None, exc.message)
            result_problems = exc.problems
            return render(
                request,
                "hotline/import.html",
                {"form": form, "sources": sources, "problems": result_problems, "runs": _runs()},
                status=400,
            )
        except DomainError as exc:
            form.add_error("mapping" if exc.field else None, exc.message)
    status = 400 if request.method == "POST" and form.errors else 200
    context = {
        "form": form,
        "sources": sources,
        "result": result,
        "problems": result.problems if result else [],
        "runs": _runs(),
    }
    return render(request, "hotline/import.html", context, status=status)


def _runs() -> list[HotlineImport]:
    return list(HotlineImport.objects.select_related("source", "by")[:10])


def _root(request: HttpRequest) -> Grid | None:
    """The top grid of the user's scope (for the trend chart), None for an admin."""
    grids = Grid.objects.visible_to(request.user).order_by("path")
    return None if scope_of(request.user).is_admin else grids.first()


@login_required
@require_http_methods(["GET", "POST"])
def discovery_page(request: HttpRequest) -> HttpResponse:
    _readers(request)
    sources = list(HotlineSource.objects.values_list("name", flat=True))
    today = timezone.localdate()
    data = (
        request.GET
        if "start" in request.GET
        else {
            "start": (today - dt.timedelta(days=90)).isoformat(),
            "end": today.isoformat(),
        }
    )
    form = PeriodForm(data, sources=sources)
    round_form = RoundForm(request.POST or None)
    if request.method == "POST":
        require(request.user, "hotline.run_crosscheck")
        if round_form.is_valid():
            try:
                made = run_crosscheck(
                    start=round_form.cleaned_data["start"],
                    end=round_form.cleaned_data["end"],
                    by=request.user,  # type: ignore[arg-type]
                )
            except DomainError as exc:
                round_form.add_error("end", exc.message)
            else:
                return redirect("hotline:round", number=made.number)
    rates: list[Any] = []
    if form.is_valid():
        source = form.cleaned_data["source"]
        rates = [
            r
            for r in discovery_rates(
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                source=HotlineSource.objects.filter(name=source).first() if source else None,
                grids=Grid.objects.visible_to(request.user).active(),
            )
            if r.depth < SHOWN_LEVELS
        ]
    root = _root(request)
    context = {
        "form": form,
        "round_form": round_form,
        "rates": rates,
        "trend": round_trend(root=root),
        "rounds": CrosscheckRound.objects.all()[:20],
        "may_run": request.user.has_perm("hotline.run_crosscheck"),
    }
    status = 400 if (request.method == "POST" and round_form.errors) or form.errors else 200
    return render(request, "hotline/discovery.html", context, status=status)


@login_required
def round_page(request: HttpRequest, number: int) -> HttpResponse:
    _readers(request)
    round_ = CrosscheckRound.objects.filter(number=number).first()
    if round_ is None:
        raise Http404
    results = (
        CrosscheckResult.objects.filter(round=round_)
        .filter(grid__in=Grid.objects.visible_to(request.user))
        .select_related("record__source", "record__item", "grid", "case", "case__item")
        .order_by("matched", "grid__code", "record__received_at")
    )
    tasks = {
        t.result_id: t
        for t in BacktraceTask.objects.visible_to(request.user).filter(result__round=round_)
    }
    rows = [(r, tasks.get(r.pk)) for r in results[:1000]]
    context = {"round": round_, "rows": rows, "shown": len(rows), "total": results.count()}
    return render(request, "hotline/round.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def tiers_page(request: HttpRequest) -> HttpResponse:
    """The quarter's proposed grid tiers; the office proposes again or confirms."""
    _readers(request)
    quarter = request.GET.get("quarter") or last_quarter(timezone.localdate())
    error = ""
    try:
        quarter_bounds(quarter)
    except DomainError as exc:
        error, quarter = exc.message, last_quarter(timezone.localdate())
    visible = TierProposal.objects.filter(
        quarter=quarter, grid__in=Grid.objects.visible_to(request.user)
    ).select_related("grid")
    if request.method == "POST" and not error:
        if request.POST.get("action") == "confirm":
            confirm_tiers(proposals=visible, by=request.user)  # type: ignore[arg-type]
        else:
            propose_tiers(quarter=quarter, by=request.user)  # type: ignore[arg-type]
        return redirect(f"{request.path}?quarter={quarter}")
    context = {
        "quarter": quarter,
        "error": error,
        "proposals": visible.order_by("grid__code"),
        "may_act": request.user.has_perm("hotline.confirm_tiers"),
    }
    return render(request, "hotline/tiers.html", context, status=400 if error else 200)


@login_required
def kpis_page(request: HttpRequest) -> HttpResponse:
    """The hotline KPIs of a source month by month for a year (STANDARDS: hotline records),
    over the records of the user's scope."""
    _readers(request)
    sources = list(HotlineSource.objects.values_list("name", flat=True))
    name = request.GET.get("source") or (sources[0] if sources else "")
    year_text = request.GET.get("year") or str(timezone.localdate().year)
    if (
        not year_text.isdigit()
        or not 2000 <= int(year_text) <= 2100
        or (name and name not in sources)
    ):
        raise Http404
    records = HotlineRecord.objects.visible_to(request.user).filter(source__name=name)
    months = []
    for month in range(1, 13):
        label = f"{year_text}-{month:02d}"
        start, end = month_bounds(label)
        months.append((label, hotline_kpis(records, start=start, end=end)))
    context = {"sources": sources, "source": name, "year": year_text, "months": months}
    return render(request, "hotline/kpis.html", context)


# A description shorter than this says too little to classify; longer text is cut (a report's
# first lines name the problem).
SUGGEST_MIN_CHARS = 4
SUGGEST_MAX_CHARS = 500


@answers_domain_errors
@require_GET
def item_suggestion(request: HttpRequest) -> HttpResponse:
    """The classifier's catalogue item for a report's description, as a fragment for the report
    forms of residents and workers (cases): the item, its confidence and a button that fills the
    item field. A suggestion only: nothing is applied until the reporter presses the button.
    Residents ask without an account, so it counts per address like the other public doors."""
    text = (request.GET.get("description") or "").strip()[:SUGGEST_MAX_CHARS]
    found = None
    if len(text) >= SUGGEST_MIN_CHARS:
        throttle(request, scope="hotline.suggest", limit=60, per_seconds=60)
        found = suggest_item(text)
    context = {
        "suggestion": found,
        "percent": round(found.confidence * 100) if found is not None else None,
    }
    return render(request, "hotline/includes/item_suggestion.html", context)
