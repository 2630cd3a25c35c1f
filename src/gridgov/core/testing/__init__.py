"""Test support shared by every app: the named cast, fixtures, and the real-data location."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings


def realdata_path(*parts: str) -> Path:
    """A file of `../shared/realdata` (read-only; CI clones the repo with `../shared` beside it)."""
    root = Path(
        os.environ.get("GRIDGOV_REALDATA", settings.REPO_DIR.parent / "shared" / "realdata")
    )
    return root.joinpath(*parts)
