"""The per-address throttle counts in a cache shared by all workers and servers (issue 9): the
database cache by default, Redis when GRIDGOV_REDIS_URL is set. Both are exercised here; Redis
at 127.0.0.1:6379 db 3 (skipped with a reason when no Redis answers there)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection, connections
from django.test import RequestFactory, override_settings

from gridgov.core import throttle as throttle_module
from gridgov.core.errors import ThrottledError

REDIS_URL = "redis://127.0.0.1:6379/3"


def redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["database", "redis"])
def shared_cache(request: Any) -> Iterator[str]:
    """The default cache as a deployment configures it, emptied before and after."""
    if request.param == "database":
        config = dict(settings.DATABASE_CACHE)
    else:
        if not redis_answers():
            pytest.skip("no Redis at 127.0.0.1:6379 (the database cache is tested alone)")
        config = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"gridgov-test-{uuid.uuid4().hex}",
        }
    with override_settings(CACHES={"default": config}):
        if request.param == "database":
            caches["default"].clear()
        yield request.param
        if request.param == "redis":
            client = caches["default"]._cache.get_client(write=True)  # type: ignore[attr-defined]
            prefix = config["KEY_PREFIX"]
            for key in client.scan_iter(f"{prefix}:*"):
                client.delete(key)


def test_settings_pick_the_database_cache_unless_redis_is_configured() -> None:
    if settings.GRIDGOV_REDIS_URL:
        assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    else:
        assert settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache")


@pytest.mark.django_db
def test_migrate_made_the_cache_table() -> None:
    assert settings.CACHE_TABLE in connection.introspection.table_names()


@pytest.mark.django_db
def test_two_workers_share_one_count(shared_cache: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two cache connections, as two gunicorn workers (or two servers) hold, see one count."""
    worker_one = caches.create_connection("default")
    worker_two = caches.create_connection("default")
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3")
    for n in range(6):
        monkeypatch.setattr(throttle_module, "cache", worker_one if n % 2 else worker_two)
        throttle_module.throttle(request, scope="shared", limit=6, per_seconds=60)
    for worker in (worker_one, worker_two):
        monkeypatch.setattr(throttle_module, "cache", worker)
        with pytest.raises(ThrottledError):
            throttle_module.throttle(request, scope="shared", limit=6, per_seconds=60)


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_never_exceed_the_limit(
    shared_cache: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight threads, each with its own database or Redis connection, race for 20 slots: exactly
    20 pass. A read-then-write counter (the database cache's `incr`) lets more through."""
    if shared_cache == "database" and connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers, so threads cannot race there; PostgreSQL runs it")
    limit, threads, each = 20, 8, 6
    passed: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def client() -> None:
        # django.core.cache.cache is per thread: each thread has its own connection.
        request = RequestFactory().get("/", REMOTE_ADDR="10.7.7.7")
        barrier.wait()
        try:
            for _ in range(each):
                try:
                    throttle_module.throttle(request, scope="race", limit=limit, per_seconds=3600)
                except ThrottledError:
                    continue
                with lock:
                    passed.append(1)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(passed) == limit
