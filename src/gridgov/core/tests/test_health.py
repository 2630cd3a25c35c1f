"""`GET /healthz` (issue 9): 200 with the database and the task queue reachable, 503 when either
is not; no log-in, no data."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.db import connection
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthy_without_logging_in() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "task_queue": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_a_task_queue_that_does_not_answer_is_503() -> None:
    from django_tasks_db.models import DBTaskResult

    table = DBTaskResult._meta.db_table
    with connection.cursor() as cursor:  # rolled back with the test
        cursor.execute(f"ALTER TABLE {table} RENAME TO gone_{table}")
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "ok",
        "task_queue": "unavailable",
    }


def test_an_unreachable_database_is_503() -> None:
    """A server whose database does not answer (nothing listens on port 1)."""
    code = (
        "import django, json; django.setup(); from django.test import Client;"
        "r = Client().get('/healthz'); print(json.dumps([r.status_code, r.json()]))"
    )
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "gridgov.settings",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nothing?connect_timeout=2",
            "GRIDGOV_LOG_LEVEL": "CRITICAL",
        },
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    status, body = json.loads(out.stdout.strip().splitlines()[-1])
    assert status == 503
    assert body["database"] == "unavailable"
    assert body["status"] == "unavailable"


def test_only_get() -> None:
    assert Client().post("/healthz").status_code == 405
