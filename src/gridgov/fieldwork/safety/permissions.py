"""Who may act on a hazard (`rules` predicates, each with its queryset twin), in the manner of
cases/permissions.py. They apply only to hazards the user can see (`Hazard.objects.visible_to`):
outside the scope is a 404 first. The role part failing is a 403; the "now" part failing (not
overdue yet, no level above) is a 409, like a wrong state.

- grid worker (网格员): reports hazards in their grids, orders rectification, fixes on the
  spot, reports rectification done, re-inspects ordinary hazards;
- operator (网格办) of a level containing the grid: all of that, lists major hazards
  (挂牌整改) and re-inspects them; urges the hazards held by their level or a level below;
  escalates the ones held by their own level once overdue (seed 003: 对需上级部门查处的及时上报);
- leader, handler: read only; admin: everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import rules
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases.permissions import EVERYTHING, Rule
from gridgov.core.jurisdiction import NOTHING, Role, scope_of
from gridgov.fieldwork.safety.models import RUNNING_STATES, HazardGrade

if TYPE_CHECKING:
    from gridgov.core.jurisdiction import AnyUser
    from gridgov.fieldwork.safety.models import Hazard


def _within(path: str, roots: Iterable[str]) -> bool:
    return any(path.startswith(root) for root in roots)


def _prefix_q(lookup: str, paths: Iterable[str]) -> Q:
    q = NOTHING
    for path in sorted(paths):
        q |= Q(**{f"{lookup}__startswith": path})
    return q


def _office_grid_paths(user: AnyUser) -> frozenset[str]:
    return scope_of(user).all_grid_paths(Role.OFFICE)


def _office_region_paths(user: AnyUser) -> frozenset[str]:
    return scope_of(user).all_region_paths(Role.OFFICE)


@rules.predicate
def _is_admin(user: AnyUser) -> bool:
    return scope_of(user).is_admin


is_admin = Rule(_is_admin, lambda u: EVERYTHING if scope_of(u).is_admin else NOTHING)


@rules.predicate
def _is_grid_worker(user: AnyUser, hazard: Hazard | None) -> bool:
    """A worker of the hazard's grid."""
    if hazard is None:
        return False
    return _within(hazard.grid.path, scope_of(user).all_grid_paths(Role.WORKER))


is_grid_worker = Rule(
    _is_grid_worker, lambda u: _prefix_q("grid__path", scope_of(u).all_grid_paths(Role.WORKER))
)


@rules.predicate
def _is_operator_in_subtree(user: AnyUser, hazard: Hazard | None) -> bool:
    """An operator of a level containing the hazard's grid."""
    if hazard is None:
        return False
    return _within(hazard.grid.path, _office_grid_paths(user)) or _within(
        hazard.grid.region.path, _office_region_paths(user)
    )


is_operator_in_subtree = Rule(
    _is_operator_in_subtree,
    lambda u: (
        _prefix_q("grid__path", _office_grid_paths(u))
        | _prefix_q("grid__region__path", _office_region_paths(u))
    ),
)


@rules.predicate
def _is_operator_at_level(user: AnyUser, hazard: Hazard | None) -> bool:
    """An operator of the level holding the hazard now."""
    if hazard is None:
        return False
    return hazard.level_grid.path in _office_grid_paths(user) or (
        hazard.level_grid.region.path in _office_region_paths(user)
    )


is_operator_at_level = Rule(
    _is_operator_at_level,
    lambda u: (
        Q(level_grid__path__in=sorted(_office_grid_paths(u)))
        | Q(level_grid__region__path__in=sorted(_office_region_paths(u)))
    ),
)


@rules.predicate
def _is_operator_at_or_above_level(user: AnyUser, hazard: Hazard | None) -> bool:
    """Urging goes down the levels, never up (跟踪督查, seed 002)."""
    if hazard is None:
        return False
    return _within(hazard.level_grid.path, _office_grid_paths(user)) or _within(
        hazard.level_grid.region.path, _office_region_paths(user)
    )


