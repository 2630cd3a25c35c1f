"""The patrol API: start, batch upload (idempotent per batch), end, detail; scoping."""

from __future__ import annotations

import json
import math
import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from gridgov.cases.models import Channel
from gridgov.cases.services.intake import report_case
from gridgov.core.coords import wgs84_to_gcj02
from gridgov.core.testing.town import UNIT_A1
from gridgov.fieldwork import packing
from gridgov.fieldwork.models import Patrol, PatrolReport, TrackChunk

NOW = datetime(2026, 5, 12, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
R = 6_371_008.8
M_PER_DEG = R * math.pi / 180
LON, LAT = 113.305, 34.805  # inside unit grid A1

pytestmark = pytest.mark.django_db


def walk(
    start: datetime, count: int, *, step_m: float = 10, every_s: float = 10, lat0: float = LAT
):
    """Fixes walking north along LON, one every `every_s` seconds."""
    return [
        {
            "t": (start + timedelta(seconds=i * every_s)).isoformat(),
            "lon": LON,
            "lat": lat0 + i * step_m / M_PER_DEG,
            "accuracy": 8,
        }
        for i in range(count)
    ]


def post(client, url: str, body: dict):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def moment():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def patrol(client_for, town, moment) -> dict:
    response = post(client_for("worker_a1"), "/api/v1/fieldwork/patrols", {})
    assert response.status_code == 201, response.content
    return response.json()


def test_start_defaults_to_the_workers_unit_grid_and_repeats_by_uid(client_for, town, moment):
    client = client_for("worker_a1")
    uid = str(uuid.uuid4())
    first = post(client, "/api/v1/fieldwork/patrols", {"uid": uid})
    again = post(client, "/api/v1/fieldwork/patrols", {"uid": uid})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["grid"] == UNIT_A1
    assert first.json()["id"] == again.json()["id"]
    assert Patrol.objects.filter(uid=uid).count() == 1
    # Someone else cannot take the same uid.
    other = post(client_for("worker_b1"), "/api/v1/fieldwork/patrols", {"uid": uid})
    assert other.status_code == 400
    assert other.json()["field"] == "uid"


def test_start_in_a_grid_outside_scope_is_404_naming_the_field(client_for, town, moment):
    response = post(client_for("worker_b1"), "/api/v1/fieldwork/patrols", {"grid": UNIT_A1})
    assert response.status_code == 404
    assert response.json()["field"] == "grid"


def test_a_batch_is_stored_once_as_one_chunk(client_for, patrol):
    client = client_for("worker_a1")
    url = f"/api/v1/fieldwork/patrols/{patrol['uid']}/fixes"
    body = {"batch_id": "b-1", "fixes": walk(NOW - timedelta(minutes=5), 30)}
    first = post(client, url, body)
    retry = post(client, url, body)
    assert first.status_code == 201, first.content
    assert retry.status_code == 200
    assert first.json() == {
        "batch_id": "b-1",
        "stored": 30,
        "created": True,
        "patrol_fix_count": 30,
    }
    assert retry.json()["created"] is False
    assert retry.json()["patrol_fix_count"] == 30
    chunk = TrackChunk.objects.get()
    t, lon, lat, acc = packing.unpack(chunk.data)
    assert chunk.count == 30
    assert t[0] == (NOW - timedelta(minutes=5)).timestamp()
    assert np.allclose(lat, [f["lat"] for f in body["fixes"]], atol=1e-7)
    assert np.all(acc == 8)


def test_a_time_without_offset_is_asia_shanghai(client_for, patrol):
    url = f"/api/v1/fieldwork/patrols/{patrol['uid']}/fixes"
    fixes = [{"t": "2026-05-12T09:58:00", "lon": LON, "lat": LAT}]
    assert (
        post(client_for("worker_a1"), url, {"batch_id": "naive", "fixes": fixes}).status_code == 201
    )
    chunk = TrackChunk.objects.get()
    assert chunk.starts_at == datetime(2026, 5, 12, 1, 58, tzinfo=UTC)


def test_gcj02_fixes_are_stored_in_wgs84(client_for, patrol):
    url = f"/api/v1/fieldwork/patrols/{patrol['uid']}/fixes"
    glon, glat = wgs84_to_gcj02(LON, LAT)
    fixes = [{"t": (NOW - timedelta(seconds=30)).isoformat(), "lon": glon, "lat": glat}]
    body = {"batch_id": "mars", "crs": "gcj02", "fixes": fixes}
    assert post(client_for("worker_a1"), url, body).status_code == 201
    _t, lon, lat, acc = packing.unpack(TrackChunk.objects.get().data)
    assert (lon[0], lat[0]) == pytest.approx((LON, LAT), abs=2e-7)
    assert math.isnan(acc[0])


@pytest.mark.parametrize(
    ("fixes", "field"),
    [
        ([{"t": "2026-05-12T09:58:00+08:00", "lon": 190, "lat": LAT}], "fixes.0.lon"),
        ([{"t": "yesterday", "lon": LON, "lat": LAT}], "fixes.0.t"),
        (
            [{"t": "2026-05-12T09:58:00+08:00", "lon": LON, "lat": LAT, "accuracy": -1}],
            "fixes.0.accuracy",
        ),
        ([], "fixes"),
    ],
)
def test_bad_fixes_are_422_naming_the_field(client_for, patrol, fixes, field):
    url = f"/api/v1/fieldwork/patrols/{patrol['uid']}/fixes"
    response = post(client_for("worker_a1"), url, {"batch_id": "bad", "fixes": fixes})
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]
    assert TrackChunk.objects.count() == 0


