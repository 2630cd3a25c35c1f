"""Statistics for any period and scope (issue 13): the counts behind every rate of STANDARDS.md
"Period rules", by area (a grid subtree rolled up), department, class, item, channel and closing
level, computed by `engine.Runner` (DuckDB over PostgreSQL, DuckDB over an export, or plain SQL).

The definitions are those of `oversight/indicators.py` (cases, tasks, callbacks, reports) and of
the hotline app (hotline KPIs, discovery from the back-tracing rounds' current results), written
once more as SQL so that tens of millions of rows never pass through Python; the tests hold both
equal on hand-made data.

- 应结案 due: registered cases (rejected and merged left out) whose deadline falls in P, a case
  closed without a deadline counting at its closing time; 结案 closed by the end of P; 按期结案
  closed at or before the deadline; 返工 those with a rework.
- 应处置: tasks (not cancelled) whose deadline falls in P; 按期处置 fed back at or before it;
  延期 those with an approved extension.
- 满意率: callbacks made in P rated 5 or 4 over all rated callbacks made in P.
- 上报 (grid units): patrol reports made in P; 有效上报 those that reached 立案 or later. `reported`
  counts every case reported in P, whatever its channel (the "cases by …" tables).
- 发现率: hotline records received in P (cancelled left out) whose current back-tracing result
  found a grid case first, over all such records with a result.
- Hotline: records received in P, cancelled left out: closed, closed on time (a record without a
  due time never is), rated and satisfied.
- 隐患 (fieldwork.safety): found in P (发现时间); rectified: closed (销号) in P; 应整改 those
  whose rectification deadline falls in P, a hazard closed without one (当场整改) counting at
  its closing time; 按期整改 closed at or before the deadline; 超期 with a deadline in P that has
  passed (by the end of P, or now for the running period) and was not met.
- 走访: visits made in P; 应走访 visit tasks whose deadline falls in P (a plan task's deadline
  is the midnight after its period's last day, so P is taken as (start, end] here); 按期走访 done by a visit
  at or before the deadline; 重点户超期 key-household tasks (六类户, monthly) among them whose
  deadline has passed (as for hazards) without a visit by then.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

from django.utils.translation import gettext_lazy as _

from gridgov.grids.models import path_with_ancestors
from gridgov.reports.engine import Runner, choose_engine

logger = logging.getLogger(__name__)

INVALID = ("rejected", "merged")
REGISTERED = (
    "registered",
    "dispatched",
    "handling",
    "returned",
    "fed_back",
    "verified",
    "closed",
    "called_back",
)
GRID_CHANNELS = ("patrol",)

# Dimensions of the "cases by …" tables and the key each fact is grouped on.
DIMENSIONS: dict[str, Any] = {
    "area": _("区域"),
    "department": _("职能部门"),
    "class": _("事项大类"),
    "item": _("事项"),
    "channel": _("来源渠道"),
    "closed_level": _("办结层级"),
}
CASE_KEY = {
    "area": "c.grid_id",
    "department": "c.department_id",
    "class": "i.matter_class_id",
    "item": "c.item_id",
    "channel": "c.channel",
    "closed_level": "c.closed_level",
}
# Tasks belong to their own department (oversight: a department's tasks are its own).
TASK_KEY = {**CASE_KEY, "department": "t.department_id"}
RECORD_KEY = {"area": "h.grid_id", "item": "h.item_id", "class": "i.matter_class_id"}


@dataclass
class Figures:
    """The counts of one group (a grid subtree, a department, an item …) for one period."""

    reported: int = 0
    reports: int = 0
    valid_reports: int = 0
    due: int = 0
    closed: int = 0
    closed_on_time: int = 0
    rework: int = 0
    tasks_due: int = 0
    tasks_on_time: int = 0
    tasks_extended: int = 0
    callbacks: int = 0
    satisfied: int = 0
    outside_records: int = 0
    discovered: int = 0
    hotline_received: int = 0
    hotline_closed: int = 0
    hotline_on_time: int = 0
    hotline_rated: int = 0
    hotline_satisfied: int = 0
    patrols: int = 0
    patrol_km: float = 0.0
    diaries: int = 0
    hazards_found: int = 0
    hazards_rectified: int = 0
    hazards_due: int = 0
    hazards_on_time: int = 0
    hazards_overdue: int = 0
    visits: int = 0
    visit_tasks_due: int = 0
    visit_tasks_on_time: int = 0
    key_visits_overdue: int = 0

    def add(self, other: Figures) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def closure_rate(self) -> float | None:
        return self._rate(self.closed, self.due)

    @property
    def on_time_closure_rate(self) -> float | None:
        return self._rate(self.closed_on_time, self.due)

    @property
    def on_time_handling_rate(self) -> float | None:
        return self._rate(self.tasks_on_time, self.tasks_due)

    @property
    def rework_rate(self) -> float | None:
        return self._rate(self.rework, self.due)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._rate(self.satisfied, self.callbacks)

    @property
    def discovery_rate(self) -> float | None:
        return self._rate(self.discovered, self.outside_records)

    @property
    def hotline_closure_rate(self) -> float | None:
        return self._rate(self.hotline_closed, self.hotline_received)

    @property
    def hotline_on_time_rate(self) -> float | None:
        return self._rate(self.hotline_on_time, self.hotline_received)

    @property
    def hotline_satisfaction_rate(self) -> float | None:
        return self._rate(self.hotline_satisfied, self.hotline_rated)

    @property
    def hazard_on_time_rate(self) -> float | None:
        return self._rate(self.hazards_on_time, self.hazards_due)

    @property
    def visit_on_time_rate(self) -> float | None:
        return self._rate(self.visit_tasks_on_time, self.visit_tasks_due)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in RATES:
            out[name] = getattr(self, name)
        return out


RATES: dict[str, Any] = {
    "closure_rate": _("结案率"),
    "on_time_closure_rate": _("按期结案率"),
    "on_time_handling_rate": _("按期处置率"),
    "rework_rate": _("返工率"),
    "satisfaction_rate": _("满意率"),
    "discovery_rate": _("发现率"),
    "hotline_closure_rate": _("热线办结率"),
    "hotline_on_time_rate": _("热线按期办结率"),
    "hotline_satisfaction_rate": _("热线满意率"),
    "hazard_on_time_rate": _("隐患按期整改率"),
    "visit_on_time_rate": _("按期走访率"),
}


@dataclass(frozen=True)
class Query:
    """A period [start, end) (aware datetimes) and a scope: a grid subtree by its path, or the
    whole platform (None, for administrators)."""

    start: dt.datetime
    end: dt.datetime
    root_path: str | None = None
    # "Now" for the overdue counts of a running period (None: the clock); tests pin it.
    now: dt.datetime | None = None


@dataclass
class Breakdown:
    """Figures per key of one dimension, plus the total of the scope."""

    dimension: str
    groups: dict[Any, Figures] = field(default_factory=dict)
    total: Figures = field(default_factory=Figures)


def _scope(query: Query, alias: str = "g") -> str:
    return f" AND {alias}.path LIKE %(root)s" if query.root_path else ""


def _params(query: Query) -> dict[str, Any]:
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    local = ZoneInfo("Asia/Shanghai")
    return {
        "start": query.start,
        "end": query.end,
        # A deadline counts as missed once it has passed: by the end of P, or now for a running P.
        "cutoff": min(query.end, query.now or timezone.now()),
        "first_day": query.start.astimezone(local).date(),
        "after_day": query.end.astimezone(local).date(),
        "root": (query.root_path or "") + "%",
    }


def _in_list(values: Iterable[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _sql_due(key: str, query: Query) -> str:
    return f"""
