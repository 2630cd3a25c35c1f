"""Visits and surveys API, mounted on the fieldwork router (/api/v1/fieldwork).

Lookups go through `visible_to`, so a visit, task or survey outside the caller's scope is a 404
like a missing one; a household named in a body outside the scope is a 404 naming the field."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from gridgov.core.jurisdiction import Role, get_scoped_or_404, scope_of
from gridgov.fieldwork import surveys, visits
from gridgov.fieldwork.models import Survey, Visit, VisitTask
from gridgov.fieldwork.services import local_aware

router = Router(tags=["fieldwork"])
LIST_LIMIT = 200


def _office(request: HttpRequest) -> None:
    if not scope_of(request.user).has_role(Role.ADMIN, Role.OFFICE, Role.LEADER):
        raise PermissionDenied


# --- schemas ------------------------------------------------------------------------------------


class PlanIn(Schema):
    on: date | None = Field(None, description="a day of the periods to plan; default today")


class PlanOut(Schema):
    created: int
    existing: int
    without_worker: int


class OccasionIn(Schema):
    household: str = Field(max_length=32, description="household number")
    occasion: Literal["emergency", "accident", "dispute", "four_attend", "five_visit"]
    reason: str = Field(max_length=200)
    due_at: datetime | None = Field(None, description="default: the occasion's deadline")


class TaskOut(Schema):
    id: int
    kind: str
    household: str
    grid: str
    worker: str
    opens_at: datetime
    due_at: datetime
    occasion: str
    reason: str
    visit: int | None
    overdue: bool


class VisitIn(Schema):
    uid: uuid.UUID | None = Field(None, description="the phone's name; a re-send repeats it")
    household: str = Field(max_length=32)
    kind: Literal["home", "policy_talk", "occasion"] = "home"
    visited_at: datetime | None = Field(None, description="ISO 8601; default now")
    lon: float | None = None
    lat: float | None = None
    people_met: str = Field("", max_length=200)
    learnt: str = Field("", max_length=2000)
    problems: str = Field("", max_length=2000)
    assistance: str = Field("", max_length=2000)


class VisitOut(Schema):
    id: int
    uid: uuid.UUID
    household: str
    grid: str
    user: str
    kind: str
    visited_at: datetime
    lon: float | None
    lat: float | None
    people_met: str
    learnt: str
    problems: str
    assistance: str
    case: int | None
    hazard: int | None = None
    patrol: int | None
    completed_tasks: list[int] = []


class CaseFromVisitIn(Schema):
    description: str = Field("", max_length=4000)


class CaseRef(Schema):
    id: int
    number: str
    visit: int


class OverdueOut(Schema):
    worker: str
    worker_name: str
    grid_code: str
    grid_name: str
    open: int
    overdue: int
    overdue_key: int
    done: int
    done_rate: float | None


class QuestionIn(Schema):
    text: str = Field(max_length=200)
    kind: Literal["single", "multiple", "text", "number", "date", "yes_no"]
    choices: list[str] = Field(default_factory=list, max_length=20)
    required: bool = True


class SurveyIn(Schema):
    title: str = Field(max_length=120)
    grid: str = Field(max_length=32)
    description: str = Field("", max_length=2000)
    questions: list[QuestionIn] = Field(max_length=50)


class QuestionOut(Schema):
    id: int
    position: int
    text: str
    kind: str
    choices: list[str]
    required: bool


class SurveyOut(Schema):
    id: int
    title: str
    grid: str
    description: str
    is_open: bool
    questions: list[QuestionOut]


class ResponseIn(Schema):
    uid: uuid.UUID | None = None
    household: str = Field(max_length=32)
    answers: dict[str, Any] = Field(description="{question id: answer}")
    submitted_at: datetime | None = None


class ResponseOut(Schema):
    id: int
    survey: int
    household: str
    answers: dict[str, Any]
    created: bool


# --- visits -------------------------------------------------------------------------------------


def _task_out(task: VisitTask, now: datetime) -> dict[str, Any]:
    return {
        "id": task.pk,
        "kind": task.kind,
        "household": task.household.number,
        "grid": task.grid.code,
        "worker": task.worker.get_username(),
        "opens_at": task.opens_at,
        "due_at": task.due_at,
        "occasion": task.occasion,
        "reason": task.reason,
        "visit": task.visit_id,
        "overdue": task.visit_id is None and task.due_at < now,
    }


def _hazard_of(visit: Visit) -> int | None:
    """The hazard the visit's problem was turned into, if any (select_related "hazard")."""
    from django.core.exceptions import ObjectDoesNotExist

    try:
        return int(visit.hazard.pk)  # type: ignore[attr-defined]
    except ObjectDoesNotExist:
        return None


