"""A grid's card on the command centre: people on duty, households, cases, this month."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from gridgov.cases.filters import month_start
from gridgov.cases.models import CLOSED_STATES, OPEN_STATES, Case, ClosureType
from gridgov.grids.models import Grid
from gridgov.people.models import Post


@dataclass(frozen=True)
class DutyPerson:
    name: str
    post: str
    phone: str


@dataclass(frozen=True)
class MonthFigures:
    reported: int
    closed: int
    closed_on_time: int

    @property
    def on_time_rate(self) -> float | None:
        return self.closed_on_time / self.closed if self.closed else None


@dataclass(frozen=True)
class GridCard:
    grid: Grid
    people: list[DutyPerson]
    households: int
    population: int
    open_cases: int
    overdue_cases: int
    month: MonthFigures
    recent: list[Case] = field(default_factory=list)


def grid_card(user: Any, grid: Grid, *, now: dt.datetime | None = None) -> GridCard:
    """People on duty with phones, households, open and overdue cases of the grid's subtree,
    and this month's figures (reported, closed, closed on time)."""
    from gridgov.people.services import display_phone

    now = now or timezone.now()
    posts = (
        Post.objects.current()
        .filter(grid=grid)
        .select_related("staff")
        .order_by("kind", "staff__name")
    )
    from gridgov.people.models import POST_ORDER

    order = {kind: i for i, kind in enumerate(POST_ORDER)}
    people = [
        DutyPerson(name=p.staff.name, post=p.display_title, phone=display_phone(p.staff.phone))
        for p in sorted(posts, key=lambda p: (order.get(p.kind, 99), p.staff.name))
    ]
    cases = Case.objects.visible_to(user).within(grid)
    start = month_start(now)
    agg = cases.aggregate(
        open=Count("pk", filter=Q(state__in=OPEN_STATES)),
        overdue=Count("pk", filter=Q(state__in=OPEN_STATES, due_at__lt=now)),
        reported=Count("pk", filter=Q(created_at__gte=start)),
        closed=Count("pk", filter=Q(closed_at__gte=start, state__in=CLOSED_STATES)),
        on_time=Count(
            "pk",
            filter=Q(
                closed_at__gte=start,
                state__in=CLOSED_STATES,
                closure_type=ClosureType.NORMAL,
            ),
        ),
    )
    recent = list(cases.open().select_related("item").order_by("due_at", "-created_at")[:5])
    return GridCard(
        grid=grid,
        people=people,
        households=grid.households,
        population=grid.population,
        open_cases=agg["open"],
        overdue_cases=agg["overdue"],
        month=MonthFigures(
            reported=agg["reported"], closed=agg["closed"], closed_on_time=agg["on_time"]
        ),
        recent=recent,
    )
