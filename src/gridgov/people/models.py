from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.jurisdiction import Role, scope_of, scope_q
from gridgov.grids.models import Grid, Region

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class DepartmentKind(models.TextChoices):
    POLICE = "police", _("派出所/公安")
    ENVIRONMENT = "environment", _("生态环境")
    SAFETY = "safety", _("应急管理/安监")
    URBAN = "urban", _("城市管理/综合执法")
    MARKET = "market", _("市场监管")
    CIVIL_AFFAIRS = "civil_affairs", _("民政")
    HUMAN_RESOURCES = "human_resources", _("人社")
    HOUSING = "housing", _("住建/规建")
    TRANSPORT = "transport", _("交通")
    WATER = "water", _("水利")
    HEALTH = "health", _("卫健")
    EDUCATION = "education", _("教育")
    PETITION = "petition", _("信访/综治")
    SANITATION = "sanitation", _("环卫")
    AGRICULTURE = "agriculture", _("农业农村")
    OFFICE = "office", _("网格办/党政办")
    OTHER = "other", _("其他")


class DepartmentLevel(models.TextChoices):
    """The platform level a department sits at (seed 004: village / town / district)."""

    VILLAGE = "village", _("村(社区)")
    TOWN = "town", _("乡镇(街道)")
    COUNTY = "county", _("县(区)")
    CITY = "city", _("市")


