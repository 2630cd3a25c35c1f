"""`gridgov summary --unit town|village|department --code CODE --period 2026|2026-Q1|2026-03
-o FILE.docx|FILE.pdf`: a work summary (工作总结) with the period's figures, chart and the
office's saved text sections, as Word or PDF by the file's extension."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError
from gridgov.grids.management.commands._common import GridCommand, usage_error
from gridgov.reports.summaries import KINDS
from gridgov.reports.summary_docx import build_default_template
from gridgov.reports.summary_services import export, summary_of


class Command(GridCommand):
    help = (
        "Write a work summary of a town, village or department for a year (2026), quarter "
        "(2026-Q1) or month (2026-03) as .docx or .pdf (chosen by the output's extension)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", choices=KINDS)
        parser.add_argument("--code", help="grid code, or the department's id")
        parser.add_argument("--period", metavar="YYYY|YYYY-Qn|YYYY-MM")
        parser.add_argument("-o", "--output", metavar="FILE")
        parser.add_argument("--user", help="summarise within this user's scope only")
        parser.add_argument(
            "--write-template",
            metavar="FILE",
            help="write the shipped Word template (to edit in Word and upload) and stop",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["write_template"]:
            Path(options["write_template"]).write_bytes(build_default_template())
            return
        for name in ("unit", "code", "period", "output"):
            if not options[name]:
                raise usage_error(_("缺少参数 --%(name)s") % {"name": name})
        output = Path(options["output"])
        fmt = output.suffix.lower().lstrip(".")
        if fmt not in ("docx", "pdf"):
            raise usage_error(_("输出文件的扩展名应为 .docx 或 .pdf"))
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise usage_error(_("没有用户 %(u)s") % {"u": options["user"]})
        try:
            summary = summary_of(user, options["unit"], options["code"], options["period"])
            _name, content, _type = export(summary, fmt)
        except DomainError as exc:
            raise usage_error(f"{exc.field}: {exc.message}" if exc.field else exc.message) from None
        output.write_bytes(content)
        self.stdout.write(f"{output} ({len(content):,} bytes)")
