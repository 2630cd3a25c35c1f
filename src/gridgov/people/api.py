"""People API (/api/v1/people): departments, staff, posts, liaisons, the caller's own roles, and
each grid's public board. Every lookup goes through `visible_to`, so anything outside the
caller's scope is a 404 with the same body as a missing row; the services answer 403 for what a
visible object may not have done to it."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from gridgov.core.jurisdiction import get_referenced, get_scoped_or_404, scope_of
from gridgov.core.schemas import MAX_ID, MAX_SEARCH, Pagination
from gridgov.core.throttle import throttle
from gridgov.grids.models import Grid, Region
from gridgov.people import services
from gridgov.people.models import (
    Department,
    Jurisdiction,
    Liaison,
    LiaisonQuerySet,
    Post,
    PostQuerySet,
    Staff,
)
from gridgov.people.permissions import is_readonly_leader
from gridgov.people.schemas import (
    BoardOut,
    DepartmentIn,
    DepartmentOut,
    DepartmentPatch,
    EndIn,
    LiaisonIn,
    LiaisonOut,
    MeOut,
    MoveIn,
    PostIn,
    PostOut,
    PostPatch,
    StaffDetailOut,
    StaffIn,
    StaffOut,
    StaffPatch,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

router = Router(tags=["people"])


def _by(request: HttpRequest) -> User:
    """The acting user; every operation here but the public board requires a log-in."""
    return cast("User", request.user)


def _grid(request: HttpRequest, code: str, *, field: str = "") -> Grid:
    """The grid of a URL (404), or with `field` the grid a request body names (400)."""
    grids = Grid.objects.visible_to(request.user).select_related("level", "region")
    if field:
        return get_referenced(grids, field=field, code=code)
    return get_scoped_or_404(grids, code=code)


def _department(request: HttpRequest, pk: int, *, field: str = "") -> Department:
    departments = Department.objects.visible_to(request.user).select_related("region")
    if field:
        return get_referenced(departments, field=field, pk=pk)
    return get_scoped_or_404(departments, pk=pk)


def _staff(request: HttpRequest, pk: int, *, field: str = "") -> Staff:
    people = Staff.objects.visible_to(request.user).select_related("department__region", "user")
    if field:
        return get_referenced(people, field=field, pk=pk)
    return get_scoped_or_404(people, pk=pk)


def _posts(request: HttpRequest) -> PostQuerySet:
    return Post.objects.visible_to(request.user).select_related(
        "staff", "grid__level", "grid__region", "department__region"
    )


def _liaisons(request: HttpRequest) -> LiaisonQuerySet:
    return Liaison.objects.visible_to(request.user).select_related(
        "staff", "grid__level", "grid__region", "region"
    )


# --- me -----------------------------------------------------------------------------------------


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> dict[str, object]:
    user = _by(request)
    grants = Jurisdiction.objects.filter(user_id=user.pk, active=True).select_related(
        "grid__level", "region", "department"
    )
    return {
        "username": user.get_username(),
        "staff": Staff.objects.filter(user_id=user.pk).select_related("department").first(),
        "roles": [
            {
                "role": g.role,
                "role_label": str(g.get_role_display()),
                "grid": g.grid,
                "region": g.region,
                "department": g.department,
            }
            for g in grants
        ],
        "is_admin": scope_of(user).is_admin,
        "is_readonly_leader": bool(is_readonly_leader(user)),
    }


# --- departments --------------------------------------------------------------------------------


@router.get("/departments", response=list[DepartmentOut])
@paginate(Pagination)
def list_departments(
    request: HttpRequest,
    kind: str | None = None,
    level: str | None = None,
    q: str | None = Query(None, max_length=MAX_SEARCH, description="名称或编码中的文字"),
    active: bool | None = None,
) -> object:
    qs = Department.objects.visible_to(request.user).select_related("region")
    if kind:
        qs = qs.filter(kind=kind)
    if level:
        qs = qs.filter(level=level)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("code")


@router.get("/departments/{int:department_id}", response=DepartmentOut)
def get_department(request: HttpRequest, department_id: int) -> Department:
    return _department(request, department_id)


@router.post("/departments", response={201: DepartmentOut})
def create_department(request: HttpRequest, payload: DepartmentIn) -> Status[Department]:
    region = get_referenced(
        Region.objects.visible_to(request.user),
        field="region_code",
        code=payload.region_code.ljust(12, "0"),
    )
    data = payload.dict(exclude={"region_code"})
    return Status(201, services.create_department(region=region, by=_by(request), **data))


@router.patch("/departments/{int:department_id}", response=DepartmentOut)
def update_department(
    request: HttpRequest, department_id: int, payload: DepartmentPatch
) -> Department:
    department = _department(request, department_id)
    return services.update_department(
        department, by=_by(request), **payload.dict(exclude_unset=True)
    )


# --- staff --------------------------------------------------------------------------------------


@router.get("/staff", response=list[StaffOut])
@paginate(Pagination)
def list_staff(
    request: HttpRequest,
    q: str | None = Query(None, max_length=MAX_SEARCH, description="名称或编码中的文字"),
    department_id: int | None = Query(None, ge=1, le=MAX_ID),
    grid: str | None = None,
    active: bool | None = True,
) -> object:
    qs = Staff.objects.visible_to(request.user).select_related("department")
    if q:
        qs = qs.filter(name__icontains=q)
    if department_id is not None:
        qs = qs.filter(department_id=department_id)
    if grid:
        root = _grid(request, grid)
        qs = qs.filter(
            pk__in=Post.objects.current()
            .filter(grid__path__startswith=root.path)
            .values("staff_id")
        )
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("name", "pk")


@router.get("/staff/{int:staff_id}", response=StaffDetailOut)
def get_staff(request: HttpRequest, staff_id: int) -> Staff:
    return _staff(request, staff_id)


@router.post("/staff", response={201: StaffDetailOut})
def create_staff(request: HttpRequest, payload: StaffIn) -> Status[Staff]:
    department = (
        _department(request, payload.department_id, field="department_id")
        if payload.department_id
        else None
    )
    post = None
    if payload.post is not None:
        p = payload.post
        post = services.PostSpec(
            kind=p.kind,
            grid=_grid(request, p.grid_code, field="post.grid_code") if p.grid_code else None,
            department=(
                _department(request, p.department_id, field="post.department_id")
                if p.department_id
                else None
            ),
            **p.dict(include={"title", "duties", "is_public", "started_on"}),
        )
    staff = services.create_staff(
        **payload.dict(include={"name", "phone", "gender", "title"}),
        department=department,
        post=post,
        by=_by(request),
    )
    return Status(201, staff)


@router.patch("/staff/{int:staff_id}", response=StaffDetailOut)
def update_staff(request: HttpRequest, staff_id: int, payload: StaffPatch) -> Staff:
    staff = _staff(request, staff_id)
    data = payload.dict(exclude_unset=True, exclude={"department_id"})
    if payload.department_id is not None:
        data["department"] = _department(request, payload.department_id, field="department_id")
    return services.update_staff(staff, by=_by(request), **data)


@router.post("/staff/{int:staff_id}/deactivate", response=StaffDetailOut)
def deactivate_staff(request: HttpRequest, staff_id: int, payload: EndIn) -> Staff:
    return services.deactivate_staff(_staff(request, staff_id), on=payload.on, by=_by(request))


# --- posts --------------------------------------------------------------------------------------


@router.get("/posts", response=list[PostOut])
@paginate(Pagination)
def list_posts(
    request: HttpRequest,
    grid: str | None = None,
    within: str | None = None,
    kind: str | None = None,
    department_id: int | None = Query(None, ge=1, le=MAX_ID),
    staff_id: int | None = Query(None, ge=1, le=MAX_ID),
    current: bool = True,
) -> object:
    qs = _posts(request)
    if grid:
        qs = qs.filter(grid=_grid(request, grid))
    if within:
        qs = qs.filter(grid__path__startswith=_grid(request, within).path)
    if kind:
        qs = qs.filter(kind=kind)
    if department_id is not None:
        qs = qs.filter(department_id=department_id)
    if staff_id is not None:
        qs = qs.filter(staff_id=staff_id)
    if current:
        qs = qs.current()
    return qs.order_by("grid__code", "kind", "pk")


@router.get("/posts/{int:post_id}", response=PostOut)
def get_post(request: HttpRequest, post_id: int) -> Post:
    return get_scoped_or_404(_posts(request), pk=post_id)


@router.post("/posts", response={201: PostOut})
def create_post(request: HttpRequest, payload: PostIn) -> Status[Post]:
    post = services.assign_post(
        staff=_staff(request, payload.staff_id, field="staff_id"),
        grid=_grid(request, payload.grid_code, field="grid_code") if payload.grid_code else None,
        department=(
            _department(request, payload.department_id, field="department_id")
            if payload.department_id
            else None
        ),
        **payload.dict(include={"kind", "title", "duties", "is_public", "started_on"}),
        by=_by(request),
    )
    return Status(201, post)


@router.patch("/posts/{int:post_id}", response=PostOut)
def update_post(request: HttpRequest, post_id: int, payload: PostPatch) -> Post:
    post = get_scoped_or_404(_posts(request), pk=post_id)
    return services.update_post(post, by=_by(request), **payload.dict(exclude_unset=True))


@router.post("/posts/{int:post_id}/end", response=PostOut)
def end_post(request: HttpRequest, post_id: int, payload: EndIn) -> Post:
    post = get_scoped_or_404(_posts(request), pk=post_id)
    return services.end_post(post, on=payload.on, by=_by(request))


@router.post("/posts/{int:post_id}/move", response={201: PostOut})
def move_post(request: HttpRequest, post_id: int, payload: MoveIn) -> Status[Post]:
    post = get_scoped_or_404(_posts(request), pk=post_id)
    target = _grid(request, payload.grid_code, field="grid_code")
    return Status(201, services.move_post(post, to_grid=target, on=payload.on, by=_by(request)))


# --- liaisons -----------------------------------------------------------------------------------


@router.get("/liaisons", response=list[LiaisonOut])
@paginate(Pagination)
def list_liaisons(
    request: HttpRequest,
    grid: str | None = None,
    staff_id: int | None = Query(None, ge=1, le=MAX_ID),
    current: bool = True,
) -> object:
    qs = _liaisons(request)
    if grid:
        qs = qs.filter(grid=_grid(request, grid))
    if staff_id is not None:
        qs = qs.filter(staff_id=staff_id)
    if current:
        qs = qs.current()
    return qs.order_by("pk")


@router.get("/liaisons/{int:liaison_id}", response=LiaisonOut)
def get_liaison(request: HttpRequest, liaison_id: int) -> Liaison:
    return get_scoped_or_404(_liaisons(request), pk=liaison_id)


@router.post("/liaisons", response={201: LiaisonOut})
def create_liaison(request: HttpRequest, payload: LiaisonIn) -> Status[Liaison]:
    region = None
    if payload.region_code:
        region = get_referenced(
            Region.objects.visible_to(request.user),
            field="region_code",
            code=payload.region_code.ljust(12, "0"),
        )
    liaison = services.add_liaison(
        staff=_staff(request, payload.staff_id, field="staff_id"),
        grid=_grid(request, payload.grid_code, field="grid_code") if payload.grid_code else None,
        region=region,
        **payload.dict(include={"kind", "note", "is_public", "started_on"}),
        by=_by(request),
    )
    return Status(201, liaison)


@router.post("/liaisons/{int:liaison_id}/end", response=LiaisonOut)
def end_liaison(request: HttpRequest, liaison_id: int, payload: EndIn) -> Liaison:
    liaison = get_scoped_or_404(_liaisons(request), pk=liaison_id)
    return services.end_liaison(liaison, on=payload.on, by=_by(request))


# --- public board -------------------------------------------------------------------------------


# Anonymous board reads per address and minute: a QR code scanned in the street is one read;
# walking every code to harvest names and phones is not.
BOARD_READS_PER_MINUTE = 60


# PUBLIC by design: a grid's board (公示牌) is posted in the street with names, posts and phones
# (seed 002: 向社会公示, 接受群众监督). It shows only what a board shows (services.grid_board).
@router.get("/boards/{code}", response=BoardOut, auth=None)
def board(request: HttpRequest, code: str) -> services.GridBoard:
    if not request.user.is_authenticated:
        throttle(request, scope="people.board", limit=BOARD_READS_PER_MINUTE, per_seconds=60)
    grid = get_scoped_or_404(
        Grid.objects.filter(is_active=True).select_related("level", "region"), code=code
    )
    return services.grid_board(grid)
