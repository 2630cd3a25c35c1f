"""The command centre's reads: the grids a user's map draws, the units it compares, and the
figures of its map and charts in a few queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases.filters import CaseFilters, local_midnight
from gridgov.cases.models import (
    CLOSED_STATES,
    INVALID_STATES,
    OPEN_STATES,
    Case,
    CaseQuerySet,
    CaseState,
    ClosureType,
    PlatformLevel,
)
from gridgov.grids.models import Grid

# ---------------------------------------------------------------------------------------------
# Scope: the grids a user's command centre shows


def map_grids(user: Any) -> QuerySet[Grid]:
    """Active grids with a boundary inside the user's scope: what the map draws."""
    return (
        Grid.objects.visible_to(user)
        .active()
        .filter(boundary__isnull=False)
        .select_related("level")
        .order_by("path")
    )


def root_grids(user: Any) -> list[Grid]:
    """The tops of the user's visible grid subtrees (a town office: its town grid)."""
    rows = list(Grid.objects.visible_to(user).active().values_list("pk", "path").order_by("path"))
    roots: list[tuple[int, str]] = []
    for pk, path in rows:
        if not any(path.startswith(r[1]) for r in roots):
            roots.append((pk, path))
    return list(
        Grid.objects.filter(pk__in=[pk for pk, _p in roots])
        .select_related("level")
        .order_by("path")
    )


def subordinate_units(user: Any) -> list[Grid]:
    """The units a command centre compares: the children of a single root, else the roots."""
    roots = root_grids(user)
    if len(roots) == 1:
        children = list(
            roots[0].children.filter(is_active=True).select_related("level").order_by("code")
        )
        return children or roots
    return roots


# ---------------------------------------------------------------------------------------------
# Figures


@dataclass(frozen=True)
class GridCount:
    code: str
    open: int
    overdue: int


@dataclass(frozen=True)
class Marker:
    pk: int
    lon: float
    lat: float
    state: str
    overdue: bool
    title: str


@dataclass(frozen=True)
class DayCount:
    day: dt.date
    reported: int
    closed: int


@dataclass(frozen=True)
class NamedCount:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class UnitRates:
    """STANDARDS: 结案率 = 结案数 / 应结案数, 按期结案率 = 按期结案数 / 应结案数; here 应结案数 is
    the valid cases (not rejected, merged or only recorded) reported in the period."""

    code: str
    name: str
    due: int
    closed: int
    closed_on_time: int

    @property
    def closure_rate(self) -> float | None:
        return self.closed / self.due if self.due else None

    @property
    def on_time_rate(self) -> float | None:
        return self.closed_on_time / self.due if self.due else None


@dataclass(frozen=True)
class Tiles:
    reported: int
    open: int
    overdue: int
    closed: int
    closed_on_time: int
    valid: int

    @property
    def closure_rate(self) -> float | None:
        return self.closed / self.valid if self.valid else None

    @property
    def on_time_rate(self) -> float | None:
        return self.closed_on_time / self.valid if self.valid else None


@dataclass(frozen=True)
class CommandFigures:
    tiles: Tiles
    grid_counts: list[GridCount]
    markers: list[Marker]
    markers_truncated: bool
    per_day: list[DayCount]
    by_class: list[NamedCount]
    by_state: list[NamedCount]
    units: list[UnitRates]
    closed_where: list[NamedCount]


MAX_MARKERS = 3000
# Closed "on time": closed normally (not overdue, erroneous or special) — on the spot included.
ON_TIME = Q(state__in=CLOSED_STATES, closure_type=ClosureType.NORMAL)
VALID = ~Q(state__in=[*INVALID_STATES, CaseState.RECORDED])


def filtered_cases(user: Any, filters: CaseFilters) -> CaseQuerySet:
    return filters.apply(Case.objects.visible_to(user))


def command_tiles(user: Any, filters: CaseFilters, *, now: dt.datetime | None = None) -> Tiles:
    now = now or timezone.now()
    agg = filtered_cases(user, filters).aggregate(
        reported=Count("pk"),
        open=Count("pk", filter=Q(state__in=OPEN_STATES)),
        overdue=Count("pk", filter=Q(state__in=OPEN_STATES, due_at__lt=now)),
        closed=Count("pk", filter=Q(state__in=CLOSED_STATES)),
        on_time=Count("pk", filter=ON_TIME),
        valid=Count("pk", filter=VALID),
    )
    return Tiles(
        reported=agg["reported"],
        open=agg["open"],
        overdue=agg["overdue"],
        closed=agg["closed"],
        closed_on_time=agg["on_time"],
        valid=agg["valid"],
    )