SELECT {key} AS k, COUNT(*),
  SUM(CASE WHEN c.closed_at IS NOT NULL AND c.closed_at < %(end)s THEN 1 ELSE 0 END),
  SUM(CASE WHEN c.closed_at IS NOT NULL AND c.closed_at <= COALESCE(c.due_at, c.closed_at)
      THEN 1 ELSE 0 END),
  SUM(CASE WHEN c.rework_count > 0 THEN 1 ELSE 0 END)
FROM {{case}} c JOIN {{grid}} g ON g.id = c.grid_id LEFT JOIN {{item}} i ON i.id = c.item_id
WHERE c.state NOT IN ({_in_list(INVALID)})
  AND COALESCE(c.due_at, c.closed_at) >= %(start)s AND COALESCE(c.due_at, c.closed_at) < %(end)s
  {_scope(query)}
GROUP BY {key}"""  # noqa: S608 (keys and lists are constants of this module)


def _sql_reported(key: str, query: Query) -> str:
    patrol = f"c.channel IN ({_in_list(GRID_CHANNELS)})"
    return f"""
SELECT {key} AS k, COUNT(*),
  SUM(CASE WHEN {patrol} THEN 1 ELSE 0 END),
  SUM(CASE WHEN {patrol} AND c.state IN ({_in_list(REGISTERED)}) THEN 1 ELSE 0 END)
