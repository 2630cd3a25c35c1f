"""Registry API (/api/v1/registry): residents masked by default, search by exact ID number or
phone through the blind index, reveal one value with a logged reason, completion per grid, and
the personal-data access log for the admin and the discipline office."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate

from gridgov.core.jurisdiction import get_referenced, get_scoped_or_404
from gridgov.core.masking import id_number_problem
from gridgov.core.schemas import Pagination
from gridgov.grids.models import Grid
from gridgov.registry import permissions, services
from gridgov.registry.ledgers import write_xlsx
from gridgov.registry.models import AccessLog, Person
from gridgov.registry.schemas import (
    AccessLogOut,
    CloseIn,
    CompletionOut,
    PersonIn,
    PersonOut,
    RevealIn,
    RevealOut,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

router = Router(tags=["registry"])


def _by(request: HttpRequest) -> User:
    return cast("User", request.user)


def search_persons(request: HttpRequest, *, grid_code: str, q: str) -> object:
    qs: Any = Person.objects.visible_to(request.user)
    qs = qs.current().select_related("grid", "household")
    if grid_code:
        grid = get_referenced(Grid.objects.visible_to(request.user), field="grid", code=grid_code)  # type: ignore[attr-defined]
        qs = qs.within(grid)
    q = q.strip()
    if q:
        if id_number_problem(q) is None:
            qs = qs.by_id_number(q)
        elif q.replace("-", "").replace(" ", "").lstrip("+").isdigit():
            qs = qs.by_phone(q)
        else:
            qs = qs.filter(name__contains=q)
    return qs.order_by("grid__code", "household__number", "pk")


@router.get("/persons", response=list[PersonOut])
@paginate(Pagination)
def list_persons(
    request: HttpRequest,
    grid: str = Query("", max_length=32, description="网格编码(含下级)"),
    q: str = Query("", max_length=50, description="姓名,或完整的公民身份号码/电话"),
) -> object:
    return search_persons(request, grid_code=grid, q=q)


@router.get("/persons/{int:person_id}", response=PersonOut)
def get_person(request: HttpRequest, person_id: int) -> Person:
    return get_scoped_or_404(
        Person.objects.visible_to(request.user).select_related("grid", "household"), pk=person_id
    )


@router.post("/persons", response={201: PersonOut})
def create_person(request: HttpRequest, payload: PersonIn) -> tuple[int, Person]:
    grid = get_referenced(Grid.objects.visible_to(request.user), field="grid", code=payload.grid)  # type: ignore[attr-defined]
    data = payload.dict(exclude={"grid", "name"})
    return 201, services.create_person(by=_by(request), grid=grid, name=payload.name, **data)


@router.post("/persons/{int:person_id}/reveal", response=RevealOut)
def reveal(request: HttpRequest, payload: RevealIn, person_id: int) -> dict[str, str]:
    person = get_scoped_or_404(Person.objects.visible_to(request.user), pk=person_id)
    value = services.reveal_value(person, payload.field, by=_by(request), reason=payload.reason)
    return {"value": value}


@router.post("/persons/{int:person_id}/close", response=PersonOut)
def close(request: HttpRequest, payload: CloseIn, person_id: int) -> Person:
    person = get_scoped_or_404(
        Person.objects.visible_to(request.user).select_related("grid"), pk=person_id
    )
    return services.close_person(person, by=_by(request), on=payload.on, reason=payload.reason)


@router.get("/completion/{code}", response=list[CompletionOut])
def completion(request: HttpRequest, code: str) -> list[dict[str, object]]:
    """Households registered against declared, for the grid and each grid directly under it."""
    grid = get_scoped_or_404(Grid.objects.visible_to(request.user), code=code)  # type: ignore[attr-defined]
    grids = [grid, *Grid.objects.filter(parent=grid).order_by("code")]
    return [
        {
            "grid": c.grid.code,
            "name": c.grid.name,
            "declared": c.declared,
            "registered": c.registered,
            "rate": c.rate,
        }
        for c in services.completion(grids)
    ]


def _access_log(request: HttpRequest) -> object:
    if not permissions.can_read_access_log(request.user):
        raise PermissionDenied(_("只有平台管理员和纪检监察可以查阅个人信息访问记录"))
    return AccessLog.objects.visible_to(request.user)  # type: ignore[attr-defined]


@router.get("/access-log", response=list[AccessLogOut])
@paginate(Pagination)
def access_log(request: HttpRequest) -> object:
    return _access_log(request)


@router.get("/access-log.xlsx")
def access_log_xlsx(request: HttpRequest) -> HttpResponse:
    rows = [
        [
            log.at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            log.username,
            log.get_action_display(),
            log.target,
            log.object_id,
            log.field,
            log.rows,
            log.reason,
        ]
        for log in _access_log(request).iterator()  # type: ignore[attr-defined]
    ]
    out = io.BytesIO()
    header = ["时间", "用户", "操作", "对象", "对象编号", "字段", "条数", "事由"]
    write_xlsx(out, header, rows)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="access-log.xlsx"'
    return response
