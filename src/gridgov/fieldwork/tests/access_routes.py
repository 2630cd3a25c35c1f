"""The fieldwork app's entries for the project-wide access test (core/tests/test_access.py)."""

from __future__ import annotations

import itertools

_serial = itertools.count(1)


def _patrol_url(anchor) -> str | None:
    """A patrol in the anchor grid by a volunteer of that grid (not one of the cast)."""
    if anchor.grid is None:
        return None
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from gridgov.fieldwork.models import Patrol

    walker = get_user_model().objects.create_user(username=f"matrix-walker-{next(_serial)}")
    patrol = Patrol.objects.create(user=walker, grid=anchor.grid, started_at=timezone.now())
    return f"/api/v1/fieldwork/patrols/{patrol.uid}"


ROUTES = {"/api/v1/fieldwork/patrols/<uid>": _patrol_url}
