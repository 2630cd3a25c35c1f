"""Pure geometry and arithmetic for the demo: an irregular boundary, its exact partition into
irregular children, the west→east, north→south serial order, and exact integer allocation.

Everything is seeded by strings, so the same call gives the same result on every run. Shapes
are built in a local metric frame that is an *affine* map of longitude/latitude: straight edges
stay straight when going back to degrees, so a vertex that lies on a neighbour's edge (where a
child's border meets its parent's) stays on it and the children still tile the parent exactly.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import MultiPoint, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

from gridgov.grids.geometry import EARTH_RADIUS_M

METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180


def rng_for(*parts: object) -> np.random.Generator:
    """A generator seeded by a stable digest of the parts (Python's hash() varies per run)."""
    digest = hashlib.sha256("/".join(str(p) for p in parts).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


@dataclass(frozen=True)
class LocalFrame:
    """Metres east and north of (lon0, lat0), by an affine (equirectangular) map."""

    lon0: float
    lat0: float

    @property
    def _kx(self) -> float:
        return METRES_PER_DEGREE * math.cos(math.radians(self.lat0))

    def to_lonlat(self, geom: BaseGeometry) -> BaseGeometry:
        kx, ky = self._kx, METRES_PER_DEGREE
        return shapely.transform(
            geom, lambda c: np.column_stack([self.lon0 + c[:, 0] / kx, self.lat0 + c[:, 1] / ky])
        )

    def to_xy(self, geom: BaseGeometry) -> BaseGeometry:
        kx, ky = self._kx, METRES_PER_DEGREE
        return shapely.transform(
            geom,
            lambda c: np.column_stack([(c[:, 0] - self.lon0) * kx, (c[:, 1] - self.lat0) * ky]),
        )


def blob(radius_m: float, *, seed: str, vertices: int = 120) -> Polygon:
    """An irregular, star-shaped outline around (0, 0): a circle bent by a few seeded waves, the
    way a town boundary follows ridges and rivers."""
    rng = rng_for("blob", seed)
    theta = np.linspace(0.0, 2 * math.pi, vertices, endpoint=False)
    r = np.ones_like(theta)
    for k in range(2, 8):
        r += (
            rng.uniform(0.02, 0.16) / math.sqrt(k) * np.cos(k * theta + rng.uniform(0, 2 * math.pi))
        )
    r += rng.uniform(-0.015, 0.015, size=theta.size)  # small jags along the line
    r = np.clip(r, 0.45, None) * radius_m
    return Polygon(np.column_stack([r * np.cos(theta), r * np.sin(theta)]))


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Drop the points and lines an overlay can leave beside the polygon parts."""
    if geom.geom_type in {"Polygon", "MultiPolygon"}:
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in {"Polygon", "MultiPolygon"}]
    return shapely.union_all(parts) if parts else Polygon()


def _clipped_cells(parent: BaseGeometry, points: np.ndarray) -> list[BaseGeometry]:
    cells = shapely.voronoi_polygons(MultiPoint(points), extend_to=parent, ordered=True)
    return [_polygonal(g) for g in shapely.intersection(np.asarray(cells.geoms), parent)]


def _sample_inside(parent: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    minx, miny, maxx, maxy = parent.bounds
    shapely.prepare(parent)
    found: list[np.ndarray] = []
    total = 0
    while total < n:
        xs = rng.uniform(minx, maxx, size=4 * n + 8)
        ys = rng.uniform(miny, maxy, size=4 * n + 8)
        inside = shapely.contains_xy(parent, xs, ys)
        batch = np.column_stack([xs[inside], ys[inside]])
        found.append(batch)
        total += len(batch)
    return np.concatenate(found)[:n]


def partition(parent: Polygon, n: int, *, seed: str, relax: int = 5) -> list[BaseGeometry]:
    """Cut `parent` into `n` irregular cells that tile it exactly (不重不漏, seed 002).

    Seeded Voronoi cells, relaxed a few times towards their centroids so sizes even out (Lloyd),
    clipped to the parent. A clipped cell that falls apart into pieces keeps its largest piece
    and gives the others to the neighbour they share most border with, so each cell is one
    polygon and the union is still the parent."""
    if n < 1:
        raise ValueError("a partition needs at least one cell")
    if n == 1:
        return [parent]
    rng = rng_for("partition", seed)
    points = _sample_inside(parent, n, rng)
    for _ in range(relax):
        cells = _clipped_cells(parent, points)
        moved = []
        for cell, old in zip(cells, points, strict=True):
            if cell.is_empty:
                moved.append(old)
                continue
            c = cell.centroid
            if not parent.contains(c):
                c = cell.representative_point()
            moved.append((c.x, c.y))
        points = np.asarray(moved)
    return _connect(_clipped_cells(parent, points))


def _connect(cells: list[BaseGeometry]) -> list[BaseGeometry]:
    cells = list(cells)
    for _ in range(3):
        changed = False
        for i, cell in enumerate(cells):
            if cell.geom_type != "MultiPolygon":
                continue
            parts = sorted(cell.geoms, key=lambda g: -g.area)
            cells[i] = parts[0]
            for part in parts[1:]:
                j = _best_neighbour(part, cells, exclude=i)
                if j is None:
                    cells[i] = shapely.union(cells[i], part)
                else:
                    cells[j] = shapely.union(cells[j], part)
            changed = True
        if not changed:
            break
    return cells


def _best_neighbour(part: BaseGeometry, cells: list[BaseGeometry], *, exclude: int) -> int | None:
    best, best_len = None, 0.0
    edge = part.boundary.buffer(1e-6)
    for j, other in enumerate(cells):
        if j == exclude or other.is_empty or part.distance(other) > 1e-6:
            continue
        shared = other.boundary.intersection(edge).length
        if shared > best_len:
            best, best_len = j, shared
    return best


def conform(
    geoms: Sequence[BaseGeometry], *, precision: float = 1e-6, tolerance: float = 1e-4
) -> list[BaseGeometry]:
    """Make a set of polygons conforming: every vertex that lies on another polygon's edge
    becomes a vertex of that edge too (no T-junctions).

    A child's border meets its parent's border at points that are not the parent's vertices.
    In the plane that is harmless, but any per-vertex map that bends straight lines (an
    equal-area projection for measuring, a geodesic renderer) would open hairline gaps and
    overlaps there. With shared vertices everywhere, every such map keeps the tiling exact.
    Coordinates are first rounded to `precision` (metres here) so that near-duplicate vertices
    computed twice by two overlays become one; a vertex within `tolerance` of an edge (well
    above the rounding, far below any real feature) is taken to lie on it."""
    decimals = max(0, round(-math.log10(precision)))
    rings: list[np.ndarray] = []
    shape: list[list[int]] = []  # per geometry, the ring count of each polygon part
    for geom in geoms:
        parts = list(getattr(geom, "geoms", [geom]))
        shape.append([1 + len(part.interiors) for part in parts])
        for part in parts:
            for ring in (part.exterior, *part.interiors):
                rings.append(np.round(np.asarray(ring.coords)[:, :2], decimals))
    starts = np.concatenate([r[:-1] for r in rings])
    ends = np.concatenate([r[1:] for r in rings])
    vertices = np.unique(starts, axis=0)
    segments = shapely.linestrings(np.stack([starts, ends], axis=1))
    seg, vert = STRtree(shapely.points(vertices)).query(
        segments, predicate="dwithin", distance=tolerance
    )
    a, b, p = starts[seg], ends[seg], vertices[vert]
    ab = b - a
    t = ((p - a) * ab).sum(axis=1) / np.maximum((ab * ab).sum(axis=1), 1e-300)
    inner = (np.hypot(*(p - a).T) > tolerance) & (np.hypot(*(p - b).T) > tolerance)
    inner &= (t > 0) & (t < 1)
    # Every segment contributes its start (t = 0) and the vertices found inside it.
    keys = np.concatenate([np.arange(len(starts)), seg[inner]])
    params = np.concatenate([np.zeros(len(starts)), t[inner]])
    points = np.concatenate([starts, p[inner]])
    order = np.lexsort((params, keys))
    keys, points = keys[order], points[order]
    ring_ends = np.cumsum([len(r) - 1 for r in rings])
    cut = np.searchsorted(keys, ring_ends)
    new_rings = [np.vstack([c, c[:1]]) for c in np.split(points, cut[:-1])]
    result: list[BaseGeometry] = []
    k = 0
    for counts in shape:
        polys = []
        for n_rings in counts:
            polys.append(Polygon(new_rings[k], new_rings[k + 1 : k + n_rings]))
            k += n_rings
        result.append(polys[0] if len(polys) == 1 else MultiPolygon(polys))
    return result


def reading_order(geoms: Sequence[BaseGeometry], *, row_height: float | None = None) -> list[int]:
    """Indices of `geoms` in serial order: west → east, north → south (GB/T 30428 unit grids).

    Rows are read from the north like lines of text. A row holds the cells whose centroid lies
    within `row_height` south of the northernmost cell not yet numbered (default: half the side
    of an average cell); inside a row, cells go from west to east."""
    if not geoms:
        return []
    centres = [g.centroid for g in geoms]
    if row_height is None:
        mean_area = sum(g.area for g in geoms) / len(geoms)
        row_height = math.sqrt(mean_area) / 2
    remaining = sorted(range(len(geoms)), key=lambda i: (-centres[i].y, centres[i].x, i))
    order: list[int] = []
    while remaining:
        top = centres[remaining[0]].y
        row = [i for i in remaining if top - centres[i].y <= row_height]
        order.extend(sorted(row, key=lambda i: (centres[i].x, -centres[i].y, i)))
        taken = set(row)
        remaining = [i for i in remaining if i not in taken]
    return order


def allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Split an integer total in proportion to weights, exactly (largest remainder method)."""
    if total < 0 or not weights or min(weights) < 0 or sum(weights) <= 0:
        raise ValueError("allocate needs a non-negative total and positive weights")
    scale = total / sum(weights)
    shares = [w * scale for w in weights]
    result = [math.floor(s) for s in shares]
    short = total - sum(result)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(shares[i] - result[i]), i))
    for i in by_remainder[:short]:
        result[i] += 1
    return result


def distribute(total: int, bins: int, *, low: int, high: int, seed: str) -> list[int]:
    """`bins` seeded counts between `low` and `high` that add up to `total` exactly."""
    if not low * bins <= total <= high * bins:
        raise ValueError(f"cannot put {total} into {bins} bins of {low}..{high}")
    rng = rng_for("distribute", seed)
    counts = [low] * bins
    for _ in range(total - low * bins):
        open_bins = [i for i in range(bins) if counts[i] < high]
        counts[open_bins[int(rng.integers(len(open_bins)))]] += 1
    return counts
