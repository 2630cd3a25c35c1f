"""The house error shape of the JSON API: validation errors and throttling."""

import json

import pytest
from django.test import RequestFactory

from gridgov.core.errors import ThrottledError
from gridgov.core.testing.fixtures import clear_cache
from gridgov.core.throttle import throttle


def test_validation_error_is_one_translated_detail_with_fields(client_for):
    response = client_for("town_office").get("/api/v1/grids/locate?lon=abc&lat=34.8")
    assert response.status_code == 422
    body = response.json()
    assert body["detail"].startswith("请求参数无效")
    assert "lon" in body["detail"]
    assert body["errors"][0]["field"].endswith("lon")
    assert body["count"] == 1


def test_validation_error_in_english(client_for):
    response = client_for("town_office").get(
        "/api/v1/grids/locate?lon=abc&lat=34.8", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.json()["detail"].startswith("Invalid request")


def test_a_batch_with_thousands_of_bad_points_shows_a_few_and_counts_all(client_for):
    points = [{"lon": "x", "lat": "y"} for _ in range(500)]
    response = client_for("town_office").post(
        "/api/v1/grids/locate", {"points": points}, content_type="application/json"
    )
    assert response.status_code == 422
    body = response.json()
    assert body["count"] >= 500
    assert len(body["errors"]) == 10


@pytest.fixture
def fresh_cache(db):
    clear_cache()
    yield
    clear_cache()


def test_throttle_allows_the_limit_then_refuses_with_retry_after(fresh_cache):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.7")
    for _ in range(3):
        throttle(request, scope="t", limit=3, per_seconds=60)
    with pytest.raises(ThrottledError) as info:
        throttle(request, scope="t", limit=3, per_seconds=60)
    assert 0 < info.value.retry_after <= 60
    assert info.value.status_code == 429


def test_throttle_counts_each_address_and_scope_apart(fresh_cache):
    one = RequestFactory().get("/", REMOTE_ADDR="10.0.0.7")
    two = RequestFactory().get("/", REMOTE_ADDR="10.0.0.8")
    throttle(one, scope="a", limit=1, per_seconds=60)
    throttle(two, scope="a", limit=1, per_seconds=60)
    throttle(one, scope="b", limit=1, per_seconds=60)
    with pytest.raises(ThrottledError):
        throttle(one, scope="a", limit=1, per_seconds=60)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/cases/abc/accept"),
        ("get", "/api/v1/inbox/-1"),
        ("patch", "/api/v1/people/departments/abc"),
        ("get", "/api/v1/no-such-endpoint"),
    ],
)
def test_paths_no_route_matches_answer_json_under_the_api(client_for, method, path):
    response = getattr(client_for("admin"), method)(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "未找到"}


def test_the_web_platform_keeps_its_html_404(client_for):
    response = client_for("admin").get("/cases/abc/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_body_over_the_upload_limit_is_a_json_413(client_for, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = client_for("worker_a1").post(
        "/api/v1/grids/locate",
        data=json.dumps({"points": [[117.5, 34.9]] * 200}),
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.json()["detail"].startswith("请求过大")