def test_more_than_5000_fixes_are_refused(client_for, patrol):
    url = f"/api/v1/fieldwork/patrols/{patrol['uid']}/fixes"
    fixes = walk(NOW - timedelta(minutes=9), 5001, step_m=0.1, every_s=0.2)
    response = post(client_for("worker_a1"), url, {"batch_id": "big", "fixes": fixes})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "fixes"
    ok = post(client_for("worker_a1"), url, {"batch_id": "max", "fixes": fixes[:5000]})
    assert ok.status_code == 201


def test_fixes_before_the_patrol_and_reused_batch_ids_are_400(client_for, patrol):
    client = client_for("worker_a1")
    url = f"/api/v1/fieldwork/patrols/{patrol['uid']}/fixes"
    early = post(client, url, {"batch_id": "x", "fixes": walk(NOW - timedelta(hours=1), 2)})
    assert early.status_code == 400
    assert early.json()["field"] == "fixes[0].t"
    assert post(client, url, {"batch_id": "x", "fixes": walk(NOW, 2)}).status_code == 201
    second = post(client, "/api/v1/fieldwork/patrols", {})
    other_url = f"/api/v1/fieldwork/patrols/{second.json()['uid']}/fixes"
    reused = post(client, other_url, {"batch_id": "x", "fixes": walk(NOW, 2)})
    assert reused.status_code == 400
    assert reused.json()["field"] == "batch_id"


def test_end_computes_the_summary_and_links_reports_made_during_the_patrol(
    client_for, patrol, town
):
    client = client_for("worker_a1")
    url = f"/api/v1/fieldwork/patrols/{patrol['uid']}"
    # 60 fixes, 10 m apart every 10 s: 590 m in 590 s, beginning at the patrol's start.
    assert (
        post(client, f"{url}/fixes", {"batch_id": "a", "fixes": walk(NOW, 60)}).status_code == 201
    )
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        case = report_case(
            by=town.user("worker_a1"),
            channel=Channel.PATROL,
            description="垃圾堆放",
            grid_code=UNIT_A1,
        ).case
    with time_machine.travel(NOW + timedelta(minutes=20), tick=False):
        ended = post(client, f"{url}/end", {})
        assert ended.status_code == 200, ended.content
        again = post(client, f"{url}/end", {})
    assert ended.json()["mileage_m"] == pytest.approx(590, abs=0.01)
    assert ended.json()["duration_s"] == 590
    assert again.json()["ended_at"] == ended.json()["ended_at"]
    assert PatrolReport.objects.get().case_id == case.pk
    detail = client.get(url).json()
    assert detail["reports"] == [case.pk]
    assert detail["track"]["geometry"]["type"] == "MultiLineString"
    assert len(detail["track"]["geometry"]["coordinates"][0]) == 60
    assert detail["stay_points"] == []


