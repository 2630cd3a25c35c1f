"""The monthly assessment of every worker, unit grid, village and town of the seed-001 district
(1 / 25 / 593 / 4,418 grids) with 1,000,000 cases on PostgreSQL. Target: under 30 seconds for
all four unit kinds together (computed, as `gridgov assess` does for a draft; publishing adds
the bulk insert of the results, timed apart).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gridgov_h12 \\
        .venv/bin/python bench/bench_assessment.py [--cases 1000000] [--month 2026-10] [--rebuild]

The district is built with `build_demo("district", with_cases=False)`, then topped up to
`--cases` synthetic cases over the last 365 days by bulk inserts (bench_command_centre's
`_synthetic_case`: state, deadline and closure consistent with the age), each closed or
dispatched one with its lead task (fed back at or after its deadline, as the closure was) and
each called-back one with its callback event. Kept between runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
TARGET_SECONDS = 30.0
KINDS = ("worker", "grid", "village", "town")


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gridgov_h12")
    os.environ.setdefault("GRIDGOV_DEBUG", "0")
    import django

    django.setup()


def build(rebuild: bool, cases: int, days: int) -> int:
    from django.core.management import call_command

    from gridgov.cases.models import Case
    from gridgov.demo.builder import build_demo
    from gridgov.grids.models import Grid

    call_command("migrate", interactive=False, verbosity=0)
    if rebuild or Grid.objects.count() < 5000:
        started = time.perf_counter()
        build_demo("district", reset=True, with_cases=False)
        print(f"built the district demo in {time.perf_counter() - started:.1f} s")
    missing = min(cases, ORM_SEED) - Case.objects.count()
    if missing > 0:
        started = time.perf_counter()
        seed(missing, days)
        print(f"added {missing:,} cases in {time.perf_counter() - started:.1f} s")
    missing = cases - Case.objects.count()
    if missing > 0:
        started = time.perf_counter()
        replicate(missing)
        print(f"replicated {missing:,} cases in {time.perf_counter() - started:.1f} s")
    return Case.objects.count()


# The first cases go through the ORM (valid rows, as bench_command_centre makes them); the rest
# are copies made inside PostgreSQL, each moved back in time by up to 275 days, with their
# tasks and callback events (a million rows through the ORM take over an hour here).
ORM_SEED = 20_000

CASE_COLUMNS = (
    "state, version, channel, external_number, idempotency_key, idempotency_fingerprint, "
    "tracking_code, title, description, urgency, mode, lon, lat, address, outside_jurisdiction, "
    "needs_location, level, contact_name, contact_phone, due_at, due_provisional, limit_value, "
    "limit_unit, limit_started_at, result, closure_type, closed_level, closed_at, satisfaction, "
    "reopen_count, rework_count, urge_count, supervise_count, created_at, updated_at, "
    "department_id, grid_id, level_region_id, reporter_id, item_id, received_at, step, attributes"
)
COPY_CASES = f"""
INSERT INTO cases_case ({CASE_COLUMNS})
SELECT c.state, 1, c.channel, '', '', '',
       substr(md5(c.id::text || '-' || g::text || '-' || random()::text), 1, 16),
       c.title, c.description, c.urgency, c.mode, c.lon, c.lat, c.address, false, false, c.level,
       '', '', c.due_at - s.shift, false, c.limit_value, c.limit_unit,
       c.limit_started_at - s.shift, c.result, c.closure_type, c.closed_level,
       c.closed_at - s.shift, c.satisfaction, 0,
       CASE WHEN random() < 0.05 THEN 1 ELSE 0 END, 0, 0,
       c.created_at - s.shift, c.updated_at - s.shift, c.department_id, c.grid_id,
       c.level_region_id, c.reporter_id, c.item_id, c.received_at - s.shift, '', c.attributes
FROM (SELECT * FROM cases_case WHERE id <= %(maxid)s ORDER BY id) c
CROSS JOIN generate_series(1, %(k)s) g
CROSS JOIN LATERAL (SELECT make_interval(days => ((g * 37 + c.id) %% 275)::int) AS shift) s
LIMIT %(n)s
"""  # noqa: S608 (a constant column list; every value is a bound parameter)
COPY_TASKS = """
INSERT INTO cases_casetask (role, state, instructions, limit_value, limit_unit, due_at,
    due_provisional, dispatched_at, dispatch_level, fed_back_at, result, return_reason, case_id,
    department_id, dispatch_region_id)
SELECT 'lead', CASE WHEN closed_at IS NULL THEN 'accepted' ELSE 'fed_back' END, '', limit_value,
       limit_unit, due_at, false, created_at, level, closed_at - interval '2 hours', '', '', id,
       (%(depts)s::bigint[])[1 + (id %% %(nd)s)], level_region_id
FROM cases_case
WHERE id > %(maxid)s AND due_at IS NOT NULL AND state NOT IN ('reported', 'accepted')
"""
COPY_CALLBACKS = """
INSERT INTO cases_caseevent (kind, from_state, to_state, at, level, note, closure_type,
    satisfaction, reason, extra, case_id, grid_id, level_region_id, item_id)
