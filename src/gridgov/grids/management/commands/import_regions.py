"""`gridgov import-regions FILE.csv [FILE.csv …] [--dry-run]`: administrative divisions with
their statistical codes, as one all-or-nothing run (see grids/region_import.py)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from gridgov.core.errors import ImportRejectedError
from gridgov.grids.management.commands._common import GridCommand, read_bytes, reject
from gridgov.grids.services import import_regions


class Command(GridCommand):
    help = (
        "Import regions from CSV: code,name,parent_code or the modood layout "
        "code,name[,provinceCode][,cityCode][,areaCode][,streetCode]; UTF-8 (BOM ok) or GBK. "
        "Only a province may lack a parent: a lower row without one hangs from the nearest "
        "ancestor its code names (in the files or stored), else it is refused. All or nothing."
    )
    exit_done = "imported or dry-run"
    exit_rejected = (
        "the files were refused (bad rows, unknown parents, no data rows): nothing was written"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE.csv")
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        files = [(Path(p).name, read_bytes(p)) for p in options["files"]]
        try:
            result = import_regions(files=files, dry_run=options["dry_run"])
        except ImportRejectedError as exc:
            raise reject(self, exc) from None
        for note in result.notes:
            self.stderr.write(note)
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(_("警告:") + warning))
        # Translators: "would be" (dry run) or "were" in the summary "… %(verb)s created …".
        verb = _("将") if result.dry_run else _("已")
        self.stdout.write(
            _(
                "%(verb)s新建 %(created)d 个区划,更名 %(renamed)d 个,调整上级 %(moved)d 个,"
                "未变 %(unchanged)d 个(%(seconds).1f 秒)"
            )
            % {
                "verb": verb,
                "created": result.created,
                "renamed": result.renamed,
                "moved": result.moved,
                "unchanged": result.unchanged,
                "seconds": time.monotonic() - started,
            }
        )
        if result.dry_run:
            self.stdout.write(_("试运行:数据库未作任何修改"))
