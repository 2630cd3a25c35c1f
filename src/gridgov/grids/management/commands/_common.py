"""Shared helpers of the grid commands: reading files and reporting rejected imports."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.core.errors import ImportRejectedError


def read_bytes(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(
            _("无法读取文件 %(path)s:%(e)s") % {"path": path, "e": exc.strerror}
        ) from None


def reject(command: BaseCommand, exc: ImportRejectedError) -> CommandError:
    """Print every problem, then the error that makes the command exit with status 1."""
    for problem in exc.problems:
        command.stderr.write(str(problem))
    return CommandError(_("导入被拒绝,数据库未作任何修改"))
