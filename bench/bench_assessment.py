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
    missing = cases - Case.objects.count()
    if missing > 0:
        started = time.perf_counter()
        seed(missing, days)
        print(f"added {missing:,} cases in {time.perf_counter() - started:.1f} s")
    return Case.objects.count()


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
    for kind in KINDS:
        started = time.perf_counter()
        scored = score_units(scheme, period, kind)
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
