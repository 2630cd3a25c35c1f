"""The deterministic demo: seed 004's town, or seed 001's district for benchmarks.

`build_demo("town")` builds 齐村镇 (枣庄市市中区, 370402103): 25 administrative villages as work
stations, 52 base grids from the natural villages, 126 unit grids from the villager groups,
21,105 households (seed 004), with the one-leader-three-members team of every station, a
worker in every unit grid (一格一员, seed 001), officers embedded from the town's departments,
and town leaders answerable for stations (五级联动, seed 002). `build_demo("district")` builds
1 / 25 / 593 / 4,418 grids (seed 001).

Codes (documented in the README):
- town grid = the town's 12-digit statistical code (370402103000);
- station = its village's 12-digit code, 370402103201 … 370402103225, numbered in reading order;
- base grid = the village's 12 digits + a 2-digit serial (37040210320101), 14 digits;
- unit grid = the village's 12 digits + a 3-digit serial (370402103201001), 15 digits;
serials run west → east, north → south inside the village (layout.reading_order), so a code's
length tells its level. At district scale: district 370402000000, streets and towns
3704020xx000 / 3704021xx000, communities and villages their 12-digit codes, units 15 digits.

Log-ins use the test cast's names and password (core/testing/town.py), mapped onto the demo.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Count, ProtectedError, QuerySet, RestrictedError, Sum
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import Role
from gridgov.core.testing.town import PASSWORD
from gridgov.demo.base import (
    CAST,
    DISTRICT_ROOT,
    FEATURED,
    ROOTS,
    SCALES,
    TOWN_FRAME,
    TOWN_ROOT,
)
from gridgov.demo.district import DistrictBuilder
from gridgov.demo.town import TownBuilder
from gridgov.grids.models import Grid, GridLevel, Region
from gridgov.people.models import (
    Department,
    Jurisdiction,
    Liaison,
    Post,
    PostDuty,
    Staff,
)

__all__ = [
    "CAST",
    "DISTRICT_ROOT",
    "FEATURED",
    "SCALES",
    "TOWN_FRAME",
    "TOWN_ROOT",
    "DemoConflictError",
    "DemoSummary",
    "build_demo",
    "demo_fingerprint",
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    role_label: str
    scope: str


@dataclass(frozen=True)
class DemoSummary:
    """What `build_demo` built (or found): benchmarks and browser tests read it."""

    scale: str
    root_code: str
    root_name: str
    levels: list[tuple[str, int]]
    households: int
    population: int
    departments: int
    staff: int
    posts: int
    liaisons: int
    logins: list[DemoLogin]
    password: str
    bbox: tuple[float, float, float, float]
    built: bool
    seconds: float

    @property
    def level_counts(self) -> list[int]:
        return [count for _name, count in self.levels]


class DemoConflictError(DomainError):
    """The database holds other grid data; the demo will not mix with it."""


def build_demo(scale: str = "town", *, reset: bool = False, with_cases: bool = True) -> DemoSummary:
    """Build the demo into the configured database, or leave an existing one as it is.

    `reset=True` first deletes what a demo consists of (see `clear_demo_data`), inside the same
    transaction as the build, so a failed build leaves the old data in place. `with_cases=False`
    skips the demo cases (demo/cases.py) and the other apps' data: places and people only."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, not {scale!r}")
    started = time.monotonic()
    with transaction.atomic():
        if reset:
            clear_demo_data()
        if Grid.objects.filter(code=ROOTS[scale]).exists():
            return summarise_demo(scale, built=False, seconds=time.monotonic() - started)
        if Grid.objects.exists() or GridLevel.objects.exists():
            raise DemoConflictError(
                _(
                    "数据库中已有其他网格数据(或另一种规模的演示),演示不与之混合;"
                    "如要删除现有网格、人员和账号后重建演示,请加 --reset"
                )
            )
        if get_user_model().objects.filter(username__in=CAST).exists():
            raise DemoConflictError(_("数据库中已有演示用的登录名(如 admin);请加 --reset 重建"))
        if scale == "town":
            TownBuilder().build()
        else:
            DistrictBuilder().build()
        if scale == "town":
            # --no-cases is the quick skeleton (places and people): it skips the registry's data.
            seed_registry_hook(ROOTS[scale], with_data=with_cases)
        summary = summarise_demo(scale, built=True)
        if with_cases:
            seed_cases_hook(summary)
            seed_fieldwork_hook(summary)
            seed_oversight_hook(summary)
            seed_hotline_hook(summary)
            seed_reports_hook(summary)
    return replace(summary, seconds=time.monotonic() - started)


