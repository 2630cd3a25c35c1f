"""Schemas of the inbox and calendar APIs, one per operation; and the bounded pagination every
list endpoint of the API uses."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Schema
from ninja.pagination import PaginationBase
from pydantic import ConfigDict, Field, model_validator

from gridgov.core.models import Notification

# Row ids are BigAutoField: anything past 2**63 - 1 cannot name a row, and the database would
# answer it with an overflow error (a 500) instead of "not found".
MAX_ID = 2**63 - 1
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
MAX_PAGE = 1_000_000
MAX_OFFSET = MAX_PAGE * MAX_PAGE_SIZE
# A search term longer than any name or code finds nothing; a very long one makes SQLite refuse
# the LIKE pattern ("pattern too complex"), a 500. Names are at most 100 characters.
MAX_SEARCH = 100


class PatchIn(Schema):
    """Base of every PATCH body. An unknown field is a 422 naming it, and an empty or null body
    is refused too: either would otherwise answer 200 and change nothing, and a client with a
    misspelt field would believe its change was saved."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def something_to_change(cls, data: Any) -> Any:
        if data is None or (isinstance(data, dict) and not data):
            raise ValueError("the body names no field to change")
        return data


class Pagination(PaginationBase):
    """`page`/`page_size` (as the cases API) or ninja's `limit`/`offset`, bounded so that an absurd
    value is a 422 naming the parameter, never an integer overflow in the database (a 500)."""

    class Input(Schema):
        page: int | None = Field(None, ge=1, le=MAX_PAGE, description="页码,从 1 开始")
        page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE, description="每页条数")
        limit: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE, description="条数(同 page_size)")
        offset: int | None = Field(None, ge=0, le=MAX_OFFSET, description="跳过的条数")

        @model_validator(mode="after")
        def one_style(self) -> Pagination.Input:
            if (self.page is not None or self.page_size is not None) and (
                self.limit is not None or self.offset is not None
            ):
                raise ValueError("give page/page_size or limit/offset, not both")
            return self

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: Any, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        size = pagination.page_size or pagination.limit or DEFAULT_PAGE_SIZE
        if pagination.page is not None:
            offset = (pagination.page - 1) * size
        else:
            offset = pagination.offset or 0
        return {
            self.items_attribute: queryset[offset : offset + size],
            "count": self._items_count(queryset),
        }


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
    def resolve_title(obj: Notification) -> str:
        # In the language of the request (Accept-Language or the language cookie).
        return obj.shown_title

    @staticmethod
    def resolve_body(obj: Notification) -> str:
        return obj.shown_body

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
    start: dt.datetime = Field(
        description="ISO 8601; without an offset it is Beijing time; its year 1900–2200 (400)"
    )
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
