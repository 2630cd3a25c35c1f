"""The basic-information registry (人、地、物、事、情、组织, seed 002: "建立人、地、物、情、事、组织为核心的
基础信息数据库和民情档案"): buildings, households, residents, organisations and public facilities of
each unit grid, private by design (seed 003: "严格保守服务管理对象的个人隐私").

ID numbers and phones are `EncryptedTextField`s with a keyed blind index beside them; anything shown
goes through `gridgov.core.masking`, and reading a clear value goes through `services.reveal_value`,
which writes an `AccessLog` row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.crypto import BlindIndexField, EncryptedTextField
from gridgov.core.jurisdiction import Role, scope_of, scope_q
from gridgov.core.masking import (
    mask_id_number,
    mask_phone,
    normalise_id_number,
    normalise_phone_lenient,
)
from gridgov.grids.models import Grid, Region
from gridgov.people.models import Department, Staff

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser | None


class CodeTable(models.TextChoices):
    GENDER = "gender", _("性别")
    ETHNICITY = "ethnicity", _("民族")
    POLITICAL = "political", _("政治面貌")
    MARITAL = "marital", _("婚姻状况")
    RELATION = "relation", _("与户主关系")
    EDUCATION = "education", _("学历")
    RELIGION = "religion", _("宗教信仰")
    NATIONALITY = "nationality", _("国籍")


class CodeItem(models.Model):
    """One value of a national code table (代码表), with the standard it comes from (STANDARDS.md:
    GB/T 3304 民族, GB/T 4762 政治面貌, GB/T 2261 性别/婚姻, GB/T 4761 与户主关系, GB/T 4658 学历)."""

    table = models.CharField(_("代码表"), max_length=16, choices=CodeTable.choices)
    code = models.CharField(_("代码"), max_length=8)
    name = models.CharField(_("名称"), max_length=40)
    standard = models.CharField(_("来源标准"), max_length=40)

    class Meta:
        ordering = ["table", "code"]
        verbose_name = _("代码表条目")
        verbose_name_plural = _("代码表条目")
        constraints = [
            models.UniqueConstraint(fields=["table", "code"], name="codeitem_unique_code"),
            models.UniqueConstraint(fields=["table", "name"], name="codeitem_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class GridScopedQuerySet(models.QuerySet):  # type: ignore[type-arg]
    """`visible_to(user)`: rows whose unit grid lies in one of the user's territorial scopes."""

    def visible_to(self, user: AnyUser) -> GridScopedQuerySet:
        return self.filter(scope_q(user))

    def within(self, grid: Grid) -> GridScopedQuerySet:
        return self.filter(grid__path__startswith=grid.path)


class BuildingUse(models.TextChoices):
    # STANDARDS.md (Xi'an DB6101/T 3185-2024)
    RESIDENTIAL = "residential", _("居住")
    COMMERCIAL = "commercial", _("商业服务")
    PUBLIC = "public", _("公共配套")
    INDUSTRIAL = "industrial", _("工业")
    WAREHOUSE = "warehouse", _("仓储物流")


class Building(models.Model):
    """A building (房屋/楼栋) numbered 00001–99999 inside its community (DB6101/T 3185-2024)."""

    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("所属网格")
    )
    community = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("所属社区/村")
    )
    number = models.CharField(_("楼栋编号"), max_length=5)
    address = models.CharField(_("地址"), max_length=200)
    use = models.CharField(_("用途"), max_length=16, choices=BuildingUse.choices)
    floors = models.PositiveSmallIntegerField(_("层数"), default=1)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = GridScopedQuerySet.as_manager()

    class Meta:
        ordering = ["community_id", "number"]
        verbose_name = _("房屋")
        verbose_name_plural = _("房屋")
        constraints = [
            models.UniqueConstraint(
                fields=["community", "number"], name="building_number_unique_in_community"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.address}"


class Room(models.Model):
    """A room or unit (户室) of a building."""

    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="rooms", verbose_name=_("房屋")
    )
    number = models.CharField(_("户室号"), max_length=20)
    floor = models.SmallIntegerField(_("楼层"), null=True, blank=True)

    class Meta:
        ordering = ["building_id", "number"]
        verbose_name = _("户室")
        verbose_name_plural = _("户室")
        constraints = [
            models.UniqueConstraint(fields=["building", "number"], name="room_unique_in_building"),
        ]

    def __str__(self) -> str:
        return f"{self.building.number}-{self.number}"


