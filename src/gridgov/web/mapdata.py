"""Compact grid geometry for the maps: simplified, rounded to about a metre, delta-encoded as
integers and sent column by column, so a district's 5,000 polygons arrive in one small JSON
document the browser decodes in milliseconds.

The encoded outline of each grid is memoised per process and keyed by the grid revision
(grids.GridRevision is bumped in the same transaction as any grid write), so an edited grid is
re-encoded on the next request and an unchanged district is never simplified twice."""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import shapely
from django.db.models import Count, Max, QuerySet
from shapely.geometry import shape

from gridgov.grids.models import Grid, GridRevision

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


@dataclass(frozen=True)
class GridsDocument:
    """The JSON document, its gzip encoding and its ETag."""

    body: bytes
    gzipped: bytes
    etag: str


# Documents by (revision, scope key): most users of one deployment share a handful of scopes.
_documents: OrderedDict[tuple[tuple[int, str], Hashable], GridsDocument] = OrderedDict()
MAX_DOCUMENTS = 64
COLUMNS = (
    "pk",
    "code",
    "name",
    "level_id",
    "level__name",
    "level__depth",
    "parent_id",
    "households",
    "population",
    "label_lon",
    "label_lat",
)


def grid_version() -> tuple[int, str]:
    """The grid revision, with the latest grid change and the number of grids: a database
    restored from an older copy (or a rolled-back test) can repeat a revision number with
    other grids behind it."""
    revision = GridRevision.objects.filter(pk=1).values_list("revision", flat=True).first() or 0
    agg = Grid.objects.aggregate(latest=Max("updated_at"), count=Count("pk"))
    latest = agg["latest"].isoformat() if agg["latest"] else ""
    return (revision, f"{latest}/{agg['count']}")


def _outlines(pks: list[int], revision: tuple[int, str]) -> dict[int, str]:
    """Encoded outlines of these grids, encoding (and reading the boundary of) only those not
    seen since the last grid write."""
    with _lock:
        if _memo["revision"] != revision:
            _memo["revision"] = revision
            _memo["outlines"] = {}
        outlines: dict[int, str] = _memo["outlines"]
    missing = [pk for pk in pks if pk not in outlines]
    for start in range(0, len(missing), 500):
        chunk = missing[start : start + 500]
        for pk, boundary in Grid.objects.filter(pk__in=chunk).values_list("pk", "boundary"):
            outlines[pk] = (
                json.dumps(encode_outline(boundary), separators=(",", ":")) if boundary else "[]"
            )
    return {pk: outlines.get(pk, "[]") for pk in pks}


def grids_document(grids: QuerySet[Grid], *, key: Hashable | None = None) -> GridsDocument:
    """The JSON document of the given grids, cached per grid revision under `key` (the scope
    the queryset was built from) when one is given.

    Columns: code, name, level (index into `levels`), parent (index into the same arrays or
    -1), households, population, label point (encoded), outline (list of encoded polygons)."""
    version = grid_version()
    revision = version[0]
    if key is not None:
        with _lock:
            cached = _documents.get((version, key))
            if cached is not None:
                _documents.move_to_end((version, key))
                return cached
    rows = list(grids.values_list(*COLUMNS))
    outlines = _outlines([r[0] for r in rows], version)
    index = {r[0]: i for i, r in enumerate(rows)}
    levels: list[str] = []
    level_index: dict[int, int] = {}
    for r in sorted(rows, key=lambda r: r[5]):
        if r[3] not in level_index:
            level_index[r[3]] = len(levels)
            levels.append(r[4])
    header = {
        "revision": revision,
        "scale": SCALE,
        "levels": levels,
        "code": [r[1] for r in rows],
        "name": [r[2] for r in rows],
        "level": [level_index[r[3]] for r in rows],
        "parent": [index.get(r[6], -1) if r[6] else -1 for r in rows],
        "households": [r[7] for r in rows],
        "population": [r[8] for r in rows],
        "label": [[round((r[9] or 0) * SCALE), round((r[10] or 0) * SCALE)] for r in rows],
    }
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":"))
    body = (head[:-1] + ',"outline":[' + ",".join(outlines[r[0]] for r in rows) + "]}").encode()
    etag = hashlib.sha1(body, usedforsecurity=False).hexdigest()[:20]
    document = GridsDocument(body=body, gzipped=gzip.compress(body, compresslevel=6), etag=etag)
    if key is not None:
        with _lock:
            _documents[(version, key)] = document
            while len(_documents) > MAX_DOCUMENTS:
                _documents.popitem(last=False)
    return document
