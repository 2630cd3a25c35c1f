from __future__ import annotations

from typing import Any

import pytest

from gridgov.grids import services
from gridgov.grids.tests import tiling


@pytest.fixture(autouse=True)
def fresh_throttle_counts() -> None:
    """Public endpoints count anonymous requests per address in the cache: each test starts at
    zero, whatever the tests before it in this process sent."""
    from gridgov.core.testing.fixtures import clear_cache

    clear_cache()


@pytest.fixture
def tiled_regions(db: None) -> None:
    services.import_regions(files=[("regions.csv", tiling.REGIONS_CSV)])


@pytest.fixture
def tiled_town(tiled_regions: None) -> dict[str, Any]:
    """The synthetic town imported; returns the collection that was imported."""
    collection = tiling.town_collection()
    services.import_grids(data=tiling.as_bytes(collection), source="town.geojson")
    return collection
