"""Oversight API (/api/v1/oversight): four-colour warnings (and lifting one), bulletins (issue,
acknowledge, report back), published assessment runs and their results, appeals through their
lifecycle. Everything is read through the scoped querysets the pages use: outside the caller's
scope is a 404; the verbs answer 403 by the same `rules` permissions as the pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import get_referenced, get_scoped_or_404
from gridgov.core.schemas import Pagination
from gridgov.grids.models import Grid
from gridgov.oversight.models import (
    Appeal,
    AssessmentResult,
    AssessmentRun,
    BulletinRecipient,
    EarlyWarning,
    WarningBulletin,
)
from gridgov.oversight.schemas import (
    AppealActIn,
    AppealIn,
    AppealOut,
    BulletinActIn,
    BulletinIn,
    BulletinOut,
    LiftIn,
    ResultOut,
    RunOut,
    WarningOut,
)
from gridgov.oversight.services import act_on_appeal, raise_appeal, results_visible_to
from gridgov.oversight.warnings import (
    act_on_bulletin,
    bulletins_visible_to,
    issue_bulletin,
    lift_warning,
)
from gridgov.oversight.workflow import allowed_actions, bulletin_actions
from gridgov.people.models import Department

router = Router(tags=["oversight"])


def _warning_out(w: EarlyWarning) -> dict[str, Any]:
    return {
        "id": w.pk,
        "rule": w.rule_code,
        "rule_version": w.rule.version,
        "level": w.level,
        "grid": w.grid.code,
        "grid_name": w.grid.name,
        "reason": w.reason,
        "facts": w.facts,
        "raised_at": w.raised_at,
        "updated_at": w.updated_at,
        "lifted_at": w.lifted_at,
        "lift_note": w.lift_note,
    }


def _warnings(request: HttpRequest) -> Any:
    return EarlyWarning.objects.visible_to(request.user).select_related("grid", "rule")


@router.get("/warnings", response=list[WarningOut])
@paginate(Pagination)
def list_warnings(
    request: HttpRequest,
    active: bool = Query(True, description="只列未解除的预警"),
    grid: str = Query("", max_length=32, description="网格编码(含下级)"),
    level: str = Query("", max_length=8, description="blue/yellow/orange/red"),
) -> list[dict[str, Any]]:
    rows = _warnings(request)
    if active:
        rows = rows.active()
    if grid:
        root = get_referenced(Grid.objects.visible_to(request.user), field="grid", code=grid)
        rows = rows.filter(grid__path__startswith=root.path)
    if level:
        rows = rows.filter(level=level)
    return [_warning_out(w) for w in rows.order_by("-raised_at", "-pk")]


@router.get("/warnings/{int:warning_id}", response=WarningOut)
def get_warning(request: HttpRequest, warning_id: int) -> dict[str, Any]:
    return _warning_out(get_scoped_or_404(_warnings(request), pk=warning_id))


@router.post("/warnings/{int:warning_id}/lift", response=WarningOut)
def lift(request: HttpRequest, warning_id: int, payload: LiftIn) -> dict[str, Any]:
    """Lift a warning by hand with a note (409 when it is lifted already)."""
    warning = get_scoped_or_404(_warnings(request), pk=warning_id)
    return _warning_out(lift_warning(warning=warning, by=request.user, note=payload.note))  # type: ignore[arg-type]


def _bulletin_out(b: WarningBulletin, request: HttpRequest) -> dict[str, Any]:
    return {
        "id": b.pk,
        "year": b.year,
        "number": b.number,
        "title": b.title,
        "level": b.level,
        "grid": b.grid.code,
        "situation": b.situation,
        "measures": b.measures,
        "deadline": b.deadline,
        "state": b.state,
        "issued_at": b.issued_at,
        "recipients": [
            {
                "id": r.pk,
                "department": r.department_id,
                "department_name": r.department.name,
                "state": r.state,
                "report": r.report,
                "actions": bulletin_actions(r, request.user),
            }
            for r in b.recipients.select_related("department")
        ],
    }


def _bulletins(request: HttpRequest) -> Any:
    return bulletins_visible_to(request.user).select_related("grid")


@router.get("/bulletins", response=list[BulletinOut])
@paginate(Pagination)
def list_bulletins(request: HttpRequest, year: int | None = None) -> list[dict[str, Any]]:
    rows = _bulletins(request)
    if year is not None:
        rows = rows.filter(year=year)
    return [_bulletin_out(b, request) for b in rows.order_by("-year", "-number")]


@router.get("/bulletins/{int:bulletin_id}", response=BulletinOut)
def get_bulletin(request: HttpRequest, bulletin_id: int) -> dict[str, Any]:
    return _bulletin_out(get_scoped_or_404(_bulletins(request), pk=bulletin_id), request)


@router.post("/bulletins", response={201: BulletinOut})
def create_bulletin(request: HttpRequest, payload: BulletinIn) -> Status:
    """Issue a numbered bulletin (预警通报) to the departments concerned."""
    grid = get_referenced(Grid.objects.visible_to(request.user), field="grid", code=payload.grid)
    departments = list(Department.objects.filter(pk__in=payload.departments, is_active=True))
    missing = set(payload.departments) - {d.pk for d in departments}
    if missing:
        raise DomainError(_("部门不存在:%(ids)s") % {"ids": sorted(missing)}, field="departments")
    bulletin = issue_bulletin(
        title=payload.title,
        level=payload.level,
        grid=grid,
        situation=payload.situation,
        measures=payload.measures,
        deadline=payload.deadline,
        departments=departments,
        by=request.user,  # type: ignore[arg-type]
    )
    return Status(201, _bulletin_out(bulletin, request))


@router.post(
    "/bulletins/{int:bulletin_id}/recipients/{int:recipient_id}/{verb}", response=BulletinOut
)
def bulletin_verb(
    request: HttpRequest, bulletin_id: int, recipient_id: int, verb: str, payload: BulletinActIn
) -> dict[str, Any]:
    """acknowledge (签收) or report (反馈落实情况, with `report`) for one department."""
    bulletin = get_scoped_or_404(_bulletins(request), pk=bulletin_id)
    recipient = get_scoped_or_404(
        BulletinRecipient.objects.filter(bulletin=bulletin), pk=recipient_id
    )
    act_on_bulletin(recipient=recipient, verb=verb, by=request.user, report=payload.report)  # type: ignore[arg-type]
    bulletin.refresh_from_db()
    return _bulletin_out(bulletin, request)


# -- runs and results ----------------------------------------------------------------------------


def _run_out(run: AssessmentRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "scheme": run.scheme.code,
        "scheme_version": run.scheme.version,
        "month": run.month,
        "unit": run.unit_kind,
        "revision": run.revision,
        "state": run.state,
        "published_at": run.published_at,
    }


def _runs(request: HttpRequest) -> Any:
    """Runs with at least one result the caller may see."""
    visible = results_visible_to(request.user).values("run_id")
    return AssessmentRun.objects.filter(pk__in=visible).select_related("scheme")


@router.get("/runs", response=list[RunOut])
@paginate(Pagination)
def list_runs(
    request: HttpRequest,
    scheme: str = Query("", max_length=32),
    month: str = Query("", max_length=7, description="YYYY-MM"),
    unit: str = Query("", max_length=16, description="worker/grid/village/town/department"),
) -> list[dict[str, Any]]:
    rows = _runs(request)
    if scheme:
        rows = rows.filter(scheme__code=scheme)
    if month:
        rows = rows.filter(month=month)
    if unit:
        rows = rows.filter(unit_kind=unit)
    return [_run_out(r) for r in rows.order_by("-month", "scheme__code", "unit_kind", "-revision")]


def _result_out(r: AssessmentResult) -> dict[str, Any]:
    return {
        "id": r.pk,
        "run": r.run_id,
        "unit": r.unit_kind,
        "code": r.code,
        "name": r.name,
        "score": r.score,
        "rank": r.rank,
        "items": r.items,
    }


@router.get("/runs/{int:run_id}/results", response=list[ResultOut])
@paginate(Pagination)
def run_results(request: HttpRequest, run_id: int) -> list[dict[str, Any]]:
    """The frozen scores of a run, as published (only the units in the caller's scope)."""
    run = get_scoped_or_404(_runs(request), pk=run_id)
    rows = results_visible_to(request.user).filter(run=run).order_by("rank", "code")
    return [_result_out(r) for r in rows]


@router.get("/results/{int:result_id}", response=ResultOut)
def get_result(request: HttpRequest, result_id: int) -> dict[str, Any]:
    return _result_out(get_scoped_or_404(results_visible_to(request.user), pk=result_id))


# -- appeals ---------------------------------------------------------------------------------------


def _appeal_out(a: Appeal, request: HttpRequest) -> dict[str, Any]:
    return {
        "id": a.pk,
        "result": a.result_id,
        "unit": a.result.unit_kind,
        "code": a.result.code,
        "item_code": a.item_code,
        "reason": a.reason,
        "requested_points": a.requested_points,
        "state": a.state,
        "decision_note": a.decision_note,
        "corrected_points": a.corrected_points,
        "raised_at": a.raised_at,
        "actions": allowed_actions(a, request.user),
    }


def _appeals(request: HttpRequest) -> Any:
    return Appeal.objects.filter(result__in=results_visible_to(request.user)).select_related(
        "result__run"
    )


@router.get("/appeals", response=list[AppealOut])
@paginate(Pagination)
def list_appeals(
    request: HttpRequest, state: str = Query("", max_length=16)
) -> list[dict[str, Any]]:
    rows = _appeals(request)
    if state:
        rows = rows.filter(state=state)
    return [_appeal_out(a, request) for a in rows.order_by("-raised_at", "-pk")]


@router.post("/results/{int:result_id}/appeals", response={201: AppealOut})
def create_appeal(request: HttpRequest, result_id: int, payload: AppealIn) -> Status:
    """申诉: appeal one item of a published result in the caller's scope."""
    result = get_scoped_or_404(results_visible_to(request.user).select_related("run"), pk=result_id)
    appeal = raise_appeal(
        result=result,
        item_code=payload.item_code,
        reason=payload.reason,
        requested_points=payload.requested_points,
        by=request.user,  # type: ignore[arg-type]
    )
    return Status(201, _appeal_out(appeal, request))


@router.post("/appeals/{int:appeal_id}/{verb}", response=AppealOut)
def appeal_verb(
    request: HttpRequest, appeal_id: int, verb: str, payload: AppealActIn
) -> dict[str, Any]:
    """review, accept (with `corrected_points` and a `note`) or refuse (with a `note`)."""
    appeal = get_scoped_or_404(_appeals(request), pk=appeal_id)
    appeal = act_on_appeal(
        appeal=appeal,
        verb=verb,
        by=request.user,  # type: ignore[arg-type]
        note=payload.note,
        corrected_points=payload.corrected_points,
    )
    return _appeal_out(appeal, request)
