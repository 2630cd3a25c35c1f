"""/api/v1/cases: intake, lists and queues, the case page with its timeline, and one
`POST /cases/{id}/<verb>` per lifecycle action (never a PATCH of the state). Handlers parse,
fetch through the user's scope (outside = 404), call one service and serialise."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.errors import HttpError
from pydantic import Field

from gridgov.cases import catalogue, queues
from gridgov.cases.attachments import attachment_response, check_photos
from gridgov.cases.attributes import answers_from_json
from gridgov.cases.filters import CaseFilters, filter_cases
from gridgov.cases.models import (
    Case,
    Channel,
    ExtensionRequest,
    MatterItem,
)
from gridgov.cases.schemas import (
    MAX_ID,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    AcceptIn,
    AttachmentOut,
    CallbackIn,
    CaseOut,
    CasePage,
    CaseRow,
    CatalogueImportOut,
    CatalogueItemOut,
    ClassifyIn,
    CloseIn,
    CommentIn,
    ConflictOut,
    DecideExtensionIn,
    DispatchIn,
    ErrorOut,
    EventOut,
    ExtendIn,
    ExtensionOut,
    FeedbackIn,
    HotlineImportOut,
    MergeIn,
    NoteIn,
    PublicReportIn,
    PublicReportOut,
    QueueCounts,
    ReportIn,
    ReportOut,
    RequiredNoteIn,
    ResidentCallbackIn,
    ReturnIn,
    TaskNoteIn,
    TaskOut,
    TaskRow,
    TrackingOut,
    VerifyIn,
)
from gridgov.cases.services import closing, control, flow, intake
from gridgov.cases.workflow import allowed_actions
from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import get_referenced, get_scoped_or_404, scope_of
from gridgov.core.throttle import throttle
from gridgov.people.models import Department

if TYPE_CHECKING:
    from django.contrib.auth.models import User

router = Router(tags=["cases"])

ACTION_RESPONSES: dict[int, Any] = {
    200: CaseOut,
    400: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ConflictOut,
}


# Anonymous endpoints, per client address (core.throttle): a resident files a few reports, a
# flood must not fill the acceptance queue; tracking codes are not for enumerating.
@dataclass(frozen=True)
class PublicLimit:
    scope: str
    limit: int
    per_seconds: int

    def check(self, request: HttpRequest) -> None:
        throttle(request, scope=self.scope, limit=self.limit, per_seconds=self.per_seconds)


PUBLIC_REPORTS = PublicLimit("cases.public_report", limit=10, per_seconds=600)
PUBLIC_TRACKING = PublicLimit("cases.track", limit=30, per_seconds=60)
PUBLIC_CALLBACKS = PublicLimit("cases.track_callback", limit=10, per_seconds=600)


def _user(request: HttpRequest) -> User:
    """The authenticated caller (the router's session auth has already refused anyone else)."""
    return cast("User", request.user)


def _case(request: HttpRequest, case_id: int) -> Case:
    return get_scoped_or_404(Case.objects.visible_to(request.user), pk=case_id)


def _item(code: str) -> MatterItem | None:
    return intake.resolve_item(code)


def _departments(ids: list[int], field: str = "department") -> list[Department]:
    """The departments a body names; a missing one is a 404 naming the field (whether the
    level may dispatch to it is the service's rule)."""
    found = Department.objects.in_bulk(ids)
    for pk in ids:
        if pk not in found:
            get_referenced(Department.objects.none(), field=field, pk=pk)
    return [found[i] for i in ids]


def _co_handlers(co: list[Any]) -> list[flow.CoHandler]:
    ids = [c if isinstance(c, int) else c.department for c in co]
    departments = _departments(ids, field="co")
    return [
        flow.CoHandler(department=dept)
        if isinstance(c, int)
        else flow.CoHandler(department=dept, days=c.days, due_on=c.due_on)
        for c, dept in zip(co, departments, strict=True)
    ]


def _detail(request: HttpRequest, case_id: int) -> dict[str, Any]:
    """The case page for the caller (re-read after an action so the answer is current)."""
    case = get_scoped_or_404(queues.detail_queryset(request.user), pk=case_id)
    now = timezone.now()
    can_see_contact = request.user.has_perm("cases.view_contact", case)
    reporter = case.reporter
    return {
        **CaseRow.of(case, now),
        "description": case.description,
        "tracking_code": case.tracking_code if can_see_contact else "",
        "external_number": case.external_number,
        "lon": case.lon,
        "lat": case.lat,
        "address": case.address,
        "needs_location": case.needs_location,
        "reporter": (reporter.get_full_name() or reporter.get_username()) if reporter else None,
        "contact_name": case.contact_name if can_see_contact else "",
        "contact_phone": case.contact_phone if can_see_contact else "",
        "result": case.result,
        "merged_into": case.merged_into_id,
        "rework_count": case.rework_count,
        "reopen_count": case.reopen_count,
        "tasks": [TaskOut.of(t) for t in case.tasks.all()],
        "extensions": [ExtensionOut.of(x) for x in case.extensions.all()],
        "timeline": [EventOut.of(e) for e in case.events.all()],
        "attachments": [AttachmentOut.of(a) for a in case.attachments.all()],
        "allowed_actions": allowed_actions(case, request.user),
    }


# ---------------------------------------------------------------------------------------------
# Intake


@router.post("/", response={200: ReportOut, 201: ReportOut, 400: ErrorOut, 403: ErrorOut})
def report(
    request: HttpRequest,
    payload: Form[ReportIn],
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Status:
    """Report a case (申报单) as staff; a repeated idempotency key returns the first case (200)."""
    result = intake.report_case(
        by=_user(request),
        channel=payload.channel,
        photos=check_photos(photos),
        item=_item(payload.category),
        idempotency_key=request.headers.get("Idempotency-Key") or payload.idempotency_key,
        **payload.dict(exclude={"channel", "category", "idempotency_key", "grid", "attributes"}),
        grid_code=payload.grid,
        attributes=answers_from_json(payload.attributes),
    )
    case = result.case
    return Status(
        201 if result.created else 200,
        {
            "id": case.pk,
            "number": case.number,
            "tracking_code": case.tracking_code,
            "state": case.state,
            "created": result.created,
            "level": case.level,
            "grid": case.grid.code,
            "outside_jurisdiction": case.outside_jurisdiction,
            "needs_location": case.needs_location,
            "duplicate_of": case.duplicate_of_id,
        },
    )


@router.post(
    "/public",
    auth=None,
    response={200: PublicReportOut, 201: PublicReportOut, 400: ErrorOut},
)
def report_public(
    request: HttpRequest,
    payload: Form[PublicReportIn],
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Status:
    """A resident reports without logging in; keep the tracking code to follow the case. A
    grid code (the QR code of a public board) places the report when no point is given."""
    PUBLIC_REPORTS.check(request)
    result = intake.report_case(
        by=None,
        channel=Channel.RESIDENT,
        photos=check_photos(photos),
        item=_item(payload.category),
        idempotency_key=request.headers.get("Idempotency-Key") or payload.idempotency_key,
        **payload.dict(exclude={"category", "idempotency_key", "grid", "attributes"}),
        grid_code=payload.grid.strip(),
        attributes=answers_from_json(payload.attributes),
    )
    case = result.case
    return Status(
        201 if result.created else 200,
        {
            "number": case.number,
            "tracking_code": case.tracking_code,
            "state": case.state,
            "created": result.created,
        },
    )


@router.get("/track/{code}", auth=None, response={200: TrackingOut, 404: ErrorOut})
def track(request: HttpRequest, code: str) -> Any:
    """The resident's view of their case by tracking code (no staff names, no internal notes)."""
    PUBLIC_TRACKING.check(request)
    view = queues.tracking_view(code)
    if view is None:
        return Status(404, {"detail": _("未找到")})
    return view


# A photo is a file, not JSON: the document says which image types come back.
PHOTO_CONTENT = {
    "content": {
        kind: {"schema": {"type": "string", "format": "binary"}}
        for kind in ("image/jpeg", "image/png", "image/webp")
    }
}


@router.get(
    "/track/{code}/photos/{int:index}",
    auth=None,
    response={200: None, 404: ErrorOut},
    url_name="track_photo",
    openapi_extra={"responses": {200: {"description": "OK", **PHOTO_CONTENT}}},
)
def track_photo(request: HttpRequest, code: str, index: int) -> Any:
    """A report photo of the resident's case (the n-th, from 0), by tracking code."""
    PUBLIC_TRACKING.check(request)
    photos = queues.tracking_photos(code)
    if not 0 <= index < len(photos):
        raise Http404
    return attachment_response(photos[index])


@router.post(
    "/track/{code}/callback",
    auth=None,
    response={200: TrackingOut, 400: ErrorOut, 404: ErrorOut, 409: ConflictOut},
)
def track_callback(request: HttpRequest, code: str, payload: ResidentCallbackIn) -> Any:
    """The resident rates their closed case with the tracking code (回访 without a phone call);
    a dissatisfied rating is sent to the platform, which may reopen the case."""
    PUBLIC_CALLBACKS.check(request)
    case = closing.resident_callback(
        tracking_code=code, satisfaction=payload.satisfaction, note=payload.note
    )
    return queues.tracking_view(case.tracking_code)


@router.post("/import-hotline", response={200: HotlineImportOut, 400: Any, 403: ErrorOut})
def import_hotline(request: HttpRequest, file: File[UploadedFile]) -> dict[str, Any]:
    """Batch transfer from the hotline (CSV or Excel); all rows or none, errors by row."""
    data = catalogue.read_upload(file)
    report = intake.import_hotline_cases(data=data, filename=file.name or "", by=_user(request))
    return {"created": [c.pk for c in report.created], "skipped": report.skipped}


# ---------------------------------------------------------------------------------------------
# Lists and queues


class CaseFilter(Schema):
    status: str = ""
    queue: str = ""
    grid: str = ""
    department: int | None = Field(None, ge=1, le=MAX_ID)
    category: str = ""
    channel: str = ""
    level: str = ""
    overdue: bool | None = None
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    q: str = Field("", max_length=200)
    order: str = ""
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)
    count: bool = False


class TaskListFilter(Schema):
    limit: int = Field(50, ge=1, le=200)


def _filtered(request: HttpRequest, f: CaseFilter) -> Any:
    filters = CaseFilters(
        status=f.status,
        grid=f.grid,
        department=f.department,
        category=f.category,
        channel=f.channel,
        level=f.level,
        overdue=f.overdue,
        date_from=f.created_from,
        date_to=f.created_to,
        q=f.q,
        order=f.order,
    )
    return filter_cases(request.user, filters, queue=f.queue)


@router.get("/", response={200: CasePage, 400: ErrorOut})
def list_cases(request: HttpRequest, filters: Query[CaseFilter]) -> dict[str, Any]:
    """Cases in the caller's scope, filtered and paginated (no total unless `count=true`)."""
    size, page = filters.page_size, filters.page
    qs = _filtered(request, filters)
    rows = list(qs[(page - 1) * size : page * size + 1])
    now = timezone.now()
    return {
        "items": [CaseRow.of(c, now) for c in rows[:size]],
        "page": page,
        "page_size": size,
        "has_next": len(rows) > size,
        "count": qs.count() if filters.count else None,
    }


@router.get("/queues", response=QueueCounts)
def queue_counts(request: HttpRequest) -> dict[str, int]:
    """How many items wait in each of the caller's queues."""
    return queues.queue_counts(request.user)


@router.get("/tasks", response=list[TaskRow])
def my_tasks(request: HttpRequest, filters: Query[TaskListFilter]) -> list[dict[str, Any]]:
    """The assignments of the caller's departments to sign for or handle, by deadline."""
    now = timezone.now()
    rows = queues.my_tasks(request.user)[: filters.limit]
    return [
        {
            **TaskOut.of(t),
            "case_number": t.case.number,
            "case_title": t.case.title,
            "case_state": t.case.state,
            "grid": t.case.grid.name,
            "overdue": t.due_at < now,
        }
        for t in rows
    ]


@router.get("/extensions", response=list[ExtensionOut])
def pending_extensions(request: HttpRequest) -> list[dict[str, Any]]:
    """Extension requests waiting for the caller's platform to decide."""
    return [ExtensionOut.of(x) for x in queues.extension_requests(request.user)[:200]]


# ---------------------------------------------------------------------------------------------
# Catalogue


@router.get("/catalogue", response=list[CatalogueItemOut])
def catalogue_list(request: HttpRequest) -> list[dict[str, Any]]:
    """The active catalogue of matters with limits and routes."""
    return [CatalogueItemOut.of(i) for i in catalogue.catalogue_items()]


@router.get("/catalogue.xlsx")
def catalogue_export(request: HttpRequest) -> HttpResponse:
    """The catalogue as the Excel ledger (same layout as the import)."""
    response = HttpResponse(
        catalogue.export_catalogue_xlsx(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = "attachment; filename*=UTF-8''catalogue.xlsx"
    return response


@router.post("/catalogue.xlsx", response={200: CatalogueImportOut, 400: Any, 403: ErrorOut})
def catalogue_import(request: HttpRequest, file: File[UploadedFile]) -> Any:
    """Replace or extend the catalogue from the Excel ledger (admin only; all or nothing)."""
    if not scope_of(request.user).is_admin:
        raise HttpError(403, _("只有平台管理员可以导入事项清单"))
    report = catalogue.import_catalogue(
        data=catalogue.read_upload(file),
        filename=file.name or "",
        by=_user(request),
    )
    return {
        "classes_created": report.classes_created,
        "items_created": report.items_created,
        "items_updated": report.items_updated,
    }


# ---------------------------------------------------------------------------------------------
# One case and its actions


@router.get("/{int:case_id}", response={200: CaseOut, 404: ErrorOut})
def case_detail(request: HttpRequest, case_id: int) -> dict[str, Any]:
    """The case with its assignments, extensions, full timeline, photos and allowed actions."""
    return _detail(request, case_id)


@router.get(
    "/{int:case_id}/attachments/{int:attachment_id}",
    response={200: None, 404: ErrorOut},
    url_name="case_attachment",
    openapi_extra={"responses": {200: {"description": "OK", **PHOTO_CONTENT}}},
)
def case_attachment(request: HttpRequest, case_id: int, attachment_id: int) -> Any:
    """A photo of a case the caller can see (the `url` of an attachment)."""
    case = _case(request, case_id)
    return attachment_response(get_object_or_404(case.attachments.all(), pk=attachment_id))


@router.post("/{int:case_id}/accept", response=ACTION_RESPONSES)
def accept(request: HttpRequest, case_id: int, payload: AcceptIn) -> dict[str, Any]:
    case = _case(request, case_id)
    flow.accept_case(
        case=case,
        by=_user(request),
        item=_item(payload.category),
        note=payload.note,
        version=payload.version,
    )
    return _detail(request, case_id)


@router.post("/{int:case_id}/reject", response=ACTION_RESPONSES)
def reject(request: HttpRequest, case_id: int, payload: RequiredNoteIn) -> dict[str, Any]:
    case = _case(request, case_id)
    flow.reject_case(case=case, by=_user(request), note=payload.note, version=payload.version)
    return _detail(request, case_id)


@router.post("/{int:case_id}/merge", response=ACTION_RESPONSES)
def merge(request: HttpRequest, case_id: int, payload: MergeIn) -> dict[str, Any]:
    """Merge this case into `into` (a duplicate), with the reason; both timelines record it."""
    case = _case(request, case_id)
    into = get_referenced(Case.objects.visible_to(request.user), field="into", pk=payload.into)
    flow.merge_case(
        case=case, into=into, by=_user(request), note=payload.note, version=payload.version
    )
    return _detail(request, case_id)


@router.post("/{int:case_id}/classify", response=ACTION_RESPONSES)
def classify(request: HttpRequest, case_id: int, payload: ClassifyIn) -> dict[str, Any]:
    case = _case(request, case_id)
    item = _item(payload.category)
    if item is None:
        raise DomainError(_("请选择事项"), field="category")
    flow.classify_case(
        case=case, item=item, by=_user(request), note=payload.note, version=payload.version
    )
    return _detail(request, case_id)


@router.post("/{int:case_id}/register", response=ACTION_RESPONSES)
def register(request: HttpRequest, case_id: int, payload: NoteIn) -> dict[str, Any]:
    case = _case(request, case_id)
    flow.register_case(case=case, by=_user(request), note=payload.note, version=payload.version)
    return _detail(request, case_id)


@router.post("/{int:case_id}/dispatch", response=ACTION_RESPONSES)
def dispatch(request: HttpRequest, case_id: int, payload: DispatchIn) -> dict[str, Any]:
    """Dispatch (assignment slip) to the lead department and co-handlers, with a deadline."""
    case = _case(request, case_id)
    flow.dispatch_case(
        case=case,
        by=_user(request),
        to=_departments([payload.department])[0] if payload.department else None,
        co=_co_handlers(payload.co),
        days=payload.days,
        due_on=payload.due_on,
        instructions=payload.instructions,
        note=payload.note,
        version=payload.version,
    )
    return _detail(request, case_id)


@router.post("/{int:case_id}/handle", response=ACTION_RESPONSES)
def handle(request: HttpRequest, case_id: int, payload: TaskNoteIn) -> dict[str, Any]:
    """Sign for the caller's assignment, or handle an undispatched case at the caller's level."""
    case = _case(request, case_id)
    flow.handle_case(
        case=case, by=_user(request), task=payload.task, note=payload.note, version=payload.version
    )
    return _detail(request, case_id)


@router.post("/{int:case_id}/return", response=ACTION_RESPONSES)
def return_(request: HttpRequest, case_id: int, payload: ReturnIn) -> dict[str, Any]:
    case = _case(request, case_id)
    flow.return_case(
        case=case,
        by=_user(request),
        reason=payload.reason,
        note=payload.note,
        task=payload.task,
        version=payload.version,
    )
    return _detail(request, case_id)


@router.post("/{int:case_id}/feedback", response=ACTION_RESPONSES)
def feedback(
    request: HttpRequest,
    case_id: int,
    payload: Form[FeedbackIn],
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> dict[str, Any]:
    """The feedback slip: result and photos (multipart form)."""
    case = _case(request, case_id)
    flow.feedback_case(
        case=case,
        by=_user(request),
        result=payload.result,
        photos=check_photos(photos),
        task=payload.task,
        version=payload.version,
    )
    return _detail(request, case_id)


@router.post("/{int:case_id}/verify", response=ACTION_RESPONSES)
def verify(request: HttpRequest, case_id: int, payload: VerifyIn) -> dict[str, Any]:
    case = _case(request, case_id)
    closing.verify_case(
        case=case,
        by=_user(request),
        passed=payload.passed,
        note=payload.note,
        close=payload.close,
        version=payload.version,
    )
    return _detail(request, case_id)


@router.post("/{int:case_id}/close", response=ACTION_RESPONSES)
def close(request: HttpRequest, case_id: int, payload: CloseIn) -> dict[str, Any]:
    case = _case(request, case_id)
    closing.close_case(
        case=case,
        by=_user(request),
        closure_type=payload.closure_type,
        note=payload.note,
        version=payload.version,
    )
    return _detail(request, case_id)


@router.post("/{int:case_id}/transfer", response=ACTION_RESPONSES)
def transfer(request: HttpRequest, case_id: int, payload: RequiredNoteIn) -> dict[str, Any]:
    """Hand the case over to the city hotline (转交热线)."""
    case = _case(request, case_id)
    closing.transfer_case(case=case, by=_user(request), note=payload.note, version=payload.version)
    return _detail(request, case_id)


@router.post("/{int:case_id}/callback", response=ACTION_RESPONSES)
def callback(request: HttpRequest, case_id: int, payload: CallbackIn) -> dict[str, Any]:
    case = _case(request, case_id)
    closing.callback_case(
        case=case,
        by=_user(request),
        satisfaction=payload.satisfaction,
        note=payload.note,
        reopen=payload.reopen,
        version=payload.version,
    )
    return _detail(request, case_id)


@router.post("/{int:case_id}/reopen", response=ACTION_RESPONSES)
def reopen(request: HttpRequest, case_id: int, payload: RequiredNoteIn) -> dict[str, Any]:
    case = _case(request, case_id)
    closing.reopen_case(case=case, by=_user(request), note=payload.note, version=payload.version)
    return _detail(request, case_id)


@router.post("/{int:case_id}/escalate", response=ACTION_RESPONSES)
def escalate(request: HttpRequest, case_id: int, payload: RequiredNoteIn) -> dict[str, Any]:
    """Pass the case up one level (逐级上报), with the reason."""
    case = _case(request, case_id)
    control.escalate_case(case=case, by=_user(request), note=payload.note, version=payload.version)
    return _detail(request, case_id)


@router.post("/{int:case_id}/extend", response=ACTION_RESPONSES)
def extend(request: HttpRequest, case_id: int, payload: ExtendIn) -> dict[str, Any]:
    """A department asks for more working days; the dispatching level decides."""
    case = _case(request, case_id)
    control.request_extension(
        case=case,
        by=_user(request),
        days=payload.days,
        reason=payload.reason,
        task=payload.task,
        version=payload.version,
    )
    return _detail(request, case_id)


@router.post("/{int:case_id}/extensions/{int:extension_id}/decide", response=ACTION_RESPONSES)
def decide(
    request: HttpRequest, case_id: int, extension_id: int, payload: DecideExtensionIn
) -> dict[str, Any]:
    case = _case(request, case_id)
    extension = get_object_or_404(ExtensionRequest, pk=extension_id, case=case)
    control.decide_extension(
        extension=extension,
        by=_user(request),
        approve=payload.approve,
        note=payload.note,
        version=payload.version,
    )
    return _detail(request, case_id)


@router.post("/{int:case_id}/urge", response=ACTION_RESPONSES)
def urge(request: HttpRequest, case_id: int, payload: RequiredNoteIn) -> dict[str, Any]:
    """The urging slip (催办单)."""
    case = _case(request, case_id)
    control.urge_case(case=case, by=_user(request), note=payload.note, version=payload.version)
    return _detail(request, case_id)


@router.post("/{int:case_id}/supervise", response=ACTION_RESPONSES)
def supervise(request: HttpRequest, case_id: int, payload: RequiredNoteIn) -> dict[str, Any]:
    """Supervision (督办) by a level above."""
    case = _case(request, case_id)
    control.supervise_case(case=case, by=_user(request), note=payload.note, version=payload.version)
    return _detail(request, case_id)


@router.post("/{int:case_id}/comment", response=ACTION_RESPONSES)
def comment(
    request: HttpRequest,
    case_id: int,
    payload: Form[CommentIn],
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> dict[str, Any]:
    """A follow-up note with optional photos (跟进记录)."""
    case = _case(request, case_id)
    control.comment_case(
        case=case,
        by=_user(request),
        note=payload.note,
        photos=check_photos(photos),
        version=payload.version,
    )
    return _detail(request, case_id)