FROM {{case}} c JOIN {{grid}} g ON g.id = c.grid_id LEFT JOIN {{item}} i ON i.id = c.item_id
WHERE c.created_at >= %(start)s AND c.created_at < %(end)s {_scope(query)}
GROUP BY {key}"""  # noqa: S608


def _sql_tasks(key: str, query: Query) -> str:
    return f"""
SELECT {key} AS k, COUNT(*),
  SUM(CASE WHEN t.fed_back_at IS NOT NULL AND t.fed_back_at <= t.due_at THEN 1 ELSE 0 END),
  SUM(CASE WHEN e.task_id IS NOT NULL THEN 1 ELSE 0 END)
FROM {{task}} t JOIN {{case}} c ON c.id = t.case_id JOIN {{grid}} g ON g.id = c.grid_id
  LEFT JOIN {{item}} i ON i.id = c.item_id
  LEFT JOIN (SELECT DISTINCT task_id FROM {{ext}} WHERE state = 'approved') e ON e.task_id = t.id
WHERE t.state <> 'cancelled' AND t.due_at >= %(start)s AND t.due_at < %(end)s {_scope(query)}
GROUP BY {key}"""  # noqa: S608


def _sql_callbacks(key: str, query: Query) -> str:
    return f"""
SELECT {key} AS k, COUNT(*), SUM(CASE WHEN ev.satisfaction >= 4 THEN 1 ELSE 0 END)
FROM {{event}} ev JOIN {{case}} c ON c.id = ev.case_id JOIN {{grid}} g ON g.id = c.grid_id
  LEFT JOIN {{item}} i ON i.id = c.item_id
WHERE ev.kind = 'callback' AND ev.satisfaction IS NOT NULL
  AND ev.at >= %(start)s AND ev.at < %(end)s {_scope(query)}
GROUP BY {key}"""  # noqa: S608


def _sql_discovery(key: str, query: Query) -> str:
    return f"""
SELECT {key} AS k, COUNT(*), SUM(CASE WHEN r.matched THEN 1 ELSE 0 END)
FROM {{result}} r JOIN {{record}} h ON h.id = r.record_id JOIN {{grid}} g ON g.id = r.grid_id
  LEFT JOIN {{item}} i ON i.id = h.item_id
WHERE r.superseded = FALSE AND h.status <> 'cancelled'
  AND h.received_at >= %(start)s AND h.received_at < %(end)s {_scope(query)}
GROUP BY {key}"""  # noqa: S608


def _sql_hotline(key: str, query: Query) -> str:
    join = "JOIN" if query.root_path else "LEFT JOIN"
    return f"""
SELECT {key} AS k, COUNT(*),
  SUM(CASE WHEN h.status = 'closed' THEN 1 ELSE 0 END),
  SUM(CASE WHEN h.status = 'closed' AND h.closed_at IS NOT NULL AND h.due_at IS NOT NULL
      AND h.closed_at <= h.due_at THEN 1 ELSE 0 END),
  SUM(CASE WHEN h.satisfaction IS NOT NULL THEN 1 ELSE 0 END),
  SUM(CASE WHEN h.satisfaction >= 4 THEN 1 ELSE 0 END)
FROM {{record}} h {join} {{grid}} g ON g.id = h.grid_id LEFT JOIN {{item}} i ON i.id = h.item_id
WHERE h.status <> 'cancelled' AND h.received_at >= %(start)s AND h.received_at < %(end)s
  {_scope(query)}
