"""`gridgov import-hotline FILE --source NAME [--mapping M.toml] [--dry-run] [--strict]`, or
`gridgov import-hotline FILE --write-mapping M.toml`: import a hotline (or other outside-source)
export by mapping (hotline/services.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError, ImportRejectedError
from gridgov.grids.management.commands._common import (
    GridCommand,
    read_bytes,
    reject,
    usage_error,
)
from gridgov.hotline.services import import_hotline, starting_mapping


class Command(GridCommand):
    help = (
        "Import a hotline or inspection export (CSV or Excel) by a TOML mapping. Bad rows are "
        "reported by number with the reason and the good rows import (--strict: all or "
        "nothing); a re-import updates records by external number. The mapping is saved on the "
        "source, so later imports of the same export need no --mapping."
    )
    exit_done = "imported or dry-run; bad rows, if any, are printed"
    exit_rejected = "--strict and a bad row, or the file could not be read: nothing was written"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE")
        parser.add_argument("--source", help="the source's short name (e.g. 12345)")
        parser.add_argument("--mapping", metavar="M.toml", help="the column mapping (TOML)")
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        parser.add_argument("--strict", action="store_true", help="any bad row refuses the file")
        parser.add_argument(
            "--write-mapping",
            metavar="M.toml",
            help="write a commented starting mapping from FILE's header, import nothing",
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument(
            "--intake-open",
            action="store_true",
            help="open records enter the platform's intake as hotline cases (needs --as)",
        )
        parser.add_argument(
            "--as", dest="as_user", metavar="USERNAME", help="the operator filing them"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"]
        data = read_bytes(path)
        try:
            if options["write_mapping"]:
                text = starting_mapping(data, filename=Path(path).name)
                Path(options["write_mapping"]).write_text(text, encoding="utf-8")
                self.stdout.write(_("已写出映射:%(p)s") % {"p": options["write_mapping"]})
                return
            if not options["source"]:
                raise usage_error(_("请用 --source 指明数据来源"))
            by = None
            if options["intake_open"]:
                from django.contrib.auth import get_user_model

                by = get_user_model().objects.filter(username=options["as_user"] or "").first()
                if by is None:
                    raise usage_error(_("--intake-open 须用 --as 指明一位操作员"))
            mapping_text = None
            if options["mapping"]:
                mapping_text = read_bytes(options["mapping"]).decode("utf-8-sig", "replace")
            result = import_hotline(
                data=data,
                filename=Path(path).name,
                source=options["source"],
                by=by,
                mapping_text=mapping_text,
                dry_run=options["dry_run"],
                strict=options["strict"],
                intake_open=options["intake_open"],
            )
        except ImportRejectedError as exc:
            raise reject(self, exc) from None
        except DomainError as exc:
            raise usage_error(exc.message) from None
        for problem in result.problems:
            self.stderr.write(str(problem))
        summary = {
            "source": result.source,
            "dry_run": result.dry_run,
            "rows": result.rows,
            "created": result.created,
            "updated": result.updated,
            "bad": result.bad,
            "unclassified": result.unclassified,
            "located": result.located,
            "taken_in": result.taken_in,
        }
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
            return
        self.stdout.write(
            _(
                "%(mode)s%(rows)d 行:新建 %(created)d,更新 %(updated)d,有误 %(bad)d;"
                "未分类 %(unclassified)d,落入网格 %(located)d"
            )
            % {**summary, "mode": _("(试运行)") if result.dry_run else ""}
        )
