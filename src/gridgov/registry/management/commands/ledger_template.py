"""`gridgov ledger-template KIND -o FILE.xlsx`: an empty ledger with the town's column names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from gridgov.registry.ledgers import KINDS, write_template


class Command(BaseCommand):
    help = "Write an empty ledger (台账) template with the Chinese column names."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.xlsx")

    def handle(self, *args: Any, **options: Any) -> None:
        write_template(options["kind"], options["output"])
        self.stdout.write(f"{options['output']}")
