"""Track storage at district scale, on PostgreSQL (issue 11's targets).

    .venv/bin/python bench/bench_tracks.py                       # both parts
    .venv/bin/python bench/bench_tracks.py --part upload --seconds 20
    .venv/bin/python bench/bench_tracks.py --part summary --workers 1000 --fixes 3000

upload: the demo town served by gunicorn (2 workers); 4 client processes, each logged in as a
different worker with an open patrol, POST batches of 5,000 fixes (a new batch_id each) to
/api/v1/fieldwork/patrols/{uid}/fixes for the given time. Printed beside a bare bulk insert of
the same fixes, one row per fix (COPY into a plain table from 4 processes): the ceiling of
writing the fixes at all. Targets: ≥ 5,000 fixes/s and ≥ 30 % of the bare insert.

summary: 1,000 workers, each with a post in one of the demo town's unit grids and a day of
3,000 fixes walking inside it (about 8 hours at one fix every 10 s: 3 M fixes), stored as the
phone would have sent them (batches of 300 fixes); then `refresh_all_days` computes every
worker's patrol day (filter, mileage, stay points, coverage of their grid, key points, outside
share) and stores it. Target: under 60 s. Printed beside the previous way on a sample of the
same days (`--before-sample`, default 100): one person at a time (a few queries each), each
track buffered whole for coverage and stay points scanned run by run; the sample's stored
figures must agree (coverage within 1e-4, everything else exactly).

The database is DATABASE_URL (default: this checkout's own PostgreSQL database gridgov_h11);
the bench's rows are removed first and stay afterwards for inspection.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import multiprocessing as mp
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
VENV_PY = REPO / ".venv" / "bin" / "python"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/gridgov_h11"
CSRF = "benchcsrf" + "0" * 23
BATCH = 5000
DAY = date(2026, 5, 12)
M_PER_DEG = 6_371_008.8 * math.pi / 180


def django_setup() -> None:
    sys.path.insert(0, str(REPO / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()


def walk_inside(
    polygon: Any, n: int, rng: random.Random, start: float
) -> list[tuple[float, float, float, float]]:
    """A random walk of n fixes every 10 s, about 1.2 m/s, staying inside the polygon."""
    from shapely.geometry import Point

    minx, miny, maxx, maxy = polygon.bounds
    while True:
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if polygon.contains(Point(lon, lat)):
            break
    heading = rng.uniform(0, 2 * math.pi)
    out = []
    cos_lat = math.cos(math.radians(lat))
    for i in range(n):
        out.append((start + 10 * i, lon, lat, rng.uniform(3, 30)))
        heading += rng.gauss(0, 0.4)
        step = 12 / M_PER_DEG
        nlon, nlat = lon + step * math.sin(heading) / cos_lat, lat + step * math.cos(heading)
        if polygon.contains(Point(nlon, nlat)):
            lon, lat = nlon, nlat
        else:
            heading += math.pi
    return out


def bench_users(count: int, prefix: str) -> list[Any]:
    """`count` bench workers, each with a post in one of the demo's unit grids (made once)."""
    from django.contrib.auth import get_user_model

    from gridgov.grids.models import Grid
    from gridgov.people.models import Post, PostKind, Staff

    user_model = get_user_model()
    existing = list(user_model.objects.filter(username__startswith=prefix).order_by("username"))
    if len(existing) >= count:
        return existing[:count]
    units = list(
        Grid.objects.filter(children__isnull=True, boundary__isnull=False).order_by("code")
    )
    assert units, "build the demo first (gridgov demo --no-serve)"
    new = user_model.objects.bulk_create(
        [user_model(username=f"{prefix}{i:05d}") for i in range(len(existing), count)]
    )
    staff = Staff.objects.bulk_create([Staff(name=u.username, user=u) for u in new])
    Post.objects.bulk_create(
        [
            Post(staff=s, kind=PostKind.WORKER_PART, grid=units[i % len(units)], is_public=False)
            for i, s in enumerate(staff)
        ]
    )
    return list(user_model.objects.filter(username__startswith=prefix).order_by("username"))[:count]


# --- upload ----------------------------------------------------------------------------------


