"""Intake throughput through the HTTP API, beside the framework ceiling of the same stack.

    .venv/bin/python bench/bench_intake.py                 # SQLite and PostgreSQL
    .venv/bin/python bench/bench_intake.py --db sqlite --seconds 20 --clients 4

For each database: build the demo town into a scratch database, serve it with gunicorn (2
workers) and drive it from a load generator in other processes (each client a keep-alive
connection logged in as a different grid worker). Two endpoints run in the same server, one
after the other:

- ceiling: a bench-only endpoint of the same stack (Django middleware, session auth, ninja form
  parsing, one transaction) that inserts one plain row; it is mounted only by this file's URL
  configuration, never by the platform's routes;
- intake: POST /api/v1/cases/ as a patrol report with a point, a category and an idempotency
  key: grid resolution (STRtree), routing to the receiving platform, duplicate check, the case
  row, its REPORT event, and the notifications to the station's operators queued on commit.

The target is intake at 30 % or more of the ceiling. This module is also the WSGI application
gunicorn loads (`bench_intake:application`), with the bench endpoint added to the URLs.
"""

import argparse
import json
import multiprocessing as mp
import os
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
VENV_PY = REPO / ".venv" / "bin" / "python"
PG_URL = "postgres://postgres@127.0.0.1:5432/gridgov_bench_intake"
CSRF = "benchcsrf" + "0" * 23  # a 32-character CSRF secret shared by cookie and header

# --------------------------------------------------------------------------------------------
# The WSGI side (imported by gunicorn workers)

_application: Any = None


def _bench_urlpatterns() -> list[Any]:
    from django.db import connection, transaction
    from django.http import HttpRequest
    from django.urls import include, path
    from django.utils import timezone
    from ninja import Form, NinjaAPI, Schema
    from ninja.security import django_auth

    bench_api = NinjaAPI(auth=django_auth, urls_namespace="bench", docs_url=None)

    class PingIn(Schema):
        description: str
        category: str = ""
        lon: float | None = None
        lat: float | None = None
        idempotency_key: str = ""

    @bench_api.post("/ping")
    def ping(request: HttpRequest, payload: Form[PingIn]) -> dict[str, bool]:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bench_ping (at, note) VALUES (%s, %s)",
                [timezone.now(), payload.description[:200]],
            )
        return {"ok": True}

    return [path("bench/", bench_api.urls), path("", include("gridgov.urls"))]


def __getattr__(name: str) -> Any:
    # Django reads ROOT_URLCONF's `urlpatterns` after setup; build it then (PEP 562).
    if name == "urlpatterns":
        return _bench_urlpatterns()
    raise AttributeError(name)


def application(environ: dict[str, Any], start_response: Any) -> Any:
    global _application
    if _application is None:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
        import django
        from django.conf import settings

        django.setup()
        settings.ROOT_URLCONF = "bench_intake"
        from django.core.wsgi import get_wsgi_application

        _application = get_wsgi_application()
    return _application(environ, start_response)


# --------------------------------------------------------------------------------------------
# Setup (run in a subprocess with the target DATABASE_URL)


