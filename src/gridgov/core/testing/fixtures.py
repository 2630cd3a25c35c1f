"""pytest fixtures shared by every app's tests (registered from the root conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from gridgov.core.testing.town import Town, build_test_town


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    """The cast is built once per session, inside the test database."""
    with django_db_blocker.unblock():
        build_test_town()
    return


@pytest.fixture
def town(db: None) -> Town:
    return Town()


@pytest.fixture
def town_tx(transactional_db: None) -> Town:
    """For transaction=True tests: they flush the database afterwards, so rebuild first
    (the cast, and the calendar that the core migration seeded)."""
    from gridgov.core.calendar import ensure_seeded

    ensure_seeded()
    build_test_town()
    return Town()


@pytest.fixture
def client_for(db: None) -> Callable[[str], Client]:
    """`client_for("worker_a1")`: a test client logged in as that member of the cast."""
    from django.contrib.auth import get_user_model

    def make(username: str) -> Client:
        client = Client()
        if username:
            client.force_login(get_user_model().objects.get(username=username))
        return client

    return make


@pytest.fixture
def immediate_tasks(settings: Any) -> None:
    """Background tasks run in-process the moment they are enqueued (deterministic tests).

    Tasks enqueued on commit still need the commit: wrap the action in
    `django_capture_on_commit_callbacks(execute=True)`."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def run_task_queue(settings: Any) -> Callable[[], int]:
    """The production path: tasks go to the database queue, and calling the returned function
    runs everything queued so far, as `gridgov run-tasks` would; it returns how many ran."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    def run() -> int:
        from django_tasks_db.management.commands.db_worker import Worker
        from django_tasks_db.models import DBTaskResult

        # Worker.run() would close the test's connection between tasks (close_old_connections
        # inside the test transaction), so claim and run the rows as its loop does, one by one.
        worker = Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="pytest",
            excluded_queue_names=[],
        )
        ran = 0
        while (row := DBTaskResult.objects.ready().order_by("enqueued_at").first()) is not None:
            row.claim(worker.worker_id)
            worker.run_task(row)
            ran += 1
        return ran

    return run


def clear_cache() -> None:
    """Forget the throttle counters. The default cache is the database's (or Redis): a test
    without database access counted nothing in it, and a test's counts roll back with it."""
    import contextlib

    from django.core.cache import cache

    with contextlib.suppress(RuntimeError):  # pytest-django: no database access in this test
        cache.clear()


@pytest.fixture(autouse=True)
def default_language_after_each_test() -> Iterator[None]:
    """A request with Accept-Language: en leaves English active in the thread (LocaleMiddleware
    does not switch back); a later test rendering a template directly would then see English."""
    yield
    from django.utils import translation

    translation.deactivate()
