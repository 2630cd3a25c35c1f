"""Shared helpers of the grid commands: exit statuses, reading files and reporting rejected
imports.

Every grid command exits with the same statuses, so an operator's script can tell "the data is
wrong" from "the command was called wrongly":
  0  done (an import applied or dry-run, no coverage fault, points located)
  1  the data was refused: an import found problems (nothing written) or coverage faults exist
  2  usage error: bad or missing options, an unknown grid code, a file that cannot be read
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    DjangoHelpFormatter,
)
from django.utils.translation import gettext as _

from gridgov.core.errors import ImportRejectedError

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2

USAGE_HELP = "usage error: bad or missing options, an unknown grid code, a file that cannot be read"


class HelpFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Django's option order, with the epilog (exit statuses) kept as written."""


class GridCommand(BaseCommand):
    """A grid command whose --help ends with its exit statuses."""

    exit_done = ""
    exit_rejected = "the data was refused"

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        lines = [
            "exit status:",
            f"  {EXIT_OK}  done" + (f" ({self.exit_done})" if self.exit_done else ""),
        ]
        if self.exit_rejected:
            lines.append(f"  {EXIT_REJECTED}  {self.exit_rejected}")
        lines.append(f"  {EXIT_USAGE}  {USAGE_HELP}")
        kwargs.setdefault("formatter_class", HelpFormatter)
        kwargs.setdefault("epilog", "\n".join(lines))
        return super().create_parser(prog_name, subcommand, **kwargs)


def usage_error(message: str) -> CommandError:
    """An error in how the command was called: exit status 2."""
    return CommandError(message, returncode=EXIT_USAGE)


def read_bytes(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise usage_error(
            _("无法读取文件 %(path)s:%(e)s") % {"path": path, "e": exc.strerror}
        ) from None


def reject(command: BaseCommand, exc: ImportRejectedError) -> CommandError:
    """Print every problem, then the error that makes the command exit with status 1."""
    for problem in exc.problems:
        command.stderr.write(str(problem))
    return CommandError(_("导入被拒绝,数据库未作任何修改"), returncode=EXIT_REJECTED)
