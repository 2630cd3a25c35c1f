"""Migrate, then serve the platform with gunicorn beside a background-task worker and the
scheduler that enqueues the periodic tasks (deadline sweep, outbound retries)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Migrate the database and serve the platform on http://127.0.0.1:8000"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("GRIDGOV_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--no-migrate", action="store_true")
        parser.add_argument(
            "--no-task-worker",
            action="store_true",
            help="do not start the background task worker (deadline sweeps, notifications)",
        )
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help="do not start the scheduler of periodic tasks (run one elsewhere instead)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "gridgov.settings"}
        helpers: list[subprocess.Popen[bytes]] = []
        if not options["no_task_worker"]:
            helpers.append(
                subprocess.Popen([sys.executable, "-m", "gridgov.cli", "run_tasks"], env=env)  # noqa: S603
            )
        if not options["no_scheduler"]:
            helpers.append(
                subprocess.Popen([sys.executable, "-m", "gridgov.cli", "scheduler"], env=env)  # noqa: S603
            )
        bind = f"{options['host']}:{options['port']}"
        self.stdout.write(f"gridgov serving on http://{bind}/  (Ctrl+C to stop)")
        server = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "gunicorn",
                "gridgov.wsgi:application",
                "--bind",
                bind,
                "--workers",
                str(options["workers"]),
                "--access-logfile",
                "-",
                "--timeout",
                "120",
                # gunicorn's control socket has one default path per user: a second instance
                # (another port, a benchmark) would take it over. We do not use it.
                "--no-control-socket",
            ],
            env=env,
        )

        def stop(signum: int, frame: object) -> None:
            # A service manager stops us with SIGTERM: leave no orphaned worker or scheduler.
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            server.wait()
        except KeyboardInterrupt:
            server.send_signal(signal.SIGTERM)
            server.wait()
        finally:
            for helper in helpers:
                helper.terminate()
            for helper in helpers:
                helper.wait()
