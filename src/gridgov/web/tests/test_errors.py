"""Pages answer a rule the services enforce outside any form, above all "too many requests"
(429, the throttled public intake), with a page that says so: never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import URLPattern

from gridgov.core.errors import DomainError, ThrottledError
from gridgov.core.testing.town import INSIDE, UNIT_A1
from gridgov.web import urls as web_urls


def too_many(**_kwargs: Any) -> Any:
    raise ThrottledError("请求过于频繁,请 42 秒后再试", retry_after=42)


def test_a_throttled_resident_report_gets_a_friendly_429(
    client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gridgov.cases.views.resident.report_case", too_many)
    response = client_for("").post(
        "/report/",
        {"description": "路灯不亮", "idempotency_key": "3f0c2e9d8a7f3e4b6f0c2e9d8a7f3e4b"},
    )
    assert response.status_code == 429
    assert response["Retry-After"] == "42"
    body = response.content.decode()
    assert 'data-error-status="429"' in body
    assert "请求过于频繁,请 42 秒后再试" in body
    assert "Traceback" not in body


def test_a_throttled_phone_report_stays_in_the_outbox(
    client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The outbox keeps a report on anything but 2xx, 400 and 409: a 429 is retried later."""
    monkeypatch.setattr("gridgov.cases.views.phone.report_case", too_many)
    lon, lat = INSIDE[UNIT_A1]
    response = client_for("worker_a1").post(
        "/m/report/",
        {
            "description": "井盖缺失",
            "mode": "coordinate",
            "urgency": "ordinary",
            "lon": lon,
            "lat": lat,
        },
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 429
    assert response["Retry-After"] == "42"
    assert response.json() == {"ok": False, "detail": "请求过于频繁,请 42 秒后再试"}


def test_a_rule_broken_outside_a_form_is_a_400_page(
    client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise DomainError("网格数据正在导入,请稍后查看")

    monkeypatch.setattr("gridgov.web.views.boards.grid_board", refuse)
    response = client_for("").get(f"/board/{UNIT_A1}/")
    assert response.status_code == 400
    assert "网格数据正在导入,请稍后查看" in response.content.decode()


def test_every_page_answers_domain_errors() -> None:
    unwrapped = [
        str(p.pattern)
        for p in web_urls.urlpatterns
        if isinstance(p, URLPattern)
        and p.name not in {"login", "logout"}
        and not getattr(p.callback, "answers_domain_errors", False)
    ]
    assert unwrapped == []


def test_the_resident_page_shares_the_public_report_limit(client_for: Any) -> None:
    """The page is a second door to the intake the public API throttles: same limit, 429."""
    from gridgov.cases.api import PUBLIC_REPORTS

    client = client_for("")
    statuses = [client.post("/report/", {"description": ""}).status_code for _ in range(10)]
    assert statuses == [400] * PUBLIC_REPORTS.limit
    refused = client.post("/report/", {"description": "又一条"})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert 'data-error-status="429"' in refused.content.decode()
    assert client.get("/report/").status_code == 200  # reading the form is not limited


def test_guessing_tracking_codes_is_throttled(client_for: Any) -> None:
    from gridgov.cases.api import PUBLIC_TRACKING

    client = client_for("")
    for i in range(PUBLIC_TRACKING.limit):
        assert client.get(f"/track/GUESS{i:05d}/").status_code == 404
    assert client.get("/track/GUESS99999/").status_code == 429
    assert client.get("/track/", {"code": "GUESS99999"}).status_code == 429
