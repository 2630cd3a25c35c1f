"""`gridgov patrol-summary --user USERNAME --date YYYY-MM-DD [--json]`: one person's Asia/Shanghai
day by the track rules of STANDARDS.md: mileage_m, duration_s, stay_points (lon, lat, arrived,
left), coverage (each of the user's unit grid codes → share 0-1 within 30 m of the track) and
key_points_visited."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError
from gridgov.fieldwork.management.commands.import_track import find_user
from gridgov.fieldwork.services import day_summary, parse_day
from gridgov.grids.management.commands._common import GridCommand, usage_error


class Command(GridCommand):
    help = "Summarise one person's day of patrol tracks (mileage, stays, coverage, key points)."
    exit_done = "summary printed (an empty day prints zeros)"
    exit_rejected = ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, metavar="USERNAME")
        parser.add_argument("--date", required=True, metavar="YYYY-MM-DD")
        parser.add_argument("--json", action="store_true", help="print JSON (the default is text)")

    def handle(self, *args: Any, **options: Any) -> None:
        user = find_user(options["user"])
        try:
            day = parse_day(options["date"])
        except DomainError as exc:
            raise usage_error(exc.message) from None
        body = day_summary(user, day).as_json()
        if options["json"]:
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            _("%(date)s 里程 %(km).2f 公里,时长 %(min).0f 分钟,停留点 %(stays)s 个")
            % {
                "date": body["date"],
                "km": body["mileage_m"] / 1000,
                "min": body["duration_s"] / 60,
                "stays": len(body["stay_points"]),
            }
        )
        for code, share in body["coverage"].items():
            self.stdout.write(f"  {code}: {share:.1%}")
        for point in body["key_points_visited"]:
            self.stdout.write(f"  ✓ {point['name']}")
