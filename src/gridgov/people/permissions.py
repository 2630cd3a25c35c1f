"""Who may do what to people, posts and grids: `rules` predicates that every app reuses.

Visibility is decided elsewhere (`visible_to`, core/jurisdiction.py): an object outside the
user's scope is a 404 before any of these run. These predicates answer the second question, for
objects the user can already see: may this user change it? A "no" is a 403 (NetBox's split).

Roles (Django groups, scoped by Jurisdiction rows):
- admin: everything;
- office (grid office operator): manages people, posts and liaisons inside its subtree, and the
  departments of its territory;
- worker, handler: work on their own grid or department, manage no one;
- leader: read-only everywhere in its scope.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import rules
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from gridgov.core.jurisdiction import Role, scope_of
from gridgov.grids.models import Grid, Region

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User

    from gridgov.people.models import Department, Liaison, Post, Staff

    AnyUser = AbstractBaseUser | AnonymousUser

WRITE_ROLES = frozenset({Role.ADMIN, Role.OFFICE, Role.WORKER, Role.HANDLER})


def covers_grid(user: AnyUser | None, grid: Grid, *roles: str) -> bool:
    """True when one of the user's scopes for `roles` (all roles if none) contains the grid:
    its grid subtree holds the grid, or its region subtree holds the grid's region."""
    scope = scope_of(user)
    if scope.is_admin:
        return True
    if any(grid.path.startswith(p) for p in scope.all_grid_paths(*roles)):
        return True
    region_paths = scope.all_region_paths(*roles)
    return bool(region_paths) and any(grid.region.path.startswith(p) for p in region_paths)


def office_region_paths(user: AnyUser | None) -> frozenset[str]:
    """Region paths a grid office operator answers for: its region scopes and the regions of its
    grid scopes (a town office scoped to the town grid answers for the town's region)."""
    scope = scope_of(user)
    paths = set(scope.all_region_paths(Role.OFFICE))
    grid_paths = scope.all_grid_paths(Role.OFFICE)
    if grid_paths:
        paths.update(
            Grid.objects.filter(path__in=sorted(grid_paths)).values_list("region__path", flat=True)
        )
    return frozenset(paths)


def covers_region(user: AnyUser | None, region: Region) -> bool:
    """True when the user is an office operator whose territory contains the region."""
    if scope_of(user).is_admin:
        return True
    return any(region.path.startswith(p) for p in office_region_paths(user))


@rules.predicate
def is_platform_admin(user: AnyUser | None) -> bool:
    return scope_of(user).is_admin


@rules.predicate
def is_office(user: AnyUser | None) -> bool:
    return scope_of(user).has_role(Role.OFFICE)


@rules.predicate
def is_grid_worker(user: AnyUser | None) -> bool:
    return scope_of(user).has_role(Role.WORKER)


@rules.predicate
def is_department_handler(user: AnyUser | None) -> bool:
    return scope_of(user).has_role(Role.HANDLER)


@rules.predicate
def is_readonly_leader(user: AnyUser | None) -> bool:
    """A leader (领导) with no role that writes: dashboards and lists, never a change."""
    scope = scope_of(user)
    return Role.LEADER in scope.roles and not (scope.roles & WRITE_ROLES)


@rules.predicate
def can_manage_grid_people(user: AnyUser | None, grid: Grid | None) -> bool:
    """Office operators (and admins) whose subtree holds the grid appoint and move its people."""
    if grid is None:
        return is_platform_admin(user) or is_office(user)
    return covers_grid(user, grid, Role.OFFICE)


@rules.predicate
def works_in_grid(user: AnyUser | None, grid: Grid | None) -> bool:
    """A grid worker or office operator whose scope holds the grid: may report and patrol there."""
    if grid is None:
        return scope_of(user).has_role(Role.WORKER, Role.OFFICE)
    return covers_grid(user, grid, Role.WORKER, Role.OFFICE)


@rules.predicate
def handles_for_department(user: AnyUser | None, department: Department | None) -> bool:
    """A handler of that department (or an admin): works the department's queue."""
    scope = scope_of(user)
    if scope.is_admin:
        return True
    if department is None:
        return scope.has_role(Role.HANDLER)
    return department.pk in scope.all_department_ids(Role.HANDLER)


