"""`gridgov check-coverage [CODE] [--json] [--tolerance M2]`: overlaps, gaps and stick-outs
(不重不漏, seed 002). Exit status 1 when any fault is found, so scripts can gate on it; 2 for an
unknown code or a bad option (see _common)."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from gridgov.grids.coverage import check_coverage
from gridgov.grids.management.commands._common import EXIT_REJECTED, GridCommand, usage_error
from gridgov.grids.models import Grid


class Command(GridCommand):
    help = "Check that children tile their parent: no overlap, no gap, nothing outside"
    exit_done = "no fault"
    exit_rejected = "faults found (overlaps, gaps, grids outside their parent, missing boundaries)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", nargs="?", help="check only the subtree of this grid")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument(
            "--tolerance",
            type=float,
            default=None,
            metavar="M2",
            help="ignore faults smaller than this many square metres (default from settings: 1)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        root = None
        if options["code"]:
            root = Grid.objects.filter(code=options["code"]).first()
            if root is None:
                raise usage_error(_("网格 %(code)s 不存在") % {"code": options["code"]})
        tolerance = options["tolerance"]
        if tolerance is not None and not (0 <= tolerance < float("inf")):
            raise usage_error(_("容差须为非负数"))
        report = check_coverage(root, tolerance_m2=options["tolerance"])
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
        else:
            for fault in report.faults:
                self.stdout.write(fault.describe())
            self.stdout.write(
                _(
                    "检查了 %(families)d 个有下级的网格(共 %(grids)d 个网格,容差 %(tol)s m²):"
                    "重叠 %(o)d,缝隙 %(g)d,超出上级 %(x)d,缺少边界 %(b)d"
                )
                % {
                    "families": report.families,
                    "grids": report.grids,
                    "tol": f"{report.tolerance_m2:g}",
                    "o": report.count("overlap"),
                    "g": report.count("gap"),
                    "x": report.count("outside"),
                    "b": report.count("no_boundary"),
                }
            )
        if not report.ok:
            self.stdout.flush()
            sys.exit(EXIT_REJECTED)
