"""The NUL and oversize sweep (issue 9): every route, every API operation and every importer,
found by walking the URL resolver, the ninja operations, the management commands and the
OpenAPI document, so a new route or importer is covered without anyone listing it.

- A NUL in a path segment, a query string, a form field or a JSON body: 400 naming the field.
- An oversized path segment, query value or JSON string: any answer but a 5xx.
- Each importer, fed a file with a NUL and one with an oversized cell: refused, nothing
  written, and (for the format it reads) the NUL named.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError
from django.test import Client

from gridgov.core.inputguard import MAX_CSV_CELL
from gridgov.core.tests.test_access import all_routes, ninja_operations

HUGE_TEXT = "长" * 20_000
HUGE_INT = "9" * 30  # past any database integer


def _fill(route: str, value: Callable[[str, str], str]) -> str:
    def sub(match: re.Match[str]) -> str:
        converter = (match.group(1) or "str:").rstrip(":")
        return value(converter, match.group(2))

    return re.sub(r"<(\w+:)?(\w+)>", sub, route)


def _plain_routes() -> list[str]:
    """Every route in Django's route syntax; admin's regex routes are reached through
    their prefix (the middleware answers before any pattern is matched)."""
    routes = set()
    for route in all_routes():
        text = route.route
        if "^" in text or "(?P" in text or "\\" in text:
            text = text.split("^")[0] or "/admin/"
        routes.add(text)
    return sorted(routes)


def _nul_value(converter: str, name: str) -> str:
    return {"int": "1", "uuid": "00000000-0000-0000-0000-000000000000"}.get(converter, "a%00b")


def _huge_value(converter: str, name: str) -> str:
    return {"int": HUGE_INT, "uuid": "00000000-0000-0000-0000-000000000000"}.get(
        converter, "x" * 5000
    )


@pytest.fixture
def admin_client(db: None) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(get_user_model().objects.get(username="admin"))
    return client


def test_the_sweep_finds_pages_api_operations_and_importers():
    routes = _plain_routes()
    assert "/board/<str:code>/" in routes
    assert "/api/v1/cases/track/<code>" in routes
    assert len(list(ninja_operations())) > 50
    assert {"import_regions", "import_grids", "load_calendar"} <= set(_importer_commands())
    assert {"/api/v1/cases/import-hotline"} <= {op for op, _ in _upload_operations()}


@pytest.mark.django_db
def test_a_nul_anywhere_in_any_route_is_a_400_naming_it(admin_client, town):
    anonymous = Client(raise_request_exception=False)
    failures = []
    for route in _plain_routes():
        url = _fill(route, _nul_value)
        has_text_segment = "%00" in url
        # GET anonymously, POST logged in: the guard answers before any view, for both.
        for client, method in ((anonymous, "get"), (admin_client, "post")):
            if has_text_segment:
                response = getattr(client, method)(url)
                if response.status_code != 400:
                    failures.append((method, url, "path", response.status_code))
            separator = "&" if "?" in url else "?"
            response = getattr(client, method)(f"{url}{separator}q=a%00b")
            if response.status_code != 400:
                failures.append((method, url, "query", response.status_code))
        response = admin_client.post(url, {"note": "a\x00b"})
        if response.status_code != 400:
            failures.append(("post form", url, "note", response.status_code))
        if route.startswith("/api/") and response.status_code == 400:
            body = response.json()
            if body.get("field") not in {"path", "note"}:
                failures.append(("post form", url, "field", body))
    assert not failures, failures


@pytest.mark.django_db
def test_a_nul_in_any_json_body_is_a_400_naming_the_field(admin_client, town):
    failures = []
    for route, method, _op in ninja_operations():
        if method not in {"POST", "PUT", "PATCH"}:
            continue
        url = _fill(route.route, lambda converter, name: "1" if converter == "int" else "x")
        body = json.dumps({"outer": {"list": ["ok", "a\u0000b"]}})
        response = admin_client.generic(method, url, body, content_type="application/json")
        if response.status_code != 400 or response.json().get("field") != "outer.list.1":
            failures.append((method, route.route, response.status_code, response.content[:200]))
    assert not failures, failures


@pytest.mark.django_db
def test_oversized_path_segments_and_query_values_never_answer_5xx(admin_client, town):
    failures = []
    for route in _plain_routes():
        if route.startswith("/admin/"):
            continue  # Django's own admin: covered by Django, and it has hundreds of pages
        url = _fill(route, _huge_value)
        for candidate in (url, f"{_fill(route, _nul_value).replace('a%00b', 'x')}?q={HUGE_TEXT}"):
            response = admin_client.get(candidate)
            if response.status_code >= 500:
                failures.append((candidate[:120], response.status_code))
    assert not failures, failures


def _example(schema: dict[str, Any], components: dict[str, Any], depth: int = 0) -> Any:
    """A value of the JSON schema with every string oversized (the first type of a union)."""
    if "$ref" in schema:
        return _example(components[schema["$ref"].rsplit("/", 1)[-1]], components, depth + 1)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return _example(options[0], components, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        if depth > 6:
            return {}
        return {
            name: _example(sub, components, depth + 1)
            for name, sub in schema.get("properties", {}).items()
        }
    if kind == "array":
        return [_example(schema.get("items", {}), components, depth + 1)]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    if "enum" in schema:
        return schema["enum"][0]
    if schema.get("format") == "date":
        return "2026-06-08"
    if schema.get("format") == "date-time":
        return "2026-06-08T09:00:00+08:00"
    return HUGE_TEXT


@pytest.mark.django_db
def test_oversized_strings_in_every_json_body_never_answer_5xx(admin_client, town):
    from gridgov.api import api

    document = api.get_openapi_schema(path_prefix="")
    components = document.get("components", {}).get("schemas", {})
    failures = []
    swept = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            body = _example(content["application/json"]["schema"], components)
            url = "/api/v1" + re.sub(r"\{\w+\}", "1", path)
            response = admin_client.generic(
                method.upper(), url, json.dumps(body), content_type="application/json"
            )
            swept += 1
            if response.status_code >= 500:
                failures.append((method, path, response.status_code))
    assert swept > 20
    assert not failures, failures


# --- importers ------------------------------------------------------------------------------


def _importer_commands() -> list[str]:
    """Our management commands that read a file into the database (import-*, load-*)."""
    return sorted(
        name
        for name, app in get_commands().items()
        if app.startswith("gridgov") and name.startswith(("import_", "load_"))
    )


def _upload_operations() -> list[tuple[str, str]]:
    """API operations that take an uploaded file: (url with ids filled, the file field)."""
    from gridgov.api import api

    document = api.get_openapi_schema(path_prefix="")
    components = document.get("components", {}).get("schemas", {})
    found = []
    for path, item in document["paths"].items():
        for operation in item.values():
            content = operation.get("requestBody", {}).get("content", {})
            form = content.get("multipart/form-data", {}).get("schema", {})
            if "$ref" in form:
                form = components[form["$ref"].rsplit("/", 1)[-1]]
            for name, prop in form.get("properties", {}).items():
                if prop.get("format") == "binary" and "photo" not in name:
                    url = "/api/v1" + re.sub(r"\{year\}", "2027", path)
                    found.append((re.sub(r"\{\w+\}", "1", url), name))
    return found


def _hostile_files() -> dict[str, bytes]:
    """Each format an importer may read, with a NUL, and with an oversized cell or string."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["code", "name", "date", "is_workday"])
    workbook.active.append(["1", "坏_x0000_名", "2027-01-01", "0"])
    xlsx = io.BytesIO()
    workbook.save(xlsx)
    feature = {"type": "Feature", "properties": {"code": "a\u0000b", "name": "n"}, "geometry": None}
    big = {"type": "Feature", "properties": {"code": "g1", "name": HUGE_TEXT}, "geometry": None}
    return {
        "nul.csv": b"code,name,parent_code,date,is_workday\n1,a\x00b,2,2027-01-01,0\n",
        "nul.geojson": json.dumps({"type": "FeatureCollection", "features": [feature]}).encode(),
        "nul.xlsx": xlsx.getvalue(),
        "huge.csv": ("code,name\n1," + "x" * (MAX_CSV_CELL + 1) + "\n").encode(),
        "huge.geojson": json.dumps({"type": "FeatureCollection", "features": [big]}).encode(),
    }


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in {"grids", "people", "cases", "core"}
        and model._meta.model_name != "importrun"
    }


