"""Statistics and ledger pages (issue 13). Thin: parse the filters, look the grid up through the
user's scope (outside it is a 404), call one read, render or send the workbook."""

from __future__ import annotations

import datetime as dt
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from gridgov.core.jurisdiction import Role, scope_of
from gridgov.grids.models import Grid
from gridgov.reports import ledgers as ledger_reads
from gridgov.reports import reads
from gridgov.reports.forms import LedgerForm, PeriodForm
from gridgov.reports.stats import DIMENSIONS, RATES, TREND_UNITS

READERS = (Role.OFFICE, Role.LEADER, Role.WORKER)
# Who may open the hazards page and the visit ledger the field-work figures link to.
OFFICE_PAGES = (Role.ADMIN, Role.OFFICE, Role.LEADER)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def readers_only(view: Any) -> Any:
    @login_required
    @require_GET
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not scope_of(request.user).has_role(*READERS):
            raise PermissionDenied
        return view(request, *args, **kwargs)  # type: ignore[no-any-return]

    return wrapper


def _filters(request: HttpRequest, form_class: type[PeriodForm] = PeriodForm) -> Any:
    """The bound form (defaults: this month, the user's first scope root) and the root grid
    (None: the whole platform, administrators only)."""
    first, last = reads.this_month(timezone.localdate())
    roots = reads.scope_roots(request.user)
    data = {"start": first.isoformat(), "end": last.isoformat(), **request.GET.dict()}
    form = form_class(data)
    code = (request.GET.get("grid") or "").strip()
    if code:
        root: Grid | None = get_object_or_404(Grid.objects.visible_to(request.user), code=code)
    elif scope_of(request.user).is_admin or not roots:
        if not scope_of(request.user).is_admin:
            raise Http404
        root = None
    else:
        root = roots[0]
    return form, root, roots


def _query(form: PeriodForm, root: Grid | None, **extra: str) -> str:
    params = {k: v for k, v in form.data.items() if v and k != "grid"}
    if root is not None:
        params["grid"] = root.code
    params.update(extra)
    return urlencode(params)


@readers_only
def statistics(request: HttpRequest) -> HttpResponse:
    form, root, roots = _filters(request)
    context: dict[str, Any] = {"form": form, "root": root, "roots": roots, "rates": RATES}
    if form.is_valid():
        page = reads.statistics_page(
            root=root,
            first=form.cleaned_data["start"],
            last=form.cleaned_data["end"],
            unit=_unit(request),
            office_links=scope_of(request.user).has_role(*OFFICE_PAGES),
        )
        context.update(
            page=page,
            trend=reads.trend_rows(page),
            trend_units=[(k, v, _query(form, root, trend=k)) for k, v in TREND_UNITS.items()],
            dimensions=[(d, DIMENSIONS[d], page.tables[d]) for d in page.tables],
            charts=reads.chart_data(page),
            query=_query(form, root),
            period=urlencode(
                {"start": form.cleaned_data["start"], "end": form.cleaned_data["end"]}
            ),
        )
    return render(
        request, "reports/statistics.html", context, status=200 if form.is_valid() else 400
    )


def _unit(request: HttpRequest) -> str | None:
    """The trend's day, week or month asked for (anything else: chosen from the period)."""
    unit = request.GET.get("trend") or ""
    return unit if unit in TREND_UNITS else None


@readers_only
def statistics_xlsx(request: HttpRequest) -> HttpResponse:
    form, root, _roots = _filters(request)
    if not form.is_valid():
        return render(request, "reports/statistics.html", {"form": form, "root": root}, status=400)
    first: dt.date = form.cleaned_data["start"]
    last: dt.date = form.cleaned_data["end"]
    page = reads.statistics_page(root=root, first=first, last=last, unit=_unit(request))
    response = HttpResponse(reads.statistics_workbook(page), content_type=XLSX)
    name = f"statistics-{root.code if root else 'all'}-{first:%Y%m%d}-{last:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@readers_only
