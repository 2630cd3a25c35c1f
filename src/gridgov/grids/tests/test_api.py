"""The grids API: scoped lists and details (404 outside the scope), children, GeoJSON for maps,
coverage, regions, and the public point-to-grid endpoints."""

from __future__ import annotations

import json

import pytest
import time_machine

from gridgov.core import coords
from gridgov.core.testing.town import (
    INSIDE,
    OUTSIDE_POINT,
    TOWN_CODE,
    UNIT_A1,
    UNIT_A2,
    UNIT_B1,
    UNIT_B2,
    VILLAGE_A,
    VILLAGE_B,
)
from gridgov.grids.index import MAX_BATCH

API = "/api/v1/grids"
ALL_CAST_GRIDS = {TOWN_CODE, VILLAGE_A, VILLAGE_B, UNIT_A1, UNIT_A2, UNIT_B1, UNIT_B2}


def post_json(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def codes(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["code"] for item in response.json()["items"]}


# --- scope: every role sees its subtree and nothing else ----------------------------------------


@pytest.mark.parametrize(
    ("username", "visible"),
    [
        ("admin", ALL_CAST_GRIDS),
        ("town_office", ALL_CAST_GRIDS),
        ("leader", ALL_CAST_GRIDS),
        ("village_a", {VILLAGE_A, UNIT_A1, UNIT_A2}),
        ("worker_a1", {UNIT_A1}),
        ("worker_b1", {UNIT_B1}),
        ("env_handler", set()),  # a department scope is not a territory
    ],
)
def test_each_role_lists_only_its_subtree(
    client_for, django_assert_max_num_queries, username, visible
):
    client = client_for(username)
    with django_assert_max_num_queries(6):
        response = client.get(API, {"limit": 100})
    assert codes(response) & ALL_CAST_GRIDS == visible


@pytest.mark.parametrize(
    ("username", "own", "neighbour"),
    [
        ("worker_a1", UNIT_A1, UNIT_B1),
        ("worker_b1", UNIT_B1, UNIT_A1),
        ("village_a", UNIT_A2, VILLAGE_B),
        ("village_a", VILLAGE_A, TOWN_CODE),
    ],
)
def test_neighbours_grid_is_404_like_a_missing_one(client_for, username, own, neighbour):
    client = client_for(username)
    assert client.get(f"{API}/{own}").status_code == 200
    for suffix in ("", "/children", "/geojson", "/coverage"):
        outside = client.get(f"{API}/{neighbour}{suffix}")
        missing = client.get(f"{API}/999999999999{suffix}")
        assert outside.status_code == missing.status_code == 404, suffix
        assert outside.json() == missing.json()


def test_anonymous_gets_401_except_for_locate(client, db):
    assert client.get(API).status_code == 401
    assert client.get(f"{API}/{UNIT_A1}").status_code == 401
    assert client.get(f"{API}/regions").status_code == 401
    assert client.get(f"{API}/locate", {"lon": 113.305, "lat": 34.81}).status_code == 200


# --- lists and details --------------------------------------------------------------------------


def test_list_filters_by_parent_level_and_text(client_for):
    client = client_for("town_office")
    assert codes(client.get(API, {"parent": VILLAGE_A})) == {UNIT_A1, UNIT_A2}
    assert codes(client.get(API, {"level": "村"})) & ALL_CAST_GRIDS == {VILLAGE_A, VILLAGE_B}
    assert codes(client.get(API, {"level": "2"})) & ALL_CAST_GRIDS == {
        UNIT_A1,
        UNIT_A2,
        UNIT_B1,
        UNIT_B2,
    }
    assert codes(client.get(API, {"q": "小村"})) == {VILLAGE_B, UNIT_B1, UNIT_B2}


def test_list_is_paginated(client_for):
    body = client_for("town_office").get(API, {"limit": 2}).json()
    assert body["count"] >= 7
    assert len(body["items"]) == 2


def test_list_pages_by_page_and_page_size_like_the_cases_api(client_for):
    client = client_for("town_office")
    everything = [g["code"] for g in client.get(API).json()["items"]]
    second = client.get(API, {"page": 2, "page_size": 3}).json()
    assert [g["code"] for g in second["items"]] == everything[3:6]
    assert second["count"] == len(everything)
    assert client.get(API, {"offset": 3, "limit": 3}).json()["items"] == second["items"]


def test_mixed_or_out_of_range_paging_is_a_422_naming_the_parameter(client_for):
    client = client_for("town_office")
    mixed = client.get(API, {"page": 2, "limit": 3})
    assert mixed.status_code == 422
    too_big = client.get(API, {"page_size": 501})
    assert too_big.status_code == 422
    assert too_big.json()["errors"][0]["field"].endswith("page_size")


def test_detail_has_ancestors_children_count_and_map_fields(
    client_for, django_assert_max_num_queries
):
    client = client_for("worker_a1")
    with django_assert_max_num_queries(6):
        body = client.get(f"{API}/{UNIT_A1}").json()
    assert body["code"] == UNIT_A1
    assert body["level"] == {"depth": 2, "name": "单元网格"}
    assert body["parent_code"] == VILLAGE_A
    assert body["region"] == {"code": VILLAGE_A, "name": "王村"}
    assert [a["code"] for a in body["ancestors"]] == [TOWN_CODE, VILLAGE_A]
    assert body["children_count"] == 0
    assert body["households"] == 100
    assert body["tier"] == 1
    assert 113.30 < body["label"][0] < 113.31
    assert body["bbox"] == pytest.approx([113.30, 34.80, 113.31, 34.82])
    assert body["area_m2"] > 1_000_000
    town = client_for("town_office").get(f"{API}/{TOWN_CODE}").json()
    assert town["children_count"] == 2
    assert town["ancestors"] == []


def test_children_of_a_grid(client_for, django_assert_max_num_queries):
    client = client_for("town_office")
    with django_assert_max_num_queries(7):
        response = client.get(f"{API}/{TOWN_CODE}/children")
    assert codes(response) == {VILLAGE_A, VILLAGE_B}


def test_levels(client_for, django_assert_max_num_queries):
    client = client_for("worker_a1")
    with django_assert_max_num_queries(4):
        body = client.get(f"{API}/levels").json()
    assert [(lv["depth"], lv["name"]) for lv in body] == [(0, "镇"), (1, "村"), (2, "单元网格")]


# --- GeoJSON for maps ---------------------------------------------------------------------------


def test_geojson_of_a_subtree_carries_what_a_map_needs(client_for, django_assert_max_num_queries):
    client = client_for("village_a")
    with django_assert_max_num_queries(6):
        response = client.get(f"{API}/{VILLAGE_A}/geojson")
    assert response["Content-Type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert [f["properties"]["code"] for f in body["features"]] == [VILLAGE_A, UNIT_A1, UNIT_A2]
    props = body["features"][1]["properties"]
    assert set(props) == {
        "code",
        "name",
        "level",
        "parent_code",
        "households",
        "population",
        "tier",
        "label",
    }
    assert props["parent_code"] == VILLAGE_A
    assert body["features"][1]["geometry"]["type"] == "Polygon"


def test_geojson_can_be_simplified_and_filtered_by_level(client_for, town):
    from gridgov.grids import services

    # a wiggly edge: 200 vertices along A1's south side, within 1 m of the straight line
    ring = [[113.30 + i * 0.00005, 34.80 + (i % 2) * 0.000005] for i in range(201)]
    ring += [[113.31, 34.82], [113.30, 34.82], [113.30, 34.80]]
    services.update_grid(town.a1, boundary={"type": "Polygon", "coordinates": [ring]})
    client = client_for("village_a")
    full = client.get(f"{API}/{VILLAGE_A}/geojson", {"level": "单元网格"}).json()
    simple = client.get(f"{API}/{VILLAGE_A}/geojson", {"level": "单元网格", "simplify": 5}).json()
    assert [f["properties"]["code"] for f in full["features"]] == [UNIT_A1, UNIT_A2]

    def vertices(body):
        return len(body["features"][0]["geometry"]["coordinates"][0])

    assert vertices(full) == 204
    assert vertices(simple) < 10
    assert client.get(f"{API}/{VILLAGE_A}/geojson", {"simplify": -1}).status_code == 422


# --- coverage -----------------------------------------------------------------------------------


def test_coverage_report_of_a_subtree(client_for, town):
    from gridgov.grids import services

    client = client_for("village_a")
    body = client.get(f"{API}/{VILLAGE_A}/coverage").json()
    assert body["ok"] is True
    assert body["faults"] == []
    services.delete_grid(town.a2)
    body = client.get(f"{API}/{VILLAGE_A}/coverage", {"tolerance": 10}).json()
    assert body["ok"] is False
    assert body["tolerance_m2"] == 10
    [fault] = body["faults"]
    assert fault["kind"] == "gap"
    assert fault["parent"] == VILLAGE_A
    assert fault["area_m2"] == pytest.approx(town.a1.area_m2, rel=1e-6)


# --- regions ------------------------------------------------------------------------------------


def test_regions_list_and_children(client_for, django_assert_max_num_queries):
    client = client_for("admin")
    with django_assert_max_num_queries(6):
        response = client.get(f"{API}/regions", {"parent": "410182100"})
    assert codes(response) >= {VILLAGE_A, VILLAGE_B}
    with django_assert_max_num_queries(7):
        children = client.get(f"{API}/regions/410182100000/children").json()["items"]
    assert {c["code"] for c in children} >= {VILLAGE_A, VILLAGE_B}
    assert children[0]["parent_code"] == "410182100000"
    assert client.get(f"{API}/regions/4101").json()["name"] == "郑州市"
    assert client.get(f"{API}/regions/41x").status_code == 400


def test_regions_are_scoped_to_the_grids_subtree(client_for):
    assert codes(client_for("worker_a1").get(f"{API}/regions")) == {VILLAGE_A}
    # the town office sees the regions of every grid below its town, its villages included
    assert codes(client_for("town_office").get(f"{API}/regions")) == {
        "410182100000",
        VILLAGE_A,
        VILLAGE_B,
    }
    assert client_for("worker_a1").get(f"{API}/regions/{VILLAGE_B}").status_code == 404


# --- locate (public) ----------------------------------------------------------------------------


def test_locate_one_point(client, town):
    body = client.get(
        f"{API}/locate", {"lon": INSIDE[UNIT_A2][0], "lat": INSIDE[UNIT_A2][1]}
    ).json()
    assert body["code"] == UNIT_A2
    assert body["outside"] is False
    assert body["ancestors"] == [TOWN_CODE, VILLAGE_A]


def test_locate_outside_is_a_clear_answer_not_an_error(client, town):
    response = client.get(f"{API}/locate", {"lon": OUTSIDE_POINT[0], "lat": OUTSIDE_POINT[1]})
    assert response.status_code == 200
    assert response.json() == {"outside": True}


def test_locate_converts_baidu_coordinates(client, town):
    blon, blat = coords.wgs84_to_bd09(*INSIDE[UNIT_B1])
    body = client.get(f"{API}/locate", {"lon": blon, "lat": blat, "crs": "bd09"}).json()
    assert body["code"] == UNIT_B1


@pytest.mark.parametrize(
    "params",
    [
        {"lon": 200, "lat": 34},
        {"lon": "x", "lat": 34},
        {"lat": 34},
        {"lon": 1, "lat": 1, "crs": "x"},
    ],
)
def test_locate_rejects_bad_input_with_4xx(client, town, params):
    assert client.get(f"{API}/locate", params).status_code == 422


def test_locate_batch_keeps_order(client, town):
    points = [INSIDE[UNIT_B2], OUTSIDE_POINT, [200, 0], INSIDE[UNIT_A1]]
    response = post_json(client, f"{API}/locate", {"points": points})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    results = body["results"]
    assert results[0]["code"] == UNIT_B2
    assert results[1] == {"outside": True}
    assert "error" in results[2]
    assert results[3]["code"] == UNIT_A1


def test_locate_batch_accepts_the_maximum_and_refuses_more(client, town):
    full = [list(INSIDE[UNIT_A1])] * MAX_BATCH
    response = post_json(client, f"{API}/locate", {"points": full, "crs": "wgs84"})
    assert response.status_code == 200
    assert response.json()["count"] == MAX_BATCH
    too_many = post_json(client, f"{API}/locate", {"points": [*full, [113.3, 34.8]]})
    assert too_many.status_code == 422
    assert "10000" in too_many.content.decode()


def test_locate_batch_rejects_malformed_points(client, town):
    assert post_json(client, f"{API}/locate", {"points": [[1, 2, 3]]}).status_code == 422
    assert post_json(client, f"{API}/locate", {"points": "x"}).status_code == 422


def test_public_batch_locate_needs_no_csrf_token(town):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = post_json(client, f"{API}/locate", {"points": [list(INSIDE[UNIT_A1])]})
    assert response.status_code == 200
    assert response.json()["results"][0]["code"] == UNIT_A1


# --- throttling of the public endpoints ---------------------------------------------------------

NOON = "2026-03-02T04:00:00Z"  # time frozen: the minute window cannot roll over mid-test


def test_anonymous_locate_gets_429_with_retry_after_past_60_a_minute(client, town):
    from gridgov.grids.api import LOCATE_PER_MINUTE

    point = {"lon": INSIDE[UNIT_A1][0], "lat": INSIDE[UNIT_A1][1]}
    with time_machine.travel(NOON, tick=False):
        statuses = [client.get(f"{API}/locate", point).status_code for _ in range(60)]
        refused = client.get(f"{API}/locate", point)
    assert LOCATE_PER_MINUTE == 60
    assert statuses == [200] * 60
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert "请求过于频繁" in refused.json()["detail"]


def test_anonymous_batches_get_429_past_10_a_minute(client, town):
    body = {"points": [list(INSIDE[UNIT_A1])] * 100}
    with time_machine.travel(NOON, tick=False):
        statuses = [post_json(client, f"{API}/locate", body).status_code for _ in range(10)]
        refused = post_json(client, f"{API}/locate", body)
    assert statuses == [200] * 10
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0


def test_signed_in_callers_are_not_throttled(client_for, town):
    client = client_for("worker_a1")
    point = {"lon": INSIDE[UNIT_A1][0], "lat": INSIDE[UNIT_A1][1]}
    with time_machine.travel(NOON, tick=False):
        statuses = {client.get(f"{API}/locate", point).status_code for _ in range(70)}
    assert statuses == {200}
