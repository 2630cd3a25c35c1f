"""Request and response shapes of the oversight API, one per operation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import Field


class WarningOut(Schema):
    id: int
    rule: str
    rule_version: int
    level: str
    grid: str
    grid_name: str
    reason: str
    facts: dict[str, Any]
    raised_at: dt.datetime
    updated_at: dt.datetime
    lifted_at: dt.datetime | None
    lift_note: str


class LiftIn(Schema):
    note: str = Field(min_length=1, max_length=300)


class RecipientOut(Schema):
    id: int
    department: int
    department_name: str
    state: str
    report: str
    actions: list[str]


class BulletinOut(Schema):
    id: int
    year: int
    number: int
    title: str
    level: str
    grid: str
    situation: str
    measures: str
    deadline: dt.date
    state: str
    issued_at: dt.datetime
    recipients: list[RecipientOut]


class BulletinIn(Schema):
    title: str = Field(min_length=1, max_length=120)
    level: str = Field(max_length=8)
    grid: str = Field(min_length=1, max_length=32, description="网格编码")
    situation: str = Field(min_length=1, max_length=4000)
    measures: str = Field(min_length=1, max_length=4000)
    deadline: dt.date
    departments: list[int] = Field(min_length=1, max_length=50)


class BulletinActIn(Schema):
    report: str = Field("", max_length=4000)


class RunOut(Schema):
    id: int
    scheme: str
    scheme_version: int
    month: str
    unit: str
    revision: int
    state: str
    published_at: dt.datetime | None


class ItemOut(Schema):
    code: str
    name: str
    numerator: float | None
    denominator: float | None
    value: float | None
    points: float


class ResultOut(Schema):
    id: int
    run: int
    unit: str
    code: str
    name: str
    score: Decimal
    rank: int
    items: list[ItemOut]


class AppealOut(Schema):
    id: int
    result: int
    unit: str
    code: str
    item_code: str
    reason: str
    requested_points: Decimal | None
    state: str
    decision_note: str
    corrected_points: Decimal | None
    raised_at: dt.datetime
    actions: list[str]


class AppealIn(Schema):
    item_code: str = Field(min_length=1, max_length=40)
    reason: str = Field(min_length=1, max_length=4000)
    requested_points: Decimal | None = Field(None, ge=0, le=100000, decimal_places=2)


class AppealActIn(Schema):
    note: str = Field("", max_length=4000)
    corrected_points: Decimal | None = Field(None, ge=0, le=100000, decimal_places=2)