def clear_demo_data() -> None:
    """Delete every region, grid level and grid, every department and person with their posts,
    liaisons and grants, every user and session, and everything that hangs on them (cases on a
    grid, …). Configuration that belongs to no place or person stays: the matter catalogue, the
    work calendar, the role groups (rows that data migrations put there)."""
    from gridgov.hotline.demo import clear_hotline
    from gridgov.open311.demo import clear_demo_attributes
    from gridgov.registry.demo import clear_registry

    clear_hotline()
    clear_demo_attributes()
    clear_registry()
    for model in (Jurisdiction, Liaison, Post, PostDuty, Staff, Department, Grid, GridLevel):
        _delete_with_dependents(model._base_manager.all())
    _delete_with_dependents(Region._base_manager.all())
    _delete_with_dependents(get_user_model()._base_manager.all())
    Session.objects.all().delete()


def _delete_with_dependents(queryset: QuerySet[Any]) -> None:
    """Delete the rows, first deleting whatever protects them (a case protects its grid)."""
    for _attempt in range(100):
        try:
            queryset.delete()
            return
        except (ProtectedError, RestrictedError) as exc:
            blockers = (
                exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
            )
            by_model: dict[type[Any], list[Any]] = defaultdict(list)
            for obj in blockers:
                by_model[type(obj)].append(obj.pk)
            for model, pks in by_model.items():
                _delete_with_dependents(model._base_manager.filter(pk__in=pks))
    raise RuntimeError(f"could not clear {queryset.model.__name__}: protection cycle")


def seed_cases_hook(summary: DemoSummary) -> None:
    """Ninety days of the town's case work replayed through the case services (demo/cases.py)."""
    from gridgov.demo.cases import seed_demo_cases

    seed_demo_cases(summary=summary, by=get_user_model().objects.get(username="admin"))


def seed_fieldwork_hook(summary: DemoSummary) -> None:
    """A month of patrols, diaries and check-ins (issue 11)."""
    from gridgov.fieldwork.demo import seed_demo_fieldwork

    seed_demo_fieldwork(summary=summary, by=get_user_model().objects.get(username="admin"))
    from gridgov.fieldwork.visit_demo import seed_demo_visits

    seed_demo_visits(summary=summary, by=get_user_model().objects.get(username="admin"))
    from gridgov.fieldwork.safety.demo import seed_demo_safety

    seed_demo_safety(summary=summary, by=get_user_model().objects.get(username="admin"))
    from gridgov.fieldwork.demo import seed_demo_today

    # Cases the visit and campaign demos reported on the patrol channel just now.
    seed_demo_today(summary=summary)


def seed_oversight_hook(summary: DemoSummary) -> None:
    """Assessments, warnings, bulletins and coordination records on the demo's cases
    (issue 12)."""
    from gridgov.oversight.demo import seed_demo_oversight

    seed_demo_oversight(summary=summary, by=get_user_model().objects.get(username="admin"))


def seed_hotline_hook(summary: DemoSummary) -> None:
    """The 12345 hotline's calls, the weekly back-tracing rounds over them, their tasks, a tier
    proposal and the trained classifier (issue 13)."""
    from gridgov.hotline.demo import seed_demo_hotline

    seed_demo_hotline(summary=summary, by=get_user_model().objects.get(username="admin"))


def seed_reports_hook(summary: DemoSummary) -> None:
    """The town office's text of this year's annual work summary (issue 13)."""
    from gridgov.reports.summary_demo import seed_demo_summary

    seed_demo_summary(summary=summary)


def seed_registry_hook(root_code: str, *, with_data: bool = True) -> None:
    """The registry's residents, households, organisations and facilities, and the log-ins of
    its two roles (issue 10)."""
    from gridgov.registry.demo import seed_hook

    seed_hook(root_code, with_data=with_data)


