"""Security headers on every answer (issue 9, defect 5) and the one switch for deployments
behind TLS (GRIDGOV_HTTPS=1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.test import Client, override_settings

from gridgov.settings import tile_origins

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/login/", "/report/", "/track/", "/api/v1/openapi.json"])
def test_pages_carry_the_security_headers(path: str) -> None:
    response = Client().get(path)
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["default-src"] == "'self'"
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_api_docs_use_no_cdn() -> None:
    page = Client().get("/api/v1/docs").content.decode()
    assert "cdn." not in page
    assert "/static/ninja/" in page


def test_no_inline_script_in_the_templates() -> None:
    """Every <script> of ours either loads a file or is a JSON data block (json_script)."""
    import re
    from pathlib import Path

    from django.conf import settings

    inline = []
    for template in Path(settings.PACKAGE_DIR).rglob("templates/**/*.html"):
        text = template.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and "application/json" not in tag:
                inline.append(f"{template}: {tag}")
        if re.search(r"\son[a-z]+\s*=\s*[\"']", text):
            inline.append(f"{template}: inline event handler")
    assert not inline


def test_tile_servers_are_allowed_images() -> None:
    assert tile_origins("") == []
    assert tile_origins("https://t{s}.tianditu.gov.cn/vec_w/wmts?x={x}") == [
        "https://*.tianditu.gov.cn"
    ]
    assert tile_origins("https://tiles.example.org/{z}/{x}/{y}.png") == [
        "https://tiles.example.org"
    ]


def https_settings(env: dict[str, str]) -> dict[str, object]:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s;"
        "print(json.dumps({k: getattr(s, k, None) for k in ["
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS',"
        "'SECURE_PROXY_SSL_HEADER', 'SECURE_SSL_REDIRECT']}))"
    )
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env={**os.environ, **env, "DJANGO_SETTINGS_MODULE": "gridgov.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_gridgov_https_switches_on_secure_cookies_hsts_and_the_proxy_header() -> None:
    plain = https_settings({"GRIDGOV_HTTPS": "0"})
    assert plain["SESSION_COOKIE_SECURE"] is False
    assert not plain["SECURE_HSTS_SECONDS"]
    tls = https_settings({"GRIDGOV_HTTPS": "1"})
    assert tls["SESSION_COOKIE_SECURE"] is True
    assert tls["CSRF_COOKIE_SECURE"] is True
    assert tls["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert tls["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert tls["SECURE_SSL_REDIRECT"] is True


@override_settings(
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    SECURE_HSTS_SECONDS=31536000,
    SESSION_COOKIE_SECURE=True,
)
def test_hsts_and_secure_cookies_behind_the_tls_proxy(town) -> None:
    client = Client()
    client.force_login(town.user("leader"))
    response = client.get("/command/", HTTP_X_FORWARDED_PROTO="https")
    assert response["Strict-Transport-Security"] == "max-age=31536000"
    login = Client().post(
        "/login/",
        {"username": "leader", "password": "gridgov-demo-2026"},
        HTTP_X_FORWARDED_PROTO="https",
    )
    assert login.cookies["sessionid"]["secure"] is True
