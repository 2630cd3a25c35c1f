"""A small synthetic town for grid tests, east of the named cast's town (which ends at 113.34):

    测试镇 410182101000 (镇)
      ├ 西村 410182101201 (村, west half): unit grids …201001 … 201006, 3 columns × 2 rows
      └ 东村 410182101202 (村, east half): unit grids …202001 … 202006
                                                       lon 113.40 → 113.46, lat 34.80 → 34.82
Unit grids are 0.01° squares numbered west to east, north to south (STANDARDS.md). Every
square also carries the midpoint of each edge as a vertex, so moving one midpoint bulges a grid
into exactly one neighbour: a single overlap and nothing else.
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

from gridgov.grids.geometry import EARTH_RADIUS_M

TOWN = "410182101000"
VILLAGES = ("410182101201", "410182101202")
VILLAGE_NAMES = ("西村", "东村")
WEST, SOUTH = 113.40, 34.80
CELL = 0.01
COLS, ROWS = 3, 2
LEVELS = ("镇", "村", "单元网格")  # the cast's configured levels

REGIONS_CSV = (
    "code,name,parent_code\n"
    "410182101,测试镇,410182\n"
    "410182101201,西村,410182101\n"
    "410182101202,东村,410182101\n"
).encode()


def square(west: float, south: float, size: float) -> list[list[float]]:
    """A closed counter-clockwise ring with the edge midpoints as vertices."""
    e, n = west + size, south + size
    mx, my = west + size / 2, south + size / 2
    return [
        [west, south],
        [mx, south],
        [e, south],
        [e, my],
        [e, n],
        [mx, n],
        [west, n],
        [west, my],
        [west, south],
    ]


def rectangle(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def unit_code(village: int, column: int, row: int) -> str:
    """Serial numbered west to east, then north to south."""
    return f"{VILLAGES[village]}{row * COLS + column + 1:03d}"


def feature(
    code: str, name: str, level: str, parent: str | None, geometry: Any, **extra: Any
) -> dict[str, Any]:
    props = {"code": code, "name": name, "level": level, "parent_code": parent}
    props.update(extra)
    return {"type": "Feature", "properties": props, "geometry": geometry}


def town_collection() -> dict[str, Any]:
    east = WEST + 2 * COLS * CELL
    north = SOUTH + ROWS * CELL
    features = [
        feature(
            TOWN,
            "测试镇",
            LEVELS[0],
            None,
            rectangle(WEST, SOUTH, east, north),
            region_code="410182101",
        ),
    ]
    for v, village in enumerate(VILLAGES):
        vwest = WEST + v * COLS * CELL
        features.append(
            feature(
                village,
                VILLAGE_NAMES[v],
                LEVELS[1],
                TOWN,
                rectangle(vwest, SOUTH, vwest + COLS * CELL, north),
                households=600,
                population=1800,
            )
        )
        for row in range(ROWS):
            for column in range(COLS):
                west = vwest + column * CELL
                south = north - (row + 1) * CELL
                code = unit_code(v, column, row)
                features.append(
                    feature(
                        code,
                        f"{VILLAGE_NAMES[v]}第{code[-3:]}网格",
                        LEVELS[2],
                        village,
                        {"type": "Polygon", "coordinates": [square(west, south, CELL)]},
                        households=100,
                        population=300,
                        tier=1 + (row + column) % 3,
                    )
                )
    return {"type": "FeatureCollection", "features": features}


def find(collection: dict[str, Any], code: str) -> dict[str, Any]:
    for item in collection["features"]:
        if item["properties"]["code"] == code:
            return item
    raise KeyError(code)


def with_east_midpoint_moved(collection: dict[str, Any], code: str, dlon: float) -> dict[str, Any]:
    """A copy where the midpoint of `code`'s east edge moves east by dlon degrees."""
    result = copy.deepcopy(collection)
    ring = find(result, code)["geometry"]["coordinates"][0]
    ring[3][0] += dlon
    return result


def without(collection: dict[str, Any], code: str) -> dict[str, Any]:
    result = copy.deepcopy(collection)
    result["features"] = [f for f in result["features"] if f["properties"]["code"] != code]
    return result


def spherical_rectangle_area(west: float, south: float, east: float, north: float) -> float:
    """Exact area of a lon/lat rectangle on the sphere: an oracle independent of our projection."""
    return (
        EARTH_RADIUS_M**2
        * math.radians(east - west)
        * (math.sin(math.radians(north)) - math.sin(math.radians(south)))
    )


def as_bytes(collection: dict[str, Any]) -> bytes:
    return json.dumps(collection, ensure_ascii=False).encode()