def command_figures(
    user: Any, filters: CaseFilters, *, now: dt.datetime | None = None
) -> CommandFigures:
    """Everything the command centre's map and charts show for the filters, in a few queries.

    Grid colours count the open cases now (category and channel filters apply, the period and
    status do not: an old case still open is still open); markers and charts use every filter."""
    now = now or timezone.now()
    visible = Case.objects.visible_to(user)
    colour_filters = CaseFilters(matter_class=filters.matter_class, channel=filters.channel)
    counts = (
        colour_filters.apply(visible)
        .open()
        .values("grid__code")
        .annotate(n=Count("pk"), late=Count("pk", filter=Q(due_at__lt=now)))
        .order_by()
    )
    grid_counts = [GridCount(code=r["grid__code"], open=r["n"], overdue=r["late"]) for r in counts]
    cases = filters.apply(visible)
    marker_rows = list(
        cases.filter(lon__isnull=False, lat__isnull=False)
        .order_by("-created_at", "-pk")
        .values_list("pk", "lon", "lat", "state", "due_at", "title")[: MAX_MARKERS + 1]
    )
    open_states = set(OPEN_STATES)
    markers = [
        Marker(
            pk=pk,
            lon=round(lon or 0.0, 6),
            lat=round(lat or 0.0, 6),
            state=state,
            overdue=bool(state in open_states and due_at is not None and due_at < now),
            title=title,
        )
        for pk, lon, lat, state, due_at, title in marker_rows[:MAX_MARKERS]
    ]
    return CommandFigures(
        tiles=command_tiles(user, filters, now=now),
        grid_counts=grid_counts,
        markers=markers,
        markers_truncated=len(marker_rows) > MAX_MARKERS,
        per_day=_per_day(cases, filters, now),
        by_class=_by_class(cases),
        by_state=_by_state(cases),
        units=unit_rates(user, cases),
        closed_where=_closed_where(cases),
    )


def _days(filters: CaseFilters, now: dt.datetime) -> list[dt.date]:
    today = timezone.localtime(now).date()
    end = filters.date_to or today
    start = filters.date_from or end - dt.timedelta(days=29)
    if (end - start).days > 366:
        start = end - dt.timedelta(days=366)
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def _per_day(cases: CaseQuerySet, filters: CaseFilters, now: dt.datetime) -> list[DayCount]:
    days = _days(filters, now)
    if not days:
        return []
    start, end = local_midnight(days[0]), local_midnight(days[-1] + dt.timedelta(days=1))
    reported: dict[dt.date, int] = {}
    for at in cases.filter(created_at__gte=start, created_at__lt=end).values_list(
        "created_at", flat=True
    ):
        day = timezone.localtime(at).date()
        reported[day] = reported.get(day, 0) + 1
    closed: dict[dt.date, int] = {}
    for closed_at in cases.filter(closed_at__gte=start, closed_at__lt=end).values_list(
        "closed_at", flat=True
    ):
        if closed_at is None:
            continue
        day = timezone.localtime(closed_at).date()
        closed[day] = closed.get(day, 0) + 1
    return [DayCount(day=d, reported=reported.get(d, 0), closed=closed.get(d, 0)) for d in days]


def _by_class(cases: CaseQuerySet) -> list[NamedCount]:
    rows = (
        cases.values("item__matter_class__code", "item__matter_class__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "item__matter_class__code")
    )
    return [
        NamedCount(
            key=r["item__matter_class__code"] or "",
            label=r["item__matter_class__name"] or _("未分类"),
            count=r["n"],
        )
        for r in rows
    ]


def _by_state(cases: CaseQuerySet) -> list[NamedCount]:
    rows = {r["state"]: r["n"] for r in cases.values("state").annotate(n=Count("pk")).order_by()}
    return [
        NamedCount(key=state, label=str(label), count=rows[state])
        for state, label in CaseState.choices
        if rows.get(state)
    ]


def _closed_where(cases: CaseQuerySet) -> list[NamedCount]:
    """Seed 004 counts closures by where they happened: village, town, county, hotline."""
    rows = {
        r["closed_level"]: r["n"]
        for r in cases.filter(state__in=CLOSED_STATES)
        .values("closed_level")
        .annotate(n=Count("pk"))
        .order_by()
    }
    return [
        NamedCount(key=level, label=str(label), count=rows[level])
        for level, label in PlatformLevel.choices
        if rows.get(level)
    ]


def unit_rates(user: Any, cases: CaseQuerySet) -> list[UnitRates]:
    """Closure and on-time closure rates for each subordinate unit of the user's scope: one
    query grouped by grid, each grid's counts added to the unit whose path prefixes its own
    (a district's 25 towns would otherwise be 25 scans)."""
    units = subordinate_units(user)
    totals = {unit.pk: [0, 0, 0] for unit in units}
    by_length: dict[int, dict[str, int]] = {}
    for unit in units:
        by_length.setdefault(len(unit.path), {})[unit.path] = unit.pk
    rows = (
        cases.values("grid__path")
        .annotate(
            due=Count("pk", filter=VALID),
            closed=Count("pk", filter=Q(state__in=CLOSED_STATES)),
            on_time=Count("pk", filter=ON_TIME),
        )
        .order_by()
    )
    for row in rows:
        path = row["grid__path"]
        owner = next(
            (pk for n, paths in by_length.items() if (pk := paths.get(path[:n])) is not None),
            None,
        )
        if owner is not None:
            counts = totals[owner]
            counts[0] += row["due"]
            counts[1] += row["closed"]
            counts[2] += row["on_time"]
    return [
        UnitRates(
            code=unit.code,
            name=unit.name,
            due=totals[unit.pk][0],
            closed=totals[unit.pk][1],
            closed_on_time=totals[unit.pk][2],
        )
        for unit in units
    ]
