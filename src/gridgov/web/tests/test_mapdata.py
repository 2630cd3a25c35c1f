"""The compact map document: outlines survive the encoding to within a metre, a user gets
exactly the grids they may see, and browsers revalidate it by ETag."""

from __future__ import annotations

import gzip
import json
from typing import Any

from shapely.geometry import box, shape

from gridgov.core.testing.town import UNIT_A1, VILLAGE_A, Town
from gridgov.grids.services import apply_boundary, bump_grid_revision
from gridgov.web.mapdata import SCALE, encode_outline


def decode(polygons: list[list[list[int]]]) -> list[list[list[tuple[float, float]]]]:
    result = []
    for rings in polygons:
        decoded = []
        for enc in rings:
            x = y = 0
            points = []
            for i in range(0, len(enc), 2):
                x += enc[i]
                y += enc[i + 1]
                points.append((x / SCALE, y / SCALE))
            decoded.append(points)
        result.append(decoded)
    return result


def test_outline_round_trips_within_a_metre() -> None:
    geom = box(113.30011, 34.80007, 113.31009, 34.82003).difference(
        box(113.303, 34.805, 113.304, 34.806)
    )
    polygons = decode(encode_outline(json.loads(json.dumps(geom.__geo_interface__))))
    assert len(polygons) == 1
    assert len(polygons[0]) == 2  # the hole survives
    outer = polygons[0][0]
    for x, y in geom.exterior.coords:
        assert min(abs(x - px) + abs(y - py) for px, py in outer) < 2e-5


def test_a_user_gets_exactly_the_grids_of_their_subtree(client_for: Any, town: Town) -> None:
    response = client_for("village_a").get("/command/grids.json")
    assert response.status_code == 200
    doc = json.loads(response.content)
    assert sorted(doc["code"]) == sorted(
        g.code for g in town.village_a.__class__.objects.within(town.village_a)
    )
    assert doc["code"][0] == VILLAGE_A
    assert doc["parent"][doc["code"].index(UNIT_A1)] == 0
    a1 = shape(town.a1.boundary)
    outline = decode(doc["outline"][doc["code"].index(UNIT_A1)])[0][0]
    assert abs(shape({"type": "Polygon", "coordinates": [outline]}).area - a1.area) < a1.area * 1e-3


def test_the_document_is_revalidated_by_etag_and_sent_gzipped(client_for: Any) -> None:
    client = client_for("town_office")
    first = client.get("/command/grids.json", HTTP_ACCEPT_ENCODING="gzip")
    assert first["Content-Encoding"] == "gzip"
    assert len(json.loads(gzip.decompress(first.content))["code"]) == 7
    again = client.get("/command/grids.json", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


def test_a_grid_edit_changes_the_document(client_for: Any, town: Town) -> None:
    client = client_for("town_office")
    before = client.get("/command/grids.json")
    grid = town.a1
    apply_boundary(grid, box(113.30, 34.80, 113.309, 34.82))
    grid.save()
    bump_grid_revision()
    after = client.get("/command/grids.json", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]


def test_the_public_map_of_the_report_page_has_every_active_grid(client_for: Any) -> None:
    doc = json.loads(client_for("").get("/report/grids.json").content)
    assert len(doc["code"]) == 7
