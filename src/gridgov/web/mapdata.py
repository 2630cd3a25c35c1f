"""Compact grid geometry for the maps: simplified, rounded to about a metre, delta-encoded as
integers and sent column by column, so a district's 5,000 polygons arrive in one small JSON
document the browser decodes in milliseconds.

The encoded outline of each grid is memoised per process and keyed by the grid revision
(grids.GridRevision is bumped in the same transaction as any grid write), so an edited grid is
re-encoded on the next request and an unchanged district is never simplified twice."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable
from typing import Any

import shapely
from shapely.geometry import shape

from gridgov.grids.models import Grid
from gridgov.grids.services import current_grid_revision

SCALE = 100_000  # 1e-5 degree ≈ 1.1 m: finer than any screen shows a grid
# Simplification tolerance as a share of the grid's bbox diagonal, never coarser than ~3 m.
RELATIVE_TOLERANCE = 0.002
MAX_TOLERANCE = 3e-5

_lock = threading.Lock()
_memo: dict[str, Any] = {"revision": None, "outlines": {}}


def _encode_ring(coords: Any) -> list[int]:
    """[x0, y0, dx1, dy1, …] in 1e-5 degrees; consecutive duplicates after rounding dropped."""
    out: list[int] = []
    px = py = None
    for x, y in coords:
        ix, iy = round(x * SCALE), round(y * SCALE)
        if px is None:
            out += [ix, iy]
        elif ix != px or iy != py:
            out += [ix - px, iy - py]
        else:
            continue
        px, py = ix, iy
    return out


def encode_outline(boundary: dict[str, Any]) -> list[list[list[int]]]:
    """A Polygon or MultiPolygon as a list of polygons, each a list of encoded rings."""
    geom = shape(boundary)
    minx, miny, maxx, maxy = geom.bounds
    diagonal = ((maxx - minx) ** 2 + (maxy - miny) ** 2) ** 0.5
    tolerance = min(diagonal * RELATIVE_TOLERANCE, MAX_TOLERANCE)
    simple = shapely.simplify(geom, tolerance, preserve_topology=True)
    if simple.is_empty:
        simple = geom
    polygons = list(simple.geoms) if simple.geom_type == "MultiPolygon" else [simple]
    encoded = []
    for polygon in polygons:
        rings = [_encode_ring(polygon.exterior.coords)]
        rings += [_encode_ring(interior.coords) for interior in polygon.interiors]
        encoded.append([r for r in rings if len(r) >= 6])
    return [p for p in encoded if p]


def _outlines_for(grids: Iterable[tuple[int, dict[str, Any]]], revision: int) -> dict[int, str]:
    with _lock:
        if _memo["revision"] != revision:
            _memo["revision"] = revision
            _memo["outlines"] = {}
        outlines: dict[int, str] = _memo["outlines"]
    result: dict[int, str] = {}
    for pk, boundary in grids:
        cached = outlines.get(pk)
        if cached is None:
            cached = json.dumps(encode_outline(boundary), separators=(",", ":"))
            outlines[pk] = cached
        result[pk] = cached
    return result


def grids_document(grids: Iterable[Grid]) -> tuple[str, str]:
    """The JSON document of the given grids and its ETag.

    Columns: code, name, level (index into `levels`), parent (index into the same arrays or
    -1), households, population, label point (encoded), outline (list of encoded polygons)."""
    revision = current_grid_revision()
    rows = list(grids)
    outlines = _outlines_for(((g.pk, g.boundary) for g in rows if g.boundary), revision)
    index = {g.pk: i for i, g in enumerate(rows)}
    levels: list[str] = []
    level_index: dict[int, int] = {}
    for g in sorted(rows, key=lambda g: g.level.depth):
        if g.level_id not in level_index:
            level_index[g.level_id] = len(levels)
            levels.append(g.level.name)
    header = {
        "revision": revision,
        "scale": SCALE,
        "levels": levels,
        "code": [g.code for g in rows],
        "name": [g.name for g in rows],
        "level": [level_index[g.level_id] for g in rows],
        "parent": [index.get(g.parent_id, -1) if g.parent_id else -1 for g in rows],
        "households": [g.households for g in rows],
        "population": [g.population for g in rows],
        "label": [
            [round((g.label_lon or 0) * SCALE), round((g.label_lat or 0) * SCALE)] for g in rows
        ],
    }
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":"))
    body = ",".join(outlines.get(g.pk, "[]") for g in rows)
    document = head[:-1] + ',"outline":[' + body + "]}"
    etag = hashlib.sha1(document.encode(), usedforsecurity=False).hexdigest()[:20]
    return document, etag