def _visit_out(visit: Visit, completed: list[int] | None = None) -> dict[str, Any]:
    return {
        "id": visit.pk,
        "uid": visit.uid,
        "household": visit.household.number,
        "grid": visit.grid.code,
        "user": visit.user.get_username(),
        "kind": visit.kind,
        "visited_at": visit.visited_at,
        "lon": visit.lon,
        "lat": visit.lat,
        "people_met": visit.people_met,
        "learnt": visit.learnt,
        "problems": visit.problems,
        "assistance": visit.assistance,
        "case": visit.case_id,
        "hazard": _hazard_of(visit),
        "patrol": visit.patrol_id,
        "completed_tasks": completed or [],
    }


@router.post("/visit-plans", response=PlanOut)
def generate_plan(request: HttpRequest, payload: PlanIn) -> dict[str, Any]:
    """Generate the plan tasks of the periods holding `on` for the caller's households."""
    result = visits.generate_visit_plan(on=payload.on or timezone.localdate(), by=request.user)
    return vars(result)


class TaskFilter(Schema):
    mine: bool = False
    overdue: bool = False
    worker: str | None = Field(None, max_length=150)


@router.get("/visit-tasks", response=list[TaskOut])
def list_tasks(request: HttpRequest, filters: Query[TaskFilter]) -> list[dict[str, Any]]:
    now = timezone.now()
    tasks = (
        VisitTask.objects.visible_to(request.user)
        .filter(visit__isnull=True, opens_at__lte=now)
        .select_related("household", "grid", "worker")
    )
    if filters.mine:
        tasks = tasks.filter(worker_id=request.user.pk)
    if filters.worker:
        tasks = tasks.filter(worker__username=filters.worker)
    if filters.overdue:
        tasks = tasks.filter(due_at__lt=now)
    return [_task_out(t, now) for t in tasks.order_by("due_at", "pk")[:LIST_LIMIT]]


@router.post("/visit-tasks", response={201: TaskOut})
def raise_occasion(request: HttpRequest, payload: OccasionIn) -> Status:
    task = visits.raise_occasion(
        by=request.user,
        household_number=payload.household,
        occasion=payload.occasion,
        reason=payload.reason,
        due_at=local_aware(payload.due_at),
    )
    return Status(201, _task_out(task, timezone.now()))


@router.post("/visits", response={200: VisitOut, 201: VisitOut})
def record_visit(request: HttpRequest, payload: VisitIn) -> Status:
    recorded = visits.record_visit(
        by=request.user,
        uid=payload.uid,
        household_number=payload.household,
        kind=payload.kind,
        visited_at=local_aware(payload.visited_at),
        lon=payload.lon,
        lat=payload.lat,
        people_met=payload.people_met,
        learnt=payload.learnt,
        problems=payload.problems,
        assistance=payload.assistance,
    )
    status = 201 if recorded.created else 200
    return Status(status, _visit_out(recorded.visit, recorded.completed))


class VisitFilter(Schema):
    start: date | None = None
    end: date | None = None
    household: str | None = Field(None, max_length=32)


@router.get("/visits", response=list[VisitOut])
def list_visits(request: HttpRequest, filters: Query[VisitFilter]) -> list[dict[str, Any]]:
    today = timezone.localdate()
    rows = visits.ledger_visits(request.user, filters.start or today, filters.end or today)
    if filters.household:
        rows = rows.filter(household__number=filters.household)
    return [_visit_out(v) for v in rows.select_related("hazard")[:LIST_LIMIT]]


@router.get("/visits/overdue", response=list[OverdueOut])
def overdue(request: HttpRequest) -> list[dict[str, Any]]:
    """Overdue visits per worker and grid."""
    _office(request)
    return [{**vars(r), "done_rate": r.done_rate} for r in visits.overdue_summary(request.user)]


