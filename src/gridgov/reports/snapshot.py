"""The Parquet snapshot of the statistics' large tables (issue 13, "KPIs at city scale").

Cases, their tasks, extension requests and callback events, with only the columns the statistics'
SQL reads (`engine.TABLES`), are written as Parquet files partitioned by the month (UTC) in which
the case was reported: a case and everything hanging off it always sit in the same partition.
A month is written once it has ended (`gridgov stats-snapshot`, nightly by the scheduler) and is
then frozen: read from its files instead of PostgreSQL.

A frozen month becomes dirty when anything of its cases changes after it was written. Every case
transition, a late callback or a reopening included, writes a `CaseEvent` (痕迹化管理, seed 000),
and new cases, tasks and extension requests get new ids, so the manifest keeps a watermark, the
largest id of each of the four tables when the snapshot was taken; the months of the cases with
an event, task or extension request above it, or a case id above it, are dirty. A dirty month is
read live until the next nightly run rewrites it. Finding them is four index range scans over
the rows added since the night, whatever the size of the history.

Layout under `GRIDGOV_STATS_SNAPSHOT_DIR/<vendor>-<database>/`: `manifest.json` (format,
watermark, and per month the file of each table and its row count) and
`<table>/month=YYYY-MM/<run>.parquet`. Files are never overwritten: a run writes new files,
replaces the manifest atomically, then deletes the files no manifest names any more.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import re
import tempfile
import uuid
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from gridgov.reports.engine import (
    CASE_FAMILY,
    TABLES,
    Table,
    _pg_literal,
    _pg_query,
    export_table,
    live_road,
    open_duckdb,
)

logger = logging.getLogger(__name__)

FORMAT = 1
MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
BY_ALIAS: dict[str, Table] = {t.alias: t for t in TABLES}
# The statistics read callback events only (stats._sql_callbacks); the rest never enter.
EVENT_FILTER = "s.kind = 'callback'"


@dataclass
class SnapshotRun:
    """What one `write_snapshot` did."""

    written: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    frozen: list[str] = field(default_factory=list)
    directory: str = ""


def snapshot_dir() -> Path:
    """This database's snapshot folder (a test database or another deployment never reads the
    files of another)."""
    base = Path(
        getattr(settings, "GRIDGOV_STATS_SNAPSHOT_DIR", "")
        or Path(settings.VAR_DIR) / "stats-snapshot"
    )
    name = str(connection.settings_dict.get("NAME") or "default")
    host = (
        f"{connection.settings_dict.get('HOST') or ''}:{connection.settings_dict.get('PORT') or ''}"
    )
    digest = hashlib.sha256(f"{host}/{name}".encode()).hexdigest()[:8]
    label = re.sub(r"[^A-Za-z0-9_-]+", "_", Path(name).stem)[:40]
    return base / f"{connection.vendor}-{label}-{digest}"


def load_manifest(folder: Path | None = None) -> dict[str, Any] | None:
    """The current manifest, or None when no usable snapshot exists."""
    path = (folder or snapshot_dir()) / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("format") != FORMAT or not manifest.get("months"):
        return None
    return dict(manifest)


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    year, mon = (int(x) for x in month.split("-"))
    start = dt.datetime(year, mon, 1, tzinfo=dt.UTC)
    end = dt.datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=dt.UTC)
    return start, end


def _month_of(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m")


def current_month(now: dt.datetime | None = None) -> str:
    """The month still open: it and later months are never frozen."""
    return _month_of(now or timezone.now())


def watermark() -> dict[str, int]:
    """The largest id of each table of the snapshot, now."""
    from django.db.models import Max

    from gridgov.cases.models import Case, CaseEvent, CaseTask, ExtensionRequest

    models = {"case": Case, "task": CaseTask, "ext": ExtensionRequest, "event": CaseEvent}
    return {
        alias: int(model.objects.aggregate(m=Max("pk"))["m"] or 0)
        for alias, model in models.items()
    }


def dirty_months(mark: Mapping[str, int]) -> set[str]:
    """Months (of the cases' report time) touched since the watermark: new cases, and cases with
    a new event (every transition, late callbacks and reopenings included), task or extension."""
    from gridgov.cases.models import Case, CaseEvent, CaseTask, ExtensionRequest

    touched = [
        Case.objects.filter(pk__gt=mark.get("case", 0)),
        Case.objects.filter(
            pk__in=CaseEvent.objects.filter(pk__gt=mark.get("event", 0)).values("case_id")
        ),
        Case.objects.filter(
            pk__in=CaseTask.objects.filter(pk__gt=mark.get("task", 0)).values("case_id")
        ),
        Case.objects.filter(
            pk__in=ExtensionRequest.objects.filter(pk__gt=mark.get("ext", 0)).values("case_id")
        ),
    ]
    months: set[str] = set()
    for cases in touched:
        months.update(_month_of(d) for d in cases.datetimes("created_at", "month", tzinfo=dt.UTC))
    return months


def months_with_cases(before: str) -> set[str]:
    from gridgov.cases.models import Case

    start, _ = month_bounds(before)
    cases = Case.objects.filter(created_at__lt=start)
    return {_month_of(d) for d in cases.datetimes("created_at", "month", tzinfo=dt.UTC)}


def _ranges(months: Iterable[str]) -> list[tuple[dt.datetime, dt.datetime]]:
    """Months as few [start, end) ranges (adjacent months merged)."""
    out: list[tuple[dt.datetime, dt.datetime]] = []
    for month in sorted(set(months)):
        start, end = month_bounds(month)
        if out and out[-1][1] == start:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def _live_ranges(frozen: Iterable[str]) -> list[tuple[dt.datetime | None, dt.datetime | None]]:
    """The complement of the frozen months: where the live rows are (None: unbounded)."""
    out: list[tuple[dt.datetime | None, dt.datetime | None]] = []
    cursor: dt.datetime | None = None
    for start, end in _ranges(frozen):
        if cursor is None or cursor < start:
            out.append((cursor, start))
        cursor = end
    out.append((cursor, None))
    return out


def _range_sql(
    ranges: Iterable[tuple[dt.datetime | None, dt.datetime | None]],
    col: str,
    params: dict[str, Any],
    literal: bool,
) -> str:
    """`col` within any of the ranges, with parameters (or PostgreSQL literals for a
    `postgres_query`, our own times only)."""
    parts = []
    for n, (start, end) in enumerate(ranges):
        conds = []
        for bound, op, value in (("s", ">=", start), ("e", "<", end)):
            if value is None:
                continue
            if literal:
                conds.append(f"{col} {op} {_pg_literal(value)}")
            else:
                params[f"r{bound}{n}"] = value
                conds.append(f"{col} {op} %(r{bound}{n})s")
        parts.append("(" + (" AND ".join(conds) or "TRUE") + ")")
    return "(" + (" OR ".join(parts) or "FALSE") + ")"


def _where_for(alias: str, case_range: str) -> str:
    """Rows of `alias` (aliased `s`) whose case was reported within `case_range` (written on
    `c.created_at`)."""
    cases = connection.ops.quote_name(BY_ALIAS["case"].db_table)
    if alias == "case":
        return case_range.replace("c.created_at", "s.created_at")
    own = f"s.case_id IN (SELECT c.id FROM {cases} c WHERE {case_range})"  # noqa: S608 (our names)
    if alias == "ext":
        tasks = connection.ops.quote_name(BY_ALIAS["task"].db_table)
        own = (
            f"s.task_id IN (SELECT t.id FROM {tasks} t WHERE t.case_id IN "  # noqa: S608
            f"(SELECT c.id FROM {cases} c WHERE {case_range}))"
        )
    if alias == "event":
        own = f"{EVENT_FILTER} AND {own}"
    return own


def _columns(alias: str, prefix: str = "s.") -> str:
    return ", ".join(f'{prefix}"{c}"' for c, _ in BY_ALIAS[alias].columns)


def _load(
    duck: Any,
    alias: str,
    name: str,
    ranges: list[tuple[dt.datetime | None, dt.datetime | None]],
    road: str,
    folder: Path,
    extra: str = "",
) -> None:
    """Rows of the case family whose case was reported within `ranges` into DuckDB table
    `name`, through the scanner or an export; `extra` narrows further (PostgreSQL/SQLite SQL on
    `s`, our own literals)."""
    table = BY_ALIAS[alias]
    params: dict[str, Any] = {}
    literal = road == "duckdb-postgres"
    where = _where_for(alias, _range_sql(ranges, "c.created_at", params, literal))
    if extra:
        where = f"({where}) AND ({extra})"
    if literal:
        sql = (
            f"SELECT {_columns(alias)} FROM {connection.ops.quote_name(table.db_table)} s "  # noqa: S608
            f"WHERE {where}"
        )
        duck.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {_pg_query(sql)}")  # noqa: S608
    else:
        export_table(duck, table, folder, where=where, params=params, name=name)


@contextmanager
def _locked(folder: Path) -> Any:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_snapshot(month: str | None = None, *, now: dt.datetime | None = None) -> SnapshotRun:
    """Write the finished months that are missing or dirty (or only `month`, rewritten
    whatever its state) and move the watermark. Idempotent: a second run with nothing changed
    writes nothing."""
    opened = current_month(now)
    if month is not None:
        if not MONTH_RE.match(month):
            raise ValueError(f"month must be YYYY-MM, not {month!r}")
        if month >= opened:
            raise ValueError(f"{month} has not ended yet; only finished months are frozen")
    folder = snapshot_dir()
    run = SnapshotRun(directory=str(folder))
    with _locked(folder):
        manifest = load_manifest(folder) or {"format": FORMAT, "months": {}, "watermark": {}}
        # Taken before reading: a row written meanwhile is above it and makes its month dirty.
        mark = watermark()
        if month is not None:
            todo = {month}
        else:
            old_mark = manifest["watermark"]
            done = set(manifest["months"])
            todo = (months_with_cases(opened) - done) | (
                dirty_months(old_mark) & done if old_mark else set()
            )
            todo = {m for m in todo if m < opened}
        if todo:
            _write_months(folder, manifest, sorted(todo), run)
        if month is None:
            # A single month rewritten leaves the others' state to the full run.
            manifest["watermark"] = mark
        manifest["written_at"] = (now or timezone.now()).isoformat()
        _replace_manifest(folder, manifest)
        _delete_unreferenced(folder, manifest)
        run.frozen = sorted(manifest["months"])
    return run


def _write_months(
    folder: Path, manifest: dict[str, Any], months: list[str], run: SnapshotRun
) -> None:
    road = live_road()
    duck = open_duckdb(scanner=road == "duckdb-postgres")
    tag = uuid.uuid4().hex[:12]
    try:
        with tempfile.TemporaryDirectory(prefix="gridgov-snapshot-") as tmp:
            ranges: list[tuple[dt.datetime | None, dt.datetime | None]] = list(_ranges(months))
            for alias in CASE_FAMILY:
                _load(duck, alias, f"s_{alias}", ranges, road, Path(tmp))
            duck.execute(
                "CREATE TEMP TABLE s_month AS SELECT id, strftime(created_at, '%Y-%m') AS month "
                "FROM s_case"
            )
            task_month = "(SELECT month FROM s_month WHERE s_month.id = s.case_id)"
            keys = {
                "case": "strftime(s.created_at, '%Y-%m')",
                "task": task_month,
                "event": task_month,
                "ext": "(SELECT m.month FROM s_task t JOIN s_month m ON m.id = t.case_id "
                "WHERE t.id = s.task_id)",
            }
            for alias in CASE_FAMILY:
                duck.execute(
                    f"CREATE TEMP TABLE k_{alias} AS SELECT {keys[alias]} AS month, s.* "  # noqa: S608
                    f"FROM s_{alias} s"
                )
            for month in months:
                entry: dict[str, Any] = {"files": {}, "rows": {}}
                for alias in CASE_FAMILY:
                    rel = f"{alias}/month={month}/{tag}.parquet"
                    target = folder / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    partial = target.with_suffix(".partial")
                    duck.execute(
                        f"COPY (SELECT {_columns(alias, '')} FROM k_{alias} "  # noqa: S608
                        f"WHERE month = $month ORDER BY id) TO '{partial}' (FORMAT parquet)",
                        {"month": month},
                    )
                    os.replace(partial, target)
                    count = duck.execute(
                        f"SELECT COUNT(*) FROM k_{alias} WHERE month = $month",  # noqa: S608
                        {"month": month},
                    ).fetchone()[0]
                    entry["files"][alias] = rel
                    entry["rows"][alias] = int(count)
                    run.rows[alias] = run.rows.get(alias, 0) + int(count)
                manifest["months"][month] = entry
                run.written.append(month)
    finally:
        duck.close()


def _replace_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    partial = folder / f"manifest.{os.getpid()}.partial"
    partial.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(partial, folder / "manifest.json")


def _delete_unreferenced(folder: Path, manifest: dict[str, Any]) -> None:
    keep = {
        folder / rel for entry in manifest["months"].values() for rel in entry["files"].values()
    }
    for alias in CASE_FAMILY:
        for path in (folder / alias).glob("month=*/*.parquet"):
            if path not in keep:
                path.unlink(missing_ok=True)


def frozen_months(manifest: Mapping[str, Any], *, now: dt.datetime | None = None) -> set[str]:
    """Months to read from the files: written, finished, and untouched since the watermark."""
    opened = current_month(now)
    written = {m for m in manifest["months"] if m < opened}
    mark = manifest.get("watermark") or {}
    if not mark:
        return set()
    return written - dirty_months(mark)


def attach(
    duck: Any,
    manifest: Mapping[str, Any],
    period: Mapping[str, Any] | None,
    *,
    road: str,
    tmp: Path,
) -> None:
    """Tables x_case, x_task, x_ext and x_event in DuckDB: the frozen months' rows from the
    files, the other months' rows live, narrowed as `Runner._pull` narrows them for a period
    (the statistics' own filters still apply, so the figures are those of the live tables)."""
    frozen = frozen_months(manifest)
    folder = snapshot_dir()
    live = _live_ranges(frozen)
    files = {
        alias: [
            str(folder / manifest["months"][m]["files"][alias])
            for m in sorted(frozen)
            if alias in manifest["months"][m]["files"]
        ]
        for alias in CASE_FAMILY
    }

    def frozen_rows(alias: str, where: str = "TRUE") -> str:
        if not files[alias]:
            # No frozen month: an empty relation of the same columns (the filter keeps any
            # parameters of `where` in use).
            return f"SELECT * FROM (SELECT {_null_row(alias)}) WHERE FALSE AND ({where})"  # noqa: S608
        listed = ", ".join(f"'{f}'" for f in files[alias])
        return f"SELECT {_columns(alias, '')} FROM read_parquet([{listed}]) WHERE {where}"  # noqa: S608

    if period is None:
        for alias in CASE_FAMILY:
            _load(duck, alias, f"l_{alias}", live, road, tmp)
            duck.execute(
                f"CREATE TEMP TABLE x_{alias} AS {frozen_rows(alias)} "  # noqa: S608
                f"UNION ALL SELECT * FROM l_{alias}"
            )
        return
    start, end = period["start"], period["end"]
    lit = road == "duckdb-postgres"

    def span(col: str, prefix: str = "s.") -> str:
        """`col` in [start, end): SQL for the live database (literals or parameters)."""
        if lit:
            return f"{prefix}{col} >= {_pg_literal(start)} AND {prefix}{col} < {_pg_literal(end)}"
        return f"{prefix}{col} >= %(start)s AND {prefix}{col} < %(end)s"

    duck_span = '"{col}" >= $start AND "{col}" < $end'
    bounds = {"start": start, "end": end}
    # Tasks due in P and callbacks made in P, frozen and live.
    duck.execute(
        f"CREATE TEMP TABLE f_task AS {frozen_rows('task', duck_span.format(col='due_at'))}",
        bounds,
    )
    duck.execute(
        "CREATE TEMP TABLE f_event AS "
        + frozen_rows("event", "kind = 'callback' AND " + duck_span.format(col="at")),
        bounds,
    )
    live_params = bounds if not lit else {}
    _load_live(duck, "task", live, road, tmp, span("due_at"), live_params)
    _load_live(duck, "event", live, road, tmp, f"{EVENT_FILTER} AND {span('at')}", live_params)
    # Cases due, closed or reported in P, and the cases of those tasks and callbacks.
    # One scan per time column (each filter alone lets DuckDB skip the files and row groups
    # whose min/max lie outside P), and the linked ones; UNION removes the repeats.
    parts = [frozen_rows("case", duck_span.format(col=col)) for col in ("due_at", "closed_at")]
    parts.append(frozen_rows("case", duck_span.format(col="created_at")))
    parts.append(
        frozen_rows("case", "id IN (SELECT case_id FROM f_task UNION SELECT case_id FROM f_event)")
    )
    duck.execute("CREATE TEMP TABLE f_case AS " + " UNION ".join(parts), bounds)
    live_narrow = " OR ".join(f"({span(col)})" for col in ("due_at", "closed_at", "created_at"))
    tasks = connection.ops.quote_name(BY_ALIAS["task"].db_table)
    events = connection.ops.quote_name(BY_ALIAS["event"].db_table)
    linked = (
        f"s.id IN (SELECT x.case_id FROM {tasks} x WHERE {span('due_at', 'x.')} "  # noqa: S608
        f"UNION SELECT y.case_id FROM {events} y WHERE y.kind = 'callback' AND {span('at', 'y.')})"
    )
    _load_live(duck, "case", live, road, tmp, f"({live_narrow}) OR {linked}", live_params)
    duck.execute("CREATE TEMP TABLE x_case AS SELECT * FROM f_case UNION ALL SELECT * FROM l_case")
    duck.execute("CREATE TEMP TABLE x_task AS SELECT * FROM f_task UNION ALL SELECT * FROM l_task")
    duck.execute(
        "CREATE TEMP TABLE x_event AS SELECT * FROM f_event UNION ALL SELECT * FROM l_event"
    )
    approved = "state = 'approved'"
    _load(duck, "ext", "l_ext", live, road, tmp, extra=f"s.{approved}")
    duck.execute(
        f"CREATE TEMP TABLE x_ext AS {frozen_rows('ext', approved)} "  # noqa: S608
        "UNION ALL SELECT * FROM l_ext"
    )


def _null_row(alias: str) -> str:
    return ", ".join(f'CAST(NULL AS {k}) AS "{c}"' for c, k in BY_ALIAS[alias].columns)


def _load_live(
    duck: Any,
    alias: str,
    live: list[tuple[dt.datetime | None, dt.datetime | None]],
    road: str,
    tmp: Path,
    extra: str,
    params: Mapping[str, Any],
) -> None:
    """Live rows of the open and dirty months narrowed by `extra` into `l_<alias>`."""
    if road == "duckdb-postgres":
        _load(duck, alias, f"l_{alias}", live, road, tmp, extra=extra)
        return
    table = BY_ALIAS[alias]
    values: dict[str, Any] = dict(params)
    where = _where_for(alias, _range_sql(live, "c.created_at", values, False))
    export_table(
        duck, table, tmp, where=f"({where}) AND ({extra})", params=values, name=f"l_{alias}"
    )