is_operator_at_or_above_level = Rule(
    _is_operator_at_or_above_level,
    lambda u: (
        _prefix_q("level_grid__path", _office_grid_paths(u))
        | _prefix_q("level_grid__region__path", _office_region_paths(u))
    ),
)


@rules.predicate
def _is_major(user: AnyUser, hazard: Hazard | None) -> bool:
    return hazard is not None and hazard.grade == HazardGrade.MAJOR


is_major = Rule(_is_major, lambda u: Q(grade=HazardGrade.MAJOR))


@rules.predicate
def _is_ordinary(user: AnyUser, hazard: Hazard | None) -> bool:
    return hazard is not None and hazard.grade != HazardGrade.MAJOR


is_ordinary = Rule(_is_ordinary, lambda u: ~Q(grade=HazardGrade.MAJOR))


@rules.predicate
def _is_overdue(user: AnyUser, hazard: Hazard | None) -> bool:
    return hazard is not None and hazard.is_overdue


is_overdue = Rule(
    _is_overdue,
    lambda u: Q(state__in=sorted(RUNNING_STATES), due_at__lt=timezone.now()),
)


@rules.predicate
def _has_upper_level(user: AnyUser, hazard: Hazard | None) -> bool:
    return hazard is not None and hazard.level_grid.parent_id is not None


has_upper_level = Rule(_has_upper_level, lambda u: Q(level_grid__parent__isnull=False))

on_site = is_admin | is_grid_worker | is_operator_in_subtree
office = is_admin | is_operator_in_subtree

ROLE_RULES: dict[str, Rule] = {}
RULES: dict[str, Rule] = {}


def _add(perm: str, role: Rule, now: Rule | None = None) -> None:
    ROLE_RULES[perm] = role
    RULES[perm] = role if now is None else role & now
    rules.add_perm(perm, RULES[perm].predicate)  # type: ignore[no-untyped-call]


_add("fieldwork.fix_hazard_on_spot", on_site)
_add("fieldwork.order_hazard", on_site)
# Seed 003: 对重大隐患必要时进行挂牌整改 — the office decides a listing.
_add("fieldwork.list_hazard", office, is_major)
_add("fieldwork.complete_hazard", on_site)
# A worker re-inspects an ordinary hazard; a major one is re-inspected by the office.
_add("fieldwork.review_hazard", office | (is_grid_worker & is_ordinary))
_add("fieldwork.urge_hazard", is_admin | is_operator_at_or_above_level, is_overdue)
_add("fieldwork.escalate_hazard", is_admin | is_operator_at_level, is_overdue & has_upper_level)


def twin(perm: str, user: Any) -> Q:
    """The queryset twin of a permission (the hazards on which it holds for `user`)."""
    return RULES[perm].q(user)


def require(user: AnyUser, perm: str, hazard: Hazard | None = None) -> None:
    """Raise PermissionDenied (HTTP 403) unless the role part of the rule holds."""
    if not ROLE_RULES[perm].test(user, hazard):  # type: ignore[arg-type]
        raise PermissionDenied(_("无权执行此操作"))


def holds_now(user: AnyUser, perm: str, hazard: Hazard) -> bool:
    """The whole rule, role and "now" part (a failing "now" part is a 409)."""
    return RULES[perm].test(user, hazard)  # type: ignore[arg-type]


def may_report_in(user: AnyUser, grid_path: str, region_path: str) -> bool:
    """Whether the user may report a hazard (or inspect a business) in a grid: its worker, an
    operator of a level containing it, or an administrator."""
    scope = scope_of(user)
    return (
        scope.is_admin
        or _within(grid_path, scope.all_grid_paths(Role.WORKER, Role.OFFICE))
        or _within(region_path, scope.all_region_paths(Role.OFFICE))
    )