@router.get("/visits/ledger.xlsx")
def visit_ledger(request: HttpRequest, filters: Query[VisitFilter]) -> HttpResponse:
    _office(request)
    today = timezone.localdate()
    start = filters.start or today.replace(day=1)
    data = visits.export_visit_ledger(request.user, start, filters.end or today)
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="visit-ledger.xlsx"'
    return response


@router.get("/visits/{visit_id}", response=VisitOut)
def visit_detail(request: HttpRequest, visit_id: int) -> dict[str, Any]:
    visit = get_scoped_or_404(
        Visit.objects.visible_to(request.user).select_related(
            "household", "grid", "user", "hazard"
        ),
        pk=visit_id,
    )
    return _visit_out(visit)


@router.post("/visits/{visit_id}/case", response={201: CaseRef})
def visit_to_case(request: HttpRequest, visit_id: int, payload: CaseFromVisitIn) -> Status:
    """One tap: the visit's problems become a case, linked back to the visit."""
    visit = get_scoped_or_404(Visit.objects.visible_to(request.user), pk=visit_id)
    case = visits.visit_to_case(visit=visit, by=request.user, description=payload.description)
    return Status(201, {"id": case.pk, "number": case.number, "visit": visit.pk})


@router.post("/visits/{visit_id}/hazard", response={201: CaseRef})
def visit_to_hazard(request: HttpRequest, visit_id: int, payload: CaseFromVisitIn) -> Status:
    """One tap: the visit's problem becomes a safety hazard, linked back to the visit."""
    from gridgov.fieldwork.safety.services import visit_to_hazard as to_hazard

    visit = get_scoped_or_404(Visit.objects.visible_to(request.user), pk=visit_id)
    hazard = to_hazard(visit=visit, by=request.user, description=payload.description)
    return Status(201, {"id": hazard.pk, "number": hazard.number, "visit": visit.pk})


# --- surveys ------------------------------------------------------------------------------------


def _survey_out(survey: Survey) -> dict[str, Any]:
    return {
        "id": survey.pk,
        "title": survey.title,
        "grid": survey.grid.code,
        "description": survey.description,
        "is_open": survey.is_open,
        "questions": [
            {
                "id": q.pk,
                "position": q.position,
                "text": q.text,
                "kind": q.kind,
                "choices": q.choices,
                "required": q.required,
            }
            for q in survey.questions.all()
        ],
    }


@router.post("/surveys", response={201: SurveyOut})
def create_survey(request: HttpRequest, payload: SurveyIn) -> Status:
    survey = surveys.create_survey(
        by=request.user,
        title=payload.title,
        grid_code=payload.grid,
        description=payload.description,
        questions=[surveys.QuestionSpec(**q.dict()) for q in payload.questions],
    )
    return Status(201, _survey_out(survey))


@router.get("/surveys", response=list[SurveyOut])
def list_surveys(request: HttpRequest) -> list[dict[str, Any]]:
    rows = (
        Survey.objects.visible_to(request.user).select_related("grid").prefetch_related("questions")
    )
    return [_survey_out(s) for s in rows[:LIST_LIMIT]]


def _survey(request: HttpRequest, survey_id: int) -> Survey:
    return get_scoped_or_404(
        Survey.objects.visible_to(request.user).select_related("grid"), pk=survey_id
    )


@router.get("/surveys/{survey_id}", response=SurveyOut)
def survey_detail(request: HttpRequest, survey_id: int) -> dict[str, Any]:
    return _survey_out(_survey(request, survey_id))


@router.post("/surveys/{survey_id}/responses", response={200: ResponseOut, 201: ResponseOut})
def submit_response(request: HttpRequest, survey_id: int, payload: ResponseIn) -> Status:
    done = surveys.submit_response(
        by=request.user,
        survey=_survey(request, survey_id),
        household_number=payload.household,
        answers=payload.answers,
        uid=payload.uid,
        submitted_at=local_aware(payload.submitted_at),
    )
    body = {
        "id": done.response.pk,
        "survey": survey_id,
        "household": payload.household,
        "answers": done.response.answers,
        "created": done.created,
    }
    return Status(201 if done.created else 200, body)


@router.get("/surveys/{survey_id}/responses.xlsx")
def survey_export(request: HttpRequest, survey_id: int) -> HttpResponse:
    _office(request)
    data = surveys.export_responses(_survey(request, survey_id), request.user)
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="survey-{survey_id}.xlsx"'
    return response
