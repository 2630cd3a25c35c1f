"""`gridgov assess --scheme CODE --month YYYY-MM [--unit KIND] [--json] [--publish --by USER]`."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.core.errors import DomainError
from gridgov.oversight.indicators import UnitKind
from gridgov.oversight.services import assess, publish_run


class Command(BaseCommand):
    help = "Monthly assessment of every unit under a scheme (published runs print frozen)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scheme", required=True)
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--unit", default=UnitKind.GRID, choices=UnitKind.ALL)
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--publish", action="store_true", help="freeze the run first")
        parser.add_argument("--by", help="user name publishing the run")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            if opts["publish"]:
                if not opts["by"]:
                    raise CommandError("--publish needs --by USER")
                user = get_user_model().objects.filter(username=opts["by"]).first()
                if user is None:
                    raise CommandError(f"no user {opts['by']}")
                publish_run(
                    scheme_code=opts["scheme"], month=opts["month"], unit_kind=opts["unit"], by=user
                )
            rows = assess(scheme_code=opts["scheme"], month=opts["month"], unit_kind=opts["unit"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if opts["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1))
            return
        for row in rows:
            self.stdout.write(f"{row['code']:<20} {row['score']:>8.2f}  {row['name']}")
