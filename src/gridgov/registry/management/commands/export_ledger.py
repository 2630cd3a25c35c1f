"""`gridgov export-ledger KIND [GRID_CODE] -o FILE.xlsx [--clear REASON]`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.grids.models import Grid
from gridgov.registry.ledgers import KINDS, export_ledger


class Command(BaseCommand):
    help = (
        "Export a ledger of a grid and everything under it (all grids when no code is given). "
        "ID numbers and phones are masked unless --clear gives the reason, which is written to "
        "the personal-data access log."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("grid_code", nargs="?", default="")
        parser.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.xlsx")
        parser.add_argument("--clear", default="", metavar="REASON", help="export clear values")

    def handle(self, *args: Any, **options: Any) -> None:
        grid = None
        if options["grid_code"]:
            grid = Grid.objects.filter(code=options["grid_code"]).first()
            if grid is None:
                raise CommandError(f"grid {options['grid_code']} does not exist")
        count = export_ledger(
            options["kind"], options["output"], by=None, grid=grid, clear_reason=options["clear"]
        )
        self.stdout.write(f"{count} rows → {options['output']}")
