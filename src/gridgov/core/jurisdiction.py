"""The one place that decides which rows a user may see (STYLE: NetBox's `restrict`).

A user's scopes are `people.Jurisdiction` rows reached through the reverse relation
`user.jurisdictions`, so this module needs no import from a higher app. A scope is the subtree of
a grid (`grid.path` prefix), the subtree of a region (`region.path` prefix), or a department.
Everything outside is invisible, and views answer 404 for it, exactly as for a missing row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser

ModelT = TypeVar("ModelT", bound=models.Model)


class Role(models.TextChoices):
    """Roles are Django groups of the same name; a Jurisdiction row scopes each grant."""

    ADMIN = "admin", _("平台管理员")
    OFFICE = "office", _("网格办操作员")
    WORKER = "worker", _("网格员")
    HANDLER = "handler", _("部门处置人员")
    LEADER = "leader", _("领导(只读)")
    # issue 10: special-group records are read only by this role within its scope; the
    # discipline office reads the personal-data access log.
    SPECIAL = "special", _("综治专干")
    DISCIPLINE = "discipline", _("纪检监察")


@dataclass(frozen=True)
class Scope:
    """What one user may see, read once per request from their Jurisdiction rows."""

    is_admin: bool = False
    grid_paths: dict[str, frozenset[str]] = field(default_factory=dict)
    region_paths: dict[str, frozenset[str]] = field(default_factory=dict)
    department_ids: dict[str, frozenset[int]] = field(default_factory=dict)

    @property
    def roles(self) -> frozenset[str]:
        if self.is_admin:
            return frozenset({Role.ADMIN})
        return (
            frozenset(self.grid_paths)
            | frozenset(self.region_paths)
            | frozenset(self.department_ids)
        )

    def has_role(self, *roles: str) -> bool:
        return self.is_admin or any(role in self.roles for role in roles)

    def all_grid_paths(self, *roles: str) -> frozenset[str]:
        wanted = roles or tuple(self.grid_paths)
        return frozenset().union(*(self.grid_paths.get(r, frozenset()) for r in wanted))

    def all_region_paths(self, *roles: str) -> frozenset[str]:
        wanted = roles or tuple(self.region_paths)
        return frozenset().union(*(self.region_paths.get(r, frozenset()) for r in wanted))

    def all_department_ids(self, *roles: str) -> frozenset[int]:
        wanted = roles or tuple(self.department_ids)
        return frozenset().union(*(self.department_ids.get(r, frozenset()) for r in wanted))


EMPTY_SCOPE = Scope()
_CACHE_ATTR = "_gridgov_scope"


def scope_of(user: AnyUser | None) -> Scope:
    """The user's scope, cached on the user object for the rest of the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return EMPTY_SCOPE
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    if getattr(user, "is_superuser", False):
        scope = Scope(is_admin=True)
    else:
        grids: dict[str, set[str]] = {}
        regions: dict[str, set[str]] = {}
        departments: dict[str, set[int]] = {}
        is_admin = False
        # Only the paths and ids are needed: one narrow query on every request of every user.
        rows = user.jurisdictions.filter(active=True).values_list(  # type: ignore[union-attr, attr-defined]
            "role", "grid__path", "region__path", "department_id"
        )
        for role, grid_path, region_path, department_id in rows:
            if role == Role.ADMIN:
                is_admin = True
            if grid_path:
                grids.setdefault(role, set()).add(grid_path)
            if region_path:
                regions.setdefault(role, set()).add(region_path)
            if department_id:
                departments.setdefault(role, set()).add(department_id)
        scope = Scope(
            is_admin=is_admin,
            grid_paths={k: frozenset(v) for k, v in grids.items()},
            region_paths={k: frozenset(v) for k, v in regions.items()},
            department_ids={k: frozenset(v) for k, v in departments.items()},
        )
    setattr(user, _CACHE_ATTR, scope)
    return scope


def forget_scope(user: Any) -> None:
    """Call after changing a user's Jurisdiction rows within the same request or test."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


NOTHING = Q(pk__in=[])


def _prefix_q(lookup: str, paths: frozenset[str]) -> Q:
    q = NOTHING
    for path in sorted(paths):
        q |= Q(**{f"{lookup}__startswith": path})
    return q


def scope_q(
    user: AnyUser | None,
    *,
    grid_field: str | None = "grid",
    region_field: str | None = None,
    roles: tuple[str, ...] = (),
) -> Q:
    """A Q matching the rows whose grid (or region) lies in the user's territorial scopes.

    `grid_field` names the FK to Grid on the model ("" for Grid itself); a region scope then
    matches through the grid's region. `region_field` names an FK to Region (or "" for Region
    itself) on models without a grid. `roles` narrows to scopes granted for those roles.
    Department scopes are not territorial: callers add their own department term.
    """
    scope = scope_of(user)
    if scope.is_admin:
        return Q()
    grid_paths = scope.all_grid_paths(*roles)
    region_paths = scope.all_region_paths(*roles)
    q = NOTHING
    if grid_field is not None:
        prefix = f"{grid_field}__" if grid_field else ""
        q |= _prefix_q(f"{prefix}path", grid_paths)
        q |= _prefix_q(f"{prefix}region__path", region_paths)
    if region_field is not None:
        prefix = f"{region_field}__" if region_field else ""
        q |= _prefix_q(f"{prefix}path", region_paths)
    return q


def get_scoped_or_404(queryset: models.QuerySet[ModelT], **lookup: Any) -> ModelT:
    """Fetch through the scoped queryset, so "outside your scope" and "missing" look the same."""
    return get_object_or_404(queryset, **lookup)


def get_referenced(queryset: models.QuerySet[ModelT], *, field: str, **lookup: Any) -> ModelT:
    """A row a request body names (a department id, a region code): through the scoped
    queryset like `get_scoped_or_404`, so missing and out of scope read the same 404, with
    the field that names it."""
    from gridgov.core.errors import ReferenceNotFoundError

    found = queryset.filter(**lookup).first()
    if found is None:
        value = next(iter(lookup.values()), "")
        raise ReferenceNotFoundError(
            _("%(field)s:%(value)s 不存在或不在您的辖区") % {"field": field, "value": value},
            field=field,
        )
    return found
