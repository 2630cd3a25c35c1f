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


def require_realdata(*parts: str) -> Path:
    """The path of a real-data file, failing the test when it is missing.

    CI always has `../shared` beside the clone, so a missing file means a broken checkout, not a
    reason to pass quietly. Set GRIDGOV_SKIP_REALDATA=1 to skip instead (a machine without it).
    """
    import pytest

    path = realdata_path(*parts)
    if not path.exists():
        message = f"real data missing: {path} (set GRIDGOV_REALDATA to its folder)"
        if os.environ.get("GRIDGOV_SKIP_REALDATA") == "1":
            pytest.skip(message)
        pytest.fail(message)
    return path
