import itertools

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

from gridgov.demo.layout import (
    LocalFrame,
    allocate,
    blob,
    conform,
    distribute,
    partition,
    reading_order,
)


def test_reading_order_goes_west_to_east_then_north_to_south():
    #   +---+---+---+
    #   | 1 | 2 | 3 |     north
    #   +---+---+---+
    #   | 4 | 5 | 6 |     south
    #   +---+---+---+
    cells = {n: box(x, y, x + 1, y + 1) for n, (x, y) in enumerate(
        [(0, 1), (1, 1), (2, 1), (0, 0), (1, 0), (2, 0)], start=1)}  # fmt: skip
    shuffled = [cells[n] for n in (5, 3, 1, 6, 4, 2)]
    order = reading_order(shuffled)
    numbered = [shuffled[i] for i in order]
    assert numbered == [cells[n] for n in range(1, 7)]


def test_reading_order_keeps_a_ragged_row_together():
    # The east cell of the top row sits a little lower than its neighbour (less than half a
    # cell): it is still in the top row, numbered before the south-west cell.
    north_west = box(0, 1.0, 1, 2.0)
    north_east = box(1, 0.7, 2, 1.7)
    south_west = box(0, 0, 1, 1.0)
    south_east = box(1, -0.3, 2, 0.7)
    geoms = [south_east, south_west, north_east, north_west]
    assert [geoms[i] for i in reading_order(geoms)] == [
        north_west,
        north_east,
        south_west,
        south_east,
    ]


def test_partition_tiles_the_parent_exactly_with_single_polygons():
    parent = blob(4000, seed="test-town")
    cells = partition(parent, 17, seed="test")
    assert len(cells) == 17
    assert all(c.geom_type == "Polygon" and c.is_valid for c in cells)
    assert shapely.union_all(cells).symmetric_difference(parent).area < 1e-3
    overlap = sum(a.intersection(b).area for a, b in itertools.combinations(cells, 2))
    assert overlap < 1e-3


def test_partition_of_one_is_the_parent_itself():
    parent = blob(1000, seed="p")
    assert partition(parent, 1, seed="x") == [parent]


def test_partition_is_deterministic_and_depends_on_the_seed():
    parent = blob(3000, seed="p")
    first = [c.wkb for c in partition(parent, 6, seed="a")]
    assert first == [c.wkb for c in partition(parent, 6, seed="a")]
    assert first != [c.wkb for c in partition(parent, 6, seed="b")]


def test_conform_shares_t_junction_vertices_so_bent_maps_keep_the_tiling():
    parent = box(0, 0, 2000, 1000)
    children = [box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)]

    def bent(geom):
        # A per-vertex map that bends straight lines, like an equal-area projection does.
        return shapely.transform(
            geom, lambda c: np.column_stack([c[:, 0], c[:, 1] + c[:, 0] ** 2 / 4000])
        )

    raw_gap = shapely.union_all([bent(c) for c in children]).symmetric_difference(bent(parent))
    assert raw_gap.area > 1000  # the parent's straight edge misses the children's midpoint
    parent2, *children2 = conform([parent, *children])
    assert len(shapely.get_coordinates(parent2)) == 7  # (1000, 0) and (1000, 1000) added
    gap = shapely.union_all([bent(c) for c in children2]).symmetric_difference(bent(parent2))
    assert gap.area < 1e-6


def test_local_frame_round_trips_and_is_affine():
    frame = LocalFrame(117.5, 34.9)
    square = Polygon([(0, 0), (1000, 0), (1000, 1000), (0, 1000)])
    back = frame.to_xy(frame.to_lonlat(square))
    assert np.allclose(shapely.get_coordinates(back), shapely.get_coordinates(square), atol=1e-6)
    lonlat = frame.to_lonlat(square)
    assert 0.0089 < lonlat.bounds[3] - lonlat.bounds[1] < 0.0091  # 1 km of latitude


@pytest.mark.parametrize(("total", "weights"), [(21105, [1.0, 2.0, 0.5] * 42), (7, [1, 1, 1])])
def test_allocate_adds_up_exactly(total, weights):
    parts = allocate(total, weights)
    assert sum(parts) == total
    assert max(parts) - min(parts) <= total


def test_distribute_respects_bounds_and_total():
    counts = distribute(126, 52, low=2, high=4, seed="x")
    assert sum(counts) == 126
    assert min(counts) >= 2
    assert max(counts) <= 4
    with pytest.raises(ValueError, match="cannot put"):
        distribute(10, 2, low=1, high=4, seed="x")
