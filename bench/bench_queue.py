"""The operator's work queue with 1,000,000 cases in PostgreSQL.

    .venv/bin/python bench/bench_queue.py               # build (about 3 minutes) and measure
    .venv/bin/python bench/bench_queue.py --keep        # measure again on the built database
    .venv/bin/python bench/bench_queue.py --cases 200000

Builds the demo district (seed 001: 1 / 25 / 593 / 4,418 grids) into its own PostgreSQL
database, adds synthetic cases by COPY (two years of them: most closed, about 2 % still open
with deadlines, a few invalid), ANALYZEs, then times through the API (in-process client, the
whole Django stack, no network):

- the district operator's queue filtered to one town: GET /api/v1/cases/?status=open
  &grid=<town>&order=due_at (first page of 20), rotating over the 25 towns;
- a town operator's own open cases by deadline: GET /api/v1/cases/?status=open&order=due_at;
- the town operator's "to dispatch" queue: GET /api/v1/cases/?queue=to_dispatch.

Target: median under 50 ms. The query plans are printed so the indexes doing the work are seen
(the partial index of open cases by due_at).
"""

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
VENV_PY = REPO / ".venv" / "bin" / "python"
DB_NAME = "gridgov_bench_queue"
PG_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    sys.path.insert(0, str(REPO / "src"))
    import django

    django.setup()


def build(cases: int) -> None:
    """Migrate, build the district, COPY the synthetic cases, ANALYZE (runs in a subprocess
    whose DATABASE_URL points at the bench database)."""
    _django()
    from django.core.management import call_command
    from django.db import connection

    from gridgov.cases.models import OPEN_STATES, MatterItem
    from gridgov.demo.builder import build_demo
    from gridgov.grids.models import Grid

    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    build_demo("district")
    print(f"district built in {time.monotonic() - started:.0f} s", flush=True)
    units = list(
        Grid.objects.leaves()
        .select_related("region__parent")
        .values_list("pk", "region_id", "region__parent_id", "label_lon", "label_lat")
    )
    items = list(MatterItem.objects.values_list("pk", "limit_days"))
    rng = random.Random(20260930)
    now = dt.datetime.now(dt.UTC)
    columns = [
        "state", "version", "channel", "external_number", "idempotency_key", "tracking_code",
        "title", "description", "item_id", "urgency", "mode", "lon", "lat", "address", "grid_id",
        "outside_jurisdiction", "needs_location", "level", "level_region_id", "contact_name",
        "contact_phone", "due_at", "due_provisional", "limit_value", "limit_unit",
        "limit_started_at", "warn_at", "result", "closure_type", "closed_level", "closed_at",
        "satisfaction", "reopen_count", "rework_count", "urge_count", "supervise_count",
        "created_at", "updated_at", "idempotency_fingerprint", "step", "step_due_at",
    ]  # fmt: skip
    # The platform step a waiting case owes (cases.models.STEP_OF_STATE), due 30 min on.
    steps = {"reported": "accept", "accepted": "dispatch", "registered": "dispatch",
             "returned": "dispatch"}  # fmt: skip
    open_states = sorted(OPEN_STATES)
    channels = ["patrol"] * 6 + ["resident"] * 2 + ["hotline", "department"]
    started = time.monotonic()
    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY cases_case ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for n in range(cases):
            unit_id, village_id, town_id, lon, lat = rng.choice(units)
            item_id, days = rng.choice(items)
            roll = rng.random()
            # About 2 % still open (most of the last three months, some long overdue), the
            # rest of two years closed, 1 % invalid.
            created = now - dt.timedelta(days=rng.uniform(0, 90 if roll < 0.02 else 730))
            at_town = rng.random() < 0.6
            level, region = ("town", town_id) if at_town else ("village", village_id)
            code = "".join(ALPHABET[(n >> (5 * k)) & 31] for k in range(6)) + "".join(
                rng.choice(ALPHABET) for _ in range(4)
            )
            due = created + dt.timedelta(days=days * 1.4)
            if roll < 0.02:
                state = rng.choice(open_states)
                closed = (None, "", "", None)
                due_at = due if state not in ("reported", "accepted") else None
            elif roll < 0.03:
                state = rng.choice(["rejected", "merged"])
                closed = (None, "", "", None)
                due_at = None
            else:
                state = "called_back" if rng.random() < 0.85 else "closed"
                closed_at = created + dt.timedelta(days=rng.uniform(0.2, days * 1.6))
                closed = (
                    closed_at,
                    "overdue" if closed_at > due else "normal",
                    level,
                    5 if state == "called_back" else None,
                )
                due_at = due
            copy.write_row(
                (
                    state, 1, rng.choice(channels), "", "", code, "巡查发现问题", "合成的压力测试案件",
                    item_id, "ordinary", "coordinate", lon, lat, "", unit_id, False, False, level,
                    region, "", "", due_at, False, days, "workdays", created,
                    due_at - dt.timedelta(days=days * 0.28) if due_at else None, "",
                    closed[1], closed[2], closed[0], closed[3], 0, 0, 0, 0, created, created,
                    "", steps.get(state, ""),
                    created + dt.timedelta(minutes=30) if state in steps else None,
                )
            )  # fmt: skip
            if n and n % 200_000 == 0:
                print(f"  {n:,} cases in {time.monotonic() - started:.0f} s", flush=True)
    raw.commit()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"{cases:,} cases copied and analysed in {time.monotonic() - started:.0f} s", flush=True)


