"""Where the statistics' SQL runs (issue 13, "KPIs at city scale").

The period figures are a handful of `GROUP BY` queries over cases, tasks, callbacks, back-tracing
results, hotline records, patrols and diaries. The same SQL text runs on one of three roads:

- `duckdb-postgres`: DuckDB reads PostgreSQL, the system of record, through its postgres scanner
  (the binary ships inside the PyPI package `duckdb-extension-postgres`; nothing is downloaded at
  run time). Used on PostgreSQL whenever the caller holds no open transaction, because DuckDB
  reads over its own connection and cannot see uncommitted rows.
- `duckdb-export`: the needed columns are exported through Django's connection to plain CSV files
  that DuckDB reads. Used on SQLite and inside a transaction (tests, or a caller mid-write).
- `sql`: the same `GROUP BY` run by the database itself: the fallback when DuckDB is unavailable
  and the reference the bench compares against.
- `duckdb-snapshot`: the large case tables (cases, tasks, extensions, callbacks) of finished
  months from the Parquet snapshot written nightly (`reports/snapshot.py`), the open and dirty
  months and every other table read live by one of the two roads above. Chosen whenever a
  snapshot of this database exists.

Table names in the SQL are written `{case}`, `{grid}` …; each road fills them in.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection

ENGINES = ("duckdb-postgres", "duckdb-export", "sql", "duckdb-snapshot")
CASE_FAMILY = ("case", "task", "ext", "event")
PARAM_RE = re.compile(r"%\((\w+)\)s")
DUCKDB_VERSION_DIR = "v{version}/linux_amd64"


@dataclass(frozen=True)
class Table:
    """A table the statistics read: its placeholder, model and the columns needed (DuckDB types
    for the export road)."""

    alias: str
    model: str
    columns: tuple[tuple[str, str], ...]

    @property
    def db_table(self) -> str:
        return str(apps.get_model(self.model)._meta.db_table)


TS = "TIMESTAMPTZ"
TABLES: tuple[Table, ...] = (
    Table(
        "case",
        "cases.Case",
        (
            ("id", "BIGINT"),
            ("state", "VARCHAR"),
            ("channel", "VARCHAR"),
            ("grid_id", "BIGINT"),
            ("item_id", "BIGINT"),
            ("department_id", "BIGINT"),
            ("reporter_id", "BIGINT"),
            ("closed_level", "VARCHAR"),
            ("rework_count", "INTEGER"),
            ("due_at", TS),
            ("closed_at", TS),
            ("created_at", TS),
        ),
    ),
    Table("grid", "grids.Grid", (("id", "BIGINT"), ("path", "VARCHAR"))),
    Table("item", "cases.MatterItem", (("id", "BIGINT"), ("matter_class_id", "BIGINT"))),
    Table(
        "task",
        "cases.CaseTask",
        (
            ("id", "BIGINT"),
            ("case_id", "BIGINT"),
            ("department_id", "BIGINT"),
            ("state", "VARCHAR"),
            ("due_at", TS),
            ("fed_back_at", TS),
        ),
    ),
    Table(
        "ext",
        "cases.ExtensionRequest",
        (("id", "BIGINT"), ("task_id", "BIGINT"), ("state", "VARCHAR")),
    ),
    Table(
        "event",
        "cases.CaseEvent",
        (
            ("id", "BIGINT"),
            ("case_id", "BIGINT"),
            ("kind", "VARCHAR"),
            ("at", TS),
            ("satisfaction", "INTEGER"),
        ),
    ),
    Table(
        "result",
        "hotline.CrosscheckResult",
        (
            ("id", "BIGINT"),
            ("record_id", "BIGINT"),
            ("grid_id", "BIGINT"),
            ("matched", "BOOLEAN"),
            ("superseded", "BOOLEAN"),
        ),
    ),
    Table(
        "record",
        "hotline.HotlineRecord",
        (
            ("id", "BIGINT"),
            ("grid_id", "BIGINT"),
            ("item_id", "BIGINT"),
            ("status", "VARCHAR"),
            ("received_at", TS),
            ("due_at", TS),
            ("closed_at", TS),
            ("satisfaction", "INTEGER"),
        ),
    ),
    Table(
        "patrol",
        "fieldwork.Patrol",
        (("id", "BIGINT"), ("grid_id", "BIGINT"), ("started_at", TS), ("mileage_m", "DOUBLE")),
    ),
    Table(
        "diary",
        "fieldwork.Diary",
        (("id", "BIGINT"), ("grid_id", "BIGINT"), ("day", "DATE"), ("kind", "VARCHAR")),
    ),
    Table(
        "hazard",
        "fieldwork.Hazard",
        (
            ("id", "BIGINT"),
            ("grid_id", "BIGINT"),
            ("state", "VARCHAR"),
            ("found_at", TS),
            ("due_at", TS),
            ("closed_at", TS),
        ),
    ),
    Table(
        "visit", "fieldwork.Visit", (("id", "BIGINT"), ("grid_id", "BIGINT"), ("visited_at", TS))
    ),
    Table(
        "vtask",
        "fieldwork.VisitTask",
        (
            ("id", "BIGINT"),
            ("grid_id", "BIGINT"),
            ("kind", "VARCHAR"),
            ("visit_id", "BIGINT"),
            ("due_at", TS),
            ("done_at", TS),
        ),
    ),
)


def choose_engine(requested: str | None = None) -> str:
    """The road for this call: the requested one, else DuckDB over PostgreSQL when it can see
    the caller's rows, else DuckDB over an export, else plain SQL. The setting
    `GRIDGOV_STATS_ENGINE` (one of ENGINES) overrides the choice for a deployment."""
    requested = requested or getattr(settings, "GRIDGOV_STATS_ENGINE", "") or None
    if requested:
        if requested not in ENGINES:
            raise ValueError(f"unknown statistics engine {requested!r}; one of {ENGINES}")
        return requested
    if importlib.util.find_spec("duckdb") is None:
        return "sql"
    from gridgov.reports import snapshot

    if snapshot.load_manifest() is not None:
        return "duckdb-snapshot"
    return live_road()


def live_road() -> str:
    """How DuckDB reads the live database: through the scanner when it can see the caller's
    rows, else through an export over Django's connection."""
    if (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and postgres_extension() is not None
    ):
        return "duckdb-postgres"
    return "duckdb-export"


