"""Reads the pages need that span several models: queue counts, the command centre's map and
figures, a grid's card. They return querysets and dataclasses; views render them and never
write (writes go through the owning app's services)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from gridgov.cases import queues as case_queues
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
from gridgov.people.models import Post

QUEUE_LABELS = case_queues.QUEUES


def queue_counts(user: Any, names: list[str]) -> dict[str, int]:
    """The number of items waiting in each named queue (the navigation badges)."""
    counts: dict[str, int] = {}
    for name in names:
        if name == "my_tasks":
            counts[name] = case_queues.my_tasks(user).count()
        elif name == "extensions":
            counts[name] = case_queues.extension_requests(user).count()
        else:
            counts[name] = case_queues.CASE_QUEUES[name](user).count()
    return counts


# ---------------------------------------------------------------------------------------------
# Deadlines


@dataclass(frozen=True)
class DeadlineInfo:
    overdue: bool
    days_left: int | None
    label: str


def deadline_info(
    due_at: dt.datetime, *, is_open: bool = True, at: dt.datetime | None = None
) -> DeadlineInfo:
    """How a deadline reads on a page: working days left on the official calendar (还剩 N 个
    工作日), due today, or overdue (超期)."""
    from gridgov.core.calendar import get_calendar
    from gridgov.core.workdays import working_days_left

    now = at or timezone.now()
    if not is_open:
        return DeadlineInfo(overdue=False, days_left=None, label=_("已办结"))
    left = working_days_left(get_calendar(), now, due_at)
    if left < 0:
        return DeadlineInfo(overdue=True, days_left=left, label=_("已超期"))
    if left == 0:
        return DeadlineInfo(overdue=False, days_left=0, label=_("今日到期"))
    return DeadlineInfo(
        overdue=False,
        days_left=left,
        label=ngettext("剩余 %(n)s 个工作日", "剩余 %(n)s 个工作日", left) % {"n": left},
    )


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
# Filters shared by the command centre's map markers, tiles and charts


@dataclass(frozen=True)
class CaseFilters:
    matter_class: int | None = None
    state_group: str = ""
    channel: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def apply(self, qs: CaseQuerySet) -> CaseQuerySet:
        if self.matter_class:
            qs = qs.filter(item__matter_class_id=self.matter_class)
        if self.state_group:
            qs = qs.filter(state__in=STATE_FILTERS[self.state_group][1])
        if self.channel:
            qs = qs.filter(channel=self.channel)
        if self.date_from:
            qs = qs.filter(created_at__gte=local_midnight(self.date_from))
        if self.date_to:
            qs = qs.filter(created_at__lt=local_midnight(self.date_to + dt.timedelta(days=1)))
        return qs


# Status filter choices: the case states grouped the way an office talks about them.
STATE_FILTERS: dict[str, tuple[Any, frozenset[str]]] = {
    "waiting": (
        gettext_lazy("待受理/待派遣"),
        frozenset(
            {CaseState.REPORTED, CaseState.ACCEPTED, CaseState.REGISTERED, CaseState.RETURNED}
        ),
    ),
    "handling": (gettext_lazy("处置中"), frozenset({CaseState.DISPATCHED, CaseState.HANDLING})),
    "checking": (
        gettext_lazy("待核查/待结案"),
        frozenset({CaseState.FED_BACK, CaseState.VERIFIED}),
    ),
    "open": (gettext_lazy("全部未结"), frozenset(OPEN_STATES)),
    "closed": (gettext_lazy("已结案"), frozenset(CLOSED_STATES)),
    "invalid": (gettext_lazy("不予受理/已合并"), frozenset(INVALID_STATES)),
}


def local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def month_start(now: dt.datetime | None = None) -> dt.datetime:
    local = timezone.localtime(now or timezone.now())
    return local_midnight(local.date().replace(day=1))


# ---------------------------------------------------------------------------------------------
# A grid's card on the command centre


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


# ---------------------------------------------------------------------------------------------
# The command centre's figures


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
    """Closure and on-time closure rates for each subordinate unit of the user's scope."""
    result = []
    for unit in subordinate_units(user):
        agg = cases.within(unit).aggregate(
            due=Count("pk", filter=VALID),
            closed=Count("pk", filter=Q(state__in=CLOSED_STATES)),
            on_time=Count("pk", filter=ON_TIME),
        )
        result.append(
            UnitRates(
                code=unit.code,
                name=unit.name,
                due=agg["due"],
                closed=agg["closed"],
                closed_on_time=agg["on_time"],
            )
        )
    return result