NUL_NAMED = ("\\x00", "空字符")
# The arguments an importer needs besides its file (before it, after it). A new importer with a
# required argument fails the sweep ("no file's NUL was named") until it is listed here.
IMPORTER_ARGS: dict[str, tuple[list[str], list[str]]] = {
    "load_calendar": (["2027", "--from-file"], []),
    "import_hotline": ([], ["--source", "sweep", "--strict"]),
    "import_ledger": (["persons"], []),
    "import_track": ([], ["--user", "worker_a1"]),
}


@pytest.mark.django_db
def test_every_importer_command_refuses_hostile_files_and_writes_nothing(tmp_path, town):
    failures = []
    for command in _importer_commands():
        named_nul = False
        for name, data in _hostile_files().items():
            path = Path(tmp_path) / name
            path.write_bytes(data)
            before = _row_counts()
            err = io.StringIO()
            before_file, after_file = IMPORTER_ARGS.get(command, ([], []))
            args = [*before_file, str(path), *after_file]
            try:
                call_command(command, *args, stdout=io.StringIO(), stderr=err)
            except (CommandError, SystemExit) as exc:
                err.write(str(exc))
            else:
                failures.append((command, name, "accepted"))
            if _row_counts() != before:
                failures.append((command, name, "wrote rows"))
            named_nul |= name.startswith("nul") and any(s in err.getvalue() for s in NUL_NAMED)
        if not named_nul:
            failures.append((command, "no file's NUL was named"))
    assert not failures, failures


@pytest.mark.django_db
def test_every_upload_operation_refuses_hostile_files_and_writes_nothing(admin_client, town):
    failures = []
    for url, field in _upload_operations():
        named_nul = False
        for name, data in _hostile_files().items():
            upload = io.BytesIO(data)
            upload.name = name
            before = _row_counts()
            response = admin_client.post(url, {field: upload})
            if not 400 <= response.status_code < 500:
                failures.append((url, name, response.status_code))
            if _row_counts() != before:
                failures.append((url, name, "wrote rows"))
            named_nul |= name.startswith("nul") and any(
                s in response.content.decode() for s in NUL_NAMED
            )
        if not named_nul:
            failures.append((url, "no file's NUL was named"))
    assert not failures, failures