def test_late_batches_after_the_end_update_the_summary(
    client_for, patrol, django_capture_on_commit_callbacks
):
    client = client_for("worker_a1")
    url = f"/api/v1/fieldwork/patrols/{patrol['uid']}"
    with time_machine.travel(NOW + timedelta(minutes=20), tick=False):
        post(client, f"{url}/end", {})
        with django_capture_on_commit_callbacks(execute=True):
            assert (
                post(
                    client, f"{url}/fixes", {"batch_id": "late", "fixes": walk(NOW, 11)}
                ).status_code
                == 201
            )
    patrol_row = Patrol.objects.get(uid=patrol["uid"])
    assert patrol_row.mileage_m == pytest.approx(100, abs=0.01)


def test_scope_outsider_404_overseer_sees_but_cannot_record(client_for, patrol):
    url = f"/api/v1/fieldwork/patrols/{patrol['uid']}"
    outsider = client_for("worker_b1")
    assert outsider.get(url).status_code == 404
    assert (
        post(outsider, f"{url}/fixes", {"batch_id": "z", "fixes": walk(NOW, 2)}).status_code == 404
    )
    for overseer in ("village_a", "town_office", "leader"):
        assert client_for(overseer).get(url).status_code == 200
    forbidden = post(
        client_for("village_a"), f"{url}/fixes", {"batch_id": "z", "fixes": walk(NOW, 2)}
    )
    assert forbidden.status_code == 403
    assert post(client_for("village_a"), f"{url}/end", {}).status_code == 403


def test_list_is_scoped_and_bounded_in_queries(client_for, patrol, django_assert_max_num_queries):
    client = client_for("worker_a1")
    for _ in range(3):
        post(client, "/api/v1/fieldwork/patrols", {})
    office = client_for("town_office")
    with django_assert_max_num_queries(6):
        rows = office.get("/api/v1/fieldwork/patrols?date=2026-05-12").json()
    assert len(rows) == 4
    assert client_for("worker_b1").get("/api/v1/fieldwork/patrols").json() == []
    bad = client.get("/api/v1/fieldwork/patrols?date=12/05/2026")
    assert bad.status_code == 400
    assert bad.json()["field"] == "date"


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.floats(min_value=0, max_value=3e9),
            st.floats(min_value=-180, max_value=180),
            st.floats(min_value=-90, max_value=90),
            st.one_of(st.just(math.nan), st.floats(min_value=0, max_value=6000)),
        ),
        max_size=60,
    )
)
def test_packing_round_trips_at_its_resolution(rows):
    arr = np.array(rows, dtype=float).reshape(-1, 4)
    t, lon, lat, acc = packing.unpack(packing.pack(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3]))
    assert np.allclose(t, arr[:, 0], atol=0.0005 + 1e-6)
    assert np.allclose(lon, arr[:, 1], atol=0.5e-7 + 1e-12)
    assert np.allclose(lat, arr[:, 2], atol=0.5e-7 + 1e-12)
    assert np.array_equal(np.isnan(acc), np.isnan(arr[:, 3]))
    assert np.allclose(acc[~np.isnan(acc)], arr[:, 3][~np.isnan(acc)], atol=0.05 + 1e-9)
