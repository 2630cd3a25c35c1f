"""The registry's entries for the project-wide access test (core/tests/test_access.py)."""

from __future__ import annotations

import itertools
from typing import Any

_serial = itertools.count(1)


def make_person_url(anchor: Any) -> str | None:
    from gridgov.registry.models import Person

    if anchor.grid is None:
        return None
    person = Person.objects.create(grid=anchor.grid, name=f"居民{next(_serial)}")
    return f"/api/v1/registry/persons/{person.pk}"


def make_completion_url(anchor: Any) -> str | None:
    if anchor.grid is None:
        return None
    return f"/api/v1/registry/completion/{anchor.grid.code}"


ROUTES = {
    "/api/v1/registry/persons/<int:person_id>": make_person_url,
    "/api/v1/registry/completion/<code>": make_completion_url,
}
