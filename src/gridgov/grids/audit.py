"""Who changed what: django-auditlog wiring (STACK: change audit).

Every service that writes takes the acting user as `by`; `@audited` makes that user the actor of
every auditlog entry the service writes, whether it was called from the admin, the API or the
command line (`by=None`: the system, recorded without an actor). Services call other services
(moving a post ends one and assigns another): the outermost actor stays for the whole call,
because auditlog's own `set_actor` does not nest (an inner one would leave the outer writes
without their actor).

Bulk writes (imports, the demo) bypass auditlog's signals; imports record an `ImportRun`
instead. The admin pages wrap their views in `acting_as(request.user)` (AuditedAdminMixin), so
configuration rows saved by the admin directly (grid levels) are attributed too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from auditlog.context import set_actor
from auditlog.registry import auditlog

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.http import HttpRequest, HttpResponse

P = ParamSpec("P")
R = TypeVar("R")

_acting: ContextVar[bool] = ContextVar("gridgov_audit_acting", default=False)

# Columns derived from the boundary (bbox, label point) and timestamps: noise in a diff. The
# boundary itself is too big for one; `boundary_hash` changes with it and says that it changed.
GRID_UNAUDITED = [
    "boundary",
    "min_lon",
    "min_lat",
    "max_lon",
    "max_lat",
    "label_lon",
    "label_lat",
    "created_at",
    "updated_at",
]


@contextmanager
def acting_as(user: AbstractBaseUser | AnonymousUser | None) -> Iterator[None]:
    """Attribute every auditlog entry written inside to `user` (None or anonymous: no actor).
    Inside another `acting_as`, the outer actor stays."""
    if _acting.get():
        yield
        return
    token = _acting.set(True)
    try:
        actor = user if user is not None and user.is_authenticated else None
        with set_actor(actor):
            yield
    finally:
        _acting.reset(token)


def audited(service: Callable[P, R]) -> Callable[P, R]:
    """Run a service with its `by` keyword as the auditlog actor."""

    @functools.wraps(service)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with acting_as(kwargs.get("by")):  # type: ignore[arg-type]
            return service(*args, **kwargs)

    return wrapper


class AuditedAdminMixin:
    """Admin views run as their user, for the services they call and the rows they save."""

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with acting_as(request.user):
            return super().changeform_view(request, *args, **kwargs)  # type: ignore[misc, no-any-return]

    def changelist_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with acting_as(request.user):
            return super().changelist_view(request, *args, **kwargs)  # type: ignore[misc, no-any-return]

    def delete_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with acting_as(request.user):
            return super().delete_view(request, *args, **kwargs)  # type: ignore[misc, no-any-return]


def register_grid_models() -> None:
    """Called from GridsConfig.ready (framework wiring only, STYLE)."""
    from gridgov.grids.models import Grid, GridLevel, Region

    for model in (Region, GridLevel):
        if not auditlog.contains(model):
            auditlog.register(model)
    if not auditlog.contains(Grid):
        auditlog.register(Grid, exclude_fields=list(GRID_UNAUDITED))