GROUP BY {key}"""  # noqa: S608


def _sql_patrols(key: str, query: Query) -> str:
    join = "JOIN" if query.root_path else "LEFT JOIN"
    return f"""
SELECT {key} AS k, COUNT(*), SUM(p.mileage_m)
FROM {{patrol}} p {join} {{grid}} g ON g.id = p.grid_id
WHERE p.started_at >= %(start)s AND p.started_at < %(end)s {_scope(query)}
GROUP BY {key}"""  # noqa: S608


def _sql_diaries(key: str, query: Query) -> str:
    join = "JOIN" if query.root_path else "LEFT JOIN"
    return f"""
SELECT {key} AS k, COUNT(*)
FROM {{diary}} d {join} {{grid}} g ON g.id = d.grid_id
WHERE d.day >= %(first_day)s AND d.day < %(after_day)s {_scope(query)}
GROUP BY {key}"""  # noqa: S608


def _sql_hazards(key: str, query: Query, extra_join: str = "") -> str:
    join = "JOIN" if query.root_path else "LEFT JOIN"
    found = "z.found_at >= %(start)s AND z.found_at < %(end)s"
    closed = "z.closed_at >= %(start)s AND z.closed_at < %(end)s"
    deadline = "COALESCE(z.due_at, z.closed_at)"
    due = f"{deadline} >= %(start)s AND {deadline} < %(end)s"
    return f"""
SELECT {key} AS k,
  SUM(CASE WHEN {found} THEN 1 ELSE 0 END),
  SUM(CASE WHEN z.state = 'closed' AND {closed} THEN 1 ELSE 0 END),
  SUM(CASE WHEN {due} THEN 1 ELSE 0 END),
  SUM(CASE WHEN {due} AND z.closed_at IS NOT NULL AND z.closed_at <= {deadline}
      THEN 1 ELSE 0 END),
  SUM(CASE WHEN {due} AND z.due_at IS NOT NULL AND z.due_at < %(cutoff)s
      AND (z.closed_at IS NULL OR z.closed_at > z.due_at) THEN 1 ELSE 0 END)
FROM {{hazard}} z {join} {{grid}} g ON g.id = z.grid_id {extra_join}
WHERE (({found}) OR ({closed}) OR ({due})) {_scope(query)}
GROUP BY {key}"""  # noqa: S608


def _sql_visits(key: str, query: Query) -> str:
    join = "JOIN" if query.root_path else "LEFT JOIN"
    return f"""
SELECT {key} AS k, COUNT(*)
FROM {{visit}} v {join} {{grid}} g ON g.id = v.grid_id
WHERE v.visited_at >= %(start)s AND v.visited_at < %(end)s {_scope(query)}
GROUP BY {key}"""  # noqa: S608


def _sql_visit_tasks(key: str, query: Query) -> str:
    join = "JOIN" if query.root_path else "LEFT JOIN"
    done = "vt.visit_id IS NOT NULL AND vt.done_at IS NOT NULL AND vt.done_at <= vt.due_at"
    return f"""
SELECT {key} AS k, COUNT(*),
  SUM(CASE WHEN {done} THEN 1 ELSE 0 END),
  SUM(CASE WHEN vt.kind = 'key' AND vt.due_at <= %(cutoff)s AND NOT ({done}) THEN 1 ELSE 0 END)
