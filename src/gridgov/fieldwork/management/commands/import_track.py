"""`gridgov import-track FILE --user USERNAME [--crs gcj02|bd09]`: a CSV (`time,lon,lat[,accuracy]`)
or GeoLife `.plt` file becomes the user's patrols, one per Asia/Shanghai day and gap. A file with a
bad row is refused whole, every bad row reported by line number (exit 1); importing the same
file again adds nothing."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError, ImportRejectedError
from gridgov.fieldwork.services import LOCAL_TZ, import_track
from gridgov.grids.management.commands._common import GridCommand, read_bytes, reject, usage_error


class Command(GridCommand):
    help = "Import a GPS track file (CSV time,lon,lat[,accuracy] or GeoLife .plt) as patrols."
    exit_done = "patrols stored, or already stored by an earlier import of the same file"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--user", required=True, metavar="USERNAME")
        parser.add_argument("--crs", choices=["wgs84", "gcj02", "bd09"], default="wgs84")

    def handle(self, *args: Any, **options: Any) -> None:
        user = find_user(options["user"])
        data = read_bytes(options["file"])
        try:
            result = import_track(
                by=None, user=user, name=options["file"], data=data, crs=options["crs"]
            )
        except ImportRejectedError as exc:
            raise reject(self, exc) from None
        except DomainError as exc:
            raise usage_error(exc.message) from None
        new = len(result.patrols) - result.already
        self.stdout.write(
            _("%(fixes)s 个定位点,%(new)s 次巡查已导入,%(old)s 次此前已导入")
            % {"fixes": result.fixes, "new": new, "old": result.already}
        )
        for patrol in result.patrols:
            # Patrol days are Asia/Shanghai days: the start is printed on that clock, with its
            # offset, so a patrol at 07:30 local does not read as the previous day's 23:30.
            started = patrol.started_at.astimezone(LOCAL_TZ).isoformat(timespec="seconds")
            self.stdout.write(
                f"  {patrol.uid}  {started}  {patrol.fix_count} fixes  {patrol.mileage_m:.0f} m"
            )


def find_user(username: str) -> Any:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise usage_error(_("用户不存在: %(name)s") % {"name": username})
    return user
