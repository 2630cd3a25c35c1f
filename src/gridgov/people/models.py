from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.crypto import BlindIndexField, EncryptedTextField
from gridgov.core.jurisdiction import Role, scope_of, scope_q
from gridgov.core.masking import normalise_phone_lenient
from gridgov.grids.models import Grid, GridLevel, Region

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
    JUSTICE = "justice", _("司法")
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


def territorial_region_paths(user: AbstractBaseUser | AnonymousUser | None) -> frozenset[str]:
    """Region paths the user's territorial scopes cover: region scopes, and the regions of grid
    scopes (a town office scoped to the town grid covers the town's region)."""
    scope = scope_of(user)
    paths = set(scope.all_region_paths())
    grid_paths = scope.all_grid_paths()
    if grid_paths:
        paths.update(
            Grid.objects.filter(path__in=sorted(grid_paths)).values_list("region__path", flat=True)
        )
    return frozenset(paths)


def _region_prefix_q(lookup: str, paths: frozenset[str]) -> Q:
    q = Q(pk__in=[])
    for path in sorted(paths):
        q |= Q(**{f"{lookup}__startswith": path})
    return q


class DepartmentQuerySet(models.QuerySet["Department"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> DepartmentQuerySet:
        """Departments serving a region the user can see, plus the user's own departments.

        A town operator must see the county bureaus a case can be escalated to, so a region
        scope also reveals departments of the regions above it."""
        scope = scope_of(user)
        if scope.is_admin:
            return self
        q = Q(pk__in=scope.all_department_ids())
        for path in sorted(territorial_region_paths(user)):
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
        """Staff holding a post or a liaison the user can see, staff of the user's departments or
        of departments inside the user's territory, and the user's own staff record."""
        scope = scope_of(user)
        if scope.is_admin:
            return self
        q = (
            Q(pk__in=Post.objects.visible_to(user).values("staff_id"))
            | Q(pk__in=Liaison.objects.visible_to(user).values("staff_id"))
            | Q(department_id__in=scope.all_department_ids())
            | _region_prefix_q("department__region__path", territorial_region_paths(user))
        )
        if user is not None and user.is_authenticated:
            q |= Q(user_id=user.pk)
        return self.filter(q)


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
    # E.164 (+8613800000000); posted publicly on the grid board by design (公示, seed 002), but
    # encrypted at rest like every personal phone (issue 10), with a blind index for look-up.
    phone = EncryptedTextField(_("电话"), blank=True)
    phone_index = BlindIndexField(source="phone", normalise=normalise_phone_lenient, db_index=True)
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
    """Posts bound to a grid or department (定岗). Seed 004's 一长三员 uses four of them, not
    the first four: grid_leader, worker_full, assistant and volunteer (ONE_LEADER_THREE_MEMBERS)."""

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

# Posts that belong to a grid's own team, and posts held inside a department. An embedded
# officer is both: a department's staff member assigned down into a grid (下沉人员, seed 002).
GRID_POST_KINDS = frozenset(
    {
        PostKind.GRID_LEADER,
        PostKind.WORKER_FULL,
        PostKind.WORKER_PART,
        PostKind.ASSISTANT,
        PostKind.VOLUNTEER,
        PostKind.INFORMANT,
    }
)
DEPARTMENT_POST_KINDS = frozenset({PostKind.HANDLER, PostKind.DEPARTMENT_HEAD})

# Seed 004's "one leader, three members" (一长三员) of every station, as post kinds; the local
# title is kept in Post.title: 工作站站长 is the grid leader, 网格信息管理员 the full-time
# worker (who enters the team's information into the system), 网格信息协管员 the assistant and
# 网格信息志愿员 the volunteer. Part-time workers, embedded officers and informants are not
# part of the pattern.
ONE_LEADER_THREE_MEMBERS = (
    (PostKind.GRID_LEADER, "工作站站长"),
    (PostKind.WORKER_FULL, "网格信息管理员"),
    (PostKind.ASSISTANT, "网格信息协管员"),
    (PostKind.VOLUNTEER, "网格信息志愿员"),
)


class PostQuerySet(models.QuerySet["Post"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> PostQuerySet:
        """Posts in grids the user can see, and department posts of the user's departments or of
        departments inside the user's territory (a town office sees the town police's posts)."""
        scope = scope_of(user)
        if scope.is_admin:
            return self
        return self.filter(
            scope_q(user, grid_field="grid")
            | Q(department_id__in=scope.all_department_ids())
            | (
                Q(grid__isnull=True)
                & _region_prefix_q("department__region__path", territorial_region_paths(user))
            )
        )

    def current(self) -> PostQuerySet:
        return self.filter(ended_on__isnull=True, staff__is_active=True)

    def public(self) -> PostQuerySet:
        """What a public board (公示牌) may show: current, public posts of active staff."""
        return self.current().filter(is_public=True)


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
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True)
                | Q(started_on__isnull=True)
                | Q(ended_on__gte=F("started_on")),
                name="post_ends_after_start",
            ),
            # A person holds a post once per grid (定岗): a second "worker" row for the same
            # person and grid would double-count them in assessments.
            models.UniqueConstraint(
                fields=["staff", "kind", "grid"],
                condition=Q(ended_on__isnull=True, grid__isnull=False),
                name="post_unique_current_in_grid",
            ),
            models.UniqueConstraint(
                fields=["staff", "kind", "department"],
                condition=Q(ended_on__isnull=True, grid__isnull=True),
                name="post_unique_current_in_department",
            ),
            # One grid leader per grid (一长三员, seed 004; 网格长 is the first responsible).
            models.UniqueConstraint(
                fields=["grid"],
                condition=Q(ended_on__isnull=True, kind="grid_leader"),
                name="post_one_current_grid_leader",
            ),
        ]
        indexes = [models.Index(fields=["grid", "ended_on"], name="post_grid_current")]

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


class LiaisonQuerySet(models.QuerySet["Liaison"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> LiaisonQuerySet:
        """Liaisons to a grid the user can see, or to a region inside the user's territory, and
        the liaisons of the staff of the user's departments."""
        scope = scope_of(user)
        if scope.is_admin:
            return self
        return self.filter(
            scope_q(user, grid_field="grid")
            | _region_prefix_q("region__path", territorial_region_paths(user))
            | Q(staff__department_id__in=scope.all_department_ids())
        )

    def current(self) -> LiaisonQuerySet:
        return self.filter(ended_on__isnull=True, staff__is_active=True)


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
    # Liaisons are posted with the grid's people (seed 002: 公示); a confidential work team
    # assignment can be kept off the board.
    is_public = models.BooleanField(_("公示"), default=True)
    started_on = models.DateField(_("开始日期"), null=True, blank=True)
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)

    objects = LiaisonQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("分包联系")
        verbose_name_plural = _("分包联系")
        constraints = [
            models.CheckConstraint(
                condition=Q(grid__isnull=False) | Q(region__isnull=False),
                name="liaison_has_grid_or_region",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True)
                | Q(started_on__isnull=True)
                | Q(ended_on__gte=F("started_on")),
                name="liaison_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["staff", "grid"],
                condition=Q(ended_on__isnull=True, grid__isnull=False),
                name="liaison_unique_current_grid",
            ),
            models.UniqueConstraint(
                fields=["staff", "region"],
                condition=Q(ended_on__isnull=True, grid__isnull=True),
                name="liaison_unique_current_region",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff} → {self.grid or self.region}"


class PostDuty(models.Model):
    """The standard duties of a post kind, optionally at one grid level (定责, seed 002/003).

    A post's own `duties` text wins; otherwise the public board shows the duties for its kind at
    its grid's level, then those for its kind at any level."""

    kind = models.CharField(_("岗位类型"), max_length=32, choices=PostKind.choices)
    level = models.ForeignKey(
        GridLevel,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="post_duties",
        verbose_name=_("网格层级"),
        help_text=_("留空表示适用于所有层级"),
    )
    duties = models.TextField(_("职责"))

    class Meta:
        ordering = ["kind", "level__depth"]
        verbose_name = _("岗位职责")
        verbose_name_plural = _("岗位职责")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "level"],
                condition=Q(level__isnull=False),
                name="post_duty_unique_kind_level",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(level__isnull=True),
                name="post_duty_unique_kind_any_level",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.level or _('所有层级')}"


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


class PasswordChangeDue(models.Model):
    """A log-in whose password someone else chose (a first password, a reset): its owner must
    choose their own at the next log-in before doing anything else (issue 10)."""

    class Reason(models.TextChoices):
        FIRST = "first", _("首次登录")
        RESET = "reset", _("密码重置")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="password_change_due",
        verbose_name=_("用户"),
    )
    reason = models.CharField(_("原因"), max_length=8, choices=Reason.choices)
    set_at = models.DateTimeField(_("设置时间"), auto_now=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("设置人"),
    )

    class Meta:
        verbose_name = _("待修改密码")
        verbose_name_plural = _("待修改密码")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_reason_display()}"
