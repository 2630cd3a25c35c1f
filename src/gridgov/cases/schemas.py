"""Request and response schemas of /api/v1/cases, one per operation (CaseIn, CaseOut, DispatchIn…).

Every action body takes an optional `version`: the case version the client last saw. When the
case changed since, the action answers 409 with the current state and the allowed actions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing
from typing import Any

from ninja import Schema
from pydantic import Field, create_model

from gridgov.cases.attachments import attachment_url
from gridgov.cases.models import (
    Case,
    CaseAttachment,
    CaseEvent,
    CaseState,
    CaseTask,
    EventKind,
    ExtensionRequest,
    MatterItem,
    PlatformStep,
)
from gridgov.cases.queues import TrackingView

# Bounds of integer query parameters: past them the answer is 422, never a database overflow.
MAX_PAGE = 10_000
MAX_PAGE_SIZE = 100
MAX_ID = 2**63 - 1


class ReportIn(Schema):
    """A report from staff (patrol, hotline transfer, department, off-site, party member, or a
    resident's call taken by an operator). Multipart form; photos as `photos` files."""

    description: str = Field(..., max_length=4000, description="反映内容")
    title: str = Field("", max_length=120)
    channel: str = Field(
        "patrol", description="patrol|resident|hotline|department|offsite|party_member"
    )
    category: str = Field("", description="事项编码; empty: the operator classifies later")
    urgency: str = Field("ordinary", description="ordinary|urgent|emergency")
    mode: str = Field("coordinate", description="on_spot|coordinate|emergency|approval (patrol)")
    lon: float | None = None
    lat: float | None = None
    crs: str = Field("wgs84", description="wgs84|gcj02|bd09")
    address: str = Field("", max_length=200)
    grid: str = Field("", description="grid code when no point is given")
    result: str = Field("", max_length=4000, description="on-the-spot result")
    contact_name: str = Field("", max_length=50)
    contact_phone: str = Field("", max_length=30)
    external_number: str = Field("", max_length=64, description="hotline's own case number")
    received_at: dt.datetime | None = Field(
        None, description="when the hotline took the call (hotline transfers only)"
    )
    idempotency_key: str = Field("", max_length=100)
    attributes: str = Field(
        "",
        max_length=10_000,
        description='answers to the item\'s extra questions: a JSON object {"code": "value"} '
        '({"code": ["a", "b"]} for a multivaluelist)',
    )


class PublicReportIn(Schema):
    """A resident's report: no login, contact optional; answer carries the tracking code. A key
    must be a random token of 16+ characters (a UUID); a grid code (from the QR code of a
    public board) places the report when no point is given."""

    description: str = Field(..., max_length=4000)
    title: str = Field("", max_length=120)
    category: str = ""
    urgency: str = "ordinary"
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    address: str = Field("", max_length=200)
    grid: str = Field("", max_length=32, description="grid code of the public board's QR code")
    contact_name: str = Field("", max_length=50)
    contact_phone: str = Field("", max_length=30)
    idempotency_key: str = Field("", max_length=100)
    attributes: str = Field(
        "",
        max_length=10_000,
        description='answers to the item\'s extra questions: a JSON object {"code": "value"} '
        '({"code": ["a", "b"]} for a multivaluelist)',
    )


class ReportOut(Schema):
    id: int
    number: str
    tracking_code: str
    state: str
    created: bool
    level: str
    grid: str
    outside_jurisdiction: bool
    needs_location: bool
    duplicate_of: int | None


class PublicReportOut(Schema):
    number: str
    tracking_code: str
    state: str
    created: bool


class Ref(Schema):
    id: int
    code: str
    name: str


class ItemRef(Schema):
    code: str
    name: str
    class_name: str


class CaseRow(Schema):
    id: int
    number: str
    version: int
    title: str
    state: str
    state_label: str
    channel: str
    urgency: str
    mode: str
    item: ItemRef | None
    grid: Ref
    level: str
    level_region: str
    department: str | None
    due_at: dt.datetime | None
    due_provisional: bool
    overdue: bool
    step: str
    step_label: str
    step_due_at: dt.datetime | None
    step_overdue: bool
    received_at: dt.datetime | None
    outside_jurisdiction: bool
    duplicate_of: int | None
    urge_count: int
    supervise_count: int
    created_at: dt.datetime
    closed_at: dt.datetime | None
    closure_type: str
    closed_level: str
    satisfaction: int | None

    @staticmethod
    def of(case: Case, now: dt.datetime) -> dict[str, Any]:
        item = case.item
        return {
            "id": case.pk,
            "number": case.number,
            "version": case.version,
            "title": case.title,
            "state": case.state,
            "state_label": str(CaseState(case.state).label),
            "channel": case.channel,
            "urgency": case.urgency,
            "mode": case.mode,
            "item": (
                {"code": item.code, "name": item.name, "class_name": item.matter_class.name}
                if item
                else None
            ),
            "grid": {"id": case.grid_id, "code": case.grid.code, "name": case.grid.name},
            "level": case.level,
            "level_region": case.level_region.name,
            "department": case.department.name if case.department else None,
            "due_at": case.due_at,
            "due_provisional": case.due_provisional,
            "overdue": case.is_overdue(now),
            "step": case.step,
            "step_label": str(PlatformStep(case.step).label) if case.step else "",
            "step_due_at": case.step_due_at,
            "step_overdue": case.is_step_overdue(now),
            "received_at": case.received_at,
            "outside_jurisdiction": case.outside_jurisdiction,
            "duplicate_of": case.duplicate_of_id,
            "urge_count": case.urge_count,
            "supervise_count": case.supervise_count,
            "created_at": case.created_at,
            "closed_at": case.closed_at,
            "closure_type": case.closure_type,
            "closed_level": case.closed_level,
            "satisfaction": case.satisfaction,
        }


class CasePage(Schema):
    items: list[CaseRow]
    page: int
    page_size: int
    has_next: bool
    count: int | None = None


class AttachmentOut(Schema):
    id: int
    purpose: str
    url: str = Field(description="GET it with the same session: the same jurisdiction check")
    content_type: str
    size: int
    width: int | None
    height: int | None

    @staticmethod
    def of(a: CaseAttachment) -> dict[str, Any]:
        return {
            "id": a.pk,
            "purpose": a.purpose,
            "url": attachment_url(a),
            "content_type": a.content_type,
            "size": a.size,
            "width": a.width,
            "height": a.height,
        }


class EventOut(Schema):
    id: int
    kind: str
    label: str
    at: dt.datetime
    from_state: str
    to_state: str
    actor: str | None
    level: str
    department: str | None
    task: int | None
    due_at: dt.datetime | None
    note: str
    closure_type: str
    satisfaction: int | None
    reason: str
    related_case: int | None
    extra: dict[str, Any]
    attachments: list[AttachmentOut]

    @staticmethod
    def of(e: CaseEvent) -> dict[str, Any]:
        actor = e.actor
        return {
            "id": e.pk,
            "kind": e.kind,
            "label": str(EventKind(e.kind).label),
            "at": e.at,
            "from_state": e.from_state,
            "to_state": e.to_state,
            "actor": (actor.get_full_name() or actor.get_username()) if actor else None,
            "level": e.level,
            "department": e.department.name if e.department else None,
            "task": e.task_id,
            "due_at": e.due_at,
            "note": e.note,
            "closure_type": e.closure_type,
            "satisfaction": e.satisfaction,
            "reason": e.reason,
            "related_case": e.related_case_id,
            "extra": e.extra,
            "attachments": [AttachmentOut.of(a) for a in e.attachments.all()],
        }


class TaskOut(Schema):
    id: int
    case: int
    department: Ref
    role: str
    state: str
    instructions: str
    due_at: dt.datetime
    due_provisional: bool
    dispatched_at: dt.datetime
    dispatch_level: str
    accepted_at: dt.datetime | None
    fed_back_at: dt.datetime | None
    result: str
    return_reason: str

    @staticmethod
    def of(t: CaseTask) -> dict[str, Any]:
        return {
            "id": t.pk,
            "case": t.case_id,
            "department": {
                "id": t.department_id,
                "code": t.department.code,
                "name": t.department.name,
            },
            "role": t.role,
            "state": t.state,
            "instructions": t.instructions,
            "due_at": t.due_at,
            "due_provisional": t.due_provisional,
            "dispatched_at": t.dispatched_at,
            "dispatch_level": t.dispatch_level,
            "accepted_at": t.accepted_at,
            "fed_back_at": t.fed_back_at,
            "result": t.result,
            "return_reason": t.return_reason,
        }


class ExtensionOut(Schema):
    id: int
    case: int
    task: int
    days: int
    reason: str
    state: str
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    decision_note: str
    new_due_at: dt.datetime | None

    @staticmethod
    def of(x: ExtensionRequest) -> dict[str, Any]:
        return {
            "id": x.pk,
            "case": x.case_id,
            "task": x.task_id,
            "days": x.days,
            "reason": x.reason,
            "state": x.state,
            "requested_at": x.requested_at,
            "decided_at": x.decided_at,
            "decision_note": x.decision_note,
            "new_due_at": x.new_due_at,
        }


class CaseOut(CaseRow):
    """The case page: the report, assignments, extension requests, the full timeline, the
    photos, and the actions the caller may take now."""

    description: str
    tracking_code: str
    external_number: str
    lon: float | None
    lat: float | None
    address: str
    needs_location: bool
    reporter: str | None
    contact_name: str
    contact_phone: str
    result: str
    merged_into: int | None
    rework_count: int
    reopen_count: int
    tasks: list[TaskOut]
    extensions: list[ExtensionOut]
    timeline: list[EventOut]
    attachments: list[AttachmentOut]
    allowed_actions: list[str]


class NoteIn(Schema):
    note: str = Field("", max_length=2000)
    version: int | None = None


class RequiredNoteIn(Schema):
    note: str = Field(..., max_length=2000)
    version: int | None = None


class AcceptIn(NoteIn):
    category: str = ""


class MergeIn(RequiredNoteIn):
    into: int


class ClassifyIn(NoteIn):
    category: str


class CoHandlerIn(Schema):
    """A co-handling department with its own limit (days or a date; neither: the lead's)."""

    department: int = Field(..., ge=1, le=MAX_ID)
    days: int | None = Field(None, description="working days")
    due_on: dt.date | None = Field(None, description="explicit due date instead of days")


class DispatchIn(NoteIn):
    department: int | None = Field(
        None, ge=1, le=MAX_ID, description="lead department id; empty: catalogue route"
    )
    co: list[typing.Annotated[int, Field(ge=1, le=MAX_ID)] | CoHandlerIn] = Field(
        default_factory=list,
        description="co-handling departments (联合执法): ids, or objects with their own limit",
    )
    days: int | None = Field(None, description="working days; empty: the catalogue's limit")
    due_on: dt.date | None = Field(None, description="explicit due date instead of days")
    instructions: str = Field("", max_length=2000)


class TaskNoteIn(NoteIn):
    task: int | None = None


class ReturnIn(RequiredNoteIn):
    reason: str = Field(..., description="not_ours|insufficient|other")
    task: int | None = None


class FeedbackIn(Schema):
    result: str = Field(..., max_length=4000)
    task: int | None = None
    version: int | None = None


class VerifyIn(NoteIn):
    passed: bool
    close: bool = True


class CloseIn(NoteIn):
    closure_type: str | None = Field(None, description="erroneous|special for unverified cases")


class CallbackIn(NoteIn):
    satisfaction: int = Field(..., description="5 满意 / 4 基本满意 / 3 不满意")
    reopen: bool = False


class ExtendIn(Schema):
    days: int
    reason: str = Field(..., max_length=2000)
    task: int | None = None
    version: int | None = None


class CommentIn(Schema):
    note: str = Field(..., max_length=2000)
    version: int | None = None


class DecideExtensionIn(NoteIn):
    approve: bool


class QueueCounts(Schema):
    to_accept: int
    to_dispatch: int
    my_tasks: int
    returned: int
    extensions: int
    overdue: int
    to_verify: int
    to_callback: int
    late_steps: int


class TaskRow(TaskOut):
    case_number: str
    case_title: str
    case_state: str
    grid: str
    overdue: bool


class HotlineImportOut(Schema):
    created: list[int]
    skipped: list[str]


class CatalogueRouteOut(Schema):
    level: str
    department_kind: str
    department: str | None


class CatalogueItemOut(Schema):
    code: str
    name: str
    class_code: str
    class_name: str
    limit_days: int
    urgent_hours: int
    emergency_hours: int
    on_spot_allowed: bool
    routes: list[CatalogueRouteOut]

    @staticmethod
    def of(item: MatterItem) -> dict[str, Any]:
        return {
            "code": item.code,
            "name": item.name,
            "class_code": item.matter_class.code,
            "class_name": item.matter_class.name,
            "limit_days": item.limit_days,
            "urgent_hours": item.urgent_hours,
            "emergency_hours": item.emergency_hours,
            "on_spot_allowed": item.on_spot_allowed,
            "routes": [
                {
                    "level": r.level,
                    "department_kind": r.department_kind,
                    "department": r.department.code if r.department else None,
                }
                for r in item.routes.all()
            ],
        }


class CatalogueImportOut(Schema):
    classes_created: int
    items_created: int
    items_updated: int


def _schema_of(cls: type, name: str) -> type[Schema]:
    """A response schema with exactly the fields of a dataclass, so the two cannot drift."""
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {f.name: (hints[f.name], ...) for f in dataclasses.fields(cls)}
    return create_model(name, __base__=Schema, __doc__=cls.__doc__, **fields)


# The resident's view of their case: the fields of queues.TrackingView.
TrackingOut = _schema_of(TrackingView, "TrackingOut")


class ResidentCallbackIn(Schema):
    """The resident's rating of their closed case (回访): 5 满意 / 4 基本满意 / 3 不满意."""

    satisfaction: int = Field(..., description="5 满意 / 4 基本满意 / 3 不满意")
    note: str = Field("", max_length=2000)


class ErrorOut(Schema):
    detail: str


class ConflictOut(Schema):
    detail: str
    state: str | None
    allowed: list[str]