class DepartmentQuerySet(models.QuerySet["Department"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> DepartmentQuerySet:
        """Departments serving a region the user can see, plus the user's own departments.

        A town operator must see the county bureaus a case can be escalated to, so a region
        scope also reveals departments of the regions above it."""
        scope = scope_of(user)
        if scope.is_admin:
            return self
        q = Q(pk__in=scope.all_department_ids())
        paths = set(scope.all_region_paths())
        for grid_path in scope.all_grid_paths():
            paths.update(Grid.objects.filter(path=grid_path).values_list("region__path", flat=True))
        for path in paths:
            q |= Q(region__path__startswith=path)
            # Regions above the scope root: their paths are prefixes of the root's path.
            parts = [p for p in path.split("/") if p]
            for i in range(1, len(parts)):
                q |= Q(region__path="/" + "/".join(parts[:i]) + "/")
        return self.filter(q)

    def active(self) -> DepartmentQuerySet:
        return self.filter(is_active=True)


class Department(models.Model):
    """Functional department (职能部门/处置单位) that handles cases, at a level (seed 002: 条块融合)."""

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类别"), max_length=32, choices=DepartmentKind.choices)
    level = models.CharField(_("层级"), max_length=16, choices=DepartmentLevel.choices)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="departments", verbose_name=_("服务区划")
    )
    phone = models.CharField(_("电话"), max_length=32, blank=True)
    duties = models.TextField(_("职责"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("职能部门")
        verbose_name_plural = _("职能部门")

    def __str__(self) -> str:
        return self.name


class StaffQuerySet(models.QuerySet["Staff"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> StaffQuerySet:
        """Staff holding a post in a grid the user can see, or in one of the user's departments."""
        scope = scope_of(user)
        if scope.is_admin:
            return self
        q = Q(posts__in=Post.objects.visible_to(user)) | Q(
            department_id__in=scope.all_department_ids()
        )
        if user is not None and user.is_authenticated:
            q |= Q(user=user)
        return self.filter(q).distinct()


class Staff(models.Model):
    """A named person of the grid system: grid leader, worker, officer, helper (定人, seed 002)."""

    class Gender(models.TextChoices):
        MALE = "m", _("男")
        FEMALE = "f", _("女")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff",
        verbose_name=_("登录账号"),
    )
    name = models.CharField(_("姓名"), max_length=50)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices, blank=True)
    # E.164 (+8613800000000); posted publicly on the grid board by design (公示, seed 002).
    phone = models.CharField(_("电话"), max_length=20, blank=True)
    title = models.CharField(_("职务"), max_length=60, blank=True)
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff",
        verbose_name=_("所在单位"),
    )
    photo = models.ImageField(_("照片"), upload_to="staff/", blank=True)
    is_active = models.BooleanField(_("在岗"), default=True)

    objects = StaffQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")

    def __str__(self) -> str:
        return self.name


class PostKind(models.TextChoices):
    """Posts bound to a grid or department (定岗); 004's 一长三员 maps onto the first four."""

    GRID_LEADER = "grid_leader", _("网格长")
    WORKER_FULL = "worker_full", _("专职网格员")
    WORKER_PART = "worker_part", _("兼职网格员")
    EMBEDDED_OFFICER = "embedded_officer", _("下沉人员")
    ASSISTANT = "assistant", _("协管员")
    VOLUNTEER = "volunteer", _("志愿者")
    INFORMANT = "informant", _("信息员")
    HANDLER = "handler", _("部门处置人员")
    DEPARTMENT_HEAD = "department_head", _("部门负责人")


# The order posts appear on a public board: leader first, helpers last.
POST_ORDER = [kind.value for kind in PostKind]


class PostQuerySet(models.QuerySet["Post"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> PostQuerySet:
        scope = scope_of(user)
        if scope.is_admin:
            return self
        return self.filter(
            scope_q(user, grid_field="grid") | Q(department_id__in=scope.all_department_ids())
        )

    def current(self) -> PostQuerySet:
        return self.filter(ended_on__isnull=True, staff__is_active=True)


class Post(models.Model):
    """A person's post (岗位) in a grid or a department, with its duties (定岗、定责, seed 002)."""

    staff = models.ForeignKey(
        Staff, on_delete=models.CASCADE, related_name="posts", verbose_name=_("人员")
    )
    kind = models.CharField(_("岗位类型"), max_length=32, choices=PostKind.choices)
    # The local name of the post where it differs, e.g. 网格信息管理员 (seed 004).
    title = models.CharField(_("岗位名称"), max_length=60, blank=True)
    grid = models.ForeignKey(
        Grid,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="posts",
        verbose_name=_("网格"),
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="posts",
        verbose_name=_("部门"),
    )
    duties = models.TextField(_("职责"), blank=True)
    is_public = models.BooleanField(_("公示"), default=True)
    started_on = models.DateField(_("任职日期"), null=True, blank=True)
    ended_on = models.DateField(_("离任日期"), null=True, blank=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["grid_id", "kind", "pk"]
        verbose_name = _("岗位")
        verbose_name_plural = _("岗位")
        constraints = [
            models.CheckConstraint(
                condition=Q(grid__isnull=False) | Q(department__isnull=False),
                name="post_has_grid_or_department",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff} · {self.display_title}"

    @property
    def display_title(self) -> str:
        return self.title or str(self.get_kind_display())


class LiaisonKind(models.TextChoices):
    LEADER = "leader", _("领导分包")
    DEPARTMENT = "department", _("部门业务分包")
    WORK_TEAM = "work_team", _("驻村工作队")
    EMBEDDED = "embedded", _("下沉联系")


class Liaison(models.Model):
    """A leader or officer answerable for a lower unit (分包/包联; seed 002: 五级联动)."""

    staff = models.ForeignKey(
        Staff, on_delete=models.CASCADE, related_name="liaisons", verbose_name=_("人员")
    )
    kind = models.CharField(_("类型"), max_length=16, choices=LiaisonKind.choices)
    grid = models.ForeignKey(
        Grid,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="liaisons",
        verbose_name=_("分包网格"),
    )
    region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="liaisons",
        verbose_name=_("分包区划"),
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    started_on = models.DateField(_("开始日期"), null=True, blank=True)
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("分包联系")
        verbose_name_plural = _("分包联系")
        constraints = [
            models.CheckConstraint(
                condition=Q(grid__isnull=False) | Q(region__isnull=False),
                name="liaison_has_grid_or_region",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff} → {self.grid or self.region}"


class Jurisdiction(models.Model):
    """One role granted to a user over a grid subtree, a region subtree or a department."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="jurisdictions",
        verbose_name=_("用户"),
    )
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices)
    grid = models.ForeignKey(
        Grid,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="jurisdictions",
        verbose_name=_("网格范围"),
    )
    region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="jurisdictions",
        verbose_name=_("区划范围"),
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="jurisdictions",
        verbose_name=_("部门"),
    )
    active = models.BooleanField(_("有效"), default=True)
    granted_at = models.DateTimeField(auto_now_add=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("授权人"),
    )

    class Meta:
        ordering = ["user_id", "role", "pk"]
        verbose_name = _("权限范围")
        verbose_name_plural = _("权限范围")
        constraints = [
            models.CheckConstraint(
                condition=Q(role=Role.ADMIN)
                | Q(grid__isnull=False)
                | Q(region__isnull=False)
                | Q(department__isnull=False),
                name="jurisdiction_has_scope",
            ),
        ]

    def __str__(self) -> str:
        target = self.grid or self.region or self.department or _("全部")
        return f"{self.user} · {self.get_role_display()} · {target}"
