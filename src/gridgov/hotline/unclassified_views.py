"""The operator's page of unclassified records (未分类工单): each with the classifier's suggestion
and its confidence, confirmed or replaced by the operator (never applied by itself); and the
suggestion fragment of a case page without an item. Thin: parse, call one service, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gridgov.cases.models import Case, MatterItem
from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import Role, get_scoped_or_404, scope_of
from gridgov.hotline.models import HotlineRecord, HotlineSource
from gridgov.hotline.permissions import require
from gridgov.hotline.services.suggest import classify_record, confirm_suggestions, suggest_item
from gridgov.hotline.views import _readers

# Rows shown at once: each row carries the item list, so a long page would be slow to use.
PAGE_ROWS = 100


@login_required
@require_http_methods(["GET", "POST"])
def unclassified_page(request: HttpRequest) -> HttpResponse:
    _readers(request)
    records = (
        HotlineRecord.objects.visible_to(request.user)
        .filter(item__isnull=True)
        .select_related("source", "grid", "suggested_item__matter_class")
        .order_by("-received_at", "pk")
    )
    source = request.GET.get("source", "")
    if source:
        records = records.filter(source__name=source)
    error = ""
    if request.method == "POST":
        try:
            done = _act(request, records)
        except DomainError as exc:
            error = exc.message
        else:
            query = f"?source={source}&done={done}" if source else f"?done={done}"
            return redirect(request.path + query)
    context = {
        "rows": list(records[:PAGE_ROWS]),
        "total": records.count(),
        "sources": HotlineSource.objects.values_list("name", flat=True),
        "source": source,
        "items": MatterItem.objects.active().select_related("matter_class"),
        "done": request.GET.get("done", ""),
        "error": error,
        "may_act": scope_of(request.user).has_role(Role.OFFICE, Role.ADMIN),
    }
    return render(request, "hotline/unclassified.html", context, status=400 if error else 200)


def _act(request: HttpRequest, records: object) -> int:
    """One record with the chosen item, or the suggestions of the ticked records."""
    if request.POST.get("action") == "confirm":
        ids = [v for v in request.POST.getlist("record") if v.isdigit()]
        if not ids:
            raise DomainError(_("请先勾选要确认建议的工单"))
        chosen = records.filter(pk__in=ids)  # type: ignore[attr-defined]
        return confirm_suggestions(records=list(chosen), by=request.user)  # type: ignore[arg-type]
    pk, code = request.POST.get("record", ""), request.POST.get("item", "")
    record = get_scoped_or_404(records, pk=pk) if pk.isdigit() else None  # type: ignore[arg-type]
    item = MatterItem.objects.active().filter(code=code).first()
    if record is None or item is None:
        raise DomainError(_("请选择工单和事项"))
    classify_record(record=record, item=item, by=request.user)  # type: ignore[arg-type]
    return 1


@login_required
@require_GET
def case_suggestion(request: HttpRequest, pk: int) -> HttpResponse:
    """The classifier's item for a case without one (a resident report, a worker report without
    category), as a fragment beside the case page's classify and accept forms: a button fills
    their item field; the operator still submits."""
    case = get_scoped_or_404(Case.objects.visible_to(request.user), pk=pk)
    require(request.user, "hotline.suggest_item")
    found = None
    if case.item_id is None:
        found = suggest_item(f"{case.title} {case.description}")
    context = {
        "suggestion": found,
        "percent": round(found.confidence * 100) if found is not None else None,
    }
    return render(request, "hotline/includes/case_suggestion.html", context)