def setup_upload(clients: int) -> dict[str, Any]:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from shapely.geometry import shape

    from gridgov.fieldwork.models import Patrol, TrackChunk
    from gridgov.fieldwork.services import unit_grids_of
    from gridgov.people.models import Jurisdiction

    users = bench_users(clients, "bench_up_")
    TrackChunk.objects.filter(user__in=users).delete()
    Patrol.objects.filter(user__in=users).delete()
    out = []
    rng = random.Random(11)
    for user in users:
        grid = unit_grids_of(user)[0]
        Jurisdiction.objects.get_or_create(user=user, role="worker", grid=grid)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        now = time.time()
        patrol = Patrol.objects.create(
            user=user, grid=grid, started_at=datetime.fromtimestamp(now - 500, tz=UTC)
        )
        # One batch's worth of fixes within the last few minutes (the server refuses fixes
        # before the patrol or in the future); each request re-sends them under a new batch id.
        fixes = walk_inside(shape(grid.boundary), BATCH, rng, now - 400)
        fixes = [
            (now - 400 + i * 0.07, lon, lat, acc) for i, (_t, lon, lat, acc) in enumerate(fixes)
        ]
        body = [
            {
                "t": datetime.fromtimestamp(t, tz=UTC).isoformat(),
                "lon": round(lon, 7),
                "lat": round(lat, 7),
                "accuracy": round(acc, 1),
            }
            for t, lon, lat, acc in fixes
        ]
        out.append({"session": session.session_key, "uid": str(patrol.uid), "fixes": body})
    return {"clients": out}


def _upload_client(
    port: int, client: dict[str, Any], start_at: float, stop_at: float, results: Any
) -> None:
    conn = HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {
        "Cookie": f"sessionid={client['session']}; csrftoken={CSRF}",
        "X-CSRFToken": CSRF,
        "Content-Type": "application/json",
        "Connection": "keep-alive",
    }
    fixes_json = json.dumps(client["fixes"])
    path = f"/api/v1/fieldwork/patrols/{client['uid']}/fixes"
    ok = errors = 0
    # Warm-up (imports, connections, caches in both gunicorn workers) is not counted.
    while time.time() < start_at:
        body = f'{{"batch_id": "{uuid.uuid4().hex}", "fixes": {fixes_json}}}'
        conn.request("POST", path, body=body.encode(), headers=headers)
        conn.getresponse().read()
    began = time.perf_counter()
    while time.time() < stop_at:
        body = f'{{"batch_id": "{uuid.uuid4().hex}", "fixes": {fixes_json}}}'
        conn.request("POST", path, body=body.encode(), headers=headers)
        response = conn.getresponse()
        text = response.read()
        if response.status == 201:
            ok += 1
        else:
            errors += 1
            if errors < 3:
                print("upload error", response.status, text[:200], flush=True)
    results.put((ok, errors, time.perf_counter() - began))


