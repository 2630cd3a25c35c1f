"""Durability of keyed intake (issue 9): the platform served by gunicorn on PostgreSQL, several
clients sending keyed reports, the whole server killed with SIGKILL in the middle of the burst,
started again, the clients retrying what got no answer. Afterwards every acknowledged report is
stored under the case id it was acknowledged with, no key has two cases, nothing unacknowledged
is stored twice, and every case has its REPORT event."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.client import HTTPConnection
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from gridgov.cases.catalogue import ensure_default_catalogue
from gridgov.cases.models import Case, CaseEvent, EventKind
from gridgov.core.testing.town import INSIDE, UNIT_A1, Town

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CLIENTS = 4
REPORTS_PER_CLIENT = 25
KILL_AFTER = 20  # acknowledged reports before the kill
DEADLINE_SECONDS = 50
CSRF = "durabilitycsrf" + "0" * 18  # 32 characters: a CSRF secret shared by cookie and header


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int) -> subprocess.Popen[bytes]:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gridgov.settings",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "GRIDGOV_SECRET_KEY": settings.SECRET_KEY,
        "GRIDGOV_LOG_LEVEL": "ERROR",
    }
    # Its own session (process group), so SIGKILL reaches the master and every worker at once.
    return subprocess.Popen(  # noqa: S603
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
            "error",
        ],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_until_up(port: int, timeout: float = 30) -> None:
    stop = time.monotonic() + timeout
    while time.monotonic() < stop:
        with contextlib.suppress(OSError):
            conn = HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        time.sleep(0.2)
    raise AssertionError(f"the server on port {port} did not come up in {timeout} s")


def kill(server: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=10)


def test_sigkill_mid_burst_loses_and_doubles_nothing(town_tx: Town) -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "durability is checked on PostgreSQL, the multi-process deployment "
            "(run the suite with DATABASE_URL=postgres://…)"
        )
    ensure_default_catalogue()  # an earlier transactional test may have flushed it
    web = Client()
    web.force_login(town_tx.user("worker_a1"))
    session = web.cookies[settings.SESSION_COOKIE_NAME].value
    lon, lat = INSIDE[UNIT_A1]
    port = free_port()
    acknowledged: dict[str, int] = {}
    refused: list[str] = []
    retried: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + DEADLINE_SECONDS

    def send(key: str) -> None:
        body = urlencode(
            {
                "description": f"巡查发现问题 {key}",
                "category": "0401",
                "lon": lon,
                "lat": lat,
                "idempotency_key": key,
            }
        )
        headers = {
            "Cookie": f"sessionid={session}; csrftoken={CSRF}",
            "X-CSRFToken": CSRF,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        while time.monotonic() < deadline:
            try:
                conn = HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("POST", "/api/v1/cases/", body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except OSError:  # refused, reset, timed out: the server is down, send it again
                with lock:
                    retried.append(key)
                time.sleep(0.1)
                continue
            if response.status in {200, 201}:
                with lock:
                    acknowledged[key] = int(json.loads(data)["id"])
                return
            if response.status >= 500:
                time.sleep(0.1)
                continue
            with lock:
                refused.append(f"{key}: {response.status} {data[:200]!r}")
            return

    def client(n: int) -> None:
        for i in range(REPORTS_PER_CLIENT):
            send(f"durability-{n}-{i}")

    server = start_server(port)
    try:
        wait_until_up(port)
        clients = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for thread in clients:
            thread.start()
        while len(acknowledged) < KILL_AFTER and time.monotonic() < deadline:
            time.sleep(0.01)
        kill(server)  # mid-burst: requests in flight die with it
        killed_at = len(acknowledged)
        server = start_server(port)
        wait_until_up(port)
        for thread in clients:
            thread.join(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        kill(server)

    assert not refused, refused
    assert killed_at < CLIENTS * REPORTS_PER_CLIENT, "the kill came after the burst"
    assert retried, "no request was cut off by the kill"
    assert len(acknowledged) == CLIENTS * REPORTS_PER_CLIENT, "clients gave up before the deadline"
    owner = town_tx.user("worker_a1").pk
    stored = {
        key.split(":", 1)[1]: pk
        for key, pk in Case.objects.filter(
            idempotency_key__startswith=f"{owner}:durability-"
        ).values_list("idempotency_key", "pk")
    }
    assert stored == acknowledged  # acknowledged = stored, under the same case, nothing extra
    cases = Case.objects.filter(pk__in=stored.values())
    assert cases.count() == len(stored)  # no key with two cases
    with_report = set(
        CaseEvent.objects.filter(case__in=cases, kind=EventKind.REPORT).values_list(
            "case_id", flat=True
        )
    )
    assert with_report == set(stored.values())  # no case without its REPORT event
