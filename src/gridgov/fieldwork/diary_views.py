"""The office's diary page (/fieldwork/diaries/): the entries of the viewer's visible subtree
filtered by period, grid, worker, tag and kind, with their photos (served by the API behind
the entry's visibility), the count per person for the period, and the Excel export of the
same filter. Thin: parse, scoped lookups, one read in fieldwork/diaries.py, render."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import Role, scope_of
from gridgov.fieldwork import diaries
from gridgov.fieldwork.models import DiaryKind
from gridgov.fieldwork.services import parse_day
from gridgov.grids.models import Grid

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _day(request: HttpRequest, name: str, default: date, errors: list[str]) -> date:
    raw = (request.GET.get(name) or "").strip()[:20]
    if not raw:
        return default
    try:
        return parse_day(raw, field=name)
    except DomainError as exc:
        errors.append(exc.message)
        return default


@login_required
def office_diaries(request: HttpRequest) -> HttpResponse:
    if not scope_of(request.user).has_role(Role.ADMIN, Role.OFFICE, Role.LEADER):
        raise PermissionDenied
    today = timezone.localdate()
    errors: list[str] = []
    # The default period is the year so far: seed 000 counts diary entries per year.
    start = _day(request, "start", today.replace(month=1, day=1), errors)
    end = _day(request, "end", today, errors)
    if end < start:
        start, end = end, start
    code = (request.GET.get("grid") or "").strip()[:32]
    grid = get_object_or_404(Grid.objects.visible_to(request.user), code=code) if code else None
    kind = request.GET.get("kind") or ""
    f = diaries.DiaryFilter(
        start=start,
        end=end,
        grid=grid,
        username=(request.GET.get("user") or "").strip()[:150],
        tag=(request.GET.get("tag") or "").strip()[:40],
        kind=kind if kind in DiaryKind.values else "",
    )
    entries = diaries.diary_entries(request.user, f)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(diaries.export_diaries(entries), content_type=XLSX)
        name = f"diaries-{start.isoformat()}-{end.isoformat()}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": f,
        "errors": errors,
        "page": page,
        "rows": [
            (
                d,
                diaries.split_tags(d.tags),
                [diaries.household_label(h) for h in d.households.all()],
            )
            for d in page.object_list
        ],
        "counts": diaries.count_per_person(entries),
        "grids": Grid.objects.visible_to(request.user)
        .filter(is_active=True)
        .order_by("path")
        .only("code", "name", "path")[:500],
        "writers": diaries.writers(request.user),
        "kinds": DiaryKind.choices,
        "query": query.urlencode(),
    }
    return render(request, "fieldwork/office_diaries.html", context)
