"""Hotline API (/api/v1/hotline): item suggestions for free text, the hotline KPIs of a month,
discovery rates of the caller's grids, and the back-tracing task verbs.

Records and tasks are read through `visible_to(user)`: outside the caller's scope is a 404."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import get_scoped_or_404
from gridgov.grids.models import Grid
from gridgov.hotline.models import BacktraceTask, HotlineRecord, HotlineSource
from gridgov.hotline.permissions import require
from gridgov.hotline.schemas import (
    BacktraceActionIn,
    BacktraceOut,
    GridRateOut,
    KpisOut,
    SuggestIn,
    SuggestOut,
)
from gridgov.hotline.services import (
    answer_backtrace,
    discovery_rates,
    hotline_kpis,
    month_bounds,
    review_backtrace,
)
from gridgov.hotline.services.suggest import suggest_item
from gridgov.hotline.workflow import VERBS, allowed_actions

router = Router(tags=["hotline"])


def _source(name: str) -> HotlineSource:
    source = HotlineSource.objects.filter(name=name).first()
    if source is None:
        raise DomainError(_("没有名为 %(s)s 的数据来源") % {"s": name}, field="source")
    return source


@router.post("/suggest", response=SuggestOut)
def suggest(request: HttpRequest, payload: SuggestIn) -> dict[str, object]:
    """The classifier's item for a text and its confidence: a suggestion, never applied."""
    require(request.user, "hotline.suggest_item")
    found = suggest_item(payload.text)
    if found is None:
        return {"item": None, "name": None, "class_code": None, "confidence": None}
    return {
        "item": found.item.code,
        "name": found.item.name,
        "class_code": found.item.matter_class.code,
        "confidence": found.confidence,
    }


@router.get("/kpis", response=KpisOut)
def kpis(request: HttpRequest, source: str, month: str) -> dict[str, object]:
    start, end = month_bounds(month)
    records = HotlineRecord.objects.visible_to(request.user).filter(source=_source(source))
    return {
        "source": source,
        "month": month,
        **hotline_kpis(records, start=start, end=end).as_dict(),
    }


@router.get("/discovery", response=list[GridRateOut])
def discovery(
    request: HttpRequest, start: dt.date, end: dt.date, source: str = ""
) -> list[dict[str, object]]:
    """Discovery rate of every grid in the caller's scope for the period (current results)."""
    rates = discovery_rates(
        start=start,
        end=end,
        source=_source(source) if source else None,
        grids=Grid.objects.visible_to(request.user).active(),
    )
    return [{**r.__dict__, "discovery_rate": r.rate} for r in rates]


def _task_out(task: BacktraceTask, request: HttpRequest) -> dict[str, object]:
    return {
        "id": task.pk,
        "state": task.state,
        "grid": task.grid.code,
        "external_number": task.result.record.external_number,
        "due_at": task.due_at.isoformat(),
        "answer": task.answer,
        "actions": allowed_actions(task, request.user),
    }


@router.post("/backtrace/{task_id}/{action}", response=BacktraceOut)
def backtrace_action(
    request: HttpRequest, task_id: int, action: str, payload: BacktraceActionIn
) -> dict[str, object]:
    """One verb of the back-tracing task's table (explain, correct, accept, reopen)."""
    if action not in VERBS:
        raise DomainError(_("未知的操作:%(v)s") % {"v": action}, field="action")
    task = get_scoped_or_404(
        BacktraceTask.objects.visible_to(request.user).select_related("grid", "result__record"),
        pk=task_id,
    )
    if action in ("explain", "correct"):
        task = answer_backtrace(task=task, verb=action, answer=payload.answer, by=request.user)  # type: ignore[arg-type]
    else:
        task = review_backtrace(task=task, verb=action, by=request.user, note=payload.answer)  # type: ignore[arg-type]
    return _task_out(task, request)
