"""A back-tracing task's page and its answer (from the page or straight from the inbox): the
worker or the station explains or reports the correction; the office accepts or sends it back."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gridgov.core.errors import ConflictError, DomainError
from gridgov.core.jurisdiction import Role, scope_of
from gridgov.hotline.models import BacktraceTask
from gridgov.hotline.services.crosscheck import answer_backtrace, review_backtrace
from gridgov.hotline.workflow import VERBS, allowed_actions


def _task(request: HttpRequest, pk: int) -> BacktraceTask:
    task = (
        BacktraceTask.objects.visible_to(request.user)
        .select_related("grid", "grid__region", "result__record__source", "result__record__item")
        .filter(pk=pk)
        .first()
    )
    if task is None:
        raise Http404
    return task


def _base(request: HttpRequest) -> str:
    """A grid worker without an office role works from the phone pages."""
    scope = scope_of(request.user)
    phone = scope.has_role(Role.WORKER) and not scope.has_role(Role.OFFICE, Role.LEADER)
    return "web/phone/base.html" if phone else "base.html"


def _page(
    request: HttpRequest, task: BacktraceTask, error: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "task": task,
        "record": task.result.record,
        "late": task.late(timezone.now()),
        "verbs": [(v, VERBS[v].label) for v in allowed_actions(task, request.user)],
        "error": error,
        "base": _base(request),
    }
    return render(request, "hotline/task.html", context, status=status)


@login_required
@require_GET
def task_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _task(request, pk))


@login_required
@require_POST
def task_act(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    verb = request.POST.get("verb", "")
    text = request.POST.get("answer", "")
    try:
        if verb in ("accept", "reopen"):
            review_backtrace(task=task, verb=verb, by=request.user, note=text)  # type: ignore[arg-type]
        else:
            answer_backtrace(task=task, verb=verb, answer=text, by=request.user)  # type: ignore[arg-type]
    except ConflictError as exc:
        return _page(request, _task(request, pk), exc.message, status=409)
    except DomainError as exc:
        return _page(request, task, exc.message, status=400)
    messages.success(request, _("倒查任务已处理:%(verb)s") % {"verb": VERBS[verb].label})
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("hotline:task", pk=task.pk)