FROM {{vtask}} vt {join} {{grid}} g ON g.id = vt.grid_id
WHERE vt.due_at > %(start)s AND vt.due_at <= %(end)s {_scope(query)}
GROUP BY {key}"""  # noqa: S608


# Which Figures fields each fact fills, in the order of its SELECT after the key.
FACTS: tuple[tuple[str, Any, tuple[str, ...]], ...] = (
    ("due", _sql_due, ("due", "closed", "closed_on_time", "rework")),
    ("reported", _sql_reported, ("reported", "reports", "valid_reports")),
    ("tasks", _sql_tasks, ("tasks_due", "tasks_on_time", "tasks_extended")),
    ("callbacks", _sql_callbacks, ("callbacks", "satisfied")),
    ("discovery", _sql_discovery, ("outside_records", "discovered")),
    (
        "hotline",
        _sql_hotline,
        (
            "hotline_received",
            "hotline_closed",
            "hotline_on_time",
            "hotline_rated",
            "hotline_satisfied",
        ),
    ),
    ("patrols", _sql_patrols, ("patrols", "patrol_km")),
    ("diaries", _sql_diaries, ("diaries",)),
    (
        "hazards",
        _sql_hazards,
        (
            "hazards_found",
            "hazards_rectified",
            "hazards_due",
            "hazards_on_time",
            "hazards_overdue",
        ),
    ),
    ("visits", _sql_visits, ("visits",)),
    (
        "visit_tasks",
        _sql_visit_tasks,
        ("visit_tasks_due", "visit_tasks_on_time", "key_visits_overdue"),
    ),
)
# Field-work facts: a grid and nothing else the flat dimensions group on.
FIELD_KEYS = {
    "patrols": "p.grid_id",
    "diaries": "d.grid_id",
    "hazards": "z.grid_id",
    "visits": "v.grid_id",
    "visit_tasks": "vt.grid_id",
}


def _key_for(fact: str, dimension: str) -> str | None:
    if fact == "tasks":
        return TASK_KEY[dimension]
    if fact in ("discovery", "hotline"):
        return RECORD_KEY.get(dimension)
    if fact in FIELD_KEYS:
        # Field work has a grid and nothing else the flat dimensions group on.
        return FIELD_KEYS[fact] if dimension == "area" else None
    return CASE_KEY[dimension]


def breakdown(
    query: Query, dimension: str, *, runner: Runner, facts: Iterable[str] | None = None
) -> Breakdown:
    """Figures per key of `dimension` (for "area": per unit grid, before any roll-up) and the
    scope's total; `facts` narrows to some of FACTS (the rest stay 0)."""
    if dimension not in DIMENSIONS:
        raise ValueError(dimension)
    params = _params(query)
    out = Breakdown(dimension)
    groups: dict[Any, Figures] = defaultdict(Figures)
    wanted = set(facts) if facts is not None else None
    for fact, make_sql, names in FACTS:
        if wanted is not None and fact not in wanted:
            continue
        key = _key_for(fact, dimension)
        if key is None:
            continue
        sql = make_sql(key, query)
        for row in runner.rows(sql, params):
            target = groups[row[0]]
            for name, value in zip(names, row[1:], strict=True):
                value = value or 0
                setattr(target, name, getattr(target, name) + _number(name, value))
    # A total counts every row once, whatever its key (also rows without one).
    for figures in groups.values():
        out.total.add(figures)
    out.groups = {k: v for k, v in groups.items() if k is not None}
    return out


def _number(name: str, value: Any) -> int | float:
    if name == "patrol_km":
        return float(value) / 1000.0
    return int(value)


def roll_up(
    per_grid: dict[Any, Figures], paths: dict[int, str], root_path: str | None = None
) -> dict[str, Figures]:
    """Figures of each grid path plus all grids below it (a case belongs to every grid above
    it): from the per-unit-grid rows, keyed by path; grids above `root_path` left out."""
    rolled: dict[str, Figures] = defaultdict(Figures)
    for grid_id, figures in per_grid.items():
        path = paths.get(grid_id)
        if path is None:
            continue
        for ancestor in path_with_ancestors(path):
            if root_path is None or ancestor.startswith(root_path):
                rolled[ancestor].add(figures)
    return rolled


def area_figures(query: Query, *, engine: str | None = None) -> tuple[dict[str, Figures], Figures]:
    """Every grid path in the scope with its rolled-up figures, and the scope's total."""
    from gridgov.grids.models import Grid

    with Runner(engine, period=_params(query)) as runner:
        per_grid = breakdown(query, "area", runner=runner)
    grids = Grid.objects.all()
    if query.root_path:
        grids = grids.filter(path__startswith=query.root_path)
    paths = dict(grids.values_list("id", "path"))
    return roll_up(per_grid.groups, paths, query.root_path), per_grid.total


