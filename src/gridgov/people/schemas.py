"""Request and response shapes of the people API, one per operation (CaseIn / CaseOut style)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from gridgov.core.schemas import PatchIn
from gridgov.people.models import Department, Liaison, Post, Staff
from gridgov.people.services import display_phone


class RegionRef(Schema):
    code: str
    name: str


class GridRef(Schema):
    code: str
    name: str
    level: str

    @staticmethod
    def resolve_level(obj: Any) -> str:
        return str(obj.level.name)


class DepartmentRef(Schema):
    id: int
    code: str
    name: str


class StaffRef(Schema):
    id: int
    name: str
    title: str
    phone: str


class DepartmentOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    level: str
    level_label: str
    region: RegionRef
    phone: str
    phone_display: str
    duties: str
    is_active: bool

    @staticmethod
    def resolve_kind_label(obj: Department) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_level_label(obj: Department) -> str:
        return str(obj.get_level_display())

    @staticmethod
    def resolve_phone_display(obj: Department) -> str:
        return display_phone(obj.phone)


class DepartmentIn(Schema):
    code: str = Field(max_length=32)
    name: str = Field(max_length=100)
    kind: str
    level: str
    region_code: str = Field(description="12 位统计用区划代码")
    phone: str = ""
    duties: str = ""


class DepartmentPatch(PatchIn):
    name: str | None = Field(default=None, max_length=100)
    kind: str | None = None
    phone: str | None = None
    duties: str | None = None
    is_active: bool | None = None


class PostOut(Schema):
    id: int
    staff: StaffRef
    kind: str
    kind_label: str
    title: str
    display_title: str
    grid: GridRef | None
    department: DepartmentRef | None
    duties: str
    is_public: bool
    started_on: dt.date | None
    ended_on: dt.date | None

    @staticmethod
    def resolve_kind_label(obj: Post) -> str:
        return str(obj.get_kind_display())


class PostIn(Schema):
    staff_id: int
    kind: str
    grid_code: str | None = None
    department_id: int | None = None
    title: str = Field(default="", max_length=60)
    duties: str = ""
    is_public: bool = True
    started_on: dt.date | None = None


class FirstPostIn(Schema):
    """The post a new person starts in, created in the same transaction."""

    kind: str
    grid_code: str | None = None
    department_id: int | None = None
    title: str = Field(default="", max_length=60)
    duties: str = ""
    is_public: bool = True
    started_on: dt.date | None = None


class PostPatch(PatchIn):
    title: str | None = Field(default=None, max_length=60)
    duties: str | None = None
    is_public: bool | None = None


class EndIn(Schema):
    on: dt.date | None = Field(default=None, description="默认今天(北京时间)")


class MoveIn(Schema):
    grid_code: str
    on: dt.date | None = None


class LiaisonOut(Schema):
    id: int
    staff: StaffRef
    kind: str
    kind_label: str
    grid: GridRef | None
    region: RegionRef | None
    note: str
    is_public: bool
    started_on: dt.date | None
    ended_on: dt.date | None

    @staticmethod
    def resolve_kind_label(obj: Liaison) -> str:
        return str(obj.get_kind_display())


class LiaisonIn(Schema):
    staff_id: int
    kind: str
    grid_code: str | None = None
    region_code: str | None = None
    note: str = Field(default="", max_length=200)
    is_public: bool = True
    started_on: dt.date | None = None


class StaffOut(Schema):
    id: int
    name: str
    gender: str
    phone: str
    phone_display: str
    title: str
    department: DepartmentRef | None
    is_active: bool
    has_login: bool

    @staticmethod
    def resolve_phone_display(obj: Staff) -> str:
        return display_phone(obj.phone)

    @staticmethod
    def resolve_has_login(obj: Staff) -> bool:
        return obj.user_id is not None


class StaffDetailOut(StaffOut):
    """A person with the posts and liaisons the caller may see (never those outside the scope)."""

    posts: list[PostOut]
    liaisons: list[LiaisonOut]

    @staticmethod
    def resolve_posts(obj: Staff, context: dict[str, Any]) -> list[Post]:
        user = context["request"].user
        return list(
            Post.objects.visible_to(user)
            .filter(staff=obj)
            .select_related("staff", "grid__level", "department")
            .order_by("-started_on", "pk")
        )

    @staticmethod
    def resolve_liaisons(obj: Staff, context: dict[str, Any]) -> list[Liaison]:
        user = context["request"].user
        return list(
            Liaison.objects.visible_to(user)
            .filter(staff=obj)
            .select_related("staff", "grid__level", "region")
            .order_by("-started_on", "pk")
        )


class StaffIn(Schema):
    name: str = Field(max_length=50)
    phone: str = ""
    gender: str = ""
    title: str = Field(default="", max_length=60)
    department_id: int | None = None
    post: FirstPostIn | None = None


class StaffPatch(PatchIn):
    name: str | None = Field(default=None, max_length=50)
    phone: str | None = None
    gender: str | None = None
    title: str | None = Field(default=None, max_length=60)
    department_id: int | None = None
    clear_department: bool = False


class RoleOut(Schema):
    role: str
    role_label: str
    grid: GridRef | None
    region: RegionRef | None
    department: DepartmentRef | None


class MeOut(Schema):
    username: str
    staff: StaffOut | None
    roles: list[RoleOut]
    is_admin: bool
    is_readonly_leader: bool


class BoardGridOut(Schema):
    code: str
    name: str
    level: str
    leader_name: str
    leader_phone: str


class BoardPersonOut(Schema):
    name: str
    kind: str
    post: str
    phone: str
    duties: str
    department: str
    photo_url: str


class BoardLiaisonOut(Schema):
    name: str
    title: str
    kind: str
    note: str
    phone: str


class BoardOut(Schema):
    code: str
    name: str
    level: str
    chain: list[BoardGridOut]
    households: int
    population: int
    area_m2: float | None
    boundary: dict[str, Any] | None
    people: list[BoardPersonOut]
    embedded_officers: list[BoardPersonOut]
    liaisons: list[BoardLiaisonOut]
    children: list[BoardGridOut]
    hotline: str
    supervision_unit: str
    supervision_phone: str
    duties: list[str]
