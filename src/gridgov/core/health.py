"""`GET /healthz` for load balancers: 200 when this server can reach its database and its task
queue, 503 otherwise. No log-in and no data: only which dependency is down."""

from __future__ import annotations

import logging

from django.db import DatabaseError, connections, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

log = logging.getLogger(__name__)


def database_reachable(alias: str = "default") -> bool:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        log.warning("healthz: database %s unreachable", alias, exc_info=True)
        return False


def task_queue_reachable() -> bool:
    """The default task backend can take work: for the database queue, its table answers."""
    from django_tasks import task_backends
    from django_tasks_db import DatabaseBackend

    try:
        backend = task_backends["default"]
        if isinstance(backend, DatabaseBackend):
            from django_tasks_db.models import DBTaskResult

            # A savepoint: a failed query must not spoil a surrounding transaction.
            with transaction.atomic():
                list(DBTaskResult.objects.order_by().values_list("pk", flat=True)[:1])
    except Exception:  # any failure to reach the queue is "down", whatever raised it
        log.warning("healthz: task queue unreachable", exc_info=True)
        return False
    return True


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": database_reachable()}
    checks["task_queue"] = checks["database"] and task_queue_reachable()
    healthy = all(checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable"}
        | {name: "ok" if ok else "unavailable" for name, ok in checks.items()},
        status=200 if healthy else 503,
    )