FIELD_FACTS = ("patrols", "diaries", "hazards", "visits", "visit_tasks")
FIELD_TABLES = ("grid", "patrol", "diary", "hazard", "visit", "vtask")


def field_work_totals(query: Query, *, engine: str | None = None) -> Figures:
    """Only the field-work figures (patrols, diaries, hazards, visits) of the scope: the
    statistics' own SQL for the work summaries, without the case facts."""
    used = choose_engine(engine)
    try:
        with Runner(used, tables=FIELD_TABLES, period=_params(query)) as runner:
            return breakdown(query, "area", runner=runner, facts=FIELD_FACTS).total
    except Exception:
        if engine is not None or used == "sql":
            raise
        logger.exception("statistics engine %s failed; plain SQL instead", used)
        with Runner("sql") as runner:
            return breakdown(query, "area", runner=runner, facts=FIELD_FACTS).total


@dataclass
class Statistics:
    """Everything the statistics page shows for one period and scope."""

    query: Query
    engine: str
    total: Figures
    areas: dict[str, Figures]
    by: dict[str, Breakdown]


def compute_statistics(
    query: Query, *, dimensions: Iterable[str] = tuple(DIMENSIONS), engine: str | None = None
) -> Statistics:
    """The area roll-up and each flat dimension of the page, on one engine connection (one
    export when the engine exports)."""
    from gridgov.grids.models import Grid

    by: dict[str, Breakdown] = {}
    dimensions = tuple(dimensions)
    used = choose_engine(engine)
    try:
        with Runner(used, period=_params(query)) as runner:
            for dimension in dimensions:
                by[dimension] = breakdown(query, dimension, runner=runner)
    except Exception:
        # DuckDB failing (a missing extension, an unreachable server) must not cost the page:
        # the same SQL runs in the database itself. A road asked for by name is not replaced.
        if engine is not None or used == "sql":
            raise
        logger.exception("statistics engine %s failed; plain SQL instead", used)
        used = "sql"
        with Runner("sql") as runner:
            for dimension in dimensions:
                by[dimension] = breakdown(query, dimension, runner=runner)
    grids = Grid.objects.all()
    if query.root_path:
        grids = grids.filter(path__startswith=query.root_path)
    paths = dict(grids.values_list("id", "path"))
    area = by.get("area") or Breakdown("area")
    return Statistics(
        query=query,
        engine=used,
        total=area.total,
        areas=roll_up(area.groups, paths, query.root_path),
        by=by,
    )


# -- Field work by worker, state, grade, industry, kind and across the period --------------------
#
# Issue 13 asks for "the same for hazards, visits, patrols and diaries": the facts above grouped on
# the field-work keys, and each fact counted per day, week or month at its own time (a hazard is
# found at its 发现时间, rectified at its 销号时间, due at its deadline), so the trend's buckets add
# up to the period's total.

