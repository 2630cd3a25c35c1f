"""Hand-made case data for the indicator and assessment tests: rows written directly, so each
test states exactly which deadlines, closures, tasks and callbacks exist."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gridgov.cases.models import (
    Case,
    CaseEvent,
    CaseTask,
    EventKind,
    MatterItem,
    new_tracking_code,
)

SH = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SH)


@pytest.fixture
def make_case(town) -> Callable[..., Case]:
    """`make_case("A1", state="closed", due=at(3, 10), closed=at(3, 9))`."""
    grids = {"A1": town.a1, "A2": town.a2, "B1": town.b1, "B2": town.b2}
    items = {m.code: m for m in MatterItem.objects.filter(code__in=["0401", "0402", "0301"])}

    def make(
        grid: str = "A1",
        *,
        state: str = "registered",
        due: dt.datetime | None = None,
        closed: dt.datetime | None = None,
        created: dt.datetime | None = None,
        channel: str = "patrol",
        reporter: str | None = None,
        department: Any = None,
        rework: int = 0,
        item: str = "0401",
        received: dt.datetime | None = None,
        lonlat: tuple[float, float] | None = None,
    ) -> Case:
        g = grids[grid]
        lon, lat = lonlat or (g.label_lon, g.label_lat)
        return Case.objects.create(
            state=state,
            channel=channel,
            tracking_code=new_tracking_code(),
            title="t",
            description="d",
            item=items[item],
            urgency="ordinary",
            mode="coordinate",
            lon=lon,
            lat=lat,
            grid=g,
            level="town",
            level_region=town.town.region,
            department=department,
            reporter=town.user(reporter) if reporter else None,
            due_at=due,
            closed_at=closed,
            rework_count=rework,
            created_at=created or at(1, 5),
            received_at=received,
        )

    return make


@pytest.fixture
def make_task(town) -> Callable[..., CaseTask]:
    def make(
        case: Case,
        *,
        due: dt.datetime,
        fed_back: dt.datetime | None = None,
        state: str = "fed_back",
        department: Any = None,
    ) -> CaseTask:
        return CaseTask.objects.create(
            case=case,
            department=department or town.env,
            role="lead",
            state=state,
            due_at=due,
            fed_back_at=fed_back,
            dispatch_level="town",
            dispatch_region=town.town.region,
        )

    return make


@pytest.fixture
def make_callback(town) -> Callable[..., CaseEvent]:
    def make(case: Case, *, satisfaction: int, when: dt.datetime) -> CaseEvent:
        return CaseEvent.objects.create(
            case=case,
            kind=EventKind.CALLBACK,
            at=when,
            grid=case.grid,
            level=case.level,
            level_region=case.level_region,
            satisfaction=satisfaction,
        )

    return make


@pytest.fixture(autouse=True)
def posts_held_since_2025(db):
    """The cast's posts start on the day the test database was built; the tests assess 2026's
    months, so the posts are dated back (rolled back with the test)."""
    from gridgov.people.models import Post

    Post.objects.update(started_on=dt.date(2025, 1, 1))
