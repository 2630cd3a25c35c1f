"""Request and response shapes of the registry API: personal values leave only masked."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema


class PersonOut(Schema):
    id: int
    name: str
    grid: str = Field(alias="grid.code")
    household: str | None
    id_number: str = Field(alias="id_number_masked")
    phone: str = Field(alias="phone_masked")
    gender: str
    birth_date: dt.date | None
    population_type: str
    relation_to_head: str
    closed_on: dt.date | None

    @staticmethod
    def resolve_household(obj: Any) -> str | None:
        return obj.household.number if obj.household_id else None


class PersonIn(Schema):
    grid: str = Field(max_length=32)
    name: str = Field(max_length=50)
    id_number: str = Field("", max_length=18)
    phone: str = Field("", max_length=20)
    population_type: str = Field("registered", max_length=16)
    relation_to_head: str = Field("", max_length=20)
    political_status: str = Field("", max_length=20)


class RevealIn(Schema):
    field: str = Field(max_length=40)
    reason: str = Field(max_length=200)


class RevealOut(Schema):
    value: str


class CloseIn(Schema):
    on: dt.date
    reason: str = Field("moved_out", max_length=16)


class CompletionOut(Schema):
    grid: str
    name: str
    declared: int
    registered: int
    rate: float | None


class AccessLogOut(Schema):
    at: dt.datetime
    username: str
    action: str
    target: str
    object_id: str
    field: str
    rows: int
    reason: str
