"""Schemas of the inbox and calendar APIs, one per operation."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field, model_validator

from gridgov.core.models import Notification


class NotificationOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    body: str
    url: str
    target_type: str | None = Field(
        None, description="app_label.model of the object, e.g. cases.case"
    )
    target_id: int | None
    actor: str | None
    created_at: dt.datetime
    read_at: dt.datetime | None
    is_read: bool

    @staticmethod
    def resolve_target_type(obj: Notification) -> str | None:
        t = obj.target_type
        return f"{t.app_label}.{t.model}" if t else None

    @staticmethod
    def resolve_actor(obj: Notification) -> str | None:
        a = obj.actor
        return (a.get_full_name() or a.get_username()) if a else None


class UnreadCountOut(Schema):
    unread: int


class MarkedOut(Schema):
    marked: int


class CalendarDayOut(Schema):
    date: dt.date
    is_workday: bool
    name: str
    covered: bool = Field(description="false: the year is not loaded, Monday–Friday assumed")


class CalendarMonthOut(Schema):
    year: int
    month: int | None
    covered: bool
    workdays: int
    days: list[CalendarDayOut]


class CalendarYearOut(Schema):
    year: int
    source: str
    loaded_at: dt.datetime
    note: str


class CalendarDayIn(Schema):
    is_workday: bool
    name: str = Field("", max_length=60)


class DeadlineQuery(Schema):
    start: dt.datetime = Field(description="ISO 8601; without an offset it is Beijing time")
    days: int | None = Field(None, ge=0, le=365, description="working days")
    hours: float | None = Field(None, ge=0, le=2000, description="working hours")
    clock_hours: float | None = Field(None, ge=0, le=8760, description="clock hours (emergency)")

    @model_validator(mode="after")
    def exactly_one_limit(self) -> DeadlineQuery:
        given = [v for v in (self.days, self.hours, self.clock_hours) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of days, hours, clock_hours")
        return self


class DeadlineOut(Schema):
    start: dt.datetime
    due_at: dt.datetime
    provisional: bool
    working_days_left: int
