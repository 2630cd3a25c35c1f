"""`gridgov scheduler`: enqueue the periodic tasks of settings.GRIDGOV_SCHEDULE.

It only enqueues: the work runs in the task worker (`gridgov run-tasks`), and every scheduled
task is idempotent, so an extra run is harmless and a missed one is caught up. Each job runs
once at start (a run missed while the scheduler was down) and then every N minutes; runs missed
while it was busy or suspended are coalesced into one."""

from __future__ import annotations

import datetime as dt
import logging
import signal
from dataclasses import dataclass
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import Task

from gridgov.core.workdays import SHANGHAI

log = logging.getLogger("gridgov.scheduler")


@dataclass(frozen=True)
class ScheduledTask:
    path: str
    minutes: float


def load_schedule() -> list[ScheduledTask]:
    """settings.GRIDGOV_SCHEDULE checked: each entry a django-tasks task and a positive interval."""
    entries = []
    seen = set()
    for index, entry in enumerate(getattr(settings, "GRIDGOV_SCHEDULE", [])):
        where = f"GRIDGOV_SCHEDULE[{index}]"
        if not isinstance(entry, dict) or set(entry) - {"task", "minutes"}:
            raise ImproperlyConfigured(f"{where} must be {{'task': 'dotted.path', 'minutes': N}}")
        path = entry.get("task")
        minutes = entry.get("minutes")
        if not isinstance(path, str) or not path:
            raise ImproperlyConfigured(f"{where}: 'task' must be a dotted path")
        if isinstance(minutes, bool) or not isinstance(minutes, int | float) or minutes <= 0:
            raise ImproperlyConfigured(f"{where}: 'minutes' must be a positive number")
        try:
            target = import_string(path)
        except ImportError as exc:
            raise ImproperlyConfigured(f"{where}: cannot import {path}: {exc}") from None
        if not isinstance(target, Task):
            raise ImproperlyConfigured(f"{where}: {path} is not a django-tasks task (@task)")
        if path in seen:
            raise ImproperlyConfigured(f"{where}: {path} is scheduled twice")
        seen.add(path)
        entries.append(ScheduledTask(path, float(minutes)))
    return entries


def enqueue(path: str) -> str | None:
    """Enqueue one scheduled task; a failure is logged and retried at the next interval."""
    try:
        result = import_string(path).enqueue()
    except Exception:
        log.exception("could not enqueue %s", path)
        return None
    log.info("enqueued %s (%s)", path, result.id)
    return str(result.id)


def enqueue_job(path: str) -> str | None:
    """The scheduler's job: like a request, drop a broken or stale connection first and after
    (the scheduler lives for weeks; the database may restart meanwhile)."""
    close_old_connections()
    try:
        return enqueue(path)
    finally:
        close_old_connections()


def build_scheduler(
    entries: list[ScheduledTask], *, now: dt.datetime | None = None
) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone=SHANGHAI)
    start = now or timezone.now()
    for entry in entries:
        scheduler.add_job(
            enqueue_job,
            IntervalTrigger(minutes=entry.minutes, timezone=SHANGHAI),
            args=[entry.path],
            id=entry.path,
            name=entry.path,
            next_run_time=start,
            # Runs missed while the process was busy or suspended become one late run.
            coalesce=True,
            misfire_grace_time=None,
            max_instances=1,
        )
    return scheduler


class Command(BaseCommand):
    help = "Enqueue the periodic background tasks (settings.GRIDGOV_SCHEDULE) on their intervals"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="enqueue every scheduled task once and exit"
        )
        parser.add_argument("--list", action="store_true", help="print the schedule and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        entries = load_schedule()
        if options["list"]:
            for entry in entries:
                self.stdout.write(f"every {entry.minutes:g} min  {entry.path}")
            return
        if options["once"]:
            failed = [e.path for e in entries if enqueue(e.path) is None]
            if failed:
                raise CommandError(f"could not enqueue: {', '.join(failed)}")
            self.stdout.write(f"enqueued {len(entries)} task(s)")
            return
        scheduler = build_scheduler(entries)

        def stop(signum: int, frame: Any) -> None:
            scheduler.shutdown(wait=False)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"gridgov scheduler: {len(entries)} periodic task(s)")
        scheduler.start()
