"""`gridgov hotline-kpis --source NAME --month YYYY-MM [--json]`: the hotline figures of the
records received in a month (STANDARDS: hotline records)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError
from gridgov.grids.management.commands._common import GridCommand, usage_error
from gridgov.hotline.models import HotlineRecord, HotlineSource
from gridgov.hotline.services import hotline_kpis, month_bounds


class Command(GridCommand):
    help = (
        "Hotline KPIs for the records of a source received in a month (Asia/Shanghai): "
        "received, closed, closed_on_time, closure_rate, on_time_rate, satisfaction_rate "
        "(fractions 0–1, null when nothing to count)."
    )
    exit_rejected = ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--source", required=True)
        parser.add_argument("--month", required=True, metavar="YYYY-MM")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        source = HotlineSource.objects.filter(name=options["source"]).first()
        if source is None:
            raise usage_error(_("没有名为 %(s)s 的数据来源") % {"s": options["source"]})
        try:
            start, end = month_bounds(options["month"])
        except DomainError as exc:
            raise usage_error(exc.message) from None
        figures = hotline_kpis(
            HotlineRecord.objects.filter(source=source), start=start, end=end
        ).as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(figures, ensure_ascii=False))
            return
        for key, value in figures.items():
            shown = (
                "—" if value is None else (f"{value:.2%}" if isinstance(value, float) else value)
            )
            self.stdout.write(f"{key}: {shown}")
