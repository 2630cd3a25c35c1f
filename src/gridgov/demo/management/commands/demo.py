"""`gridgov demo [--scale town|district] [--no-serve] [--reset]`: migrate, build the
deterministic demo (or keep the one already there), print the log-ins, then serve."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.core.errors import DomainError
from gridgov.demo.builder import CAST, SCALES, DemoSummary, build_demo


class Command(BaseCommand):
    help = "Build the deterministic demo town (seed 004) or district (seed 001), then serve it"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=SCALES, default="town")
        parser.add_argument("--no-serve", action="store_true", help="build and stop")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="delete every grid, region, department, person and user (and the cases on "
            "them) first, then build the demo afresh; the catalogue and calendar stay",
        )
        parser.add_argument("--host", default=None, help="passed on to `serve`")
        parser.add_argument("--port", type=int, default=None, help="passed on to `serve`")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        try:
            summary = build_demo(options["scale"], reset=options["reset"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.report(summary)
        if options["no_serve"]:
            return
        serve_options: dict[str, Any] = {"no_migrate": True}
        for key in ("host", "port"):
            if options[key] is not None:
                serve_options[key] = options[key]
        call_command("serve", **serve_options)

    def report(self, s: DemoSummary) -> None:
        out = self.stdout
        if s.built:
            out.write(
                self.style.SUCCESS(
                    f"演示已生成:{s.root_name} ({s.root_code}),用时 {s.seconds:.1f} 秒"
                )
            )
        else:
            out.write(
                self.style.WARNING(
                    f"演示已存在:{s.root_name} ({s.root_code}),保持不变(加 --reset 清空数据库后重建)"
                )
            )
        out.write(
            "网格:"
            + " / ".join(f"{name} {count:,}" for name, count in s.levels)
            + f";户数 {s.households:,},人口 {s.population:,}"
        )
        out.write(
            f"职能部门 {s.departments},工作人员 {s.staff:,},在岗岗位 {s.posts:,},分包联系 {s.liaisons}"
        )
        out.write("")
        out.write(f"登录名(密码均为 {s.password}):")
        cast = [x for x in s.logins if x.username in CAST]
        width = max((len(x.username) for x in cast), default=12) + 2
        for login in cast:
            out.write(f"  {login.username:<{width}}{login.role_label} · {login.scope}")
        others: dict[str, list[str]] = defaultdict(list)
        for login in s.logins:
            if login.username not in CAST:
                others[login.role_label].append(login.username)
        for label, usernames in others.items():
            shown = ", ".join(usernames[:4]) + (" …" if len(usernames) > 4 else "")
            out.write(f"  另有{label} {len(usernames)} 个:{shown}")
        out.write("")