@rules.predicate
def can_manage_department(user: AnyUser | None, department: Department | None) -> bool:
    """Admins, and office operators whose territory holds the department's region."""
    if department is None:
        return is_platform_admin(user) or is_office(user)
    return covers_region(user, department.region)


@rules.predicate
def can_manage_post(user: AnyUser | None, post: Post | None) -> bool:
    if post is None:
        return is_platform_admin(user) or is_office(user)
    if post.grid_id is not None:
        return bool(can_manage_grid_people(user, post.grid))
    return bool(can_manage_department(user, post.department))


@rules.predicate
def can_manage_staff(user: AnyUser | None, staff: Staff | None) -> bool:
    """Whoever manages one of the person's current posts, liaisons or their department."""
    if is_platform_admin(user):
        return True
    if staff is None:
        return bool(is_office(user))
    if not is_office(user):
        return False
    if staff.department_id is not None and can_manage_department(user, staff.department):
        return True
    for post in staff.posts.filter(ended_on__isnull=True).select_related(
        "grid__region", "department__region"
    ):
        if can_manage_post(user, post):
            return True
    return any(
        can_manage_liaison(user, liaison)
        for liaison in staff.liaisons.filter(ended_on__isnull=True).select_related(
            "grid__region", "region"
        )
    )


@rules.predicate
def can_manage_liaison(user: AnyUser | None, liaison: Liaison | None) -> bool:
    if liaison is None:
        return is_platform_admin(user) or is_office(user)
    if liaison.grid_id is not None:
        return bool(can_manage_grid_people(user, liaison.grid))
    return liaison.region is not None and covers_region(user, liaison.region)


def _strictly_inside(path: str, roots: frozenset[str] | set[str]) -> bool:
    return any(path.startswith(root) and path != root for root in roots)


@rules.predicate
def can_reset_password(user: AnyUser | None, target: User | None) -> bool:
    """The platform admin resets anyone's password; an office operator resets those of the
    people it manages, when each of their office or leader scopes lies strictly inside its own
    (a town office resets a village operator's password, not the other way round)."""
    if is_platform_admin(user):
        return True
    if target is None:
        return bool(is_office(user))
    if not is_office(user) or user is None or target.pk == user.pk:
        return False
    staff = getattr(target, "staff", None)
    if staff is None or not can_manage_staff(user, staff):
        return False
    scope = scope_of(user)
    grid_roots = set(scope.all_grid_paths(Role.OFFICE))
    region_roots = set(office_region_paths(user))
    for grant in target.jurisdictions.filter(active=True).select_related(  # type: ignore[attr-defined]
        "grid__region", "region"
    ):
        if grant.role == Role.ADMIN:
            return False
        if grant.role not in {Role.OFFICE, Role.LEADER}:
            continue
        if grant.grid is not None and not (
            _strictly_inside(grant.grid.path, grid_roots)
            or _strictly_inside(grant.grid.region.path, region_roots)
        ):
            return False
        if grant.region is not None and not _strictly_inside(grant.region.path, region_roots):
            return False
    return True


rules.add_perm("people.manage_grid_people", can_manage_grid_people)
rules.add_perm("people.manage_department", can_manage_department)
rules.add_perm("people.manage_post", can_manage_post)
rules.add_perm("people.manage_staff", can_manage_staff)
rules.add_perm("people.manage_liaison", can_manage_liaison)
rules.add_perm("people.grant_roles", is_platform_admin)
rules.add_perm("people.work_in_grid", works_in_grid)
rules.add_perm("people.reset_password", can_reset_password)
rules.add_perm("people.handle_for_department", handles_for_department)


def require(user: User | None, perm: str, obj: Any = None) -> None:
    """Raise PermissionDenied (HTTP 403) unless the user holds the permission on the object.

    `user=None` is the system itself (the demo builder, data migrations): always allowed."""
    if user is None:
        return
    if not user.has_perm(perm, obj):
        raise PermissionDenied(_("无权执行此操作"))