def ledgers(request: HttpRequest) -> HttpResponse:
    form, root, roots = _filters(request)
    valid = form.is_valid()
    return render(
        request,
        "reports/ledgers.html",
        {
            "form": form,
            "root": root,
            "roots": roots,
            "ledgers": ledger_reads.available(request.user),
            "elsewhere": ledger_reads.elsewhere(
                request.user,
                root=root,
                first=form.cleaned_data["start"] if valid else None,
                last=form.cleaned_data["end"] if valid else None,
            ),
            "query": _query(form, root) if valid else "",
        },
    )


@readers_only
def case_ledger(request: HttpRequest) -> HttpResponse:
    form, root, roots = _filters(request, LedgerForm)
    context: dict[str, Any] = {"form": form, "root": root, "roots": roots, "rows": None}
    if form.is_valid():
        rows, total = ledger_reads.case_rows(request.user, root=root, **_ledger_args(form))
        context.update(
            rows=rows,
            total=total,
            query=_query(form, root),
            shown=ledger_reads.SHOWN,
            head=[str(h) for h in ledger_reads.CASE_HEAD],
        )
    return render(
        request, "reports/case_ledger.html", context, status=200 if form.is_valid() else 400
    )


def _ledger_args(form: LedgerForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "first": data["start"],
        "last": data["end"],
        "channel": data.get("channel") or "",
        "matter_class": data.get("matter_class") or "",
        "state": data.get("state") or "",
    }


@readers_only
def case_ledger_xlsx(request: HttpRequest) -> HttpResponse:
    form, root, _roots = _filters(request, LedgerForm)
    if not form.is_valid():
        return render(request, "reports/case_ledger.html", {"form": form, "root": root}, status=400)
    body = ledger_reads.case_workbook(request.user, root=root, **_ledger_args(form))
    response = HttpResponse(body, content_type=XLSX)
    name = f"case-ledger-{root.code if root else 'all'}-{form.cleaned_data['start']:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@readers_only
def ledger_xlsx(request: HttpRequest, kind: str) -> HttpResponse:
    """A field-work or registry ledger with the page's period and grid."""
    if kind not in ledger_reads.KINDS:
        raise Http404
    if not ledger_reads.may_open(request.user, kind):
        raise PermissionDenied
    form, root, _roots = _filters(request)
    if not form.is_valid():
        return render(request, "reports/ledgers.html", {"form": form, "root": root}, status=400)
    body = ledger_reads.kind_workbook(
        kind,
        request.user,
        root=root,
        first=form.cleaned_data["start"],
        last=form.cleaned_data["end"],
    )
    response = HttpResponse(body, content_type=XLSX)
    response["Content-Disposition"] = (
        f'attachment; filename="{kind}-{root.code if root else "all"}.xlsx"'
    )
    return response


@readers_only
def ledger_print(request: HttpRequest, kind: str) -> HttpResponse:
    """Any ledger kind as a printable A4 landscape sheet: the rows its Excel export holds."""
    if kind not in ledger_reads.KINDS:
        raise Http404
    if not ledger_reads.may_open(request.user, kind):
        raise PermissionDenied
    form, root, _roots = _filters(request)
    if not form.is_valid():
        return render(request, "reports/ledgers.html", {"form": form, "root": root}, status=400)
    link = ledger_reads.KINDS[kind]
    first, last = form.cleaned_data["start"], form.cleaned_data["end"]
    sheet = ledger_reads.sheet(kind, request.user, root=root, first=first, last=last)
    context = {
        "link": link,
        "root": root,
        "first": first,
        "last": last,
        "head": sheet.head,
        "rows": list(sheet.rows),
        "period": _print_period(link, first, last),
        "printed_at": timezone.localtime(),
        "query": _query(form, root),
        "masked": kind in ("persons", "households"),
    }
    return render(request, "reports/ledger_print.html", context)


def _print_period(link: ledger_reads.LedgerLink, first: dt.date, last: dt.date) -> str:
    """The period a printed ledger covers: the month for attendance (its ledger is monthly),
    none for the ledgers that hold what is on record now."""
    if link.kind == "attendance":
        return f"{first:%Y-%m}"
    return f"{first:%Y-%m-%d} — {last:%Y-%m-%d}" if link.uses_period else ""
