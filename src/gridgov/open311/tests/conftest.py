"""Fixtures for the Open311 tests: the demo's extra questions, a key, the published schemas,
and helpers that call /open311/v2 in either format and parse the answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from django.core.cache import cache
from django.test import Client
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from gridgov.core.testing import require_realdata
from gridgov.open311 import services
from gridgov.open311.demo import build_demo_attributes

BASE = "/open311/v2/"


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate-limit counters live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def attributes(db):
    return build_demo_attributes()


@pytest.fixture
def key(db) -> tuple[Any, str]:
    return services.create_key(name="随手拍")


@pytest.fixture(scope="session")
def schemas() -> dict[str, Draft4Validator]:
    """The published GeoReport v2 JSON Schemas (realdata/open311_payloads), with their $refs."""
    folder = require_realdata("open311_payloads", "schema_validation")
    loaded = {p.name: json.loads(p.read_text()) for p in folder.glob("*.json")}
    registry: Registry = Registry().with_resources(
        (name, Resource.from_contents(body, default_specification=DRAFT4))
        for name, body in loaded.items()
    )
    return {
        name.removesuffix(".json"): Draft4Validator(body, registry=registry)
        for name, body in loaded.items()
        if name != "swagger.json"
    }


@pytest.fixture
def call(client: Client) -> Callable[..., Any]:
    """`call("GET", "requests", "json", expect=200, **params)`: the parsed answer (JSON value or
    XML root element), after checking the status and the content type."""

    def run(method: str, path: str, fmt: str, *, expect: int = 200, **params: Any) -> Any:
        url = f"{BASE}{path}.{fmt}"
        response = client.post(url, params) if method == "POST" else client.get(url, params)
        body = response.content
        assert response.status_code == expect, body.decode()
        assert response["Content-Type"].startswith(
            "application/json" if fmt == "json" else "text/xml"
        )
        assert "charset=utf-8" in response["Content-Type"]
        if fmt == "json":
            return json.loads(body.decode("utf-8"))
        assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
        return ET.fromstring(body)  # noqa: S314 (our own answer)

    return run


def xml_dict(element: ET.Element) -> dict[str, str]:
    """The text of an XML element's leaf children, by name ("" for an empty element)."""
    return {child.tag: (child.text or "") for child in element if len(child) == 0}
