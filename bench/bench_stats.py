"""The month's statistics for every unit of the seed-001 district (1 / 25 / 593 / 4,418 grids)
over 5,000,000 cases in PostgreSQL, computed by the reports engine (DuckDB reading PostgreSQL
through its postgres scanner) and printed beside the same figures from plain SQL `GROUP BY` run
by PostgreSQL itself, and the same through the product's Parquet snapshot of finished months
(`gridgov stats-snapshot`, reports/snapshot.py; written first, kept between runs under
GRIDGOV_STATS_SNAPSHOT_DIR). Target: under 10 seconds, equal results.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gridgov_h13a_bench \\
        .venv/bin/python bench/bench_stats.py [--cases 5000000] [--month 2026-10] [--build-only]

The bench database is built as bench_assessment builds its own: the district demo without cases,
20,000 cases through the ORM with their lead tasks and callbacks, then copies made inside
PostgreSQL with `generate_series` up to `--cases` (each moved back by up to 275 days). It is kept
between runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
TARGET_SECONDS = 10.0
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/gridgov_h13a_bench"


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not found:
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--month", default=None, help="YYYY-MM (default: last full month)")
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    os.environ.setdefault("GRIDGOV_DEBUG", "0")
    ensure_database(os.environ["DATABASE_URL"])
    import bench_assessment

    bench_assessment.setup()
    total = bench_assessment.build(False, min(args.cases, bench_assessment.ORM_SEED), args.days)
    if total < args.cases:
        started = time.perf_counter()
        replicate(args.cases - total)
        total = args.cases
        print(f"copied up to {total:,} cases in {time.perf_counter() - started:.1f} s")
    print(f"cases in the bench database: {total:,}")
    if args.build_only:
        return
    run(args.month)


def replicate(count: int) -> None:
    """Copies of the ORM-made cases inside PostgreSQL with `generate_series`, every column taken
    from the table itself (so a column added later needs no change here), each copy moved back
    by up to 275 days; then their lead tasks and callbacks (bench_assessment's statements)."""
    from bench_assessment import COPY_CALLBACKS, COPY_TASKS
    from django.db import connection, transaction
    from django.db.models import Max

    from gridgov.cases.models import Case
    from gridgov.people.models import Department

    base = Case.objects.count()
    maxid = Case.objects.aggregate(m=Max("pk"))["m"]
    depts = list(Department.objects.values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'cases_case' AND column_name <> 'id' ORDER BY ordinal_position"
        )
        columns = cursor.fetchall()
    exprs = []
    for name, kind in columns:
        if name == "tracking_code":
            exprs.append(
                "substr(md5(c.id::text || '-' || g::text || '-' || random()::text), 1, 16)"
            )
        elif name in ("idempotency_key", "idempotency_fingerprint", "external_number"):
            exprs.append("''")
        elif name == "rework_count":
            exprs.append("CASE WHEN random() < 0.05 THEN 1 ELSE 0 END")
        elif kind.startswith("timestamp"):
            exprs.append(f"c.{name} - s.shift")
        else:
            exprs.append(f"c.{name}")
    names = ", ".join(name for name, _ in columns)
    copy_cases = f"""
INSERT INTO cases_case ({names})
SELECT {", ".join(exprs)}
FROM (SELECT * FROM cases_case WHERE id <= %(maxid)s ORDER BY id) c
CROSS JOIN generate_series(1, %(k)s) g
CROSS JOIN LATERAL (SELECT make_interval(days => ((g * 37 + c.id) %% 275)::int) AS shift) s
LIMIT %(n)s"""  # noqa: S608 (column names from the catalogue; values bound)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(copy_cases, {"maxid": maxid, "k": count // base + 1, "n": count})
        cursor.execute(COPY_TASKS, {"maxid": maxid, "depts": depts, "nd": len(depts)})
        cursor.execute(COPY_CALLBACKS, {"maxid": maxid})
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case; ANALYZE cases_casetask; ANALYZE cases_caseevent")


def run(month: str | None) -> None:
    from django.db import connection

    from gridgov.grids.models import Grid
    from gridgov.oversight.indicators import Period
    from gridgov.reports import snapshot
    from gridgov.reports.stats import Query, area_figures

    if month is None:
        today = dt.datetime.now(tz=dt.UTC).date().replace(day=1) - dt.timedelta(days=1)
        month = today.strftime("%Y-%m")
    period = Period.month(month)
    query = Query(start=period.start, end=period.end)
    units = Grid.objects.count()
    print(f"month {month}, {units:,} grids (every unit of the district), {connection.vendor}")
    # The product's snapshot (reports/snapshot.py), kept between runs as in production: the
    # first run writes every finished month, later ones only what changed since.
    started = time.perf_counter()
    made = snapshot.write_snapshot()
    written = ", ".join(made.written) or "none (all frozen months unchanged)"
    print(
        f"  stats-snapshot {time.perf_counter() - started:6.2f} s  months written: {written}; "
        f"{len(made.frozen)} months in {made.directory}"
    )
    manifest = snapshot.load_manifest()
    frozen = snapshot.frozen_months(manifest) if manifest else set()
    print(f"  {month} read from the snapshot: {month in frozen}")
    timings: dict[str, float] = {}
    results = {}
    for engine in ("sql", "duckdb-postgres", "duckdb-snapshot"):
        started = time.perf_counter()
        areas, total = area_figures(query, engine=engine)
        timings[engine] = time.perf_counter() - started
        results[engine] = (areas, total)
        print(f"  {engine:16s} {timings[engine]:6.2f} s  ({len(areas):,} units with figures)")
    plain = results["sql"]
    equal = {
        engine: got[1] == plain[1] and got[0] == plain[0]
        for engine, got in results.items()
        if engine != "sql"
    }
    t = plain[1]
    print(
        f"district total: due {t.due:,}, closed {t.closed:,}, on time {t.closed_on_time:,}, "
        f"rework {t.rework:,}, tasks due {t.tasks_due:,} (on time {t.tasks_on_time:,}), "
        f"callbacks {t.callbacks:,} (satisfied {t.satisfied:,}), reported {t.reported:,}"
    )
    for engine, same in equal.items():
        met = "met" if timings[engine] < TARGET_SECONDS else "MISSED"
        print(
            f"{engine} {timings[engine]:.2f} s beside plain SQL GROUP BY {timings['sql']:.2f} s; "
            f"equal results: {same}; target < {TARGET_SECONDS:.0f} s: {met}"
        )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not all(equal.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
