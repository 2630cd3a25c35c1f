"""Business-safety API, mounted on the fieldwork router (/api/v1/fieldwork): the inspection
plan, inspections (a phone's resend is stored once), hazards with one operation per verb of
`safety/workflow.py`, and the key-supervision list and hazard ledger in Excel.

Every lookup goes through `visible_to`, so anything outside the caller's scope is a 404 like a
missing one; a grid or business named in a query or body outside it is a 404 naming the field.
The verbs answer 403 (role), 409 (state, or a stale `version` the client last saw) and 400/422
(input) through the project's one set of exception handlers (gridgov/api.py)."""

# No `from __future__ import annotations` here: `@paginate` rebuilds the query model of a
# `Query[...]` filter from the real annotations, which string annotations leave undefined.

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from gridgov.cases.schemas import ConflictOut, ErrorOut
from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import Role, get_referenced, get_scoped_or_404, scope_of
from gridgov.core.schemas import Pagination
from gridgov.fieldwork.safety import exports, services
from gridgov.fieldwork.safety.models import (
    Hazard,
    HazardGrade,
    HazardQuerySet,
    Inspection,
    InspectionAnswer,
)
from gridgov.fieldwork.safety.schemas import (
    ChecklistOut,
    HazardDetailOut,
    HazardFilter,
    HazardOut,
    InspectionCreatedOut,
    InspectionFilter,
    InspectionIn,
    InspectionOut,
    ListIn,
    NoteIn,
    OrderIn,
    PlanFilter,
    PlanRowOut,
    RequiredNoteIn,
    ReviewIn,
)
from gridgov.fieldwork.safety.services.hazards import act_on_hazard
from gridgov.fieldwork.safety.workflow import QUEUES, allowed_actions, queue
from gridgov.fieldwork.services import LOCAL_TZ, local_aware
from gridgov.grids.models import Grid

