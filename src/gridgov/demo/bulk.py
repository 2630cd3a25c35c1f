"""Bulk writers for the demo: grids, people, posts, liaisons, log-ins and role grants.

The demo writes thousands of rows (4,418 unit grids at district scale), so it does not call a
service per row. It computes the same derived columns the services compute (grid path, bbox,
label point and area through grids.services.apply_boundary; E.164 phones through
people.services.normalise_phone), runs the same post rules (people.services.check_post) on every
planned post, and bumps the grid revision once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from shapely.geometry.base import BaseGeometry

from gridgov.core.jurisdiction import Role
from gridgov.core.testing.town import PASSWORD
from gridgov.grids.models import Grid, GridLevel, Region
from gridgov.grids.services import apply_boundary, bump_grid_revision, grid_path_for
from gridgov.people.models import (
    Department,
    Jurisdiction,
    Liaison,
    Post,
    PostKind,
    Staff,
)
from gridgov.people.services import check_post, normalise_phone

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# A fixed salt makes the stored hash the same on every build (the demo is byte-identical);
# 24 characters of 62 symbols keep Django from re-hashing it on first log-in.
DEMO_SALT = "gridgovDemoTownSalt2026x"


@lru_cache(maxsize=1)
def demo_password_hash() -> str:
    """One PBKDF2 hash for every demo log-in: hashing once keeps the build to a few seconds."""
    return make_password(PASSWORD, salt=DEMO_SALT)


@dataclass
class GridPlan:
    code: str
    name: str
    depth: int
    region_code: str
    parent_code: str | None
    boundary: BaseGeometry
    households: int = 0
    population: int = 0
    tier: int = 2


def write_grids(
    plans: list[GridPlan], levels: list[GridLevel], regions: dict[str, Region]
) -> dict[str, Grid]:
    """Create the grids level by level (parents first, so children get their parent's pk)."""
    created: dict[str, Grid] = {}
    for depth in sorted({p.depth for p in plans}):
        batch = []
        for plan in (p for p in plans if p.depth == depth):
            parent = created[plan.parent_code] if plan.parent_code else None
            grid = Grid(
                code=plan.code,
                name=plan.name,
                level=levels[plan.depth],
                region=regions[plan.region_code],
                parent=parent,
                path=grid_path_for(plan.code, parent),
                households=plan.households,
                population=plan.population,
                tier=plan.tier,
            )
            apply_boundary(grid, plan.boundary)
            batch.append(grid)
        for grid in Grid.objects.bulk_create(batch, batch_size=500):
            created[grid.code] = grid
    bump_grid_revision()
    return created


@dataclass
class PostPlan:
    kind: str
    title: str = ""
    grid: str | None = None
    department: str | None = None
    is_public: bool = True
    started_on: dt.date | None = None


@dataclass
class LiaisonPlan:
    kind: str
    note: str
    grid: str | None = None
    region: str | None = None
    started_on: dt.date | None = None


@dataclass
class GrantPlan:
    role: str
    grid: str | None = None
    region: str | None = None
    department: str | None = None


@dataclass
class PersonPlan:
    name: str
    gender: str
    phone: str
    title: str = ""
    department: str | None = None
    username: str | None = None
    posts: list[PostPlan] = field(default_factory=list)
    liaisons: list[LiaisonPlan] = field(default_factory=list)
    grants: list[GrantPlan] = field(default_factory=list)


@dataclass
class Places:
    """The rows plans refer to by code."""

    grids: dict[str, Grid]
    regions: dict[str, Region]
    departments: dict[str, Department]


def write_admin(username: str = "admin") -> None:
    user = get_user_model().objects.create(
        username=username, password=demo_password_hash(), is_staff=True, is_superuser=True
    )
    _write_grants([(user, GrantPlan(Role.ADMIN))], Places({}, {}, {}))


def write_people(people: list[PersonPlan], places: Places, *, started_on: dt.date) -> None:
    """Users, staff, posts, liaisons and grants for the planned people, in five bulk inserts."""
    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        [
            user_model(username=p.username, password=demo_password_hash())
            for p in people
            if p.username
        ],
        batch_size=500,
    )
    by_username = {u.username: u for u in users}
    staff = Staff.objects.bulk_create(
        [
            Staff(
                name=p.name,
                gender=p.gender,
                phone=normalise_phone(p.phone),
                title=p.title,
                department=places.departments[p.department] if p.department else None,
                user=by_username.get(p.username) if p.username else None,
            )
            for p in people
        ],
        batch_size=500,
    )
    posts, liaisons = [], []
    leaders: set[str] = set()
    for plan, person in zip(people, staff, strict=True):
        for pp in plan.posts:
            grid = places.grids[pp.grid] if pp.grid else None
            department = check_post(
                staff=person,
                kind=pp.kind,
                grid=grid,
                department=places.departments[pp.department] if pp.department else None,
            )
            if pp.kind == PostKind.GRID_LEADER and grid is not None:
                if grid.code in leaders:
                    raise ValueError(f"demo plan gives grid {grid.code} two leaders")
                leaders.add(grid.code)
            posts.append(
                Post(
                    staff=person,
                    kind=pp.kind,
                    title=pp.title,
                    grid=grid,
                    department=department,
                    is_public=pp.is_public,
                    started_on=pp.started_on or started_on,
                )
            )
        for lp in plan.liaisons:
            liaisons.append(
                Liaison(
                    staff=person,
                    kind=lp.kind,
                    note=lp.note,
                    grid=places.grids[lp.grid] if lp.grid else None,
                    region=places.regions[lp.region] if lp.region else None,
                    started_on=lp.started_on or started_on,
                )
            )
    Post.objects.bulk_create(posts, batch_size=1000)
    Liaison.objects.bulk_create(liaisons, batch_size=1000)
    _write_grants(
        [(by_username[p.username], g) for p in people if p.username for g in p.grants], places
    )


def _write_grants(grants: list[tuple[User, GrantPlan]], places: Places) -> None:
    groups = {role: Group.objects.get_or_create(name=role)[0] for role in Role.values}
    Jurisdiction.objects.bulk_create(
        [
            Jurisdiction(
                user=user,
                role=g.role,
                grid=places.grids[g.grid] if g.grid else None,
                region=places.regions[g.region] if g.region else None,
                department=places.departments[g.department] if g.department else None,
            )
            for user, g in grants
        ],
        batch_size=500,
    )
    membership = get_user_model().groups.through
    pairs = sorted({(user.pk, groups[g.role].pk) for user, g in grants})
    membership.objects.bulk_create(
        [membership(user_id=u, group_id=g) for u, g in pairs], batch_size=1000
    )