def summarise_demo(scale: str, *, built: bool, seconds: float = 0.0) -> DemoSummary:
    root = Grid.objects.get(code=ROOTS[scale])
    counts = dict(
        Grid.objects.values_list("level__depth")
        .annotate(n=Count("pk"))
        .values_list("level__depth", "n")
    )
    levels = [(lv.name, counts.get(lv.depth, 0)) for lv in GridLevel.objects.order_by("depth")]
    population = Grid.objects.filter(pk=root.pk).aggregate(p=Sum("population"))["p"] or 0
    return DemoSummary(
        scale=scale,
        root_code=root.code,
        root_name=root.name,
        levels=levels,
        households=root.households,
        population=population,
        departments=Department.objects.count(),
        staff=Staff.objects.count(),
        posts=Post.objects.current().count(),
        liaisons=Liaison.objects.current().count(),
        logins=demo_logins(),
        password=PASSWORD,
        bbox=(root.min_lon or 0.0, root.min_lat or 0.0, root.max_lon or 0.0, root.max_lat or 0.0),
        built=built,
        seconds=seconds,
    )


def demo_logins() -> list[DemoLogin]:
    """Every active grant, the featured log-ins first (the cast, then the county's), then by
    role and user name."""
    rank = {name: i for i, name in enumerate(FEATURED)}
    roles = {role: i for i, role in enumerate(Role.values)}
    rows = Jurisdiction.objects.filter(active=True).select_related(
        "user", "grid", "region", "department"
    )
    logins = []
    for row in rows:
        if row.grid is not None:
            scope = f"{row.grid.name} ({row.grid.code})"
        elif row.region is not None:
            scope = f"{row.region.name} ({row.region.code})"
        elif row.department is not None:
            scope = row.department.name
        else:
            scope = "全部"
        logins.append(DemoLogin(row.user.username, row.role, str(row.get_role_display()), scope))
    return sorted(
        logins, key=lambda x: (rank.get(x.username, len(FEATURED)), roles[x.role], x.username)
    )


def demo_fingerprint() -> str:
    """SHA-256 of a canonical dump of everything the demo writes except build-time timestamps
    and primary keys: two builds of the same scale must give the same fingerprint."""
    user_model = get_user_model()
    dump = {
        "regions": list(
            Region.objects.order_by("code").values_list("code", "name", "level", "path")
        ),
        "levels": list(
            GridLevel.objects.order_by("depth").values_list("depth", "name", "code_digits")
        ),
        "grids": [
            [
                g.code,
                g.name,
                g.level.depth,
                g.region.code,
                g.parent.code if g.parent else None,
                g.path,
                json.dumps(g.boundary, sort_keys=True),
                g.area_m2,
                g.households,
                g.population,
                g.tier,
                g.label_lon,
                g.label_lat,
            ]
            for g in Grid.objects.select_related("level", "region", "parent").order_by("code")
        ],
        "departments": list(
            Department.objects.order_by("code").values_list(
                "code", "name", "kind", "level", "region__code", "phone"
            )
        ),
        "users": list(
            user_model.objects.order_by("username").values_list(
                "username", "password", "is_staff", "is_superuser"
            )
        ),
        "staff": sorted(
            Staff.objects.values_list(
                "name", "gender", "phone", "title", "department__code", "user__username"
            ),
            key=repr,
        ),
        "posts": sorted(
            Post.objects.values_list(
                "staff__name",
                "kind",
                "title",
                "grid__code",
                "department__code",
                "is_public",
                "started_on",
                "ended_on",
            ),
            key=repr,
        ),
        "liaisons": sorted(
            Liaison.objects.values_list(
                "staff__name", "kind", "note", "grid__code", "region__code", "started_on"
            ),
            key=repr,
        ),
        "grants": sorted(
            Jurisdiction.objects.values_list(
                "user__username", "role", "grid__code", "region__code", "department__code", "active"
            ),
            key=repr,
        ),
        "duties": sorted(PostDuty.objects.values_list("kind", "level__depth", "duties"), key=repr),
    }
    text = json.dumps(dump, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()