class HouseholdKind(models.TextChoices):
    FAMILY = "family", _("家庭户")
    COLLECTIVE = "collective", _("集体户")


class KeyHouseholdKind(models.TextChoices):
    # seed 003: the six kinds of key households (六类户), visited at least monthly.
    LOW_INCOME = "low_income", _("低保五保户")
    ILL_DISABLED = "ill_disabled", _("重病重残户")
    POVERTY_RISK = "poverty_risk", _("易返贫致贫户")
    EMPTY_NEST = "empty_nest", _("空巢老人户")
    LEFT_BEHIND = "left_behind", _("留守儿童户")
    MILITARY = "military", _("烈属军属户")


class HouseholdQuerySet(GridScopedQuerySet):
    def key(self) -> HouseholdQuerySet:
        """Households with a key-household tag in force today."""
        return self.filter(tags__until__isnull=True).distinct()  # type: ignore[return-value]


class Household(models.Model):
    """A household (户) of a unit grid with its contact worker (seed 003 联系户: 20–30 per worker)."""

    grid = models.ForeignKey(
        Grid,
        on_delete=models.PROTECT,
        related_name="registry_households",
        verbose_name=_("所属网格"),
    )
    number = models.CharField(_("户编号"), max_length=32, unique=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    building = models.ForeignKey(
        Building,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="households",
        verbose_name=_("房屋"),
    )
    room = models.ForeignKey(
        Room,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="households",
        verbose_name=_("户室"),
    )
    kind = models.CharField(
        _("户别"), max_length=16, choices=HouseholdKind.choices, default=HouseholdKind.FAMILY
    )
    head = models.ForeignKey(
        "Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_households",
        verbose_name=_("户主"),
    )
    contact_worker = models.ForeignKey(
        Staff,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contact_households",
        verbose_name=_("联系网格员"),
    )
    closed_on = models.DateField(_("注销日期"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        ordering = ["grid_id", "number"]
        verbose_name = _("户")
        verbose_name_plural = _("户")
        indexes = [models.Index(fields=["grid", "closed_on"], name="household_grid_open")]

    def __str__(self) -> str:
        return self.number


class HouseholdTag(models.Model):
    """A key-household kind (重点户, seed 003 六类户) in force from `since` until `until`."""

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="tags", verbose_name=_("户")
    )
    kind = models.CharField(_("重点户类型"), max_length=16, choices=KeyHouseholdKind.choices)
    since = models.DateField(_("起始日期"))
    until = models.DateField(_("终止日期"), null=True, blank=True)

    class Meta:
        ordering = ["household_id", "kind", "since"]
        verbose_name = _("重点户标记")
        verbose_name_plural = _("重点户标记")
        constraints = [
            models.UniqueConstraint(
                fields=["household", "kind"],
                condition=Q(until__isnull=True),
                name="household_tag_one_open_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} · {self.get_kind_display()}"


class PopulationType(models.TextChoices):
    REGISTERED = "registered", _("户籍人口")
    FLOATING = "floating", _("流动人口")
    FOREIGN = "foreign", _("境外人员")


class CloseReason(models.TextChoices):
    MOVED_OUT = "moved_out", _("迁出")
    DIED = "died", _("死亡")
    OTHER = "other", _("其他")


class PersonQuerySet(GridScopedQuerySet):
    def current(self) -> PersonQuerySet:
        """Closed records (moved out, died) leave the lists but stay in history."""
        return self.filter(closed_on__isnull=True)  # type: ignore[return-value]

    def by_id_number(self, value: str) -> PersonQuerySet:
        return self.filter(id_number_index=Person.id_index_for(value))  # type: ignore[return-value]

    def by_phone(self, value: str) -> PersonQuerySet:
        return self.filter(phone_index=Person.phone_index_for(value))  # type: ignore[return-value]


class Person(models.Model):
    """An actual resident (实有人口) with the common block of GB/T 31000 practice (STANDARDS.md)."""

    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, related_name="registry_persons", verbose_name=_("所属网格")
    )
    household = models.ForeignKey(
        Household,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        verbose_name=_("户"),
    )
    relation_to_head = models.CharField(_("与户主关系"), max_length=4, blank=True)
    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    former_name = models.CharField(_("曾用名"), max_length=50, blank=True)
    id_number = EncryptedTextField(_("公民身份号码"), blank=True)
    id_number_index = BlindIndexField(
        source="id_number", normalise=normalise_id_number, unique=True
    )
    gender = models.CharField(_("性别"), max_length=1, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    ethnicity = models.CharField(_("民族"), max_length=4, blank=True)
    native_place = models.CharField(_("籍贯"), max_length=100, blank=True)
    marital_status = models.CharField(_("婚姻状况"), max_length=4, blank=True)
    political_status = models.CharField(_("政治面貌"), max_length=4, blank=True)
    education = models.CharField(_("学历"), max_length=4, blank=True)
    religion = models.CharField(_("宗教信仰"), max_length=4, blank=True)
    occupation_class = models.CharField(_("职业类别"), max_length=40, blank=True)
    occupation = models.CharField(_("职业"), max_length=60, blank=True)
    workplace = models.CharField(_("服务处所"), max_length=100, blank=True)
    phone = EncryptedTextField(_("联系方式"), blank=True)
    phone_index = BlindIndexField(source="phone", normalise=normalise_phone_lenient, db_index=True)
    registered_place = models.CharField(_("户籍地"), max_length=100, blank=True)
    registered_address = models.CharField(_("户籍门(楼)详址"), max_length=200, blank=True)
    residence_place = models.CharField(_("现住地"), max_length=100, blank=True)
    residence_address = models.CharField(_("现住门(楼)详址"), max_length=200, blank=True)
    population_type = models.CharField(
        _("人口类型"),
        max_length=16,
        choices=PopulationType.choices,
        default=PopulationType.REGISTERED,
    )
    # 流动人口 (floating population)
    inflow_reason = models.CharField(_("流入原因"), max_length=60, blank=True)
    inflow_on = models.DateField(_("流入日期"), null=True, blank=True)
    residence_permit = models.CharField(_("居住证号"), max_length=40, blank=True)
    # 境外人员 (foreigners): GB/T 2659 nationality, passport encrypted like the ID number.
    nationality = models.CharField(_("国籍"), max_length=3, blank=True)
    foreign_name = models.CharField(_("外文姓名"), max_length=100, blank=True)
    passport_number = EncryptedTextField(_("证件号码"), blank=True)
    entered_on = models.DateField(_("入境日期"), null=True, blank=True)
    stay_until = models.DateField(_("预计离开日期"), null=True, blank=True)
    closed_on = models.DateField(_("注销日期"), null=True, blank=True)
    closed_reason = models.CharField(
        _("注销原因"), max_length=16, choices=CloseReason.choices, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["grid_id", "household_id", "pk"]
        verbose_name = _("实有人口")
        verbose_name_plural = _("实有人口")
        indexes = [models.Index(fields=["grid", "closed_on"], name="person_grid_open")]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def id_index_for(value: str) -> str | None:
        field = Person._meta.get_field("id_number_index")
        return field.index_for(value)  # type: ignore[union-attr]

    @staticmethod
    def phone_index_for(value: str) -> str | None:
        field = Person._meta.get_field("phone_index")
        return field.index_for(value)  # type: ignore[union-attr]

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class OrganisationKind(models.TextChoices):
    BUSINESS = "business", _("生产经营单位")
    SOCIAL = "social", _("社会组织")
    PARTY = "party", _("党组织")


class RiskGrade(models.TextChoices):
    # The four-colour grading of work-safety risk (重大/较大/一般/低 → 红/橙/黄/蓝).
    MAJOR = "red", _("重大风险(红)")
    HIGH = "orange", _("较大风险(橙)")
    MODERATE = "yellow", _("一般风险(黄)")
    LOW = "blue", _("低风险(蓝)")


class PartyLevel(models.TextChoices):
    # seed 001 "将党小组建立在网格上"; seed 003 party grids.
    GENERAL_BRANCH = "general_branch", _("党总支")
    BRANCH = "branch", _("党支部")
    GRID_GROUP = "grid_group", _("网格党小组")


class Organisation(models.Model):
    """An organisation or unit (组织/单位) of a grid: business (生产经营单位), social organisation or
    party organisation (seed 001 party groups on grids)."""

    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, related_name="organisations", verbose_name=_("所属网格")
    )
    kind = models.CharField(_("类别"), max_length=16, choices=OrganisationKind.choices)
    name = models.CharField(_("名称"), max_length=120)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, null=True, blank=True, unique=True
    )
    org_type = models.CharField(_("单位类型"), max_length=40, blank=True)
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    employees = models.PositiveIntegerField(_("从业人数"), null=True, blank=True)
    industry = models.CharField(_("行业"), max_length=60, blank=True)
    risk_grade = models.CharField(
        _("安全风险等级"), max_length=8, choices=RiskGrade.choices, blank=True
    )
    key_supervision = models.BooleanField(_("重点监管"), default=False)
    party_level = models.CharField(
        _("党组织层级"), max_length=16, choices=PartyLevel.choices, blank=True
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("上级组织"),
    )
    secretary = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("书记/组长"),
    )
    closed_on = models.DateField(_("注销日期"), null=True, blank=True)

    objects = GridScopedQuerySet.as_manager()

    class Meta:
        ordering = ["grid_id", "kind", "name"]
        verbose_name = _("组织/单位")
        verbose_name_plural = _("组织/单位")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="party") | ~Q(party_level=""), name="party_org_has_level"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CheckInKind(models.TextChoices):
    RESIDENCE = "residence", _("居住地报到")
    WORKPLACE = "workplace", _("工作地报到")


class PartyMembership(models.Model):
    """A party member in a grid party organisation, including 双报到 check-ins of members living or
    working in the area (seed 001); a member may be made a part-time grid worker (`staff`)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("党组织")
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="party_memberships", verbose_name=_("党员")
    )
    check_in = models.CharField(_("双报到"), max_length=16, choices=CheckInKind.choices, blank=True)
    checked_in_on = models.DateField(_("报到日期"), null=True, blank=True)
    home_organisation = models.CharField(_("所在党组织"), max_length=120, blank=True)
    staff = models.ForeignKey(
        Staff,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="party_memberships",
        verbose_name=_("兼职网格员"),
    )
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)

    class Meta:
        ordering = ["organisation_id", "pk"]
        verbose_name = _("党员报到")
        verbose_name_plural = _("党员报到")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "person"],
                condition=Q(ended_on__isnull=True),
                name="party_membership_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.organisation}"


class Facility(models.Model):
    """A public facility (部件: 井盖, 路灯, 消防栓, 垃圾桶, 标牌 …) with its class code (CJ/T 214), its
    owner and its maintainer: cases on it go to the owner first (先属主后属地, STANDARDS.md)."""

    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, related_name="facilities", verbose_name=_("所属网格")
    )
    code = models.CharField(_("部件标识码"), max_length=32, unique=True)
    class_code = models.CharField(_("部件类别代码"), max_length=6)
    name = models.CharField(_("名称"), max_length=60)
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    owner = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_facilities",
        verbose_name=_("主管部门"),
    )
    owner_name = models.CharField(_("权属单位"), max_length=100, blank=True)
    maintainer = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="maintained_facilities",
        verbose_name=_("养护单位"),
    )
    closed_on = models.DateField(_("注销日期"), null=True, blank=True)

    objects = GridScopedQuerySet.as_manager()

    class Meta:
        ordering = ["grid_id", "code"]
        verbose_name = _("部件")
        verbose_name_plural = _("部件")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class OnSiteEntry(models.Model):
    """One person or household a grid worker added on site from the phone (现场采集), kept by
    the key the phone gave it, so a resend after a lost answer never adds them twice."""

    key = models.CharField(_("提交标识"), max_length=100, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("采集人"),
    )
    at = models.DateTimeField(_("采集时间"), auto_now_add=True)
    household = models.ForeignKey(
        Household, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("户")
    )
    person = models.ForeignKey(
        Person, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("人员")
    )
    created_household = models.BooleanField(_("新建户"), default=False)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("现场采集")
        verbose_name_plural = _("现场采集")

    def __str__(self) -> str:
        return self.key


class SpecialGroupQuerySet(models.QuerySet):  # type: ignore[type-arg]
    def visible_to(self, user: AnyUser) -> SpecialGroupQuerySet:
        """Only the special-groups officer (综治专干) within scope, and the platform admin: grid
        workers see the name and visit duty through `services.visit_duties`, never these rows."""
        if scope_of(user).is_admin:
            return self
        return self.filter(scope_q(user, grid_field="person__grid", roles=(Role.SPECIAL,)))


class SpecialGroupRecord(models.Model):
    """Common part of the special-group detail tables (特殊人群, GB/T 31000 practice)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    registered_on = models.DateField(_("列管日期"))
    ended_on = models.DateField(_("撤管日期"), null=True, blank=True)
    helpers = models.CharField(_("帮教/管理人员"), max_length=200, blank=True)
    notes = models.TextField(_("备注"), blank=True)

    objects = SpecialGroupQuerySet.as_manager()

    class Meta:
        abstract = True


class ReleasedPrisoner(SpecialGroupRecord):
    """刑满释放人员 (STANDARDS.md special groups)."""

    is_recidivist = models.BooleanField(_("是否累犯"), default=False)
    original_charge = models.CharField(_("原罪名"), max_length=100, blank=True)
    original_sentence = models.CharField(_("原判刑期"), max_length=40, blank=True)
    prison = models.CharField(_("服刑场所"), max_length=100, blank=True)
    released_on = models.DateField(_("释放日期"), null=True, blank=True)
    risk_assessment = models.CharField(_("危险性评估类型"), max_length=40, blank=True)
    handed_over_on = models.DateField(_("衔接日期"), null=True, blank=True)
    handover = models.CharField(_("衔接情况"), max_length=100, blank=True)
    settled_on = models.DateField(_("安置日期"), null=True, blank=True)
    settlement = models.CharField(_("安置情况"), max_length=100, blank=True)
    not_settled_reason = models.CharField(_("未安置原因"), max_length=100, blank=True)
    assistance = models.CharField(_("帮教情况"), max_length=200, blank=True)
    reoffended = models.BooleanField(_("是否重新犯罪"), default=False)
    reoffence_charge = models.CharField(_("重新犯罪罪名"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("刑满释放人员")
        verbose_name_plural = _("刑满释放人员")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class CorrectionKind(models.TextChoices):
    CONTROL = "control", _("管制")
    PROBATION = "probation", _("缓刑")
    PAROLE = "parole", _("假释")
    OUTSIDE = "outside", _("暂予监外执行")


class CommunityCorrection(SpecialGroupRecord):
    """社区矫正人员 (STANDARDS.md special groups)."""

    correction_number = models.CharField(_("矫正编号"), max_length=40, blank=True)
    correction_kind = models.CharField(_("矫正类别"), max_length=16, choices=CorrectionKind.choices)
    case_category = models.CharField(_("案件类别"), max_length=60, blank=True)
    charge = models.CharField(_("具体罪名"), max_length=100, blank=True)
    original_sentence = models.CharField(_("原判刑期"), max_length=40, blank=True)
    sentence_from = models.DateField(_("原判刑开始日期"), null=True, blank=True)
    sentence_to = models.DateField(_("原判刑结束日期"), null=True, blank=True)
    correction_from = models.DateField(_("矫正开始日期"), null=True, blank=True)
    correction_to = models.DateField(_("矫正结束日期"), null=True, blank=True)
    reception = models.CharField(_("接收方式"), max_length=40, blank=True)
    four_histories = models.CharField(_("四史情况"), max_length=100, blank=True)
    three_involvements = models.CharField(_("三涉情况"), max_length=100, blank=True)
    correction_team = models.CharField(_("矫正小组"), max_length=200, blank=True)
    release_kind = models.CharField(_("解除(终止)类型"), max_length=40, blank=True)
    absconded = models.CharField(_("脱管情况"), max_length=100, blank=True)
    unsupervised = models.CharField(_("漏管情况"), max_length=100, blank=True)
    rewards_penalties = models.CharField(_("奖惩情况"), max_length=200, blank=True)
    reoffended = models.BooleanField(_("是否重新犯罪"), default=False)

    class Meta:
        verbose_name = _("社区矫正人员")
        verbose_name_plural = _("社区矫正人员")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class MentalHealthPatient(SpecialGroupRecord):
    """严重精神障碍患者 (STANDARDS.md special groups); the guardian's ID and phone are encrypted."""

    family_finances = models.CharField(_("家庭经济状况"), max_length=40, blank=True)
    on_minimum_living = models.BooleanField(_("是否纳入低保"), default=False)
    guardian_id_number = EncryptedTextField(_("监护人公民身份号码"), blank=True)
    guardian_name = models.CharField(_("监护人姓名"), max_length=50, blank=True)
    guardian_phone = EncryptedTextField(_("监护人联系方式"), blank=True)
    first_onset_on = models.DateField(_("初次发病日期"), null=True, blank=True)
    diagnosis = models.CharField(_("目前诊断类型"), max_length=60, blank=True)
    incidents = models.PositiveSmallIntegerField(_("肇事肇祸次数"), default=0)
    last_incident_on = models.DateField(_("上次肇事肇祸日期"), null=True, blank=True)
    risk_level = models.PositiveSmallIntegerField(
        _("目前危险性评估等级"), choices=[(i, f"{i}级") for i in range(6)], default=0
    )
    treatment = models.CharField(_("治疗情况"), max_length=60, blank=True)
    hospital = models.CharField(_("治疗医院"), max_length=100, blank=True)
    admission_reason = models.CharField(_("住院治疗原因"), max_length=100, blank=True)
    rehabilitation = models.CharField(_("康复机构"), max_length=100, blank=True)
    assistance = models.CharField(_("帮扶情况"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("严重精神障碍患者")
        verbose_name_plural = _("严重精神障碍患者")
        constraints = [
            models.CheckConstraint(condition=Q(risk_level__lte=5), name="mental_risk_0_5"),
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class DrugUser(SpecialGroupRecord):
    """吸毒人员 (STANDARDS.md special groups); visits with scored answers are `DrugUserVisit`."""

    first_found_on = models.DateField(_("首次发现日期"), null=True, blank=True)
    control = models.CharField(_("管控情况"), max_length=60, blank=True)
    drug_kind = models.CharField(_("滥用毒品种类"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("吸毒人员")
        verbose_name_plural = _("吸毒人员")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class DrugUserVisit(models.Model):
    """A visit to a registered drug user with its scored answers (STANDARDS.md)."""

    record = models.ForeignKey(DrugUser, on_delete=models.CASCADE, related_name="visits")
    visited_on = models.DateField(_("走访日期"))
    answers = models.JSONField(_("问答及得分"), default=dict)
    score = models.SmallIntegerField(_("得分"), default=0)

    class Meta:
        ordering = ["record_id", "visited_on"]
        verbose_name = _("吸毒人员走访")
        verbose_name_plural = _("吸毒人员走访")

    def __str__(self) -> str:
        return f"{self.record_id} {self.visited_on}"


class YouthKind(models.TextChoices):
    IDLE = "idle", _("闲散青少年")
    BAD_BEHAVIOUR = "bad_behaviour", _("有不良行为青少年")
    VAGRANT = "vagrant", _("流浪乞讨青少年")
    PRISONERS_CHILD = "prisoners_child", _("服刑在教人员未成年子女")
    LEFT_BEHIND = "left_behind", _("农村留守儿童")
    OTHER = "other", _("其他")


class AttentionLevel(models.TextChoices):
    NORMAL = "normal", _("一般")
    MEDIUM = "medium", _("中等")
    SERIOUS = "serious", _("严重")


class KeyYouth(SpecialGroupRecord):
    """重点青少年 (STANDARDS.md special groups)."""

    youth_kind = models.CharField(_("人员类型"), max_length=16, choices=YouthKind.choices)
    attention = models.CharField(_("关注程度"), max_length=8, choices=AttentionLevel.choices)
    guardian_name = models.CharField(_("监护人姓名"), max_length=50, blank=True)
    guardian_phone = EncryptedTextField(_("监护人联系方式"), blank=True)
    assistance = models.CharField(_("帮扶情况"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("重点青少年")
        verbose_name_plural = _("重点青少年")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


SPECIAL_GROUP_MODELS: tuple[type[SpecialGroupRecord], ...] = (
    ReleasedPrisoner,
    CommunityCorrection,
    MentalHealthPatient,
    DrugUser,
    KeyYouth,
)


class AccessAction(models.TextChoices):
    REVEAL = "reveal", _("查看明文")
    EXPORT = "export", _("明文导出")
    SPECIAL_READ = "special_read", _("查阅特殊人群")


class AccessLogQuerySet(models.QuerySet):  # type: ignore[type-arg]
    def visible_to(self, user: AnyUser) -> AccessLogQuerySet:
        """The platform admin reads the whole log; the discipline office (纪检监察) only the
        reads of data in its territory (the grid of the row read or exported)."""
        scope = scope_of(user)
        if scope.is_admin:
            return self
        if not scope.has_role(Role.DISCIPLINE):
            return self.none()
        return self.filter(scope_q(user, roles=(Role.DISCIPLINE,)))


class AccessLog(models.Model):
    """Who read which personal value, when and why (PIPL; seed 003 保守个人隐私): every reveal,
    every export with clear values, every read of a special-group record."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("用户"),
    )
    username = models.CharField(_("用户名"), max_length=150)
    at = models.DateTimeField(_("时间"), db_index=True)
    action = models.CharField(_("操作"), max_length=16, choices=AccessAction.choices)
    target = models.CharField(_("对象"), max_length=60)
    object_id = models.CharField(_("对象编号"), max_length=40, blank=True)
    field = models.CharField(_("字段"), max_length=40, blank=True)
    rows = models.PositiveIntegerField(_("条数"), default=1)
    reason = models.CharField(_("事由"), max_length=200)
    # The grid of the data read (the territory whose discipline office reads this row).
    grid = models.ForeignKey(
        Grid,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("所属网格"),
    )

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("个人信息访问记录")
        verbose_name_plural = _("个人信息访问记录")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.get_action_display()}"


class UploadState(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    REJECTED = "rejected", _("有错误,未写入")
    FAILED = "failed", _("失败")


FINISHED_STATES = frozenset({UploadState.DONE, UploadState.REJECTED, UploadState.FAILED})


class LedgerUploadQuerySet(models.QuerySet):  # type: ignore[type-arg]
    def visible_to(self, user: AnyUser) -> LedgerUploadQuerySet:
        """An operator sees their own uploads; the platform admin all of them."""
        if scope_of(user).is_admin:
            return self
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(uploaded_by_id=user.pk)


class LedgerUpload(models.Model):
    """A ledger file uploaded on the web, imported by the background task queue while the page
    shows its progress. The file is kept encrypted (it holds ID numbers and phones) and dropped
    when the import ends; the report keeps only row numbers, columns and messages.

    At most one upload imports at a time (the partial unique index on the running state), so an
    earlier upload's import cannot interleave with a later one's."""

    kind = models.CharField(_("台账类型"), max_length=16)
    file_name = models.CharField(_("文件名"), max_length=200)
    content = models.BinaryField(_("文件(加密)"), editable=False)
    dry_run = models.BooleanField(_("试运行"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("上传人"),
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=UploadState.choices, default=UploadState.QUEUED
    )
    stage = models.CharField(_("步骤"), max_length=16, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    created = models.PositiveIntegerField(_("新建"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    # [[row, column, message], …]: the row-numbered report of a rejected file.
    errors = models.JSONField(_("错误"), default=list, blank=True)
    message = models.CharField(_("说明"), max_length=300, blank=True)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    objects = LedgerUploadQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        verbose_name = _("台账上传")
        verbose_name_plural = _("台账上传")
        constraints = [
            models.UniqueConstraint(
                fields=["state"],
                condition=Q(state="running"),
                name="ledger_upload_one_running",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name}"

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES

    @property
    def percent(self) -> int:
        """Checking is the first 80 %; writing the rest (one transaction, no finer steps)."""
        if self.finished:
            return 100
        if self.stage == "writing":
            return 90
        if self.stage == "checking" and self.total:
            return 5 + int(75 * self.done / self.total)
        return 0 if self.state == UploadState.QUEUED else 2
