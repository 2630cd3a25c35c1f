"""Request and response shapes of the hotline API, one per operation."""

from __future__ import annotations

from ninja import Schema
from pydantic import Field


class SuggestIn(Schema):
    text: str = Field(min_length=1, max_length=4000)


class SuggestOut(Schema):
    item: str | None
    name: str | None
    class_code: str | None
    confidence: float | None


class KpisOut(Schema):
    source: str
    month: str
    received: int
    closed: int
    closed_on_time: int
    closure_rate: float | None
    on_time_rate: float | None
    satisfaction_rate: float | None


class GridRateOut(Schema):
    code: str
    name: str
    depth: int
    records: int
    matched: int
    discovery_rate: float | None


class BacktraceActionIn(Schema):
    answer: str = Field(default="", max_length=4000)


class BacktraceOut(Schema):
    id: int
    state: str
    grid: str
    external_number: str
    due_at: str
    answer: str
    actions: list[str]
