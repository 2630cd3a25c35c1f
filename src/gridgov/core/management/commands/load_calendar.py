"""`gridgov load-calendar YEAR --from-file FILE.csv`: load a year's official calendar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.core import calendar as cal
from gridgov.core.errors import DomainError, ImportRejectedError
from gridgov.core.models import CalendarSource


class Command(BaseCommand):
    help = (
        "Load one year's official working-day calendar (holidays and make-up working days) from "
        "a CSV file `date,is_workday,name`, or from the installed chinesecalendar package. "
        "All or nothing; provisional deadlines are recomputed by the next deadline sweep."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("year", type=int)
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--from-file", metavar="FILE.csv", type=Path)
        source.add_argument(
            "--from-library",
            action="store_true",
            help="take the year from the installed chinesecalendar package",
        )
        parser.add_argument(
            "--replace", action="store_true", help="replace a year that is already loaded"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        year: int = options["year"]
        if options["from_library"]:
            if year not in cal.library_years():
                raise CommandError(
                    f"chinesecalendar (installed version) has no data for {year}; "
                    "use --from-file with the official notice"
                )
            rows = cal.library_rows(year)
            source, note = CalendarSource.LIBRARY, "chinesecalendar"
        else:
            path: Path = options["from_file"]
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise CommandError(f"{path}: {exc.strerror}") from None
            try:
                rows = cal.parse_calendar_csv(data, year=year, source=path.name)
            except ImportRejectedError as exc:
                raise CommandError(
                    f"{path}: {len(exc.problems)} problem(s), nothing loaded\n{exc.report()}"
                ) from None
            source, note = CalendarSource.FILE, path.name
        try:
            cal.load_calendar_year(
                year=year, rows=rows, source=source, replace=options["replace"], note=note
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        holidays = sum(1 for r in rows if not r.is_workday)
        makeup = sum(1 for r in rows if r.is_workday)
        self.stdout.write(
            f"{year}: loaded {holidays} holiday(s) and {makeup} make-up working day(s) from {note}"
        )