def setup_database() -> None:
    """Migrate, build the demo town, create the ping table, and print the clients' sessions
    and report points as JSON on stdout."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import connection
    from shapely.geometry import Point, shape

    from gridgov.cases.catalogue import route_department
    from gridgov.cases.models import MatterItem
    from gridgov.core.jurisdiction import Role
    from gridgov.demo.builder import build_demo
    from gridgov.grids.models import Region
    from gridgov.people.models import Jurisdiction

    call_command("migrate", interactive=False, verbosity=0)
    build_demo("town")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS bench_ping (id bigserial PRIMARY KEY, at timestamptz, note text)"
            )
        else:
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS bench_ping (id integer PRIMARY KEY AUTOINCREMENT, at text, note text)"
            )
    town = Region.objects.get(code="370402103000")
    categories = [
        i.code
        for i in MatterItem.objects.active()
        if route_department(item=i, level="town", region=town)
    ]
    rng = random.Random(7)
    clients = []
    grants = (
        Jurisdiction.objects.filter(role=Role.WORKER, active=True)
        .select_related("user", "grid")
        .order_by("user__username")
    )
    for grant in grants[:32]:
        user = grant.user
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        polygon = shape(grant.grid.boundary)
        minx, miny, maxx, maxy = polygon.bounds
        points = []
        while len(points) < 20:
            lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if polygon.contains(Point(lon, lat)):
                points.append((round(lon, 6), round(lat, 6)))
        clients.append({"session": session.session_key, "points": points})
    assert get_user_model().objects.filter(username="worker_a1").exists()
    print(json.dumps({"clients": clients, "categories": categories}))


# --------------------------------------------------------------------------------------------
# Load generator (separate processes)


def _multipart(fields: dict[str, str]) -> tuple[bytes, str]:
    boundary = "----bench" + secrets.token_hex(8)
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    parts.append(f"--{boundary}--\r\n")
    return "".join(parts).encode(), f"multipart/form-data; boundary={boundary}"


def _client(
    port: int,
    path: str,
    client: dict[str, Any],
    categories: list[str],
    start_at: float,
    stop_at: float,
    results: Any,
) -> None:
    rng = random.Random(client["session"])
    conn = HTTPConnection("127.0.0.1", port, timeout=30)
    headers_base = {
        "Cookie": f"sessionid={client['session']}; csrftoken={CSRF}",
        "X-CSRFToken": CSRF,
        "Connection": "keep-alive",
    }
    ok = errors = 0
    latencies: list[float] = []
    while time.time() < start_at:
        time.sleep(0.001)
    while time.time() < stop_at:
        lon, lat = rng.choice(client["points"])
        fields = {
            "description": "巡查发现问题,现场拍照上报",
            "category": rng.choice(categories),
            "lon": str(lon),
            "lat": str(lat),
            "idempotency_key": uuid.uuid4().hex,
        }
        body, content_type = _multipart(fields)
        began = time.perf_counter()
        try:
            conn.request(
                "POST", path, body=body, headers={**headers_base, "Content-Type": content_type}
            )
            response = conn.getresponse()
            response.read()
            if response.status in (200, 201):
                ok += 1
                latencies.append(time.perf_counter() - began)
            else:
                errors += 1
        except OSError:
            errors += 1
            conn.close()
            conn = HTTPConnection("127.0.0.1", port, timeout=30)
    conn.close()
    results.put((ok, errors, latencies))


def drive(
    port: int, path: str, setup: dict[str, Any], clients: int, seconds: float
) -> dict[str, Any]:
    ctx = mp.get_context("fork")
    results = ctx.Queue()
    start_at = time.time() + 0.5
    stop_at = start_at + seconds
    procs = [
        ctx.Process(
            target=_client,
            args=(
                port,
                path,
                setup["clients"][i % len(setup["clients"])],
                setup["categories"],
                start_at,
                stop_at,
                results,
            ),
        )
        for i in range(clients)
    ]
    for p in procs:
        p.start()
    collected = [results.get() for _ in procs]
    for p in procs:
        p.join()
    ok = sum(c[0] for c in collected)
    errors = sum(c[1] for c in collected)
    latencies = sorted(x for c in collected for x in c[2])
    return {
        "ok": ok,
        "errors": errors,
        "rps": ok / seconds,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p95_ms": latencies[int(len(latencies) * 0.95)] * 1000 if latencies else float("nan"),
    }


# --------------------------------------------------------------------------------------------
# Orchestration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def _prepare_pg() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS gridgov_bench_intake")
        conn.execute("CREATE DATABASE gridgov_bench_intake")


def _merge(runs: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    ok = sum(r["ok"] for r in runs)
    return {
        "ok": ok,
        "errors": sum(r["errors"] for r in runs),
        "rps": ok / seconds,
        "p50_ms": statistics.median(r["p50_ms"] for r in runs),
        "p95_ms": max(r["p95_ms"] for r in runs),
    }


def run_one(db: str, seconds: float, clients: int, rounds: int) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-intake-{db}-"))
    env = {
        **os.environ,
        "GRIDGOV_VAR_DIR": str(workdir),
        "GRIDGOV_MEDIA_ROOT": str(workdir / "media"),
        "GRIDGOV_LOG_LEVEL": "WARNING",
        "GRIDGOV_SECRET_KEY": "bench-" + secrets.token_hex(16),
        "DJANGO_SETTINGS_MODULE": "gridgov.settings",
    }
    if db == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    else:
        _prepare_pg()
        env["DATABASE_URL"] = PG_URL
        env["GRIDGOV_CONN_MAX_AGE"] = "600"
    print(f"[{db}] building the demo town …", flush=True)
    out = subprocess.run(
        [str(VENV_PY), __file__, "--setup"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    setup = json.loads(out.stdout.strip().splitlines()[-1])
    port = _free_port()
    server = subprocess.Popen(
        [
            str(VENV_PY), "-m", "gunicorn", "bench_intake:application",
            "--pythonpath", str(REPO / "bench"),
            "--workers", "2", "--bind", f"127.0.0.1:{port}",
            "--log-level", "warning", "--keep-alive", "30",
            # No shared control socket: a second gunicorn (a server, another bench) uses it.
            "--no-control-socket",
        ],
        env=env,
        cwd=REPO,
    )  # fmt: skip
    try:
        _wait_for(port)
        # Warm both workers (imports, the grid index, the calendar cache).
        drive(port, "/bench/ping", setup, clients, 1.5)
        drive(port, "/api/v1/cases/", setup, clients, 2.5)
        # Interleaved rounds, so a change in the machine's load hits both endpoints alike.
        ceilings, intakes = [], []
        for _round in range(rounds):
            ceilings.append(drive(port, "/bench/ping", setup, clients, seconds / rounds))
            intakes.append(drive(port, "/api/v1/cases/", setup, clients, seconds / rounds))
        ceiling, intake = _merge(ceilings, seconds), _merge(intakes, seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)
    return {"db": db, "ceiling": ceiling, "intake": intake}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=30.0, help="per endpoint")
    parser.add_argument(
        "--clients", type=int, default=4, help="concurrent load-generator processes"
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per endpoint")
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        sys.path.insert(0, str(REPO / "src"))
        setup_database()
        return
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    rows = [run_one(db, args.seconds, args.clients, args.rounds) for db in dbs]
    print()
    print(
        f"Intake throughput, gunicorn 2 workers, {args.clients} client processes, "
        f"{args.seconds:.0f} s per endpoint in {args.rounds} interleaved rounds"
    )
    print(
        f"{'database':<12}{'ceiling req/s':>15}{'ceiling p50':>13}{'intake req/s':>15}"
        f"{'intake p50':>12}{'intake p95':>12}{'ratio':>8}{'errors':>8}"
    )
    for r in rows:
        c, i = r["ceiling"], r["intake"]
        ratio = i["rps"] / c["rps"] if c["rps"] else float("nan")
        print(
            f"{r['db']:<12}{c['rps']:>15.1f}{c['p50_ms']:>11.1f}ms{i['rps']:>15.1f}"
            f"{i['p50_ms']:>10.1f}ms{i['p95_ms']:>10.1f}ms{ratio:>8.0%}{c['errors'] + i['errors']:>8}"
        )
    print("target: intake ≥ 30 % of the ceiling")


if __name__ == "__main__":
    main()