FIELD_DIMENSIONS: dict[str, Any] = {
    "worker": _("网格员"),
    "hazard_state": _("隐患状态"),
    "hazard_grade": _("隐患等级"),
    "industry": _("行业"),
    "visit_kind": _("走访类别"),
    "task_kind": _("走访任务类别"),
    "diary_kind": _("日志类别"),
}
# The key each field-work fact is grouped on per dimension; a fact absent is not meaningful there.
FIELD_BY: dict[str, dict[str, str]] = {
    "worker": {
        "patrols": "p.user_id",
        "diaries": "d.user_id",
        "hazards": "z.found_by_id",
        "visits": "v.user_id",
        "visit_tasks": "vt.worker_id",
    },
    "hazard_state": {"hazards": "z.state"},
    "hazard_grade": {"hazards": "z.grade"},
    "industry": {"hazards": "COALESCE(o.industry, '')"},
    "visit_kind": {"visits": "v.kind"},
    "task_kind": {"visit_tasks": "vt.kind"},
    "diary_kind": {"diaries": "d.kind"},
}
# Columns the engine's tables (engine.TABLES) do not carry: these dimensions are grouped by the
# database itself (the engine's "sql" road), the others on the road the page chose.
DATABASE_DIMENSIONS = frozenset({"worker", "hazard_grade", "industry", "visit_kind"})
# The Figures fields of each field-work fact, as the page's tables show them.
FIELD_COLUMNS: dict[str, tuple[str, ...]] = {
    "patrols": ("patrols", "patrol_km"),
    "diaries": ("diaries",),
    "hazards": (
        "hazards_found",
        "hazards_rectified",
        "hazards_due",
        "hazards_on_time",
        "hazard_on_time_rate",
        "hazards_overdue",
    ),
    "visits": ("visits",),
    "visit_tasks": (
        "visit_tasks_due",
        "visit_tasks_on_time",
        "visit_on_time_rate",
        "key_visits_overdue",
    ),
}
TREND_UNITS: dict[str, Any] = {"day": _("按日"), "week": _("按周"), "month": _("按月")}
# More buckets than this are not drawn: a forced unit falls back to the next coarser one.
MAX_BUCKETS = 92
# (fact, its time column, date column?, deadline-style (lo, hi]?, fields counted at that time).
TREND: tuple[tuple[str, str, bool, bool, tuple[str, ...]], ...] = (
    ("patrols", "p.started_at", False, False, ("patrols", "patrol_km")),
    ("diaries", "d.day", True, False, ("diaries",)),
    ("hazards", "z.found_at", False, False, ("hazards_found",)),
    ("hazards", "z.closed_at", False, False, ("hazards_rectified",)),
    (
        "hazards",
        "COALESCE(z.due_at, z.closed_at)",
        False,
        False,
        ("hazards_due", "hazards_on_time", "hazards_overdue"),
    ),
    ("visits", "v.visited_at", False, False, ("visits",)),
    # A visit task's deadline is the midnight after its period: due in (lo, hi] as above.
    (
        "visit_tasks",
        "vt.due_at",
        False,
        True,
        ("visit_tasks_due", "visit_tasks_on_time", "key_visits_overdue"),
    ),
)


@dataclass
class Trend:
    """Field-work figures per day, week or month of the period (local days, first and last)."""

    unit: str
    buckets: list[tuple[dt.date, dt.date]] = field(default_factory=list)
    figures: list[Figures] = field(default_factory=list)


@dataclass
class FieldStatistics:
    """The field-work breakdowns of one period and scope (the areas are the page's own)."""

    engine: str
    by: dict[str, Breakdown]
    trend: Trend


def trend_buckets(
    first: dt.date, last: dt.date, unit: str | None = None
) -> tuple[str, list[tuple[dt.date, dt.date]]]:
    """The period cut into days (up to a month), weeks from Monday (up to half a year) or calendar
    months; the first and last buckets may be partial. A unit asked for that would give more than
    MAX_BUCKETS buckets gives way to the next coarser one."""
    days = (last - first).days + 1
    if unit not in TREND_UNITS:
        unit = "day" if days <= 31 else "week" if days <= 7 * 26 else "month"
    if unit == "day" and days > MAX_BUCKETS:
        unit = "week"
    if unit == "week" and days > 7 * MAX_BUCKETS:
        unit = "month"
    out: list[tuple[dt.date, dt.date]] = []
    day = first
    while day <= last:
        if unit == "day":
            after = day + dt.timedelta(days=1)
        elif unit == "week":
            after = day + dt.timedelta(days=7 - day.weekday())
        else:
            after = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        out.append((day, min(after - dt.timedelta(days=1), last)))
        day = after
    return unit, out


def _bucket_key(column: str, n: int, *, dates: bool, deadline: bool) -> str:
    """A CASE numbering the bucket `column` falls in (NULL outside the period): bounds are the
    parameters b0 … bN (datetimes) or d0 … dN (dates)."""
    op = "<=" if deadline else "<"
    name = "d" if dates else "b"
    whens = [f"WHEN {column} {op} %({name}0)s THEN NULL"]
    whens += [f"WHEN {column} {op} %({name}{i + 1})s THEN {i}" for i in range(n)]
    return f"(CASE {' '.join(whens)} END)"


def _fill(
    groups: dict[Any, Figures],
    rows: Iterable[tuple[Any, ...]],
    names: tuple[str, ...],
    keep: tuple[str, ...] | None = None,
) -> None:
    for row in rows:
        target = groups[row[0]]
        for name, value in zip(names, row[1:], strict=True):
            if keep is None or name in keep:
                setattr(target, name, getattr(target, name) + _number(name, value or 0))


