"""The operator's ledger pages: upload a ledger file (imported in the background task queue,
the page polls its progress), download templates, export a grid's ledger (masked unless the
operator may and gives a reason, which is logged)."""

from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import get_scoped_or_404
from gridgov.grids.models import Grid
from gridgov.registry import permissions
from gridgov.registry.forms import LedgerExportForm, LedgerUploadForm
from gridgov.registry.ledgers import KIND_LABELS, export_ledger, ledger, write_template
from gridgov.registry.ledgers.uploads import queue_upload
from gridgov.registry.models import LedgerUpload

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_importer(request: HttpRequest) -> None:
    if not permissions.can_import_ledgers(request.user):
        raise Http404


def _xlsx(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


@require_http_methods(["GET", "POST"])
@login_required
def ledgers(request: HttpRequest) -> HttpResponse:
    """Upload form, templates, export form and the operator's recent uploads."""
    _require_importer(request)
    form = LedgerUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            queued = queue_upload(
                kind=form.cleaned_data["kind"],
                file_name=upload.name,
                content=upload.read(),
                dry_run=form.cleaned_data["dry_run"],
                by=request.user,  # type: ignore[arg-type]
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("registry_ledger_upload", pk=queued.pk)
    return _ledgers_page(request, form, LedgerExportForm())


def _ledgers_page(
    request: HttpRequest, form: LedgerUploadForm, export_form: LedgerExportForm
) -> HttpResponse:
    recent = LedgerUpload.objects.visible_to(request.user).defer("content")[:20]  # type: ignore[attr-defined]
    context = {"form": form, "export_form": export_form, "kinds": KIND_LABELS, "recent": recent}
    status = 400 if form.errors or export_form.errors else 200
    return render(request, "registry/ledgers.html", context, status=status)


def _upload(request: HttpRequest, pk: int) -> LedgerUpload:
    _require_importer(request)
    return get_scoped_or_404(
        LedgerUpload.objects.visible_to(request.user).defer("content"),  # type: ignore[attr-defined]
        pk=pk,
    )


@require_GET
@login_required
def ledger_upload(request: HttpRequest, pk: int) -> HttpResponse:
    upload = _upload(request, pk)
    return render(request, "registry/ledger_upload.html", {"upload": upload, "kinds": KIND_LABELS})


@require_GET
@login_required
def ledger_upload_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress partial htmx polls until the import ends."""
    upload = _upload(request, pk)
    return render(request, "registry/_upload_progress.html", {"upload": upload})


@require_GET
@login_required
def ledger_template(request: HttpRequest, kind: str) -> HttpResponse:
    _require_importer(request)
    if kind not in KIND_LABELS:
        raise Http404
    out = io.BytesIO()
    write_template(kind, out)
    return _xlsx(out.getvalue(), f"{kind}-template")


@require_POST
@login_required
def ledger_export(request: HttpRequest) -> HttpResponse:
    _require_importer(request)
    form = LedgerExportForm(request.POST)
    if form.is_valid():
        grid = None
        if form.cleaned_data["grid"]:
            visible = Grid.objects.visible_to(request.user)  # type: ignore[attr-defined]
            grid = visible.filter(code=form.cleaned_data["grid"]).first()
            if grid is None:
                form.add_error("grid", _("网格不存在或不在您的辖区"))
        if not form.errors:
            out = io.BytesIO()
            try:
                export_ledger(
                    ledger(form.cleaned_data["kind"]).kind,
                    out,
                    by=request.user,
                    grid=grid,
                    clear_reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                form.add_error("reason", exc.message)
            else:
                return _xlsx(
                    out.getvalue(), f"{form.cleaned_data['kind']}-{grid.code if grid else 'all'}"
                )
    return _ledgers_page(request, LedgerUploadForm(), form)
