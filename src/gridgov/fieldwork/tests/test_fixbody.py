"""The fix upload's body read as columns (fixbody) gives what the declared schema gives."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import numpy as np
import pytest
from ninja.errors import HttpError, ValidationError

from gridgov.fieldwork import fixbody
from gridgov.fieldwork.schemas import FixBatchIn
from gridgov.fieldwork.services import FixBatch
from gridgov.fieldwork.tests import test_patrol_api as patrol_api

# The patrol API tests' fixtures (a started patrol of worker_a1 at a fixed moment).
moment = patrol_api.moment
patrol = patrol_api.patrol
NOW, post, walk = patrol_api.NOW, patrol_api.post, patrol_api.walk


def by_schema(data: dict) -> FixBatch:
    payload = FixBatchIn.model_validate(data)
    return FixBatch.from_rows([(f.t, f.lon, f.lat, f.accuracy) for f in payload.fixes])


def read(data: object) -> fixbody.FixUpload:
    return fixbody.read_fix_upload(SimpleNamespace(body=json.dumps(data).encode()))  # type: ignore[arg-type]


def same(a: FixBatch, b: FixBatch) -> bool:
    return all(
        np.array_equal(getattr(a, k), getattr(b, k), equal_nan=True)
        for k in ("t", "lon", "lat", "accuracy")
    )


@pytest.mark.parametrize("seed", range(6))
def test_times_written_alike_are_read_in_columns_to_the_microsecond(seed):
    rng = random.Random(seed)
    offset = timezone(timedelta(minutes=rng.choice([0, 480, -300, 330, 345, -720])))
    spec = rng.choice(["auto", "milliseconds", "seconds", "Z"])
    base = rng.uniform(0, 7.2e9)  # 1970 to 2198
    times = []
    for _ in range(300):
        when = datetime.fromtimestamp(base + rng.uniform(0, 3e7), tz=offset)
        if spec == "Z":  # what a browser's Date.toISOString() writes
            times.append(when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z")
        elif spec == "auto":
            times.append(when.replace(microsecond=rng.randrange(1, 10**6)).isoformat())
        else:
            times.append(when.isoformat(timespec=spec))
    assert fixbody._timestamps(times) is not None
    data = {
        "batch_id": "b",
        "fixes": [
            {"t": t, "lon": rng.uniform(-180, 180), "lat": rng.uniform(-90, 90), "accuracy": i % 7}
            for i, t in enumerate(times)
        ],
    }
    assert same(read(data).batch, by_schema(data))


def test_other_writings_go_the_checked_way_with_the_same_values():
    data = {
        "batch_id": "mixed",
        "crs": "gcj02",
        "fixes": [
            {"t": "2026-05-12T10:00:00", "lon": 113.3, "lat": 34.8},  # no offset: Shanghai
            {"t": "2026-05-12T02:00:01Z", "lon": 113, "lat": 34, "accuracy": None},
            {"t": "2026-05-12 10:00:02+08:00", "lon": "113.3", "lat": 34.8, "accuracy": 5},
            {"t": 1778551203, "lon": 113.3, "lat": 34.8, "accuracy": 5.5, "extra": 1},
        ],
    }
    upload = read(data)
    assert (upload.batch_id, upload.crs) == ("mixed", "gcj02")
    assert same(upload.batch, by_schema(data))
    assert upload.batch.t[0] == datetime(2026, 5, 12, 2, tzinfo=UTC).timestamp()
    assert np.isnan(upload.batch.accuracy[:2]).all()


@pytest.mark.parametrize(
    ("fix", "field"),
    [
        ({"lon": 180.0001}, "fixes.1.lon"),
        ({"lat": float("nan")}, "fixes.1.lat"),
        ({"lat": "north"}, "fixes.1.lat"),
        ({"accuracy": -0.1}, "fixes.1.accuracy"),
        ({"accuracy": float("nan")}, "fixes.1.accuracy"),
        ({"t": "2026-02-29T10:00:00+08:00"}, "fixes.1.t"),  # not a leap year
        ({"t": "2026-05-12T24:00:00+08:00"}, "fixes.1.t"),
        ({"t": "yesterday"}, "fixes.1.t"),
        ({"t": None}, "fixes.1.t"),
    ],
)
def test_a_bad_fix_is_named_as_pydantic_names_it(fix, field):
    good = {"t": "2026-05-12T10:00:00.000+08:00", "lon": 113.3, "lat": 34.8, "accuracy": 5}
    data = {"batch_id": "b", "fixes": [good, {**good, **fix}, good]}
    with pytest.raises(ValidationError) as caught:
        read(data)
    fields = [".".join(str(p) for p in e["loc"][2:]) for e in caught.value.errors]
    assert field in fields


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"batch_id": "b", "fixes": []}, "fixes"),
        (
            {"batch_id": "", "fixes": [{"t": "2026-05-12T10:00:00Z", "lon": 1, "lat": 2}]},
            "batch_id",
        ),
        ({"batch_id": "b", "crs": "utm", "fixes": []}, "crs"),
        ({"fixes": [{"t": "2026-05-12T10:00:00Z", "lon": 1, "lat": 2}]}, "batch_id"),
        ({"batch_id": "b", "fixes": [[1, 2]]}, "fixes.0"),
    ],
)
def test_a_bad_batch_is_refused_naming_the_field(data, field):
    with pytest.raises(ValidationError) as caught:
        read(data)
    assert field in [".".join(str(p) for p in e["loc"][2:]) for e in caught.value.errors]


def test_a_body_that_is_not_json_is_400():
    with pytest.raises(HttpError) as caught:
        fixbody.read_fix_upload(SimpleNamespace(body=b"{"))  # type: ignore[arg-type]
    assert caught.value.status_code == 400


def test_the_documented_body_is_the_schema(db):
    from gridgov.api import api

    schema = api.get_openapi_schema()
    operation = schema["paths"]["/api/v1/fieldwork/patrols/{uid}/fixes"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/FixBatchIn"}
    components = schema["components"]["schemas"]
    assert components["FixBatchIn"]["properties"]["fixes"]["maxItems"] == 5000
    assert components["FixIn"]["properties"]["lon"]["maximum"] == 180


@pytest.mark.django_db
def test_an_upload_of_5000_fixes_is_one_insert_and_a_few_queries(client_for, patrol):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gridgov.fieldwork.models import TrackChunk

    client = client_for("worker_a1")
    url = f"/api/v1/fieldwork/patrols/{patrol['uid']}/fixes"
    fixes = walk(NOW - timedelta(minutes=9), 5000, step_m=0.1, every_s=0.1)
    with CaptureQueriesContext(connection) as queries:
        response = post(client, url, {"batch_id": "big", "fixes": fixes})
    assert response.status_code == 201, response.content
    assert response.json()["patrol_fix_count"] == 5000
    inserts = [q["sql"] for q in queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    assert "fieldwork_trackchunk" in inserts[0]
    # session, user, patrol, the batch id's check, a savepoint, the insert, the count, its
    # release, the count read back for the answer
    assert len(queries) <= 10, [q["sql"][:60] for q in queries]
    assert TrackChunk.objects.get().count == 5000
    with CaptureQueriesContext(connection) as again:
        repeat = post(client, url, {"batch_id": "big", "fixes": fixes})
    assert repeat.status_code == 200
    assert not [q for q in again if q["sql"].startswith("INSERT")]