# ---------------------------------------------------------------------------------------------
# The case page


@dataclass(frozen=True)
class Photo:
    pk: int
    purpose: str
    name: str


@dataclass(frozen=True)
class TimelineEntry:
    kind: str
    label: str
    at: dt.datetime
    actor: str
    department: str
    from_state: str
    to_state: str
    note: str
    due_at: dt.datetime | None
    photos: list[Photo]


@dataclass(frozen=True)
class CaseView:
    """What the case page shows beside the case row itself."""

    timeline: list[TimelineEntry]
    photos: list[Photo]
    tasks: list[Any]
    pending_extensions: list[Any]
    can_see_contact: bool
    reporter_name: str
    boundary: dict[str, Any] | None


def staff_names(user_ids: set[int]) -> dict[int, str]:
    """Display names of users: their staff record's name, else the log-in name."""
    from django.contrib.auth import get_user_model

    from gridgov.people.models import Staff

    names = dict(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "username"))
    names.update(dict(Staff.objects.filter(user_id__in=user_ids).values_list("user_id", "name")))
    return names


def case_view(user: Any, case: Case) -> CaseView:
    """Timeline (who, when, what, note) with the photos of each step, the sub-tasks of joint
    handling and the pending extension requests; the case comes from cases.queues's
    detail_queryset, so everything here is already prefetched."""
    import rules

    from gridgov.cases.models import CaseEvent, EventKind, ExtensionState

    events: list[CaseEvent] = list(case.events.all())
    ids = {e.actor_id for e in events if e.actor_id}
    if case.reporter_id:
        ids.add(case.reporter_id)
    names = staff_names(ids)
    labels = dict(CaseState.choices)
    timeline = [
        TimelineEntry(
            kind=e.kind,
            label=str(EventKind(e.kind).label) if e.kind in EventKind.values else e.kind,
            at=e.at,
            actor=names.get(e.actor_id, "") if e.actor_id else _("居民/系统"),
            department=e.department.name if e.department is not None else "",
            from_state=str(labels.get(e.from_state, "")),
            to_state=str(labels.get(e.to_state, "")) if e.to_state != e.from_state else "",
            note=e.note,
            due_at=e.due_at,
            photos=[
                Photo(pk=a.pk, purpose=a.purpose, name=a.original_name) for a in e.attachments.all()
            ],
        )
        for e in events
    ]
    photos = [
        Photo(pk=a.pk, purpose=a.purpose, name=a.original_name) for a in case.attachments.all()
    ]
    return CaseView(
        timeline=timeline,
        photos=photos,
        tasks=list(case.tasks.all()),
        pending_extensions=[e for e in case.extensions.all() if e.state == ExtensionState.PENDING],
        can_see_contact=rules.has_perm("cases.view_contact", user, case),
        reporter_name=names.get(case.reporter_id, "") if case.reporter_id else "",
        boundary=case.grid.boundary,
    )


__all__ = [
    "QUEUE_LABELS",
    "STATE_FILTERS",
    "CaseFilters",
    "DeadlineInfo",
    "GridCard",
    "PlatformLevel",
    "deadline_info",
    "grid_card",
    "map_grids",
    "queue_counts",
    "root_grids",
    "subordinate_units",
]
