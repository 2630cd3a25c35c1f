from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def fresh_throttle_counts() -> None:
    """The public board counts anonymous reads per address in the cache: each test starts at
    zero, whatever the tests before it in this process sent."""
    from gridgov.core.testing.fixtures import clear_cache

    clear_cache()
