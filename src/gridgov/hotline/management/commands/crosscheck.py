"""`gridgov crosscheck --from YYYY-MM-DD --to YYYY-MM-DD [--source NAME] [--json]`: run one
numbered back-tracing round (倒查) and print its records and the unit grids' discovery rates."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError
from gridgov.grids.management.commands._common import GridCommand, usage_error
from gridgov.grids.models import Grid
from gridgov.hotline.models import CrosscheckResult, HotlineSource
from gridgov.hotline.services.crosscheck import run_crosscheck


def _day(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise usage_error(
            _("%(o)s 须为 YYYY-MM-DD,而非 %(t)r") % {"o": option, "t": text}
        ) from None


class Command(GridCommand):
    help = (
        "Run a back-tracing round: match each record received in the period to an earlier "
        "grid-reported case (same unit grid or within the rule's distance, same item or class, "
        "within the rule's hours); unmatched records get a task for their grid's worker."
    )
    exit_rejected = ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="start", required=True, metavar="YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, metavar="YYYY-MM-DD")
        parser.add_argument("--source")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        start, end = _day(options["start"], "--from"), _day(options["end"], "--to")
        source = None
        if options["source"]:
            source = HotlineSource.objects.filter(name=options["source"]).first()
            if source is None:
                raise usage_error(_("没有名为 %(s)s 的数据来源") % {"s": options["source"]})
        try:
            round_ = run_crosscheck(start=start, end=end, by=None, source=source)
        except DomainError as exc:
            raise usage_error(exc.message) from None
        results = list(
            CrosscheckResult.objects.filter(round=round_)
            .select_related("record", "grid")
            .order_by("record__received_at", "record__pk")
        )
        counts: dict[int, list[int]] = {}
        for r in results:
            if r.grid_id is not None:
                pair = counts.setdefault(r.grid_id, [0, 0])
                pair[0] += 1
                pair[1] += int(r.matched)
        grids = []
        for grid in Grid.objects.active().leaves().order_by("code"):
            records, matched = counts.get(grid.pk, (0, 0))
            grids.append(
                {
                    "code": grid.code,
                    "records": records,
                    "matched": matched,
                    "discovery_rate": matched / records if records else None,
                }
            )
        body = {
            "round": round_.number,
            "records": [
                {
                    "external_number": r.record.external_number,
                    "grid": r.grid.code if r.grid else None,
                    "matched_case": r.case_id,
                }
                for r in results
            ],
            "grids": grids,
        }
        if options["json"]:
            self.stdout.write(json.dumps(body, ensure_ascii=False))
            return
        rate = round_.discovery_rate
        self.stdout.write(
            _("第 %(n)d 期倒查:工单 %(r)d,主动发现 %(m)d,发现率 %(rate)s")
            % {
                "n": round_.number,
                "r": round_.records,
                "m": round_.matched,
                "rate": "—" if rate is None else f"{rate:.2%}",
            }
        )
