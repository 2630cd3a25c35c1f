"""Grids out as a GeoJSON FeatureCollection: the format `import-grids` reads, so an export
re-imports unchanged (boundary files go out to a surveyor and come back corrected)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from gridgov.grids.models import Grid, GridQuerySet


def feature_properties(grid: Grid) -> dict[str, Any]:
    """The import format's properties; `grid` needs level, parent and region loaded."""
    return {
        "code": grid.code,
        "name": grid.name,
        "level": grid.level.name,
        "parent_code": grid.parent.code if grid.parent_id else None,
        "region_code": grid.region.code,
        "households": grid.households,
        "population": grid.population,
        "tier": grid.tier,
    }


def export_queryset(root: Grid | None = None, queryset: GridQuerySet | None = None) -> GridQuerySet:
    """The grids of a subtree (or all), parents before children (path order)."""
    qs = queryset if queryset is not None else Grid.objects.all()
    if root is not None:
        qs = qs.within(root)
    return qs.select_related("level", "parent", "region").order_by("path")


def iter_feature_collection(
    root: Grid | None = None, queryset: GridQuerySet | None = None
) -> Iterator[str]:
    """The FeatureCollection as text chunks, one feature per line (streams a district without
    holding it twice in memory)."""
    yield '{"type": "FeatureCollection", "features": [\n'
    first = True
    for grid in export_queryset(root, queryset).iterator(chunk_size=500):
        feature = {
            "type": "Feature",
            "properties": feature_properties(grid),
            "geometry": grid.boundary,
        }
        yield ("" if first else ",\n") + json.dumps(feature, ensure_ascii=False)
        first = False
    yield "\n]}\n"


def export_grids(root: Grid | None = None) -> dict[str, Any]:
    """The FeatureCollection as a dict."""
    result: dict[str, Any] = json.loads("".join(iter_feature_collection(root)))
    return result
