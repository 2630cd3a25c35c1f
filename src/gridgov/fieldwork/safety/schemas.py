"""Schemas of the business-safety API (safety/api.py), one per operation."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from gridgov.fieldwork.safety.services import DEFAULT_DAYS, MAX_DAYS

HazardStateName = Literal["found", "rectifying", "listed", "reviewing", "closed"]
# Every verb's body: the hazard's `version` the client last saw (a stale action is a 409).
VERSION = Field(
    None, ge=0, le=2**31, description="the version last seen; if the hazard has changed: 409"
)


# --- inspection plan ----------------------------------------------------------------------------


class PlanFilter(Schema):
    grid: str = Field("", max_length=32, description="grid code (with the grids below it)")
    key: bool = Field(False, description="only businesses on the key-supervision list")
    overdue: bool = Field(False, description="only businesses past their date due")


class PlanRowOut(Schema):
    organisation: int
    name: str
    industry: str
    grid: str
    risk_grade: str
    key_supervision: bool
    interval_days: int | None
    last_at: dt.datetime | None
    next_due: dt.date | None
    overdue: bool
    open_hazards: int


class ChecklistItemOut(Schema):
    id: int
    order: int
    text: str


class ChecklistOut(Schema):
    id: int
    name: str
    industry: str = Field(description="empty: the general list")
    organisation: int
    items: list[ChecklistItemOut]


# --- inspections --------------------------------------------------------------------------------


class InspectionFilter(Schema):
    organisation: int | None = Field(None, ge=1, le=2**63 - 1)
    grid: str = Field("", max_length=32, description="grid code (with the grids below it)")
    start: dt.date | None = Field(None, description="first day (Asia/Shanghai), inclusive")
    end: dt.date | None = Field(None, description="last day (Asia/Shanghai), inclusive")
    result: Literal["passed", "hazards"] | None = Field(
        None, description="passed: every item passed; hazards: at least one problem"
    )


class AnswerIn(Schema):
    item: int = Field(ge=1, le=2**63 - 1, description="checklist item id")
    ok: bool
    note: str = Field("", max_length=200)
    handling: Literal["fix", "order", "major"] | None = Field(
        None,
        description="for a problem: fix (当场整改), order (限期整改) or major (重大隐患, listed "
        "by the office)",
    )
    days: int = Field(DEFAULT_DAYS, ge=1, le=MAX_DAYS, description="working days, for order")


class InspectionIn(Schema):
    organisation: int = Field(ge=1, le=2**63 - 1)
    answers: list[AnswerIn] = Field(max_length=200, description="every item of the checklist")
    note: str = Field("", max_length=2000)
    at: dt.datetime | None = Field(None, description="ISO 8601; without offset Asia/Shanghai")
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    idempotency_key: str | None = Field(
        None, min_length=1, max_length=64, description="the phone's key; a resend returns the first"
    )


class AnswerOut(Schema):
    item: int
    text: str
    ok: bool
    note: str


class HazardRef(Schema):
    id: int
    number: str
    grade: str
    state: str


class InspectionOut(Schema):
    id: int
    organisation: int
    organisation_name: str
    grid: str
    checklist: int
    inspector: str
    at: dt.datetime
    lon: float | None
    lat: float | None
    note: str
    result: Literal["passed", "hazards"]
    answers: list[AnswerOut]
    hazards: list[HazardRef]


class InspectionCreatedOut(InspectionOut):
    created: bool


# --- hazards ------------------------------------------------------------------------------------


class HazardFilter(Schema):
    state: HazardStateName | None = None
    queue: str = Field("", max_length=20, description="a queue of the hazards page")
    grid: str = Field("", max_length=32, description="grid code (with the grids below it)")
    organisation: int | None = Field(None, ge=1, le=2**63 - 1)
    overdue: bool = Field(False, description="past the rectification deadline")
    grade: Literal["ordinary", "major"] | None = None
    listed: bool = Field(False, description="under or after listed rectification (挂牌整改)")


class HazardOut(Schema):
    id: int
    number: str
    grid: str
    level: str = Field(description="the grid code of the level that holds it now")
    organisation: int | None
    organisation_name: str
    source: str
    inspection: int | None
    grade: str
    description: str
    state: str
    found_by: str
    found_at: dt.datetime
    due_at: dt.datetime | None
    overdue: bool
    measures: str
    rectification: str
    reviews_failed: int
    closed_at: dt.datetime | None


class HazardEventOut(Schema):
    kind: str
    from_state: str
    to_state: str
    actor: str | None
    at: dt.datetime
    level: str
    due_at: dt.datetime | None
    note: str


class HazardDetailOut(HazardOut):
    version: int = Field(description="changes with every step; send it back with a verb")
    events: list[HazardEventOut]
    allowed_actions: list[str]


class NoteIn(Schema):
    """urge, escalate: an optional note."""

    note: str = Field("", max_length=2000)
    version: int | None = VERSION


class RequiredNoteIn(Schema):
    """fix_on_spot, complete: what was done."""

    note: str = Field(min_length=1, max_length=2000)
    version: int | None = VERSION


class OrderIn(Schema):
    days: int = Field(DEFAULT_DAYS, ge=1, le=MAX_DAYS, description="working days")
    note: str = Field("", max_length=2000)
    version: int | None = VERSION


class ListIn(Schema):
    days: int = Field(ge=1, le=MAX_DAYS, description="working days")
    measures: str = Field(min_length=1, max_length=2000, description="interim safety measures")
    note: str = Field("", max_length=2000)
    version: int | None = VERSION


class ReviewIn(Schema):
    passed: bool
    days: int = Field(DEFAULT_DAYS, ge=1, le=MAX_DAYS, description="new deadline when failed")
    note: str = Field("", max_length=2000, description="required when failed")
    version: int | None = VERSION