def measure(rounds: int) -> dict[str, Any]:
    _django()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from gridgov.cases.models import Case
    from gridgov.grids.models import Grid

    settings.ALLOWED_HOSTS = ["testserver"]
    users = get_user_model().objects
    district = Client()
    district.force_login(users.get(username="district_office"))
    town_op = Client()
    town_op.force_login(users.get(username="town_office"))
    towns = list(
        Grid.objects.filter(level__depth=1).order_by("code").values_list("code", flat=True)
    )
    total = Case.objects.count()
    open_total = Case.objects.open().count()
    scenarios = {
        "district operator, one town, open by deadline": (
            district,
            lambda i: {
                "status": "open",
                "grid": towns[i % len(towns)],
                "order": "due_at",
                "page_size": 20,
            },
        ),
        "town operator, own open cases by deadline": (
            town_op,
            lambda i: {"status": "open", "order": "due_at", "page_size": 20},
        ),
        "town operator, to-dispatch queue": (
            town_op,
            lambda i: {"queue": "to_dispatch", "page_size": 20},
        ),
    }
    results: dict[str, Any] = {"cases": total, "open": open_total, "scenarios": {}}
    for name, (client, params) in scenarios.items():
        for i in range(5):
            assert client.get("/api/v1/cases/", params(i)).status_code == 200
        timings = []
        for i in range(rounds):
            began = time.perf_counter()
            response = client.get("/api/v1/cases/", params(i))
            timings.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, response.content[:200]
        with CaptureQueriesContext(connection) as queries:
            body = client.get("/api/v1/cases/", params(0)).json()
        main = max(queries.captured_queries, key=lambda q: len(q["sql"]))
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + main["sql"])
            plan = [row[0] for row in cursor.fetchall()]
        results["scenarios"][name] = {
            "median_ms": statistics.median(timings),
            "p95_ms": sorted(timings)[int(len(timings) * 0.95)],
            "rows": len(body["items"]),
            "queries": len(queries.captured_queries),
            "plan": plan,
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--keep", action="store_true", help="reuse the database built before")
    parser.add_argument("--build", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build(args.build)
        return
    if args.measure:
        print(json.dumps(measure(args.rounds)))
        return
    workdir = Path(tempfile.gettempdir()) / "gridgov-bench-queue"
    (workdir / "static").mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": PG_URL,
        "GRIDGOV_VAR_DIR": str(workdir),
        "GRIDGOV_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "gridgov.settings",
    }
    if not args.keep:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
            c.execute(f"CREATE DATABASE {DB_NAME}")
        subprocess.run([str(VENV_PY), __file__, "--build", str(args.cases)], env=env, check=True)
    out = subprocess.run(
        [str(VENV_PY), __file__, "--measure", "--rounds", str(args.rounds)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print()
    print(f"Work queues on PostgreSQL: {result['cases']:,} cases, {result['open']:,} open")
    print(f"{'scenario':<50}{'median':>10}{'p95':>10}{'rows':>6}{'queries':>9}")
    for name, r in result["scenarios"].items():
        print(
            f"{name:<50}{r['median_ms']:>8.1f}ms{r['p95_ms']:>8.1f}ms{r['rows']:>6}{r['queries']:>9}"
        )
    print("target: median < 50 ms")
    for name, r in result["scenarios"].items():
        print(f"\nplan of the list query — {name}:")
        for line in r["plan"]:
            print("   " + line)


if __name__ == "__main__":
    main()
