"""Coverage check 不重不漏 (seed 002: grids cover the territory with no gap and no overlap).

For every grid with children it reports
- each overlap between two siblings (area, a point inside it),
- each gap between the children and the parent, every connected gap separately,
- each child that sticks out of its parent,
- each grid of the family without a boundary (it can be neither checked nor located).
Areas are in square metres in one equal-area projection (grids.geometry); faults smaller than
the tolerance (default settings.GRIDGOV["COVERAGE_TOLERANCE_M2"], 1 m²) are slivers of
digitising and are dropped.

Overlay runs in lon/lat, where the boundaries were drawn, on a precision grid of 1e-8 degree
(about 1 mm; GEOS snap-rounding): edges that two neighbours share up to floating-point noise are
then the same edge, so noise neither invents faults nor joins two real gaps into one through a
hair-thin seam. Only the faults found are projected, for their areas. Projecting first would
bend every slanted straight edge by up to decimetres, and a child's corner lying on its parent's
edge would become a phantom sliver of hundreds of m².

Sibling pairs come from one STRtree query over every child (vectorised); gaps from one
unary_union per parent. A 4,418-grid district takes a few seconds (bench/bench_coverage.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import shapely
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from shapely.geometry.base import BaseGeometry

from gridgov.grids.geometry import EqualArea, shapes_from_geojson
from gridgov.grids.models import Grid

GRID_SIZE_DEG = 1e-8
FaultKind = Literal["overlap", "gap", "outside", "no_boundary"]
KIND_LABELS: dict[FaultKind, str] = {
    "overlap": gettext_noop("重叠"),
    "gap": gettext_noop("缝隙"),
    "outside": gettext_noop("超出上级"),
    "no_boundary": gettext_noop("缺少边界"),
}


@dataclass(frozen=True)
class CoverageFault:
    kind: FaultKind
    parent: str  # code of the grid whose children are checked
    grids: tuple[str, ...]  # the siblings of an overlap; the child sticking out; gap neighbours
    area_m2: float
    lon: float | None  # a point inside the fault
    lat: float | None

    def describe(self) -> str:
        point = f" @ ({self.lon:.6f}, {self.lat:.6f})" if self.lon is not None else ""
        label = _(KIND_LABELS[self.kind])
        if self.kind == "overlap":
            what = _("%(a)s 与 %(b)s 重叠") % {"a": self.grids[0], "b": self.grids[1]}
        elif self.kind == "gap":
            what = _("%(parent)s 内有未被下级覆盖的缝隙") % {"parent": self.parent}
            if self.grids:
                # Translators: the separator between items of a list ("a、b、c").
                near = _("、").join(self.grids)
                what += _("(邻接 %(near)s)") % {"near": near}
        elif self.kind == "outside":
            what = _("%(child)s 超出上级 %(parent)s") % {
                "child": self.grids[0],
                "parent": self.parent,
            }
        else:
            what = _("%(grid)s 没有边界") % {"grid": self.grids[0]}
        area = f" {self.area_m2:,.1f} m²" if self.kind != "no_boundary" else ""
        return f"[{label}] {what}{area}{point}"


@dataclass
class CoverageReport:
    root: str | None
    tolerance_m2: float
    families: int = 0  # grids with children that were checked
    grids: int = 0
    faults: list[CoverageFault] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.faults

    def count(self, kind: FaultKind) -> int:
        return sum(1 for f in self.faults if f.kind == kind)

    def as_dict(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "tolerance_m2": self.tolerance_m2,
            "families": self.families,
            "grids": self.grids,
            "ok": self.ok,
            "counts": {kind: self.count(kind) for kind in KIND_LABELS},
            "faults": [{**asdict(f), "grids": list(f.grids)} for f in self.faults],
        }


def default_tolerance() -> float:
    configured: Any = settings.GRIDGOV.get("COVERAGE_TOLERANCE_M2", 1.0)
    return float(configured)


def check_coverage(
    root: Grid | None = None, *, tolerance_m2: float | None = None
) -> CoverageReport:
    """Check the subtree of `root` (every tree when None). Read-only."""
    tolerance = default_tolerance() if tolerance_m2 is None else float(tolerance_m2)
    qs = Grid.objects.filter(is_active=True)
    if root is not None:
        qs = qs.within(root)
    rows = list(qs.order_by("path").values_list("pk", "code", "parent_id", "boundary"))
    report = CoverageReport(
        root=root.code if root else None, tolerance_m2=tolerance, grids=len(rows)
    )
    if not rows:
        return report
    pks = np.array([r[0] for r in rows])
    codes = [r[1] for r in rows]
    index_of = {pk: i for i, pk in enumerate(pks.tolist())}
    parent_idx = np.array([index_of.get(r[2], -1) for r in rows])
    if root is not None:
        parent_idx[codes.index(root.code)] = -1  # the root's own parent is outside the check
    lonlat = shapes_from_geojson([r[3] for r in rows])
    checker = _Checker(codes, parent_idx, lonlat, tolerance)
    report.families = checker.families
    report.faults = checker.run()
    return report


class _Checker:
    def __init__(
        self, codes: list[str], parent_idx: np.ndarray, lonlat: np.ndarray, tolerance: float
    ) -> None:
        self.codes = codes
        self.parent_idx = parent_idx
        self.tolerance = tolerance
        present = np.array([g is not None for g in lonlat], dtype=bool)
        self.present = present
        bounds = shapely.total_bounds(lonlat[present]) if present.any() else (0, 0, 0, 0)
        self.projection = EqualArea(lat0=(bounds[1] + bounds[3]) / 2)
        geoms = np.full(len(codes), None, dtype=object)
        if present.any():
            valid = lonlat[present]
            # Stored boundaries are validated on write; repair defensively so one bad row
            # cannot stop the check of a whole district.
            invalid = ~shapely.is_valid(valid)
            if invalid.any():
                valid[invalid] = shapely.make_valid(valid[invalid])
            geoms[present] = valid
        self.geoms = geoms
        has_parent = parent_idx >= 0
        self.child_idx = np.nonzero(has_parent)[0]
        self.parents = np.unique(parent_idx[has_parent])
        self.families = len(self.parents)

    def run(self) -> list[CoverageFault]:
        faults: list[CoverageFault] = []
        faults += self._missing_boundaries()
        faults += self._overlaps()
        faults += self._gaps_and_stick_outs()
        order = {"no_boundary": 0, "overlap": 1, "gap": 2, "outside": 3}
        faults.sort(key=lambda f: (f.parent, order[f.kind], f.grids, -f.area_m2))
        return faults

    def _areas(self, geoms: Any) -> Any:
        """Square metres of lon/lat geometries (one or an array), in the equal-area projection."""
        return shapely.area(shapely.transform(geoms, self.projection._forward_coords))

    def _fault(
        self, kind: FaultKind, parent: int, grids: tuple[str, ...], geom: BaseGeometry
    ) -> CoverageFault:
        parts = shapely.get_parts(geom)
        largest = parts[int(np.argmax(self._areas(parts)))]
        p = largest.representative_point()
        area = round(float(self._areas(geom)), 1)
        return CoverageFault(kind, self.codes[parent], grids, area, round(p.x, 7), round(p.y, 7))

    def _missing_boundaries(self) -> list[CoverageFault]:
        faults = []
        in_family = set(self.child_idx.tolist()) | set(self.parents.tolist())
        for i in sorted(in_family):
            if not self.present[i]:
                parent = int(self.parent_idx[i]) if self.parent_idx[i] >= 0 else i
                faults.append(
                    CoverageFault(
                        "no_boundary", self.codes[parent], (self.codes[i],), 0.0, None, None
                    )
                )
        return faults

    def _overlaps(self) -> list[CoverageFault]:
        children = np.array([i for i in self.child_idx if self.present[i]], dtype=int)
        if len(children) < 2:
            return []
        geoms = self.geoms[children]
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="intersects")
        keep = (left < right) & (
            self.parent_idx[children[left]] == self.parent_idx[children[right]]
        )
        left, right = left[keep], right[keep]
        if not len(left):
            return []
        # Siblings sharing an edge intersect too; keep pairs whose interiors meet.
        interiors = shapely.relate_pattern(geoms[left], geoms[right], "T********")
        left, right = left[interiors], right[interiors]
        if not len(left):
            return []
        shared = shapely.intersection(geoms[left], geoms[right], grid_size=GRID_SIZE_DEG)
        areas = self._areas(shared)
        faults = []
        for a, b, geom, area in zip(left, right, shared, areas, strict=True):
            if area < self.tolerance:
                continue
            i, j = children[a], children[b]
            pair = tuple(sorted((self.codes[i], self.codes[j])))
            faults.append(self._fault("overlap", int(self.parent_idx[i]), pair, geom))
        return faults

    def _gaps_and_stick_outs(self) -> list[CoverageFault]:
        faults: list[CoverageFault] = []
        families: dict[int, list[int]] = {}
        for i in self.child_idx:
            if self.present[i]:
                families.setdefault(int(self.parent_idx[i]), []).append(int(i))
        for parent, members in families.items():
            parent_geom = self.geoms[parent]
            if parent_geom is None:
                continue
            member_geoms = self.geoms[members]
            union = shapely.union_all(member_geoms, grid_size=GRID_SIZE_DEG)
            gaps = shapely.difference(parent_geom, union, grid_size=GRID_SIZE_DEG)
            if not gaps.is_empty and self._areas(gaps) >= self.tolerance:
                gap_parts = shapely.get_parts(gaps)
                parts = gap_parts[self._areas(gap_parts) >= self.tolerance]
                if len(parts):
                    near_tree = shapely.STRtree(member_geoms)
                    for gap in parts:
                        touching = near_tree.query(
                            gap, predicate="dwithin", distance=10 * GRID_SIZE_DEG
                        )
                        near = tuple(sorted(self.codes[members[k]] for k in touching))
                        faults.append(self._fault("gap", parent, near, gap))
            prepared_parent = parent_geom
            shapely.prepare(prepared_parent)
            outside = ~shapely.covers(prepared_parent, member_geoms)
            for k in np.nonzero(outside)[0]:
                sticking = shapely.difference(member_geoms[k], parent_geom, grid_size=GRID_SIZE_DEG)
                if sticking.is_empty or self._areas(sticking) < self.tolerance:
                    continue
                faults.append(self._fault("outside", parent, (self.codes[members[k]],), sticking))
        return faults
