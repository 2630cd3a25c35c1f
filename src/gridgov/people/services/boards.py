"""The read that assembles a grid's public board (公示牌): a dataclass, never a dict shaped
for a template (the board page and its PDF render it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from gridgov.grids.models import Grid, Region
from gridgov.people.models import (
    POST_ORDER,
    Department,
    DepartmentKind,
    Liaison,
    Post,
    PostDuty,
    PostKind,
    Staff,
)
from gridgov.people.services.common import display_phone

# --- the public board (公示牌) ------------------------------------------------------------------


@dataclass(frozen=True)
class BoardGrid:
    """One grid of the board's chain, top first, with its leader as posted."""

    code: str
    name: str
    level: str
    leader_name: str = ""
    leader_phone: str = ""


@dataclass(frozen=True)
class BoardPerson:
    """A responsible person as the board shows them: name, post, phone, duties; never a log-in."""

    name: str
    kind: str
    post: str
    phone: str
    duties: str
    department: str = ""
    photo_url: str = ""


@dataclass(frozen=True)
class BoardLiaison:
    name: str
    title: str
    kind: str
    note: str
    phone: str


@dataclass(frozen=True)
class GridBoard:
    """Everything a grid's public board (公示牌) shows (seed 002: 责任人、职务、职责、联系方式要在
    网格内显著位置向社会公示; seed 003: 网格区域管理图, 户数、人数, 举报电话)."""

    code: str
    name: str
    level: str
    chain: list[BoardGrid]
    households: int
    population: int
    area_m2: float | None
    boundary: dict[str, Any] | None
    people: list[BoardPerson]
    embedded_officers: list[BoardPerson]
    liaisons: list[BoardLiaison]
    children: list[BoardGrid]
    hotline: str
    supervision_unit: str
    supervision_phone: str
    duties: list[str] = field(default_factory=list)


def _duties_lookup() -> dict[tuple[str, int | None], str]:
    return {(d.kind, d.level_id): d.duties for d in PostDuty.objects.all()}


def _post_duties(
    post: Post, level_id: int | None, standard: dict[tuple[str, int | None], str]
) -> str:
    return post.duties or standard.get((post.kind, level_id)) or standard.get((post.kind, None), "")


def _board_person(
    post: Post, level_id: int | None, standard: dict[tuple[str, int | None], str]
) -> BoardPerson:
    staff = post.staff
    return BoardPerson(
        name=staff.name,
        kind=post.kind,
        post=post.display_title,
        phone=display_phone(staff.phone),
        duties=_post_duties(post, level_id, standard),
        department=post.department.name if post.department is not None else "",
        photo_url=staff.photo.url if staff.photo else "",
    )


def _leaders_by_grid(grid_ids: list[int]) -> dict[int, Staff]:
    posts = (
        Post.objects.public()
        .filter(grid_id__in=grid_ids, kind=PostKind.GRID_LEADER)
        .select_related("staff")
    )
    return {p.grid_id: p.staff for p in posts if p.grid_id is not None}


def supervision_department(region: Region) -> Department | None:
    """The grid office (网格办) nearest above a region: its phone is the board's supervision phone."""
    paths = []
    parts = [p for p in region.path.split("/") if p]
    for i in range(len(parts), 0, -1):
        paths.append("/" + "/".join(parts[:i]) + "/")
    candidates = {
        d.region.path: d
        for d in Department.objects.active()
        .filter(kind=DepartmentKind.OFFICE, region__path__in=paths)
        .exclude(phone="")
        .select_related("region")
        .order_by("-code")
    }
    for path in paths:
        if path in candidates:
            return candidates[path]
    return None


def grid_board(grid: Grid) -> GridBoard:
    """Assemble the public board of one grid. Shows only what a board shows: current public posts
    of active staff with their phones and duties, public liaisons, the hotline and the
    supervision phone; never user names, non-public posts or personal data of residents."""
    standard = _duties_lookup()
    ancestors = list(
        Grid.objects.filter(code__in=grid.ancestor_codes()[:-1])
        .select_related("level")
        .order_by("level__depth")
    )
    children = list(grid.children.filter(is_active=True).select_related("level").order_by("code"))
    leaders = _leaders_by_grid([g.pk for g in ancestors] + [c.pk for c in children])

    def ref(g: Grid) -> BoardGrid:
        leader = leaders.get(g.pk)
        return BoardGrid(
            code=g.code,
            name=g.name,
            level=g.level.name,
            leader_name=leader.name if leader else "",
            leader_phone=display_phone(leader.phone) if leader else "",
        )

    posts = (
        Post.objects.public()
        .filter(grid=grid)
        .select_related("staff", "department")
        .order_by("staff__name", "pk")
    )
    order = {kind: i for i, kind in enumerate(POST_ORDER)}
    posts_sorted = sorted(posts, key=lambda p: (order.get(p.kind, 99), p.staff.name, p.pk))
    people = [
        _board_person(p, grid.level_id, standard)
        for p in posts_sorted
        if p.kind != PostKind.EMBEDDED_OFFICER
    ]
    officers = [
        _board_person(p, grid.level_id, standard)
        for p in posts_sorted
        if p.kind == PostKind.EMBEDDED_OFFICER
    ]
    liaisons = [
        BoardLiaison(
            name=li.staff.name,
            title=li.staff.title,
            kind=str(li.get_kind_display()),
            note=li.note,
            phone=display_phone(li.staff.phone),
        )
        for li in Liaison.objects.current()
        .filter(is_public=True, grid=grid)
        .select_related("staff")
        .order_by("pk")
    ]
    supervisor = supervision_department(grid.region)
    duties = []
    for person in people:
        if person.duties and person.duties not in duties:
            duties.append(person.duties)
    return GridBoard(
        code=grid.code,
        name=grid.name,
        level=grid.level.name,
        chain=[ref(g) for g in ancestors],
        households=grid.households,
        population=grid.population,
        area_m2=grid.area_m2,
        boundary=grid.boundary,
        people=people,
        embedded_officers=officers,
        liaisons=liaisons,
        children=[ref(c) for c in children],
        hotline=str(settings.GRIDGOV["HOTLINE"]),
        supervision_unit=supervisor.name if supervisor else "",
        supervision_phone=display_phone(supervisor.phone) if supervisor else "",
        duties=duties,
    )
