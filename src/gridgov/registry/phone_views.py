"""The grid worker's registry pages on the phone (issue 10; seed 003 联系户): my contact
households, look-up of the households of my grid, correct a household or a person, and add a
person or household on site. Adding goes through the phone's outbox (outbox.js): kept on the
phone while the network is down, sent once. Values stay masked; a worker cannot reveal them."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import Role, get_scoped_or_404, scope_of
from gridgov.grids.models import Grid
from gridgov.registry import services
from gridgov.registry.models import Household, HouseholdTag, Person
from gridgov.registry.phone_forms import (
    HouseholdEditForm,
    HouseholdSearchForm,
    OnSiteAddForm,
    PersonEditForm,
)

View = Callable[..., HttpResponse]


def worker_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not scope_of(request.user).has_role(Role.WORKER):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _form_error(form: BaseForm, exc: DomainError) -> None:
    name = exc.field or ""
    form.add_error(name if name in form.fields else None, exc.message)


def _households(request: HttpRequest) -> Any:
    return (
        Household.objects.visible_to(request.user)  # type: ignore[attr-defined]
        .filter(closed_on__isnull=True)
        .select_related("head", "grid", "contact_worker")
        .prefetch_related(
            Prefetch("tags", queryset=HouseholdTag.objects.filter(until__isnull=True))
        )
        .annotate(n=Count("members", filter=Q(members__closed_on__isnull=True)))
    )


def _household(request: HttpRequest, number: str) -> Household:
    return get_scoped_or_404(_households(request), number=number)  # type: ignore[no-any-return]


def _my_unit_grids(request: HttpRequest) -> list[Grid]:
    """The unit grids (leaves) the worker works in, for a new household."""
    visible = Grid.objects.visible_to(request.user).active()  # type: ignore[attr-defined]
    return list(visible.annotate(k=Count("children")).filter(k=0).order_by("code")[:50])


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> Any:
    return render(request, template, {"tab": "registry", **context}, status=status)


@require_http_methods(["GET"])
@worker_required
def contacts(request: HttpRequest) -> HttpResponse:
    """My contact households (联系户, seed 003: a worker contacts 20–30 households)."""
    households = (
        _households(request)
        .filter(contact_worker__user_id=request.user.pk)
        .order_by("number")[:200]
    )
    return _page(
        request,
        "registry/phone_contacts.html",
        {"households": households, "form": HouseholdSearchForm()},
    )


@require_http_methods(["GET", "POST"])
@worker_required
def search(request: HttpRequest) -> HttpResponse:
    """Households of my grid by number, address or head's name, or a member's exact ID number
    or phone (blind index). The form posts, so a number typed here stays out of URLs."""
    form = HouseholdSearchForm(request.POST or None)
    found: Any = []
    q = ""
    if form.is_valid():
        q = form.cleaned_data["q"]
        ids = services.find_households(request.user, q).values("pk")
        found = _households(request).filter(pk__in=ids).order_by("number")[:100]
    # The query is not echoed back: it may be an ID number or a phone.
    context = {"form": HouseholdSearchForm() if q else form, "households": found, "q": q}
    return _page(request, "registry/phone_search.html", context)


@require_http_methods(["GET"])
@worker_required
def household(request: HttpRequest, number: str) -> HttpResponse:
    h = _household(request, number)
    members = h.members.current().order_by("relation_to_head", "pk")  # type: ignore[attr-defined]
    return _page(request, "registry/phone_household.html", {"household": h, "members": members})


@require_http_methods(["GET", "POST"])
@worker_required
def household_edit(request: HttpRequest, number: str) -> HttpResponse:
    h = _household(request, number)
    initial = {"address": h.address, "kind": h.kind}
    form = HouseholdEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_household(
                h,
                by=request.user,
                address=form.cleaned_data["address"],
                kind=form.cleaned_data["kind"],
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("已更正户信息"))
            return redirect("registry_phone_household", number=h.number)
    return _page(request, "registry/phone_form.html", {"form": form, "household": h})


@require_http_methods(["GET", "POST"])
@worker_required
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_scoped_or_404(
        Person.objects.visible_to(request.user).current().select_related("household"),  # type: ignore[attr-defined]
        pk=pk,
    )
    initial = {
        "name": person.name,
        "relation_to_head": person.relation_to_head,
        "population_type": person.population_type,
        "residence_address": person.residence_address,
        "occupation": person.occupation,
        "workplace": person.workplace,
    }
    form = PersonEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.correct_person(person, by=request.user, **form.person_fields())
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("已更正 %(name)s 的信息") % {"name": person.name})
            if person.household is not None:
                return redirect("registry_phone_household", number=person.household.number)
            return redirect("registry_phone")
    context = {"form": form, "person": person, "household": person.household}
    return _page(request, "registry/phone_form.html", context)


@require_http_methods(["GET", "POST"])
@worker_required
def add(request: HttpRequest) -> HttpResponse:
    """Add a person (or a new household with its head) on site. The page's script posts through
    the outbox (Accept: application/json) and keeps the entry on the phone until an answer
    comes; the key makes a resend return the first entry."""
    grids = _my_unit_grids(request)
    if request.method != "POST":
        form = OnSiteAddForm(grids=grids, household=request.GET.get("household", "")[:32])
        return _page(request, "registry/phone_add.html", {"form": form})
    owner = request.POST.get("outbox_user")
    if owner and owner != str(request.user.pk):
        # Saved on this phone under another account (a shared phone): its owner sends it.
        return JsonResponse({"ok": False, "detail": _("该记录属于其他账号")}, status=409)
    form = OnSiteAddForm(request.POST, grids=grids)
    result = None
    if form.is_valid():
        try:
            result = services.add_on_site(
                by=request.user,
                key=form.cleaned_data["idempotency_key"],
                grid=form.grids[form.cleaned_data["grid"]],
                household_number=form.cleaned_data["household_number"],
                address=form.cleaned_data["address"],
                name=form.cleaned_data["name"],
                **form.person_fields(),
            )
        except DomainError as exc:
            _form_error(form, exc)
    if result is None:
        if _wants_json(request):
            return JsonResponse({"ok": False, "errors": form.errors.get_json_data()}, status=400)
        return _page(request, "registry/phone_add.html", {"form": form}, status=400)
    url = reverse("registry_phone_household", args=[result.household.number])
    if _wants_json(request):
        body = {
            "ok": True,
            "created": result.created,
            "id": result.person.pk,
            "number": result.household.number,
            "title": _("已登记:%(name)s") % {"name": result.person.name},
            "url": url,
        }
        return JsonResponse(body, status=201 if result.created else 200)
    messages.success(request, _("已登记:%(name)s") % {"name": result.person.name})
    return redirect(url)