def _copy_client(db_url: str, rows: list[tuple[Any, ...]], repeat: int, results: Any) -> None:
    import psycopg

    began = time.perf_counter()
    with psycopg.connect(db_url.replace("postgres://", "postgresql://")) as conn:
        for _ in range(repeat):
            with (
                conn.cursor() as cur,
                cur.copy("COPY bench_fix (user_id, t, lon, lat, accuracy) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            conn.commit()
    results.put(time.perf_counter() - began)


def run_upload(db_url: str, clients: int, seconds: float) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "GRIDGOV_LOG_LEVEL": "WARNING",
        "GRIDGOV_CONN_MAX_AGE": "600",
    }
    setup = json.loads(
        subprocess.run(
            [str(VENV_PY), __file__, "--setup-upload", str(clients)],
            env=env, check=True, capture_output=True, text=True, cwd=REPO,
        ).stdout.strip().splitlines()[-1]
    )  # fmt: skip
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    # The worker settings of `./run.sh serve` (core/management/commands/serve.py): 2 sync
    # workers, timeout 120, an access log line per request (thrown away here).
    server = subprocess.Popen(
        [str(VENV_PY), "-m", "gunicorn", "gridgov.wsgi:application", "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "--access-logfile", "-", "--timeout", "120",
         "--log-level", "warning", "--no-control-socket"],
        env=env, cwd=REPO, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    ctx = mp.get_context("fork")
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        results = ctx.Queue()
        # Warm-up until start_at; on a loaded machine a first request can take several seconds,
        # and a warm-up request still running at start_at shortens the measured window.
        start_at = time.time() + 25
        stop_at = start_at + seconds
        procs = [
            ctx.Process(
                target=_upload_client, args=(port, setup["clients"][i], start_at, stop_at, results)
            )
            for i in range(clients)
        ]
        for p in procs:
            p.start()
        collected = [results.get() for _ in procs]
        for p in procs:
            p.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    batches = sum(c[0] for c in collected)
    errors = sum(c[1] for c in collected)
    elapsed = max(c[2] for c in collected)
    api_rate = batches * BATCH / elapsed

    # The same fixes, one row per fix, COPY from as many processes.
    import psycopg

    plain = db_url.replace("postgres://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_fix")
        conn.execute(
            "CREATE TABLE bench_fix (id bigserial PRIMARY KEY, user_id int, t timestamptz, "
            "lon double precision, lat double precision, accuracy real)"
        )
        conn.execute("CREATE INDEX bench_fix_user_t ON bench_fix (user_id, t)")
    per_client = max(1, batches // clients)
    results = ctx.Queue()
    procs = []
    for i in range(clients):
        rows = [
            (i, datetime.fromisoformat(f["t"]), f["lon"], f["lat"], f["accuracy"])
            for f in setup["clients"][i]["fixes"]
        ]
        procs.append(ctx.Process(target=_copy_client, args=(plain, rows, per_client, results)))
    for p in procs:
        p.start()
    copy_elapsed = max(results.get() for _ in procs)
    for p in procs:
        p.join()
    bare_rate = per_client * clients * BATCH / copy_elapsed
    with psycopg.connect(plain, autocommit=True) as conn:
        chunk_bytes = conn.execute(
            # per stored fix (the table also holds the summary part's chunks of 300 fixes)
            "SELECT coalesce(sum(octet_length(data)), 0), coalesce(sum(count), 0) "
            "FROM fieldwork_trackchunk"
        ).fetchone()
        table_bytes = conn.execute("SELECT pg_total_relation_size('bench_fix')").fetchone()[0]
        conn.execute("DROP TABLE bench_fix")
    print()
    print(
        f"Upload through the HTTP API, PostgreSQL, gunicorn 2 workers, {clients} clients, {seconds:.0f} s"
    )
    print(
        f"  API:   {batches} batches of {BATCH} fixes in {elapsed:.1f} s, {errors} errors "
        f"-> {api_rate:,.0f} fixes/s"
    )
    print(f"  bare:  COPY one row per fix, {clients} processes -> {bare_rate:,.0f} fixes/s")
    print(f"  ratio: {api_rate / bare_rate:.0%}   (targets: ≥ 5,000 fixes/s and ≥ 30 %)")
    stored, fixes_stored = chunk_bytes
    if fixes_stored:
        print(
            f"  storage: packed chunks {stored / fixes_stored:.1f} bytes/fix "
            f"(payload); one row per fix {table_bytes / max(1, per_client * clients * BATCH):.1f} bytes/fix (table + index)"
        )


# --- summary ---------------------------------------------------------------------------------


def run_summary(workers: int, fixes: int, before_sample: int = 100, reuse: bool = False) -> None:
    import numpy as np
    from shapely.geometry import shape

    from gridgov.fieldwork.models import Patrol, PatrolDay, TrackChunk
    from gridgov.fieldwork.services import FixBatch, _chunk_for, day_bounds, unit_grids_of

    began = time.perf_counter()
    users = bench_users(workers, "bench_day_")
    if reuse and TrackChunk.objects.filter(user__in=users).count() == workers * -(-fixes // 300):
        run_refresh(users, workers * fixes, before_sample)
        return
    TrackChunk.objects.filter(user__in=users).delete()
    Patrol.objects.filter(user__in=users).delete()
    PatrolDay.objects.filter(user__in=users).delete()
    start, _end = day_bounds(DAY)
    rng = random.Random(5)
    grids = {}
    total = 0
    for user in users:
        grid = grids.setdefault(user.pk, unit_grids_of(user)[0])
        walk = np.array(walk_inside(shape(grid.boundary), fixes, rng, start.timestamp() + 8 * 3600))
        patrol = Patrol.objects.create(
            user=user, grid=grid, started_at=datetime.fromtimestamp(walk[0, 0], tz=UTC),
            ended_at=datetime.fromtimestamp(walk[-1, 0], tz=UTC), fix_count=fixes,
        )  # fmt: skip
        chunks = [
            _chunk_for(patrol, f"bench:{user.pk}:{i}", FixBatch(*walk[i : i + 300].T))
            for i in range(0, fixes, 300)
        ]
        TrackChunk.objects.bulk_create(chunks)
        total += fixes
    stored = time.perf_counter() - began
    print(
        f"stored {total:,} fixes for {workers} workers in {stored:.1f} s (setup, not timed)",
        flush=True,
    )
    run_refresh(users, total, before_sample)


def run_refresh(users: list[Any], total: int, before_sample: int) -> None:
    from gridgov.fieldwork import daily
    from gridgov.fieldwork.models import PatrolDay

    sample = users[: min(before_sample, len(users))]
    if sample:
        # The previous way, side by side on the same days.
        with previous_track_code():
            began = time.perf_counter()
            for user in sample:
                daily.refresh_patrol_day(user, DAY)
            before = time.perf_counter() - began
        fields = [f.name for f in PatrolDay._meta.fields if f.name not in ("id", "computed_at")]
        previous = {
            r["user"]: r for r in PatrolDay.objects.filter(user__in=sample, day=DAY).values(*fields)
        }
        began = time.perf_counter()
        sample_ids = [u.pk for u in sample]
        for i in range(0, len(sample_ids), daily.REFRESH_BATCH):
            daily._refresh_batch(sample_ids[i : i + daily.REFRESH_BATCH], DAY, daily.DEFAULT_RULES)
        after = time.perf_counter() - began
        now = {
            r["user"]: r for r in PatrolDay.objects.filter(user__in=sample, day=DAY).values(*fields)
        }
        worst = 0.0
        for uid, row in previous.items():
            other = now[uid]
            for name in fields:
                if name == "coverage":
                    assert row[name].keys() == other[name].keys(), uid
                    worst = max([worst] + [abs(row[name][k] - other[name][k]) for k in row[name]])
                else:
                    assert row[name] == other[name], (uid, name, row[name], other[name])
        assert worst <= 1e-4, worst
        print()
        print(
            f"Sample of {len(sample)} days, side by side: previous {before:.1f} s, now {after:.1f} s "
            f"({before / after:.1f}x); stored figures equal (coverage differs by ≤ {worst:.4f})"
        )
    began = time.perf_counter()
    cpu_before = os.times()
    done = daily.refresh_all_days(DAY)
    elapsed = time.perf_counter() - began
    # CPU time of this process and its worker processes (joined when the pool closed): on a
    # shared machine (Linux groups a session's processes for CPU shares) the wall time follows
    # the other sessions' load, this does not.
    cpu_after = os.times()
    cpu = sum(cpu_after[i] - cpu_before[i] for i in range(4))
    sample_row = PatrolDay.objects.filter(user__in=users[:1], day=DAY).first()
    print()
    print(
        f"Daily summary of {done} workers' days ({total:,} fixes): {elapsed:.1f} s (target < 60 s; "
        f"{daily.default_processes()} worker processes on {os.cpu_count()} CPUs)"
    )
    print(
        f"  CPU time: {cpu:.1f} s in this process and its workers (PostgreSQL's not counted); "
        f"load average {', '.join(f'{v:.1f}' for v in os.getloadavg())}"
    )
    if sample and done:
        print(f"  the previous way at the sample's pace: about {before / len(sample) * done:.0f} s")
    if sample_row:
        print(
            f"  e.g. {sample_row.user.username}: {sample_row.mileage_m / 1000:.1f} km, "
            f"{sample_row.duration_s / 3600:.1f} h, coverage {sample_row.coverage}"
        )


@contextlib.contextmanager
def previous_track_code() -> Any:
    """The track code before the issue 11 bench work, for the side-by-side timing: coverage
    buffered the whole clipped track at once; stay points scanned from each run's first fix."""
    import numpy as np
    import shapely
    from shapely import transform as transform_coords
    from shapely.geometry import shape
    from shapely.geometry.base import BaseGeometry

    from gridgov.fieldwork import tracks

    def coverage_share(kept, boundary, rules=tracks.DEFAULT_RULES, runs=None):  # type: ignore[no-untyped-def]
        polygon = boundary if isinstance(boundary, BaseGeometry) else shape(boundary)
        if polygon.is_empty:
            return 0.0
        runs = tracks.kept_segment_runs(kept, rules) if runs is None else runs
        if not runs:
            return 0.0
        centre = polygon.centroid
        project = tracks.laea_projector(centre.x, centre.y)
        area_poly = transform_coords(
            polygon, lambda xy: np.column_stack(project(xy[:, 0], xy[:, 1]))
        )
        if area_poly.area <= 0:
            return 0.0
        lines = tracks._projected_lines(kept, runs, project)
        minx, miny, maxx, maxy = area_poly.bounds
        margin = rules.buffer_m * 1.01
        near = shapely.clip_by_rect(
            lines, minx - margin, miny - margin, maxx + margin, maxy + margin
        )
        if near.is_empty:
            return 0.0
        near = shapely.simplify(near, tracks.SIMPLIFY_M, preserve_topology=False)
        covered = near.buffer(rules.buffer_m, quad_segs=16).intersection(area_poly)
        return float(min(1.0, covered.area / area_poly.area))

    def stay_points(kept, rules=tracks.DEFAULT_RULES):  # type: ignore[no-untyped-def]
        n = len(kept)
        stays = []
        start = 0
        while start < n:
            end = n
            probe = start + 1
            window = 8
            while probe < n:
                stop = min(n, probe + min(window, tracks._WINDOW))
                window *= 2
                d = tracks.haversine_m(
                    kept.lon[start], kept.lat[start], kept.lon[probe:stop], kept.lat[probe:stop]
                )
                far = np.flatnonzero(d >= rules.stay_radius_m)
                if far.size:
                    end = probe + int(far[0])
                    break
                probe = stop
            last = end - 1
            if kept.t[last] - kept.t[start] >= rules.stay_seconds:
                stays.append(
                    tracks.StayPoint(
                        lon=float(kept.lon[start:end].mean()),
                        lat=float(kept.lat[start:end].mean()),
                        arrived=float(kept.t[start]),
                        left=float(kept.t[last]),
                    )
                )
            start = end
        return stays

    saved = tracks.coverage_share, tracks.stay_points
    tracks.coverage_share, tracks.stay_points = coverage_share, stay_points
    try:
        yield
    finally:
        tracks.coverage_share, tracks.stay_points = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=["upload", "summary", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1000)
    parser.add_argument("--fixes", type=int, default=3000)
    parser.add_argument("--before-sample", type=int, default=100)
    parser.add_argument("--reuse", action="store_true", help="keep the fixes a previous run stored")
    parser.add_argument("--setup-upload", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    db_url = os.environ.get("DATABASE_URL", DEFAULT_DB)
    os.environ["DATABASE_URL"] = db_url
    if not db_url.startswith("postgres"):
        sys.exit("the track bench runs on PostgreSQL (DATABASE_URL=postgres://…)")
    django_setup()
    from django.core.management import call_command

    from gridgov.grids.models import Grid

    if args.setup_upload:
        print(json.dumps(setup_upload(args.setup_upload)))
        return
    call_command("migrate", interactive=False, verbosity=0)
    if not Grid.objects.filter(children__isnull=True, boundary__isnull=False).exists():
        from gridgov.demo.builder import build_demo

        print("building the demo town …", flush=True)
        build_demo("town")
    if args.part in ("upload", "both"):
        from django.db import connections

        connections.close_all()
        run_upload(db_url, args.clients, args.seconds)
    if args.part in ("summary", "both"):
        run_summary(args.workers, args.fixes, args.before_sample, args.reuse)


if __name__ == "__main__":
    main()
