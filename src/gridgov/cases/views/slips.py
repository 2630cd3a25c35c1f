"""The printable slips of a case (seed 003: 申报单、交办单、催办单、反馈单) as A4 pages and
PDFs, for the users who can see the case (anyone else gets the 404 of a missing case)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from gridgov.cases import queues as case_queues
from gridgov.cases.reads.slips import case_slip
from gridgov.core.jurisdiction import get_scoped_or_404
from gridgov.core.pages import answers_domain_errors
from gridgov.core.pdf import render_pdf


@answers_domain_errors
@require_GET
@login_required
def slip(request: HttpRequest, pk: int, kind: str, ref: int) -> HttpResponse:
    case = get_scoped_or_404(case_queues.detail_queryset(request.user), pk=pk)
    context = {"case": case, "slip": case_slip(case, kind, ref)}
    return render(request, "cases/slip.html", context)


@answers_domain_errors
@require_GET
@login_required
def slip_pdf(request: HttpRequest, pk: int, kind: str, ref: int) -> HttpResponse:
    case = get_scoped_or_404(case_queues.detail_queryset(request.user), pk=pk)
    document = case_slip(case, kind, ref)
    body = render_pdf(
        request, "cases/slip_sheet.html", {"case": case, "slip": document, "pdf": True}
    )
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{document.number}.pdf"'
    return response
