"""The demo district of seed 001 (1 / 25 / 593 / 4,418 grids) in a SQLite database for the
benchmarks: built once with `gridgov demo --scale district --no-serve` into a temporary file (or
the --db given), then Django is set up on it in this process."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_DB = Path(tempfile.gettempdir()) / "gridgov-bench-district.sqlite3"


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        type=Path,
        default=DEFAULT_DB,
        help=f"SQLite file holding the demo district (built if missing; default {DEFAULT_DB})",
    )


def setup_district(db: Path) -> None:
    """Build the district into `db` unless it is there, then django.setup() on it."""
    url = f"sqlite:///{db.resolve()}"
    env = {**os.environ, "DATABASE_URL": url}
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "gridgov.cli", "demo", "--scale", "district", "--no-serve"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"demo district ready in {db} ({time.monotonic() - started:.1f} s)")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()
