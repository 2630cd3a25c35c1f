"""Work queues and the case page: everything about one case and the actions this user may take
on it now, each a form whose errors appear next to the field."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gridgov.cases import queues as case_queues
from gridgov.cases import services
from gridgov.cases.forms import ACTION_FORMS, ActionForm
from gridgov.cases.models import Case, CaseAttachment
from gridgov.cases.reads.case_view import case_view
from gridgov.cases.reads.slips import slip_links
from gridgov.cases.workflow import VERBS
from gridgov.core.errors import ConflictError as Conflict
from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import get_scoped_or_404
from gridgov.core.pages import add_domain_error, answers_domain_errors, map_config


@answers_domain_errors
@require_GET
@login_required
def queue(request: HttpRequest, name: str) -> HttpResponse:
    """One work queue, sortable by deadline (?sort=due / -due / created / -created)."""
    if not case_queues.queue_open_to(request.user, name):
        raise Http404
    sort = request.GET.get("sort") or ""
    rows, kind = case_queues.queue_rows(request.user, name, sort)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    context = {
        "name": name,
        "label": case_queues.QUEUES[name].label,
        "kind": kind,
        "page": page,
        "sort": sort,
        "toggle_sort": "-due" if sort == "due" else "due",
        "step_clock": case_queues.QUEUES[name].step_clock,
    }
    return render(request, "cases/queue.html", context)


def _case_for(request: HttpRequest, pk: int) -> Case:
    return get_scoped_or_404(case_queues.detail_queryset(request.user), pk=pk)


def case_page_context(
    request: HttpRequest, case: Case, *, bound: tuple[str, ActionForm] | None = None
) -> dict[str, Any]:
    """The case with its timeline, photos, sub-tasks and one form per allowed action."""
    allowed = services.allowed_actions(case, request.user)
    forms = []
    for action, form_class in ACTION_FORMS.items():
        # A refused form stays on the page with its messages, even when the step is no longer
        # open to this user (a stale page, a crafted post): an error nobody sees helps nobody.
        if action not in allowed and (bound is None or bound[0] != action):
            continue
        if bound is not None and bound[0] == action:
            form = bound[1]
        else:
            form = form_class(case=case, user=request.user, prefix=action)
        forms.append(
            {
                "action": action,
                "label": VERBS[action].label,
                "form": form,
                "open": bound is not None and bound[0] == action,
            }
        )
    if forms and bound is None:
        forms[0]["open"] = True
    view = case_view(request.user, case)
    return {
        "case": case,
        "view": view,
        "slips": slip_links(case),
        "action_forms": forms,
        "case_map": {
            "lon": case.lon,
            "lat": case.lat,
            "title": case.title,
            "boundary": view.boundary,
            **map_config(),
        },
    }


@answers_domain_errors
@require_GET
@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_for(request, pk)
    return render(request, "cases/case_detail.html", case_page_context(request, case))


@answers_domain_errors
@require_POST
@login_required
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Run one action through its service; on a rule or a stale page, show the form again with
    the message beside the field it concerns."""
    case = _case_for(request, pk)
    if action not in ACTION_FORMS:
        raise Http404
    form = ACTION_FORMS[action](
        request.POST, request.FILES, case=case, user=request.user, prefix=action
    )
    status = _submit(form) if form.is_valid() else 400
    if status == 200:
        messages.success(request, _("已%(action)s") % {"action": VERBS[action].label})
        return redirect("case_detail", pk=case.pk)
    if status == 409:
        messages.error(request, _("案件已有新的变化,请查看最新状态后再操作。"))
    context = case_page_context(request, _case_for(request, pk), bound=(action, form))
    return render(request, "cases/case_detail.html", context, status=status)


def _submit(form: ActionForm) -> int:
    """200 when the service took the action, else the status of the rule it broke (on the form)."""
    try:
        form.submit()
    except DomainError as exc:
        add_domain_error(form, exc)
        return 409 if isinstance(exc, Conflict) else 400
    return 200


@answers_domain_errors
@require_GET
@login_required
def case_photo(request: HttpRequest, pk: int, attachment: int) -> FileResponse:
    """A case photo, served only to users who can see the case (photos may show people)."""
    case = _case_for(request, pk)
    item = get_object_or_404(CaseAttachment.objects.filter(case=case), pk=attachment)
    return file_response(item)


def file_response(item: CaseAttachment) -> FileResponse:
    try:
        handle = item.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type=item.content_type or "application/octet-stream")
    response["Cache-Control"] = "private, max-age=3600"
    return response


__all__ = ["case_action", "case_detail", "case_photo", "queue"]
