"""`gridgov export-grids [CODE] > FILE.geojson`: a subtree (or everything) as the
FeatureCollection that import-grids reads back unchanged."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from gridgov.grids.exporting import iter_feature_collection
from gridgov.grids.management.commands._common import GridCommand, usage_error
from gridgov.grids.models import Grid


class Command(GridCommand):
    help = "Print grids (the subtree of CODE, or all) as a GeoJSON FeatureCollection"
    exit_rejected = ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", nargs="?", help="code of the top grid of the subtree")

    def handle(self, *args: Any, **options: Any) -> None:
        root = None
        if options["code"]:
            root = Grid.objects.filter(code=options["code"]).first()
            if root is None:
                raise usage_error(_("网格 %(code)s 不存在") % {"code": options["code"]})
        for chunk in iter_feature_collection(root):
            self.stdout.write(chunk, ending="")
