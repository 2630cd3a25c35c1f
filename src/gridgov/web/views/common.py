"""Helpers of the shell's pages: the cache key of a user's scope and the answer of a cached map
document. The helpers every app's pages share (role checks, service errors on forms, map
settings) live in `core.pages` and are re-exported here for the shell's modules."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from django.http import HttpRequest, HttpResponse

from gridgov.core.jurisdiction import scope_of
from gridgov.core.pages import (
    add_domain_error,
    answers_domain_errors,
    domain_error_response,
    map_config,
    report_config,
    role_required,
    wants_json,
)
from gridgov.web.mapdata import GridsDocument

__all__ = [
    "add_domain_error",
    "answers_domain_errors",
    "document_response",
    "domain_error_response",
    "map_config",
    "report_config",
    "role_required",
    "scope_key",
    "wants_json",
]


def scope_key(user: Any) -> Hashable:
    """What `visible_to(user)` depends on, as a cache key (the same for users of one scope)."""
    scope = scope_of(user)
    return (
        "scope",
        scope.is_admin,
        tuple(sorted(scope.all_grid_paths())),
        tuple(sorted(scope.all_region_paths())),
    )


def document_response(
    request: HttpRequest, document: GridsDocument, *, public: bool
) -> HttpResponse:
    """Serve a cached map document: 304 when the browser has it, gzip when it accepts gzip."""
    quoted = f'"{document.etag}"'
    if request.headers.get("If-None-Match") == quoted:
        response = HttpResponse(status=304)
    elif "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(document.gzipped, content_type="application/json")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(document.body, content_type="application/json")
    response["ETag"] = quoted
    response["Vary"] = "Accept-Encoding, Cookie"
    response["Cache-Control"] = f"{'public' if public else 'private'}, no-cache"
    return response