def postgres_extension() -> Path | None:
    """The postgres scanner binary shipped by `duckdb-extension-postgres`, placed where DuckDB
    looks for `postgres_scanner` (its name inside DuckDB) under our own extension directory."""
    spec = importlib.util.find_spec("duckdb_extension_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    import duckdb

    version = duckdb.__version__
    shipped = Path(next(iter(spec.submodule_search_locations))) / "extensions" / f"v{version}"
    source = shipped / "postgres.duckdb_extension"
    if not source.exists():
        return None
    root = Path(getattr(settings, "GRIDGOV_DUCKDB_EXTENSIONS", "") or _default_extension_dir())
    target = root / DUCKDB_VERSION_DIR.format(version=version) / "postgres_scanner.duckdb_extension"
    if not target.exists() or target.stat().st_size != source.stat().st_size:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.partial")
        shutil.copyfile(source, partial)
        partial.replace(target)
    return root


def _default_extension_dir() -> Path:
    return Path(tempfile.gettempdir()) / "gridgov-duckdb-extensions"


class Runner:
    """Runs statistics SQL on one road; use as a context manager."""

    def __init__(
        self,
        engine: str | None = None,
        *,
        tables: Iterable[str] | None = None,
        period: Mapping[str, Any] | None = None,
    ) -> None:
        self.engine = choose_engine(engine)
        # With a period (start, end, first_day, after_day), the scanner road copies into DuckDB
        # once only the rows the period can touch, instead of scanning PostgreSQL per query.
        self.period = period
        self.wanted = set(tables) if tables is not None else {t.alias for t in TABLES}
        self._duck: Any = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.names: dict[str, str] = {}

    def __enter__(self) -> Runner:
        try:
            self._open()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _open(self) -> None:
        if self.engine == "sql":
            self.names = {t.alias: connection.ops.quote_name(t.db_table) for t in TABLES}
            return
        if self.engine == "duckdb-snapshot":
            from gridgov.reports import snapshot

            manifest = snapshot.load_manifest()
            road = live_road()
            self._duck = open_duckdb(scanner=road == "duckdb-postgres")
            skip = set(CASE_FAMILY) if manifest is not None else set()
            if road == "duckdb-postgres":
                self.names = {t.alias: f"pg.public.{t.db_table}" for t in TABLES}
                if self.period is not None:
                    self._pull(self.period, skip=skip)
            else:
                self._tmp = tempfile.TemporaryDirectory(prefix="gridgov-stats-")
                for table in TABLES:
                    if table.alias in self.wanted and table.alias not in skip:
                        self._export(table, Path(self._tmp.name))
                    self.names[table.alias] = f"x_{table.alias}"
            if manifest is None:  # removed since the choice: the live road alone
                return
            if skip & self.wanted:
                snapshot.attach(self._duck, manifest, self.period, road=road, tmp=self._tmpdir())
            self.names.update({alias: f"x_{alias}" for alias in CASE_FAMILY})
            return
        if self.engine == "duckdb-postgres":
            self._duck = open_duckdb(scanner=True)
            self.names = {t.alias: f"pg.public.{t.db_table}" for t in TABLES}
            if self.period is not None:
                self._pull(self.period)
            return
        self._duck = open_duckdb(scanner=False)
        self._tmp = tempfile.TemporaryDirectory(prefix="gridgov-stats-")
        for table in TABLES:
            if table.alias in self.wanted:
                self._export(table, Path(self._tmp.name))
            self.names[table.alias] = f"x_{table.alias}"

    def _export(self, table: Table, folder: Path) -> None:
        export_table(self._duck, table, folder)

    def _tmpdir(self) -> Path:
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="gridgov-stats-")
        return Path(self._tmp.name)

    def _pull(self, period: Mapping[str, Any], *, skip: Iterable[str] = ()) -> None:
        """Each table once into DuckDB, narrowed to a superset of the rows the statistics of the
        period read (the statistics' own filters still apply). The large tables are read by
        the scanner's parallel page-range scans with the period's range filters pushed down to
        PostgreSQL (a `postgres_query` runs as one COPY, which PostgreSQL never parallelises);
        the small ones, and the cases that the period's tasks and callbacks belong to, through
        `postgres_query` and their indexes. Tables in `skip` are left to the caller (the
        snapshot road)."""
        skip = set(skip)
        start, end = _pg_literal(period["start"]), _pg_literal(period["end"])
        first, after = _pg_literal(period["first_day"]), _pg_literal(period["after_day"])
        t = {table.alias: connection.ops.quote_name(table.db_table) for table in TABLES}
        cols = {
            table.alias: ", ".join(connection.ops.quote_name(c) for c, _ in table.columns)
            for table in TABLES
        }
        in_period = f">= {start} AND {{col}} < {end}"
        narrowed = {
            "event": f"kind = 'callback' AND at {in_period.format(col='at')}",
            "record": f"received_at {in_period.format(col='received_at')}",
            "result": (
                f"record_id IN (SELECT id FROM {t['record']} "  # noqa: S608 (names, our times)
                f"WHERE received_at {in_period.format(col='received_at')})"
            ),
            "patrol": f"started_at {in_period.format(col='started_at')}",
            "diary": f"day >= {first} AND day < {after}",
            "ext": "state = 'approved'",
            "hazard": (
                f"found_at {in_period.format(col='found_at')} "
                f"OR closed_at {in_period.format(col='closed_at')} "
                f"OR due_at {in_period.format(col='due_at')}"
            ),
            "visit": f"visited_at {in_period.format(col='visited_at')}",
            # Visit tasks are due in (start, end]: a deadline is the midnight after a period.
            "vtask": f"due_at > {start} AND due_at <= {end}",
        }
        for table in TABLES:
            if (
                table.alias in ("case", "task")
                or table.alias not in self.wanted
                or table.alias in skip
            ):
                continue
            sql = f"SELECT {cols[table.alias]} FROM {t[table.alias]}"  # noqa: S608 (names and our own times)
            if table.alias in narrowed:
                sql += f" WHERE {narrowed[table.alias]}"
            self._duck.execute(
                f"CREATE TEMP TABLE x_{table.alias} AS SELECT * FROM {_pg_query(sql)}"  # noqa: S608
            )
        self.names = {table.alias: f"x_{table.alias}" for table in TABLES}
        if not {"case", "task"} & self.wanted or {"case", "task"} & skip:
            return  # field work only (the work summaries): no case rows needed
        pg = {table.alias: f"pg.public.{table.db_table}" for table in TABLES}
        span = "{col} >= $start AND {col} < $end"
        self._duck.execute(
            f"CREATE TEMP TABLE x_task AS SELECT {cols['task']} FROM {pg['task']} "  # noqa: S608
            f"WHERE {span.format(col='due_at')}",
            {"start": period["start"], "end": period["end"]},
        )
        # Due (deadline, or closing time without one, in the period) or reported in the period.
        self._duck.execute(
            f"CREATE TEMP TABLE x_case AS SELECT {cols['case']} FROM {pg['case']} "  # noqa: S608
            f"WHERE ({span.format(col='due_at')}) OR ({span.format(col='closed_at')}) "
            f"OR ({span.format(col='created_at')})",
            {"start": period["start"], "end": period["end"]},
        )
        # The cases of the period's tasks and callbacks, by primary key.
        linked = (
            f"SELECT {cols['case']} FROM {t['case']} WHERE id = ANY(ARRAY("  # noqa: S608
            f"SELECT case_id FROM {t['task']} WHERE due_at {in_period.format(col='due_at')} "
            f"UNION SELECT case_id FROM {t['event']} WHERE kind = 'callback' "
            f"AND at {in_period.format(col='at')}))"
        )
        self._duck.execute(
            f"INSERT INTO x_case SELECT * FROM {_pg_query(linked)} "  # noqa: S608
            "WHERE id NOT IN (SELECT id FROM x_case)"
        )
        self.names = {table.alias: f"x_{table.alias}" for table in TABLES}

    def __exit__(self, *exc: object) -> None:
        if self._duck is not None:
            self._duck.close()
            self._duck = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def rows(self, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        text = sql.format(**self.names)
        if self.engine == "sql":
            values = {k: _db_param(v) for k, v in params.items()}
            with connection.cursor() as cursor:
                cursor.execute(text, values)
                return [tuple(r) for r in cursor.fetchall()]
        duck_text = PARAM_RE.sub(lambda m: f"${m.group(1)}", text)
        used = set(PARAM_RE.findall(text))
        result = self._duck.execute(duck_text, {k: v for k, v in params.items() if k in used})
        return [tuple(r) for r in result.fetchall()]


def open_duckdb(*, scanner: bool) -> Any:
    """A DuckDB connection in UTC, with PostgreSQL attached read-only as `pg` if asked."""
    import duckdb

    if not scanner:
        duck = duckdb.connect()
        duck.execute("SET TimeZone = 'UTC'")
        return duck
    root = postgres_extension()
    if root is None:
        raise RuntimeError("duckdb-extension-postgres is not installed")
    duck = duckdb.connect(
        config={
            "extension_directory": str(root),
            "autoinstall_known_extensions": "false",
            "autoload_known_extensions": "false",
        }
    )
    duck.execute("SET TimeZone = 'UTC'")
    duck.execute("LOAD postgres_scanner")
    duck.execute(f"ATTACH '{_conninfo()}' AS pg (TYPE postgres, READ_ONLY)")
    return duck


def export_table(
    duck: Any,
    table: Table,
    folder: Path,
    *,
    where: str = "",
    params: Mapping[str, Any] | None = None,
    name: str | None = None,
) -> None:
    """Plain export: the needed columns (rows matching `where`, SQL of the database with
    `%(name)s` parameters, the table aliased `s`) through Django's connection into a CSV file,
    read back by DuckDB into table `name` (default `x_<alias>`) with the declared types (times
    kept as UTC text, so both backends' shapes parse the same)."""
    cols = ", ".join(f"s.{connection.ops.quote_name(name)}" for name, _ in table.columns)
    name = name or f"x_{table.alias}"
    path = folder / f"{name}.csv"
    sql = f"SELECT {cols} FROM {connection.ops.quote_name(table.db_table)} s"  # noqa: S608 (names from the model registry)
    if where:
        sql += f" WHERE {where}"
    values = {k: _db_param(v) for k, v in (params or {}).items()}
    with path.open("w", newline="", encoding="utf-8") as out, connection.cursor() as cursor:
        writer = csv.writer(out)
        cursor.execute(sql, values or None)
        while rows := cursor.fetchmany(5000):
            writer.writerows(_csv_row(row) for row in rows)
    casts = ", ".join(
        f'CAST("{col}" AS {kind}) AS "{col}"' if kind != "VARCHAR" else f'"{col}"'
        for col, kind in table.columns
    )
    names = ", ".join(f"'{col}': 'VARCHAR'" for col, _ in table.columns)
    duck.execute(
        f"CREATE TABLE {name} AS SELECT {casts} FROM read_csv("  # noqa: S608
        f"'{path}', header=false, auto_detect=false, delim=',', nullstr='\\N', quote='\"', escape='\"', columns={{{names}}})"
    )


def _pg_query(sql: str) -> str:
    return f"postgres_query('pg', '{sql.replace(chr(39), chr(39) * 2)}')"


def _pg_literal(value: dt.date) -> str:
    """A typed PostgreSQL literal of one of our own period bounds (never user text)."""
    if isinstance(value, dt.datetime):
        return f"'{value.isoformat()}'::timestamptz"
    return f"'{value.isoformat()}'::date"


def _csv_row(row: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    for value in row:
        if value is None:
            out.append("\\N")
        elif isinstance(value, bool):
            out.append("true" if value else "false")
        elif isinstance(value, dt.datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=dt.UTC)
            out.append(value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00"))
        elif isinstance(value, str) and value and value[0] == "\\":
            out.append(" " + value)
        else:
            out.append(value)
    return out


def _db_param(value: Any) -> Any:
    """Parameters for the database's own driver, in the shape Django stores them (SQLite keeps
    UTC text without a zone)."""
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return connection.ops.adapt_datefield_value(value)
    return value


def _conninfo() -> str:
    db = connection.settings_dict
    parts = {
        "host": db.get("HOST") or "",
        "port": str(db.get("PORT") or ""),
        "dbname": db.get("NAME") or "",
        "user": db.get("USER") or "",
        "password": db.get("PASSWORD") or "",
    }
    return " ".join(
        f"{key}={_quote_conninfo(value)}" for key, value in parts.items() if value
    ).replace("'", "''")


def _quote_conninfo(value: str) -> str:
    if value and not re.search(r"[\s'\\]", value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
