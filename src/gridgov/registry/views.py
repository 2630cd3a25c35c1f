"""The operator's registry pages: drill-down grid → households → persons, search (name, address,
exact ID number or phone through the blind index), data-entry completion and the checks seed 001
and seed 003 ask for (一格一员, a contact worker for every household). Values stay masked."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, Count, IntegerField, Prefetch, Q, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from gridgov.core.jurisdiction import get_scoped_or_404, scope_of
from gridgov.core.masking import id_number_problem
from gridgov.grids.models import Grid
from gridgov.registry import services
from gridgov.registry.models import Household, HouseholdTag, Organisation, Person, RiskGrade


def _roots(request: HttpRequest) -> list[Grid]:
    """The top grids of the user's scope (for the admin, the top of the tree)."""
    visible = Grid.objects.visible_to(request.user).active()  # type: ignore[attr-defined]
    grids = list(visible.order_by("path").only("id", "path", "code", "name", "households"))
    roots: list[Grid] = []
    for grid in grids:
        if not any(grid.path.startswith(r.path) for r in roots):
            roots.append(grid)
    return roots


def _require_registry_role(request: HttpRequest) -> None:
    if not scope_of(request.user).has_role("office", "leader", "worker"):
        raise Http404


@require_GET
@login_required
def registry_home(request: HttpRequest, code: str = "") -> HttpResponse:
    """A grid's page: its children with completion, or (for a unit grid) its households."""
    _require_registry_role(request)
    visible = Grid.objects.visible_to(request.user)  # type: ignore[attr-defined]
    if code:
        grid = get_scoped_or_404(visible.select_related("parent"), code=code)
    else:
        roots = _roots(request)
        if not roots:
            raise Http404
        grid = roots[0]
    children = list(visible.filter(parent=grid).order_by("code"))
    rows = services.completion(children) if children else []
    context: dict[str, Any] = {
        "grid": grid,
        "ancestors": [g for g in grid.ancestors() if visible.filter(pk=g.pk).exists()],
        "total": services.completion([grid])[0],
        "rows": rows,
    }
    if not children:
        households = (
            Household.objects.visible_to(request.user)
            .filter(grid=grid, closed_on__isnull=True)
            .select_related("head", "contact_worker")
            .prefetch_related(
                Prefetch("tags", queryset=HouseholdTag.objects.filter(until__isnull=True))
            )
            .annotate(n=Count("members", filter=Q(members__closed_on__isnull=True)))
            .order_by("number")
        )
        context["page"] = Paginator(households, 50).get_page(request.GET.get("page"))
    return render(request, "registry/grid.html", context)


@require_GET
@login_required
def household_detail(request: HttpRequest, number: str) -> HttpResponse:
    _require_registry_role(request)
    household = get_scoped_or_404(
        Household.objects.visible_to(request.user).select_related("grid", "contact_worker"),
        number=number,
    )
    members = household.members.current().order_by("relation_to_head", "pk")  # type: ignore[attr-defined]
    tags = household.tags.order_by("since")
    return render(
        request,
        "registry/household.html",
        {"household": household, "members": members, "tags": tags},
    )


@require_http_methods(["GET", "POST"])
@login_required
def search(request: HttpRequest) -> HttpResponse:
    """Name or address (contains), or an exact ID number or phone (blind index). The form posts,
    so a searched ID number or phone does not land in the server's access log as a URL."""
    _require_registry_role(request)
    q = (request.POST.get("q") or request.GET.get("q") or "").strip()[:60]
    persons: Any = Person.objects.none()
    if q:
        persons = Person.objects.visible_to(request.user).current()  # type: ignore[attr-defined]
        if id_number_problem(q) is None:
            persons = persons.by_id_number(q)
        elif q.replace("-", "").replace(" ", "").lstrip("+").isdigit() and len(q) >= 7:
            persons = persons.by_phone(q)
        else:
            persons = persons.filter(
                Q(name__contains=q)
                | Q(residence_address__contains=q)
                | Q(household__address__contains=q)
            )
        persons = persons.select_related("grid", "household").order_by("grid__code", "pk")
    page = Paginator(persons, 50).get_page(request.GET.get("page"))
    return render(request, "registry/search.html", {"q": q, "page": page})


@require_GET
@login_required
def checks(request: HttpRequest) -> HttpResponse:
    """一格一员 (seed 001) and contact workers (seed 003), per village and town: the gaps."""
    _require_registry_role(request)
    roots = _roots(request)
    missing_worker = [g for root in roots for g in services.unit_grids_without_worker(root)]
    rows = []
    for root in roots:
        for grid in [root, *Grid.objects.filter(parent=root).order_by("code")]:
            gaps = services.households_without_contact(grid)
            rows.append({"grid": grid, "without_contact": gaps.count()})
    return render(request, "registry/checks.html", {"missing_worker": missing_worker, "rows": rows})


@require_GET
@login_required
def organisations(request: HttpRequest) -> HttpResponse:
    """Businesses with their risk grade, and the party organisations on the grids."""
    _require_registry_role(request)
    kind = request.GET.get("kind") or "business"
    if kind not in {"business", "party", "social"}:
        kind = "business"
    orgs = (
        Organisation.objects.visible_to(request.user)  # type: ignore[attr-defined]
        .filter(kind=kind, closed_on__isnull=True)
        .select_related("grid", "secretary")
        .annotate(members=Count("memberships", filter=Q(memberships__ended_on__isnull=True)))
        .annotate(
            severity=Case(
                *(When(risk_grade=g, then=Value(i)) for i, g in enumerate(RiskGrade.values)),
                default=Value(len(RiskGrade.values)),
                output_field=IntegerField(),
            )
        )
        .order_by("severity", "grid__code", "name")
    )
    page = Paginator(orgs, 50).get_page(request.GET.get("page"))
    return render(request, "registry/organisations.html", {"page": page, "kind": kind})
