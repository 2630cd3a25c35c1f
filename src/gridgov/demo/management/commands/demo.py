"""`gridgov demo [--scale town|district] [--no-serve] [--reset]`: migrate, build the
deterministic demo (or keep the one already there), print the log-ins, then serve."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError
from gridgov.demo.builder import FEATURED, SCALES, DemoSummary, build_demo


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
        parser.add_argument(
            "--no-cases", action="store_true", help="places and people only, no demo cases"
        )
        parser.add_argument("--host", default=None, help="passed on to `serve`")
        parser.add_argument("--port", type=int, default=None, help="passed on to `serve`")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        try:
            summary = build_demo(
                options["scale"], reset=options["reset"], with_cases=not options["no_cases"]
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        from gridgov.open311.demo import build_demo_attributes, build_demo_key

        build_demo_attributes()
        build_demo_key()
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
        root = f"{s.root_name} ({s.root_code})"
        if s.built:
            done = _("演示已生成:%(root)s,用时 %(seconds).1f 秒")
            out.write(self.style.SUCCESS(done % {"root": root, "seconds": s.seconds}))
        else:
            kept = _("演示已存在:%(root)s,保持不变(加 --reset 删除后重建)")
            out.write(self.style.WARNING(kept % {"root": root}))
        levels = " / ".join(f"{name} {count:,}" for name, count in s.levels)
        out.write(
            _("网格:%(levels)s;户数 %(households)s,人口 %(population)s")
            % {
                "levels": levels,
                "households": f"{s.households:,}",
                "population": f"{s.population:,}",
            }
        )
        out.write(
            _("职能部门 %(d)s,工作人员 %(s)s,在岗岗位 %(p)s,分包联系 %(l)s")
            % {"d": s.departments, "s": f"{s.staff:,}", "p": f"{s.posts:,}", "l": s.liaisons}
        )
        out.write("")
        out.write(_("登录名(密码均为 %(password)s):") % {"password": s.password})
        featured = [x for x in s.logins if x.username in FEATURED]
        width = max((len(x.username) for x in featured), default=12) + 2
        for login in featured:
            out.write(f"  {login.username:<{width}}{login.role_label} · {login.scope}")
        others: dict[str, list[str]] = defaultdict(list)
        for login in s.logins:
            if login.username not in FEATURED:
                others[login.role_label].append(login.username)
        for label, usernames in others.items():
            shown = ", ".join(usernames[:4]) + (" …" if len(usernames) > 4 else "")
            more = _("  另有%(role)s %(n)s 个:%(names)s")
            out.write(more % {"role": label, "n": len(usernames), "names": shown})
        from gridgov.open311.demo import DEMO_KEY, DEMO_KEY_NAME

        out.write(
            _("Open311 演示密钥(应用 %(name)s):%(key)s") % {"name": DEMO_KEY_NAME, "key": DEMO_KEY}
        )
        out.write("")
