"""How fast the command centre of the seed-001 district (1 / 25 / 593 / 4,418 grids) renders and
becomes interactive in headless chromium: the grid map drawn (every polygon of the subtree) and
the first figures applied to the map and the charts. Target: under 2 seconds.

    .venv/bin/python bench/bench_command_centre.py               # build once, then measure
    .venv/bin/python bench/bench_command_centre.py --rebuild     # rebuild the demo database first
    .venv/bin/python bench/bench_command_centre.py --cases 80000 # a busier district

The demo database lives in var/bench/ (built with `build_demo(scale="district")`, kept between
runs). The demo replays one town's 90 days through the services (345 cases); a district office
looks at all 25 towns, so the district is topped up to `--cases` cases (default 40,000: about
nine per unit grid over the last 90 days, the load of a busy district) by bulk inserts of
valid rows (`seed_district_cases`): each case with its report event, a state, deadline and
closure consistent with its age, at a point of its unit grid.

The platform is served as in production (gunicorn, two workers). Each run opens a fresh browser
context (nothing in the browser cache); the first run also meets cold server caches, so it is
reported apart from the median of the others. The figures endpoint is also timed on its own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / "var" / "bench"
TARGET_SECONDS = 2.0
USERNAME = "district_office"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
]


def setup_environment() -> dict[str, str]:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gridgov.settings",
        "GRIDGOV_VAR_DIR": str(BENCH_DIR),
        "DATABASE_URL": f"sqlite:///{BENCH_DIR / 'district.sqlite3'}",
        "GRIDGOV_DEBUG": "0",
    }
    os.environ.update(env)
    return env


def build(rebuild: bool, cases: int) -> tuple[int, int]:
    """The district demo in the bench database, topped up to `cases` cases; returns
    (grids, cases)."""
    import django

    django.setup()
    from django.core.management import call_command

    from gridgov.cases.models import Case
    from gridgov.demo.builder import build_demo
    from gridgov.grids.models import Grid

    call_command("migrate", interactive=False, verbosity=0)
    if rebuild or Grid.objects.count() < 5000:
        started = time.perf_counter()
        build_demo("district", reset=True)
        print(f"built the district demo in {time.perf_counter() - started:.1f} s")
    missing = cases - Case.objects.count()
    if missing > 0:
        started = time.perf_counter()
        seed_district_cases(missing)
        print(f"added {missing:,} cases in {time.perf_counter() - started:.1f} s")
    return Grid.objects.count(), Case.objects.count()


# seed 004: where closed cases were finally closed (120 / 162 / 2 / 4 of 288).
CLOSED_LEVELS = [("village", 120), ("town", 162), ("county", 2), ("hotline", 4)]
OPEN_STATES_MIX = [
    ("reported", 10),
    ("accepted", 6),
    ("dispatched", 14),
    ("handling", 30),
    ("returned", 3),
    ("fed_back", 8),
    ("verified", 3),
]
CHANNELS = [("patrol", 60), ("resident", 20), ("hotline", 12), ("department", 8)]


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([k for k, _w in weighted], weights=[w for _k, w in weighted])[0]


def seed_district_cases(count: int, *, days: int = 90, seed: int = 20261124) -> None:
    """Insert `count` valid cases over the district's unit grids in the last `days` days, with
    their report events, by bulk_create in batches (the services would take an hour).

    A case's state follows its age: most cases older than a fortnight are closed (normally or
    overdue against their working-day deadline, at the level seed 004 reports), the recent ones
    are spread over the open states, a few are invalid. Points are the unit grid's label point
    moved by up to about 30 m."""
    from django.db import transaction
    from django.utils import timezone

    from gridgov.cases.models import Case, CaseEvent, MatterItem
    from gridgov.grids.models import Grid

    rng = random.Random(seed)
    units = list(
        Grid.objects.leaves()
        .filter(label_lon__isnull=False)
        .values_list("pk", "region_id", "region__parent_id", "label_lon", "label_lat")
    )
    items = list(MatterItem.objects.filter(is_active=True).values_list("pk", "name", "limit_days"))
    now = timezone.now()
    batch = 5000
    for start in range(0, count, batch):
        rows: list[Case] = []
        for _ in range(min(batch, count - start)):
            rows.append(_synthetic_case(rng, now, days, rng.choice(units), rng.choice(items)))
        with transaction.atomic():
            created = Case.objects.bulk_create(rows, batch_size=1000)
            CaseEvent.objects.bulk_create(
                [
                    CaseEvent(
                        case_id=c.pk,
                        kind="report",
                        from_state="",
                        to_state="reported",
                        at=c.created_at,
                        grid_id=c.grid_id,
                        level=c.level,
                        level_region_id=c.level_region_id,
                        item_id=c.item_id,
                        note=c.description[:200],
                    )
                    for c in created
                ],
                batch_size=1000,
            )


def _synthetic_case(
    rng: random.Random, now: dt.datetime, days: int, unit: tuple[Any, ...], item: tuple[Any, ...]
) -> Any:
    from gridgov.cases.models import Case, new_tracking_code

    unit_id, village_id, town_id, lon, lat = unit
    item_id, item_name, limit_days = item
    age = rng.uniform(0, days)
    created = now - dt.timedelta(days=age)
    due = created + dt.timedelta(days=limit_days * 1.4)  # working days, weekends between
    at_town = rng.random() < 0.56
    roll = rng.random()
    fields: dict[str, Any] = {}
    if roll < 0.03:
        state, due_at = rng.choice(["rejected", "merged"]), None
    elif rng.random() < min(0.97, age / 14):
        closed_at = min(now, created + dt.timedelta(days=rng.uniform(0.1, limit_days * 1.7)))
        state = "called_back" if rng.random() < 0.7 else "closed"
        fields = {
            "closed_at": closed_at,
            "closure_type": "normal" if closed_at <= due else "overdue",
            "closed_level": _pick(rng, CLOSED_LEVELS),
            "satisfaction": rng.choice([5, 5, 5, 4, 3]) if state == "called_back" else None,
        }
        due_at = due
    else:
        state = _pick(rng, OPEN_STATES_MIX)
        due_at = None if state in ("reported", "accepted") else due
    text = f"{item_name}(巡查发现)"
    return Case(
        state=state,
        version=1,
        channel=_pick(rng, CHANNELS),
        tracking_code=new_tracking_code(),
        title=item_name,
        description=text,
        item_id=item_id,
        urgency="ordinary",
        mode="coordinate",
        lon=lon + rng.uniform(-0.0003, 0.0003),
        lat=lat + rng.uniform(-0.0003, 0.0003),
        grid_id=unit_id,
        level="town" if at_town else "village",
        level_region_id=town_id if at_town else village_id,
        due_at=due_at,
        limit_value=limit_days,
        limit_unit="workdays",
        limit_started_at=created,
        created_at=created,
        updated_at=fields.get("closed_at") or created,
        **fields,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "gridgov.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
            # Two benchmarks (or a served demo) at once must not fight over gunicorn's shared
            # control socket.
            "--no-control-socket",
        ],
        env=env,
        cwd=REPO,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as r:  # noqa: S310
                if r.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not start")


def measure(base: str, runs: int, expected_polygons: int) -> list[dict[str, float]]:
    from playwright.sync_api import sync_playwright

    from gridgov.core.testing.town import PASSWORD

    results = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for _ in range(runs + 1):
            context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
            page.goto(f"{base}/login/")
            page.fill("#id_username", USERNAME)
            page.fill("#id_password", PASSWORD)
            page.click("form button[type=submit].btn")
            page.wait_for_url(f"{base}/command/")
            page.goto(f"{base}/command/", wait_until="commit")
            page.wait_for_selector("#cc-map[data-ready='1']", timeout=60_000)
            page.wait_for_selector("#command-centre[data-figures='1']", timeout=60_000)
            timings = page.evaluate(
                """() => ({
                    map: window.gridgovTimings.map,
                    figures: window.gridgovTimings.figures,
                    dom: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
                    fcp: (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || 0,
                })"""
            )
            polygons = page.locator("#cc-map path.grid-shape").count()
            if polygons != expected_polygons:
                raise SystemExit(f"drew {polygons} polygons, expected {expected_polygons}")
            if errors:
                raise SystemExit(f"page errors: {errors}")
            timings["interactive"] = max(timings["map"], timings["figures"])
            # The figures endpoint alone, as the page's 60-second refresh calls it.
            timings["endpoint"] = page.evaluate(
                """async () => { const t = performance.now();
                    await (await fetch('/command/figures.json')).json();
                    return performance.now() - t; }"""
            )
            results.append({k: v / 1000 for k, v in timings.items()})
            context.close()
        browser.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="rebuild the district demo first")
    parser.add_argument("--runs", type=int, default=5, help="warm runs after the first")
    parser.add_argument(
        "--cases", type=int, default=40_000, help="top the district up to this many cases"
    )
    args = parser.parse_args()
    env = setup_environment()
    grids, cases = build(args.rebuild, args.cases)
    from django.contrib.auth import get_user_model

    from gridgov.grids.models import Grid

    user = get_user_model().objects.get(username=USERNAME)
    visible = Grid.objects.visible_to(user).active().filter(boundary__isnull=False).count()
    print(f"district: {grids} grids, {cases} cases; {USERNAME} sees {visible} grids")
    port = free_port()
    server = serve(env, port)
    try:
        results = measure(f"http://127.0.0.1:{port}", args.runs, visible)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(
        f"{'run':>5} {'DOM ready':>10} {'first paint':>12} {'map drawn':>10} {'figures':>8} "
        f"{'interactive':>12} {'figures.json':>13}"
    )
    for i, r in enumerate(results):
        label = "cold" if i == 0 else str(i)
        print(
            f"{label:>5} {r['dom']:>9.2f}s {r['fcp']:>11.2f}s {r['map']:>9.2f}s "
            f"{r['figures']:>7.2f}s {r['interactive']:>11.2f}s {r['endpoint']:>12.2f}s"
        )
    warm = statistics.median(r["interactive"] for r in results[1:]) if len(results) > 1 else 0.0
    cold = results[0]["interactive"]
    print(
        f"command centre interactive: cold {cold:.2f} s, warm median {warm:.2f} s (target < {TARGET_SECONDS:.1f} s)"
    )
    return 0 if max(cold, warm) < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