def _organisation_join() -> str:
    from django.db import connection

    from gridgov.registry.models import Organisation

    table = connection.ops.quote_name(Organisation._meta.db_table)
    return f"LEFT JOIN {table} o ON o.id = z.organisation_id"


def field_breakdown(query: Query, dimension: str, *, runner: Runner) -> Breakdown:
    """The field-work facts meaningful for `dimension` grouped on its key; the total counts
    every row once (rows without a key too). Facts not meaningful there stay 0."""
    if dimension not in FIELD_BY:
        raise ValueError(dimension)
    params = _params(query)
    groups: dict[Any, Figures] = defaultdict(Figures)
    for fact, make_sql, names in FACTS:
        key = FIELD_BY[dimension].get(fact)
        if key is None:
            continue
        if fact == "hazards" and dimension == "industry":
            sql = _sql_hazards(key, query, extra_join=_organisation_join())
        else:
            sql = make_sql(key, query)
        _fill(groups, runner.rows(sql, params), names)
    out = Breakdown(dimension)
    for figures in groups.values():
        out.total.add(figures)
    out.groups = {k: v for k, v in groups.items() if k is not None}
    return out


def field_trend(query: Query, *, runner: Runner, unit: str | None = None) -> Trend:
    """Field-work figures per bucket of the period, each fact at its own time."""
    params = _params(query)
    first: dt.date = params["first_day"]
    last: dt.date = params["after_day"] - dt.timedelta(days=1)
    unit, buckets = trend_buckets(first, last, unit)
    from zoneinfo import ZoneInfo

    local = ZoneInfo("Asia/Shanghai")
    for i, (day, _last) in enumerate(buckets):
        params[f"d{i}"] = day
        params[f"b{i}"] = dt.datetime.combine(day, dt.time(), tzinfo=local)
    params[f"d{len(buckets)}"] = params["after_day"]
    params[f"b{len(buckets)}"] = query.end
    makers = {fact: make_sql for fact, make_sql, _names in FACTS}
    names_of = {fact: names for fact, _make, names in FACTS}
    groups: dict[Any, Figures] = defaultdict(Figures)
    for fact, column, dates, deadline, keep in TREND:
        key = _bucket_key(column, len(buckets), dates=dates, deadline=deadline)
        _fill(groups, runner.rows(makers[fact](key, query), params), names_of[fact], keep)
    figures = [groups.get(i) or Figures() for i in range(len(buckets))]
    return Trend(unit, buckets, figures)


def compute_field_statistics(
    query: Query,
    *,
    dimensions: Iterable[str] = tuple(FIELD_DIMENSIONS),
    unit: str | None = None,
    engine: str | None = None,
) -> FieldStatistics:
    """The field-work breakdowns and trend of the statistics page (its areas come from
    `compute_statistics`): the engine's road for what its tables carry, the database's own
    GROUP BY for DATABASE_DIMENSIONS."""
    dimensions = tuple(dimensions)
    used = choose_engine(engine)

    def run(road: str) -> tuple[dict[str, Breakdown], Trend]:
        by: dict[str, Breakdown] = {}
        with Runner(road, tables=FIELD_TABLES, period=_params(query)) as runner:
            for dimension in dimensions:
                if dimension not in DATABASE_DIMENSIONS or road == "sql":
                    by[dimension] = field_breakdown(query, dimension, runner=runner)
            trend = field_trend(query, runner=runner, unit=unit)
        if road != "sql":
            with Runner("sql") as plain:
                for dimension in dimensions:
                    if dimension in DATABASE_DIMENSIONS:
                        by[dimension] = field_breakdown(query, dimension, runner=plain)
        return {d: by[d] for d in dimensions}, trend

    try:
        by, trend = run(used)
    except Exception:
        if engine is not None or used == "sql":
            raise
        logger.exception("statistics engine %s failed; plain SQL instead", used)
        used = "sql"
        by, trend = run(used)
    return FieldStatistics(engine=used, by=by, trend=trend)
