"""The time the case services stamp on what they write. Normally the wall clock; the demo sets it
to replay ninety days of cases through the real services, so every event, deadline and closure
type is what the services themselves decide (`with clock.frozen_at(moment): …`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone

_frozen: ContextVar[dt.datetime | None] = ContextVar("gridgov_cases_clock", default=None)


def now() -> dt.datetime:
    return _frozen.get() or timezone.now()


@contextmanager
def frozen_at(moment: dt.datetime) -> Iterator[None]:
    """Run the block as if it were `moment` (aware)."""
    if timezone.is_naive(moment):
        raise ValueError("the case clock needs an aware datetime")
    token = _frozen.set(moment)
    try:
        yield
    finally:
        _frozen.reset(token)
