"""Evaluation indicators over cases, tasks and case events (STANDARDS.md "Evaluation indicators"
and "Period rules for every rate"), for every unit of one kind and one month at once.

The rules, exactly as STANDARDS.md states them, for a period P (a month in Asia/Shanghai) and a
unit U, over registered cases (rejected and merged cases left out):
- 应结案 due: cases of U whose handling deadline falls in P; a case closed without a handling
  deadline (on the spot, or handed to the hotline before dispatch) is due, closed and closed on
  time at its closing time. 结案: those closed by the end of P; 按期结案: closed at or before
  the deadline.
- 应处置 tasks due: dispatched tasks (CaseTask) of U whose task deadline falls in P; 按期处置 those
  fed back at or before it; 延期 those with an approved extension. A cancelled task (the
  dispatch was withdrawn when the case closed another way) is not the department's to handle
  and is left out; a returned task stays in and counts as not handled on time.
- 返工: cases of the due set sent back for rework at least once; 返工率 = 返工 / 应结案.
- 满意率 = (satisfied 5 + fairly satisfied 4) / callbacks made in P.
- 上报: reports made in P (by the person, or the grid's own patrol reports); 有效上报: those
  registered (the case went on to 立案, or was closed on the spot).
- 发现率: hotline records of the grid received in P (cancelled ones left out) that matched an
  earlier grid-reported case / all such records. A grid-reported case is a patrol report in any
  state but rejected or merged; it matches when it lies in the same unit grid or within
  `radius_m`, has the same catalogue item or class, and was reported before the record and at
  most `window_hours` earlier.

A case belongs to the unit grid where it happened and to every grid above it (a subtree); a
department's cases are those it leads (Case.department), its tasks are its own; a worker's
cases are those they reported, and a worker's discovery rate is that of the grids of their posts.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.cases.models import (
    Case,
    CaseEvent,
    CaseState,
    CaseTask,
    Channel,
    EventKind,
    ExtensionRequest,
    ExtensionState,
    TaskState,
)
from gridgov.core.errors import DomainError
from gridgov.grids.models import Grid, RegionLevel, path_with_ancestors
from gridgov.people.models import Department, Post, PostKind

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")

INVALID = (CaseState.REJECTED, CaseState.MERGED)
# States a registered report reaches (立案 or later; closed covers the on-the-spot closure).
REGISTERED_STATES = (
    CaseState.REGISTERED,
    CaseState.DISPATCHED,
    CaseState.HANDLING,
    CaseState.RETURNED,
    CaseState.FED_BACK,
    CaseState.VERIFIED,
    CaseState.CLOSED,
    CaseState.CALLED_BACK,
)
# STANDARDS: grid-reported cases are the grid staff's patrol reports (cases raised from visits,
# inspections and diaries join when the field-work app records them as cases of this channel).
GRID_CHANNELS = (Channel.PATROL,)
OUTSIDE_CHANNELS = (Channel.HOTLINE,)
WORKER_POSTS = (PostKind.WORKER_FULL, PostKind.WORKER_PART, PostKind.GRID_LEADER)


class UnitKind:
    WORKER = "worker"
    GRID = "grid"
    VILLAGE = "village"
    TOWN = "town"
    DEPARTMENT = "department"
    ALL = (WORKER, GRID, VILLAGE, TOWN, DEPARTMENT)
    LABELS = {
        WORKER: gettext_lazy("网格员"),
        GRID: gettext_lazy("单元网格"),
        VILLAGE: gettext_lazy("村(社区)"),
        TOWN: gettext_lazy("乡镇(街道)"),
        DEPARTMENT: gettext_lazy("职能部门"),
    }


@dataclass(frozen=True)
class Period:
    """A calendar month in Asia/Shanghai: [start, end)."""

    label: str
    start: dt.datetime
    end: dt.datetime

    @classmethod
    def month(cls, text: str) -> Period:
        match = MONTH_RE.match(text or "")
        if not match or not 1 <= int(match.group(2)) <= 12 or not int(match.group(1)) >= 1900:
            raise DomainError(_("月份格式应为 YYYY-MM"), field="month")
        year, month = int(match.group(1)), int(match.group(2))
        start = dt.datetime(year, month, 1, tzinfo=SHANGHAI)
        end = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=SHANGHAI)
        return cls(label=text, start=start, end=end)


@dataclass
class Counts:
    """The counts behind every rate of one unit and period."""

    due: int = 0
    closed: int = 0
    closed_on_time: int = 0
    rework: int = 0
    tasks_due: int = 0
    tasks_on_time: int = 0
    tasks_extended: int = 0
    reports: int = 0
    valid_reports: int = 0
    callbacks: int = 0
    satisfied: int = 0
    outside_records: int = 0
    discovered: int = 0
    # From outside the case tables (fieldcounts.py): field work, back-tracing, two-way ratings,
    # and a department's work team's scores under the 100-point sheet (seed 002's 7 %).
    patrol_due: int = 0
    patrol_met: int = 0
    workdays_due: int = 0
    workdays_present: int = 0
    diary_days: int = 0
    backtrace_missed: int = 0
    peer_points: float = 0
    peer_max: float = 0
    team_points: float = 0
    team_max: float = 0

    def add(self, other: Counts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass(frozen=True)
class Indicator:
    """One indicator: a rate (numerator / denominator) or a count (numerator only)."""

    code: str
    name: str | Promise
    numerator: str
    denominator: str | None
    # A count derived as denominator-field minus numerator-field (e.g. not closed on time).
    complement: bool = False

    def measure(self, counts: Counts) -> tuple[int, int | None, float | None]:
        """(numerator, denominator, value); the value of a rate with nothing due is None."""
        num = getattr(counts, self.numerator)
        if self.denominator is None:
            return num, None, float(num)
        den = getattr(counts, self.denominator)
        if self.complement:
            return den - num, None, float(den - num)
        return num, den, (num / den if den else None)


INDICATORS: dict[str, Indicator] = {
    i.code: i
    for i in (
        Indicator("closure_rate", gettext_lazy("结案率"), "closed", "due"),
        Indicator("on_time_closure_rate", gettext_lazy("按期结案率"), "closed_on_time", "due"),
        Indicator(
            "on_time_handling_rate", gettext_lazy("按期处置率"), "tasks_on_time", "tasks_due"
        ),
        Indicator("rework_rate", gettext_lazy("返工率"), "rework", "due"),
        Indicator("extension_rate", gettext_lazy("延期率"), "tasks_extended", "tasks_due"),
        Indicator("satisfaction_rate", gettext_lazy("满意率"), "satisfied", "callbacks"),
        Indicator("valid_report_rate", gettext_lazy("有效上报率"), "valid_reports", "reports"),
        Indicator("discovery_rate", gettext_lazy("发现率"), "discovered", "outside_records"),
        Indicator("reports", gettext_lazy("上报数"), "reports", None),
        Indicator(
            "not_closed_on_time",
            gettext_lazy("未按期结案数"),
            "closed_on_time",
            "due",
            complement=True,
        ),
        Indicator(
            "late_tasks", gettext_lazy("超期处置数"), "tasks_on_time", "tasks_due", complement=True
        ),
        Indicator(
            "not_discovered",
            gettext_lazy("未主动发现数"),
            "discovered",
            "outside_records",
            complement=True,
        ),
        Indicator("patrol_rate", gettext_lazy("巡查达标率"), "patrol_met", "patrol_due"),
        Indicator("attendance_rate", gettext_lazy("出勤率"), "workdays_present", "workdays_due"),
        Indicator("diary_rate", gettext_lazy("民情日志记录率"), "diary_days", "workdays_due"),
        Indicator("backtrace_missed", gettext_lazy("倒查未主动发现数"), "backtrace_missed", None),
        Indicator("two_way_rating", gettext_lazy("双向考核得分率"), "peer_points", "peer_max"),
        Indicator("team_share", gettext_lazy("工作队考核得分率"), "team_points", "team_max"),
    )
}


@dataclass(frozen=True)
class Unit:
    """One assessed unit: its kind, code (grid code, department id or user name) and name."""

    kind: str
    code: str
    name: str
    key: int
    # For workers: the grids of their posts (their discovery rate is those grids').
    grid_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class DiscoveryRule:
    radius_m: float = 50.0
    window_hours: float = 72.0


# -- units -------------------------------------------------------------------------------------


def _grid_rows() -> list[dict[str, Any]]:
    return list(
        Grid.objects.filter(is_active=True)
        .order_by("path")
        .values("id", "code", "name", "path", "parent_id", "region__level", "parent__region__level")
    )


def units_of(kind: str, period: Period | None = None) -> list[Unit]:
    """Every unit of a kind. Unit grids are the leaves; a village is the top grid standing for a
    village-level region (the demo's work stations), a town the top grid of a town-level region."""
    if kind not in UnitKind.ALL:
        raise DomainError(_("考核对象类别无效:%(kind)s") % {"kind": kind}, field="unit")
    if kind == UnitKind.DEPARTMENT:
        return [
            Unit(kind, str(d.pk), d.name, d.pk)
            for d in Department.objects.filter(is_active=True).order_by("code")
        ]
    if kind == UnitKind.WORKER:
        posts = Post.objects.filter(
            kind__in=WORKER_POSTS, grid__isnull=False, staff__user__isnull=False
        )
        if period is not None:
            first, last = period.start.date(), (period.end - dt.timedelta(days=1)).date()
            posts = posts.filter(Q(started_on__isnull=True) | Q(started_on__lte=last)).filter(
                Q(ended_on__isnull=True) | Q(ended_on__gte=first)
            )
        else:
            posts = posts.current()
        grids: dict[int, list[int]] = defaultdict(list)
        people: dict[int, tuple[str, str]] = {}
        for user_id, username, name, grid_id in posts.values_list(
            "staff__user_id", "staff__user__username", "staff__name", "grid_id"
        ):
            grids[user_id].append(grid_id)
            people[user_id] = (username, name)
        return [
            Unit(kind, people[uid][0], people[uid][1], uid, tuple(sorted(set(grids[uid]))))
            for uid in sorted(people, key=lambda u: people[u][0])
        ]
    rows = _grid_rows()
    if kind == UnitKind.GRID:
        parents = {r["parent_id"] for r in rows}
        chosen = [r for r in rows if r["id"] not in parents]
    else:
        level = RegionLevel.VILLAGE if kind == UnitKind.VILLAGE else RegionLevel.TOWN
        chosen = [
            r
            for r in rows
            if r["region__level"] == level
            and (r["parent_id"] is None or (r["parent__region__level"] or 0) < level)
        ]
    return [Unit(kind, r["code"], r["name"], r["id"]) for r in chosen]


# -- counts ------------------------------------------------------------------------------------


def _in(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def _case_counts(period: Period, key: str, base: Q) -> dict[int, Counts]:
    out: dict[int, Counts] = defaultdict(Counts)
    due_set = (
        Case.objects.filter(base)
        .exclude(state__in=INVALID)
        .annotate(deadline=Coalesce("due_at", "closed_at"))
        .filter(deadline__gte=period.start, deadline__lt=period.end)
        .values(key)
        .annotate(
            n=Count("pk"),
            closed=Count("pk", filter=Q(closed_at__isnull=False, closed_at__lt=period.end)),
            on_time=Count("pk", filter=Q(closed_at__isnull=False, closed_at__lte=F("deadline"))),
            rework=Count("pk", filter=Q(rework_count__gt=0)),
        )
    )
    for row in due_set:
        c = out[row[key]]
        c.due, c.closed, c.closed_on_time, c.rework = (
            row["n"],
            row["closed"],
            row["on_time"],
            row["rework"],
        )
    return out


def _report_counts(period: Period, key: str, base: Q, out: dict[int, Counts]) -> None:
    rows = (
        Case.objects.filter(base, _in("created_at", period))
        .values(key)
        .annotate(n=Count("pk"), valid=Count("pk", filter=Q(state__in=REGISTERED_STATES)))
    )
    for row in rows:
        out[row[key]].reports = row["n"]
        out[row[key]].valid_reports = row["valid"]


def _task_counts(period: Period, key: str, base: Q, out: dict[int, Counts]) -> None:
    extended = ExtensionRequest.objects.filter(
        task_id=OuterRef("pk"), state=ExtensionState.APPROVED
    )
    rows = (
        CaseTask.objects.filter(base, _in("due_at", period))
        .exclude(state=TaskState.CANCELLED)
        .annotate(was_extended=Exists(extended))
        .values(key)
        .annotate(
            n=Count("pk"),
            on_time=Count("pk", filter=Q(fed_back_at__isnull=False, fed_back_at__lte=F("due_at"))),
            ext=Count("pk", filter=Q(was_extended=True)),
        )
    )
    for row in rows:
        c = out[row[key]]
        c.tasks_due, c.tasks_on_time, c.tasks_extended = row["n"], row["on_time"], row["ext"]


def _callback_counts(period: Period, key: str, base: Q, out: dict[int, Counts]) -> None:
    rows = (
        CaseEvent.objects.filter(
            base, _in("at", period), kind=EventKind.CALLBACK, satisfaction__isnull=False
        )
        .values(key)
        .annotate(n=Count("pk"), ok=Count("pk", filter=Q(satisfaction__gte=4)))
    )
    for row in rows:
        out[row[key]].callbacks = row["n"]
        out[row[key]].satisfied = row["ok"]


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return 6_371_000 * math.hypot(x, y)


def _discovery_counts(period: Period, rule: DiscoveryRule, out: dict[int, Counts]) -> None:
    """Per unit grid: outside records received in P and those an earlier patrol report found."""
    window = dt.timedelta(hours=rule.window_hours)
    received = Coalesce("received_at", "created_at")
    records = (
        Case.objects.filter(channel__in=OUTSIDE_CHANNELS)
        .exclude(state__in=INVALID)
        .annotate(t=received)
        .filter(t__gte=period.start, t__lt=period.end)
        .values_list("grid_id", "lon", "lat", "item_id", "item__matter_class_id", "t")
    )
    records = list(records)
    if not records:
        return
    # Grid reports that could match: by class, sorted by report time.
    candidates: dict[int, list[tuple[dt.datetime, int, int | None, float | None, float | None]]]
    candidates = defaultdict(list)
    for grid_id, lon, lat, item_id, class_id, at in (
        Case.objects.filter(
            channel__in=GRID_CHANNELS,
            created_at__gte=period.start - window,
            created_at__lt=period.end,
            item__isnull=False,
        )
        .exclude(state__in=INVALID)
        .values_list("grid_id", "lon", "lat", "item_id", "item__matter_class_id", "created_at")
    ):
        candidates[class_id].append((at, grid_id, item_id, lon, lat))
    for rows in candidates.values():
        rows.sort(key=lambda r: r[0])
    for grid_id, lon, lat, item_id, class_id, at in records:
        c = out[grid_id]
        c.outside_records += 1
        pool = candidates.get(class_id, []) if item_id else []
        start = bisect_left(pool, at - window, key=lambda r: r[0])
        for reported_at, cand_grid, _cand_item, clon, clat in pool[start:]:
            if reported_at >= at:
                break
            near = (
                lon is not None
                and lat is not None
                and clon is not None
                and clat is not None
                and _metres(lon, lat, clon, clat) <= rule.radius_m
            )
            if cand_grid == grid_id or near:
                c.discovered += 1
                break


def _roll_up(raw: dict[int, Counts]) -> dict[int, Counts]:
    """Counts of each grid plus all grids below it (a case belongs to every grid above it)."""
    rows = Grid.objects.values_list("id", "path")
    by_path = {path: gid for gid, path in rows}
    path_of = {gid: path for path, gid in by_path.items()}
    rolled: dict[int, Counts] = defaultdict(Counts)
    for gid, counts in raw.items():
        path = path_of.get(gid)
        if path is None:
            continue
        for ancestor in path_with_ancestors(path):
            aid = by_path.get(ancestor)
            if aid is not None:
                rolled[aid].add(counts)
    return rolled


def _field_counts(period: Period, cache: dict[Any, Any] | None) -> Any:
    from gridgov.oversight.fieldcounts import field_counts

    key = ("field", period.label)
    if cache is not None and key in cache:
        return cache[key]
    found = field_counts(period, WORKER_POSTS)
    if cache is not None:
        cache[key] = found
    return found


def _add_field(c: Counts, f: Any) -> None:
    c.patrol_due += f.patrol_due
    c.patrol_met += f.patrol_met
    c.workdays_due += f.workdays_due
    c.workdays_present += f.workdays_present
    c.diary_days += f.diary_days


def _outside_counts(period: Period, raw: dict[int, Counts], cache: dict[Any, Any] | None) -> None:
    """Field work of the people posted to each grid, back-tracing misses, and the departments'
    ratings of the platform a grid stands for (fieldcounts.py)."""
    from gridgov.oversight.fieldcounts import backtrace_misses, two_way
    from gridgov.oversight.models import RatingDirection

    people, grids_of = _field_counts(period, cache)
    for user_id, grid_ids in grids_of.items():
        f = people.get(user_id)
        if f is not None:
            for gid in grid_ids:
                _add_field(raw[gid], f)
    for gid, n in backtrace_misses(period).items():
        raw[gid].backtrace_missed += n
    ratings = two_way(period, RatingDirection.DEPARTMENT_RATES_PLATFORM, "platform_id")
    for gid, (total, n) in ratings.items():
        raw[gid].peer_points += total
        raw[gid].peer_max += 100 * n


def _grid_counts(
    period: Period, rule: DiscoveryRule, cache: dict[Any, Any] | None
) -> dict[int, Counts]:
    """Counts of every grid (its subtree rolled up); shared through `cache` when one run
    assesses several unit kinds of the same month."""
    key = ("grids", period.label, rule)
    if cache is not None and key in cache:
        return cache[key]  # type: ignore[no-any-return]
    grids_raw = _case_counts(period, "grid_id", Q())
    _report_counts(period, "grid_id", Q(channel__in=GRID_CHANNELS), grids_raw)
    _task_counts(period, "case__grid_id", Q(), grids_raw)
    _callback_counts(period, "case__grid_id", Q(), grids_raw)
    _discovery_counts(period, rule, grids_raw)
    _outside_counts(period, grids_raw, cache)
    rolled = _roll_up(grids_raw)
    if cache is not None:
        cache[key] = rolled
    return rolled


def compute(
    kind: str,
    period: Period,
    *,
    rule: DiscoveryRule | None = None,
    cache: dict[Any, Any] | None = None,
) -> list[tuple[Unit, Counts]]:
    """Every unit of `kind` with its counts for the period."""
    units = units_of(kind, period)
    rule = rule or DiscoveryRule()
    cache = cache if cache is not None else {}
    if kind == UnitKind.DEPARTMENT:
        out = _case_counts(period, "department_id", Q(department__isnull=False))
        _task_counts(period, "department_id", Q(), out)
        _callback_counts(period, "case__department_id", Q(case__department__isnull=False), out)
        from gridgov.oversight.fieldcounts import two_way
        from gridgov.oversight.models import RatingDirection

        ratings = two_way(period, RatingDirection.PLATFORM_RATES_DEPARTMENT, "department_id")
        for dept_id, (total, n) in ratings.items():
            out[dept_id].peer_points += total
            out[dept_id].peer_max += 100 * n
        return [(u, out.get(u.key, Counts())) for u in units]
    rolled = _grid_counts(period, rule, cache)
    if kind != UnitKind.WORKER:
        return [(u, _copy(rolled.get(u.key))) for u in units]
    base = Q(reporter_id__in=[u.key for u in units])
    people = _case_counts(period, "reporter_id", base)
    _report_counts(period, "reporter_id", base, people)
    _task_counts(
        period, "case__reporter_id", Q(case__reporter_id__in=[u.key for u in units]), people
    )
    _callback_counts(
        period, "case__reporter_id", Q(case__reporter_id__in=[u.key for u in units]), people
    )
    field, _grids = _field_counts(period, cache)
    result = []
    for u in units:
        c = _copy(people.get(u.key))
        c.outside_records = c.discovered = c.backtrace_missed = 0
        for gid in u.grid_ids:
            g = rolled.get(gid)
            if g is not None:
                c.outside_records += g.outside_records
                c.discovered += g.discovered
                c.backtrace_missed += g.backtrace_missed
        f = field.get(u.key)
        if f is not None:
            _add_field(c, f)
        result.append((u, c))
    return result


def _copy(counts: Counts | None) -> Counts:
    fresh = Counts()
    if counts is not None:
        fresh.add(counts)
    return fresh


def measure_all(
    counts: Counts, codes: Iterable[str]
) -> dict[str, tuple[int, int | None, float | None]]:
    return {code: INDICATORS[code].measure(counts) for code in codes}
