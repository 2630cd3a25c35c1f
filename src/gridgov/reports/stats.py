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


def _sql_hazards(key: str, query: Query) -> str:
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
FROM {{hazard}} z {join} {{grid}} g ON g.id = z.grid_id
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