SELECT 'callback', 'closed', 'called_back', closed_at + interval '1 day', level, '', '',
       satisfaction, '', '{}'::jsonb, id, grid_id, level_region_id, item_id
FROM cases_case WHERE id > %(maxid)s AND satisfaction IS NOT NULL
"""


def replicate(count: int) -> None:
    from django.db import connection, transaction
    from django.db.models import Max

    from gridgov.cases.models import Case
    from gridgov.people.models import Department

    if connection.vendor != "postgresql":
        raise SystemExit("copying a million cases needs PostgreSQL (set DATABASE_URL)")
    base = Case.objects.count()
    maxid = Case.objects.aggregate(m=Max("pk"))["m"]
    depts = list(Department.objects.values_list("pk", flat=True))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(COPY_CASES, {"maxid": maxid, "k": count // base + 1, "n": count})
        cursor.execute(COPY_TASKS, {"maxid": maxid, "depts": depts, "nd": len(depts)})
        cursor.execute(COPY_CALLBACKS, {"maxid": maxid})
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case; ANALYZE cases_casetask; ANALYZE cases_caseevent")


def seed(count: int, days: int) -> None:
    from bench_command_centre import _synthetic_case
    from django.db import transaction
    from django.utils import timezone

    from gridgov.cases.models import Case, CaseEvent, CaseTask, MatterItem
    from gridgov.grids.models import Grid
    from gridgov.people.models import Department

    rng = random.Random(20261206)
    units = list(
        Grid.objects.leaves()
        .filter(label_lon__isnull=False)
        .values_list("pk", "region_id", "region__parent_id", "label_lon", "label_lat")
    )
    items = list(MatterItem.objects.filter(is_active=True).values_list("pk", "name", "limit_days"))
    departments = list(Department.objects.values_list("pk", "region_id"))
    now = timezone.now()
    batch = 10_000
    for start in range(0, count, batch):
        rows = [
            _synthetic_case(rng, now, days, rng.choice(units), rng.choice(items))
            for _ in range(min(batch, count - start))
        ]
        with transaction.atomic():
            created = Case.objects.bulk_create(rows, batch_size=2000)
            tasks, events = [], []
            for c in created:
                if c.due_at is not None and c.state not in ("reported", "accepted"):
                    dept_id, region_id = rng.choice(departments)
                    fed = c.closed_at - dt.timedelta(hours=2) if c.closed_at else None
                    tasks.append(
                        CaseTask(
                            case_id=c.pk,
                            department_id=dept_id,
                            role="lead",
                            state="fed_back" if fed else "accepted",
                            due_at=c.due_at,
                            dispatched_at=c.created_at,
                            dispatch_level=c.level,
                            dispatch_region_id=c.level_region_id,
                            fed_back_at=fed,
                        )
                    )
                if c.satisfaction:
                    events.append(
                        CaseEvent(
                            case_id=c.pk,
                            kind="callback",
                            from_state="closed",
                            to_state="called_back",
                            at=c.closed_at + dt.timedelta(days=1),
                            grid_id=c.grid_id,
                            level=c.level,
                            level_region_id=c.level_region_id,
                            item_id=c.item_id,
                            satisfaction=c.satisfaction,
                        )
                    )
            CaseTask.objects.bulk_create(tasks, batch_size=2000)
            CaseEvent.objects.bulk_create(events, batch_size=2000)
        if (start // batch) % 10 == 0:
            print(f"  {start + len(rows):,} / {count:,}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--month", help="YYYY-MM (default: last month)")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--publish", action="store_true", help="also time publishing the runs")
    args = parser.parse_args()
    setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from gridgov.oversight.indicators import Period
    from gridgov.oversight.services import current_scheme, publish_run, score_units

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    total_cases = build(args.rebuild, args.cases, args.days)
    if args.month:
        month = args.month
    else:
        first = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
        month = first.strftime("%Y-%m")
    scheme = current_scheme("sheet1000")
    period = Period.month(month)
    print(f"{total_cases:,} cases; assessing {month} under {scheme.code}")
    overall = 0.0
    cache: dict[object, object] = {}  # one assessment of all kinds counts the grids once
    for kind in KINDS:
        started = time.perf_counter()
        scored = score_units(scheme, period, kind, cache=cache)
        seconds = time.perf_counter() - started
        overall += seconds
        best = max((s.score for s in scored), default=0)
        print(f"  {kind:<8} {len(scored):>6,} units  {seconds:6.2f} s  (best {best})")
    verdict = "OK" if overall < TARGET_SECONDS else "SLOW"
    print(f"all four kinds: {overall:.2f} s (target < {TARGET_SECONDS:.0f} s) {verdict}")
    if args.publish:
        admin = get_user_model().objects.get(username="admin")
        for kind in KINDS:
            started = time.perf_counter()
            with transaction.atomic():
                publish_run(scheme_code=scheme.code, month=month, unit_kind=kind, by=admin)
                transaction.set_rollback(True)
            print(f"  publish {kind:<8} {time.perf_counter() - started:6.2f} s (rolled back)")


if __name__ == "__main__":
    main()
