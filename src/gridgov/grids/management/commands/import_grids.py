"""`gridgov import-grids FILE.geojson [--dry-run] [--repair] [--create-levels]`: create or
update grids from a GeoJSON FeatureCollection, all or nothing (see grids/grid_import.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from gridgov.core.errors import ImportRejectedError
from gridgov.grids.management.commands._common import GridCommand, read_bytes, reject
from gridgov.grids.services import import_grids

ACTION_LABELS = {
    "create": gettext_noop("新建"),
    "update": gettext_noop("更新"),
    "unchanged": gettext_noop("未变"),
}


class Command(GridCommand):
    help = (
        "Import or update grids from a GeoJSON FeatureCollection (properties code, name, level, "
        "parent_code, households, population, tier[, region_code]). All or nothing: every "
        "problem is listed (repeated ones once, with their count) and nothing is written. Codes "
        "that break the coding convention (not digits; a unit grid is its community's 12 digits "
        "plus a 3-digit serial, 15 digits) are imported as given, with a warning."
    )
    exit_done = "imported or dry-run, warnings included"
    exit_rejected = "the file was refused: its problems are printed, nothing was written"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE.geojson")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="print what would be created, updated (which fields) or left unchanged",
        )
        parser.add_argument(
            "--repair",
            action="store_true",
            help="repair invalid (self-intersecting) polygons with make_valid instead of refusing",
        )
        parser.add_argument(
            "--create-levels",
            action="store_true",
            help="create grid levels named in the file that are not configured yet (first import)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"]
        try:
            plan = import_grids(
                data=read_bytes(path),
                source=Path(path).name,
                dry_run=options["dry_run"],
                create_levels=options["create_levels"],
                repair=options["repair"],
            )
        except ImportRejectedError as exc:
            raise reject(self, exc) from None
        for note in plan.notes:
            self.stderr.write(note)
        for warning in plan.warnings:
            self.stderr.write(self.style.WARNING(_("警告:") + str(warning)))
        for level in plan.new_levels:
            self.stdout.write(
                _("新建层级:%(name)s(深度 %(depth)d)") % {"name": level.name, "depth": level.depth}
            )
        verbose = options["dry_run"] or options["verbosity"] >= 2
        for change in plan.changes:
            if change.action == "unchanged" and options["verbosity"] < 3:
                continue
            if change.action == "create" and not verbose:
                continue
            fields = f" [{', '.join(change.fields)}]" if change.fields else ""
            self.stdout.write(
                f"{_(ACTION_LABELS[change.action])} {change.code} {change.name}{fields}"
            )
        # Translators: "would be" (dry run) or "were" in the summary "… %(verb)s created …".
        verb = _("将") if options["dry_run"] else _("已")
        self.stdout.write(
            _("%(source)s:%(verb)s新建 %(c)d 个网格,更新 %(u)d 个,未变 %(n)d 个;警告 %(w)d 条")
            % {
                "source": plan.source,
                "verb": verb,
                "c": plan.count("create"),
                "u": plan.count("update"),
                "n": plan.count("unchanged"),
                "w": len(plan.warnings),
            }
        )
        if options["dry_run"]:
            self.stdout.write(_("试运行:数据库未作任何修改"))