router = Router(tags=["safety"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The ledger's row cap, as the hazards page's export.
LEDGER_LIMIT = 20000
ACTION_RESPONSES: dict[int, Any] = {
    200: HazardDetailOut,
    400: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ConflictOut,
}


def _office(request: HttpRequest) -> None:
    """The exports are office documents, as on the pages (leaders read them too)."""
    if not scope_of(request.user).has_role(Role.ADMIN, Role.OFFICE, Role.LEADER):
        raise PermissionDenied


def _grid(request: HttpRequest, code: str) -> Grid | None:
    if not code:
        return None
    return get_referenced(Grid.objects.visible_to(request.user), field="grid", code=code)


def _xlsx(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


# --- inspection plan ----------------------------------------------------------------------------


def _plan_rows(request: HttpRequest, filters: PlanFilter, *, key_only: bool) -> list[Any]:
    rows = services.inspection_plan(
        request.user, key_only=key_only, grid=_grid(request, filters.grid)
    )
    return [r for r in rows if r.overdue] if filters.overdue else rows


def _plan_out(row: services.PlanRow) -> dict[str, Any]:
    org = row.organisation
    return {
        "organisation": org.pk,
        "name": org.name,
        "industry": org.industry,
        "grid": org.grid.code,
        "risk_grade": org.risk_grade,
        "key_supervision": org.key_supervision,
        "interval_days": row.interval_days,
        "last_at": row.last_at,
        "next_due": row.next_due,
        "overdue": row.overdue,
        "open_hazards": row.open_hazards,
    }


@router.get("/inspection-plan", response=list[PlanRowOut])
@paginate(Pagination)
def inspection_plan(request: HttpRequest, filters: Query[PlanFilter]) -> list[dict[str, Any]]:
    """The businesses the caller sees, by date due from their risk grade's frequency (never
    inspected: due today), most urgent first; `overdue` are past their date due."""
    return [_plan_out(r) for r in _plan_rows(request, filters, key_only=filters.key)]


@router.get("/inspection-plan.xlsx")
def inspection_plan_xlsx(request: HttpRequest, filters: Query[PlanFilter]) -> HttpResponse:
    _office(request)
    rows = _plan_rows(request, filters, key_only=filters.key)
    name = "key-supervision" if filters.key else "inspection-plan"
    return _xlsx(exports.plan_workbook(rows, key_only=filters.key), name)


@router.get("/key-supervision.xlsx")
def key_supervision_xlsx(request: HttpRequest, filters: Query[PlanFilter]) -> HttpResponse:
    """The key-supervision list (重点监管名单), as the plan page's `?key=1&format=xlsx`."""
    _office(request)
    rows = _plan_rows(request, filters, key_only=True)
    return _xlsx(exports.plan_workbook(rows, key_only=True), "key-supervision")


@router.get("/businesses/{int:organisation_id}/checklist", response=ChecklistOut)
def business_checklist(request: HttpRequest, organisation_id: int) -> dict[str, Any]:
    """The checklist an inspection of this business answers (its industry's, else the general)."""
    org = get_scoped_or_404(services.businesses(request.user), pk=organisation_id)
    checklist = services.checklist_for(org.industry)
    return {
        "id": checklist.pk,
        "name": checklist.name,
        "industry": checklist.industry,
        "organisation": org.pk,
        "items": [{"id": i.pk, "order": i.order, "text": i.text} for i in checklist.items.all()],
    }


# --- inspections --------------------------------------------------------------------------------


def _inspections(request: HttpRequest) -> Any:
    problems = InspectionAnswer.objects.filter(inspection=OuterRef("pk"), ok=False)
    return (
        Inspection.objects.visible_to(request.user)
        .select_related("organisation", "grid", "inspector")
        .annotate(has_problem=Exists(problems))
        .prefetch_related(
            Prefetch("answers", queryset=InspectionAnswer.objects.select_related("item")),
            Prefetch("hazards", queryset=Hazard.objects.order_by("pk")),
        )
    )


def _inspection_out(inspection: Inspection) -> dict[str, Any]:
    return {
        "id": inspection.pk,
        "organisation": inspection.organisation_id,
        "organisation_name": inspection.organisation.name,
        "grid": inspection.grid.code,
        "checklist": inspection.checklist_id,
        "inspector": inspection.inspector.get_username(),
        "at": inspection.at,
        "lon": inspection.lon,
        "lat": inspection.lat,
        "note": inspection.note,
        "result": "hazards" if inspection.has_problem else "passed",  # type: ignore[attr-defined]
        "answers": [
            {"item": a.item_id, "text": a.item.text, "ok": a.ok, "note": a.note}
            for a in inspection.answers.all()
        ],
        "hazards": [
            {"id": h.pk, "number": h.number, "grade": h.grade, "state": h.state}
            for h in inspection.hazards.all()
        ],
    }


def _day_start(day: dt.date) -> dt.datetime:
    """Days are Asia/Shanghai days (issue 11's rule for the API)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=LOCAL_TZ)


@router.get("/inspections", response=list[InspectionOut])
@paginate(Pagination)
def list_inspections(
    request: HttpRequest, filters: Query[InspectionFilter]
) -> list[dict[str, Any]]:
    """Inspections in the caller's scope, newest first."""
    if filters.start and filters.end and filters.start > filters.end:
        raise DomainError(_("开始日期不能晚于结束日期"), field="start")
    rows = _inspections(request)
    if filters.organisation:
        rows = rows.filter(organisation_id=filters.organisation)
    if grid := _grid(request, filters.grid):
        rows = rows.filter(grid__path__startswith=grid.path)
    if filters.start:
        rows = rows.filter(at__gte=_day_start(filters.start))
    if filters.end:
        rows = rows.filter(at__lt=_day_start(filters.end + dt.timedelta(days=1)))
    if filters.result:
        rows = rows.filter(has_problem=filters.result == "hazards")
    return [_inspection_out(i) for i in rows.order_by("-at", "-pk")]


@router.get("/inspections/{int:inspection_id}", response=InspectionOut)
def inspection_detail(request: HttpRequest, inspection_id: int) -> dict[str, Any]:
    return _inspection_out(get_scoped_or_404(_inspections(request), pk=inspection_id))


@router.post(
    "/inspections",
    response={200: InspectionCreatedOut, 201: InspectionCreatedOut, 400: ErrorOut, 403: ErrorOut},
)
def record_inspection(request: HttpRequest, payload: InspectionIn) -> Status:
    """An inspection with every checklist item answered; each problem becomes a hazard in the
    same call, fixed on the spot, ordered for rectification, or reported as major (as the
    phone page). 201 stored; 200 a resend of the same `idempotency_key` (the first record)."""
    org = get_referenced(
        services.businesses(request.user), field="organisation", pk=payload.organisation
    )
    result = services.record_inspection(
        by=request.user,
        organisation=org,
        answers=[
            services.ItemAnswer(a.item, a.ok, a.note, a.handling or "", a.days)
            for a in payload.answers
        ],
        note=payload.note,
        lon=payload.lon,
        lat=payload.lat,
        idempotency_key=payload.idempotency_key,
        at=local_aware(payload.at),
    )
    inspection = _inspections(request).get(pk=result.inspection.pk)
    body = {**_inspection_out(inspection), "created": result.created}
    return Status(201 if result.created else 200, body)


# --- hazards ------------------------------------------------------------------------------------


def _hazards(request: HttpRequest) -> HazardQuerySet:
    return Hazard.objects.visible_to(request.user).select_related(
        "grid", "level_grid", "organisation", "found_by"
    )


def _filtered(request: HttpRequest, f: HazardFilter) -> Any:
    """One filter for the list and the ledger (the hazards page's queue, grid and business,
    and the state, overdue, grade and listed filters)."""
    if f.queue and f.queue not in QUEUES:
        raise DomainError(
            _("未知的队列:%(queue)s(可选 %(names)s)")
            % {"queue": f.queue, "names": ", ".join(QUEUES)},
            field="queue",
        )
    rows = queue(f.queue, request.user) if f.queue else Hazard.objects.visible_to(request.user)
    if f.state:
        rows = rows.filter(state=f.state)
    if grid := _grid(request, f.grid):
        rows = rows.filter(grid__path__startswith=grid.path)
    if f.organisation:
        rows = rows.filter(organisation_id=f.organisation)
    if f.overdue:
        rows = rows.overdue()
    if f.grade:
        rows = rows.filter(grade=f.grade)
    if f.listed:
        # Listed now, or once (a listing requires interim measures; seed 003 挂牌整改).
        rows = rows.filter(grade=HazardGrade.MAJOR).exclude(measures="")
    return rows.select_related("grid", "level_grid", "organisation", "found_by")


def _hazard_out(h: Hazard) -> dict[str, Any]:
    return {
        "id": h.pk,
        "number": h.number,
        "grid": h.grid.code,
        "level": h.level_grid.code,
        "organisation": h.organisation_id,
        "organisation_name": h.organisation.name if h.organisation else "",
        "source": h.source,
        "inspection": h.inspection_id,
        "grade": h.grade,
        "description": h.description,
        "state": h.state,
        "found_by": h.found_by.get_username(),
        "found_at": h.found_at,
        "due_at": h.due_at,
        "overdue": h.is_overdue,
        "measures": h.measures,
        "rectification": h.rectification,
        "reviews_failed": h.reviews_failed,
        "closed_at": h.closed_at,
    }


@router.get("/hazards", response=list[HazardOut])
@paginate(Pagination)
def list_hazards(request: HttpRequest, filters: Query[HazardFilter]) -> list[dict[str, Any]]:
    """Hazards in the caller's scope, newest first."""
    return [_hazard_out(h) for h in _filtered(request, filters)]


@router.get("/hazards.xlsx")
def hazard_ledger(request: HttpRequest, filters: Query[HazardFilter]) -> HttpResponse:
    """The hazard ledger (隐患台账) with its totals per grid and per business."""
    _office(request)
    rows = list(_filtered(request, filters)[:LEDGER_LIMIT])
    return _xlsx(exports.hazard_workbook(rows), "hazards")


def _detail(request: HttpRequest, hazard_id: int) -> dict[str, Any]:
    hazard = get_scoped_or_404(
        _hazards(request).select_related("grid__region", "level_grid__region"), pk=hazard_id
    )
    events = list(hazard.events.select_related("actor", "level_grid"))
    return {
        **_hazard_out(hazard),
        "version": len(events),
        "events": [
            {
                "kind": e.kind,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "actor": e.actor.get_username() if e.actor else None,
                "at": e.at,
                "level": e.level_grid.code,
                "due_at": e.due_at,
                "note": e.note,
            }
            for e in events
        ],
        "allowed_actions": allowed_actions(hazard, request.user),
    }


@router.get("/hazards/{int:hazard_id}", response=HazardDetailOut)
def hazard_detail(request: HttpRequest, hazard_id: int) -> dict[str, Any]:
    """The hazard, its events and the verbs the caller may take on it now."""
    return _detail(request, hazard_id)


def _act(
    request: HttpRequest, hazard_id: int, verb: str, version: int | None, **arguments: Any
) -> dict[str, Any]:
    hazard = get_scoped_or_404(Hazard.objects.visible_to(request.user), pk=hazard_id)
    act_on_hazard(hazard, verb=verb, by=request.user, version=version, **arguments)
    return _detail(request, hazard_id)


@router.post("/hazards/{int:hazard_id}/fix_on_spot", response=ACTION_RESPONSES)
def fix_on_spot(request: HttpRequest, hazard_id: int, payload: RequiredNoteIn) -> dict[str, Any]:
    """当场整改: rectified while the inspector is there; closed at once."""
    return _act(request, hazard_id, "fix_on_spot", payload.version, note=payload.note)


@router.post("/hazards/{int:hazard_id}/order", response=ACTION_RESPONSES)
def order(request: HttpRequest, hazard_id: int, payload: OrderIn) -> dict[str, Any]:
    """限期整改 within `days` working days."""
    return _act(request, hazard_id, "order", payload.version, days=payload.days, note=payload.note)


@router.post("/hazards/{int:hazard_id}/list", response=ACTION_RESPONSES)
def list_(request: HttpRequest, hazard_id: int, payload: ListIn) -> dict[str, Any]:
    """挂牌整改 of a major hazard, with interim safety measures (the office)."""
    return _act(
        request,
        hazard_id,
        "list",
        payload.version,
        days=payload.days,
        measures=payload.measures,
        note=payload.note,
    )


@router.post("/hazards/{int:hazard_id}/complete", response=ACTION_RESPONSES)
def complete(request: HttpRequest, hazard_id: int, payload: RequiredNoteIn) -> dict[str, Any]:
    """The rectification is reported done: the hazard waits for re-inspection."""
    return _act(request, hazard_id, "complete", payload.version, note=payload.note)


@router.post("/hazards/{int:hazard_id}/review", response=ACTION_RESPONSES)
def review(request: HttpRequest, hazard_id: int, payload: ReviewIn) -> dict[str, Any]:
    """复查: `passed` closes it (销号); failed sends it back with a new deadline and a note."""
    return _act(
        request,
        hazard_id,
        "review",
        payload.version,
        passed=payload.passed,
        days=payload.days,
        note=payload.note,
    )


@router.post("/hazards/{int:hazard_id}/urge", response=ACTION_RESPONSES)
def urge(request: HttpRequest, hazard_id: int, payload: NoteIn) -> dict[str, Any]:
    """催办 an overdue hazard (an event only)."""
    return _act(request, hazard_id, "urge", payload.version, note=payload.note)


@router.post("/hazards/{int:hazard_id}/escalate", response=ACTION_RESPONSES)
def escalate(request: HttpRequest, hazard_id: int, payload: NoteIn) -> dict[str, Any]:
    """上报上级: an overdue hazard goes up to the next grid office."""
    return _act(request, hazard_id, "escalate", payload.version, note=payload.note)
