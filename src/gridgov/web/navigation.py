"""What each role finds in the navigation bar, with the count of every work queue beside it.

A user's roles come from their Jurisdiction rows (core.jurisdiction); a user with several roles
gets the union, in the order below. Counts are computed once per request.

The entries are grouped into menus (`NAV_GROUPS`): an entry's group is the one `KEY_GROUPS`
names for its key (or the `group` given to `add`), else `DEFAULT_GROUP`, so a page added
elsewhere with `add(key, label, url)` still shows up, under 更多, until it is mapped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.core.jurisdiction import Role, scope_of

# The queues each role works from (cases.queues defines them); leaders only read.
ROLE_QUEUES: dict[str, tuple[str, ...]] = {
    Role.ADMIN: (
        "to_accept",
        "to_dispatch",
        "late_steps",
        "returned",
        "extensions",
        "overdue",
        "to_verify",
        "to_callback",
        "my_tasks",
    ),
    Role.OFFICE: (
        "to_accept",
        "to_dispatch",
        "late_steps",
        "returned",
        "extensions",
        "overdue",
        "to_verify",
        "to_callback",
    ),
    Role.LEADER: ("overdue",),
    Role.HANDLER: ("my_tasks", "overdue"),
    Role.WORKER: ("to_verify",),
}
# Queues whose waiting items are late by definition: their badge is red.
ALERT_QUEUES = frozenset({"overdue", "returned", "late_steps"})

ROLE_ORDER = (Role.ADMIN, Role.OFFICE, Role.LEADER, Role.HANDLER, Role.WORKER)


# The menus of the top bar, in order: (key, label). An office has about 25 entries; flat they
# wrapped into three rows, grouped they fit one.
NAV_GROUPS: tuple[tuple[str, Any], ...] = (
    ("workbench", gettext_lazy("工作台")),
    ("cases", gettext_lazy("事件办理")),
    ("fieldwork", gettext_lazy("基层工作")),
    ("safety", gettext_lazy("安全生产")),
    ("registry", gettext_lazy("基础信息")),
    ("oversight", gettext_lazy("监督考核")),
    ("reports", gettext_lazy("统计报表")),
    ("more", gettext_lazy("更多")),
    ("admin", gettext_lazy("管理后台")),
)
DEFAULT_GROUP = "more"
# Entry key -> menu. Keys starting "queue:" are the case queues (事件办理). Extend this mapping
# when adding an entry; keys of pages other branches are adding are listed ahead of them.
KEY_GROUPS: dict[str, str] = {
    "home": "workbench",
    "command": "workbench",
    "phone": "workbench",
    "report": "cases",
    "phone_tasks": "cases",
    "phone_verify": "cases",
    "fieldwork_monitoring": "fieldwork",
    "fieldwork_visits": "fieldwork",
    "phone_map": "fieldwork",
    "phone_patrol": "fieldwork",
    "phone_visits": "fieldwork",
    "fieldwork_compliance": "fieldwork",
    "fieldwork_diaries": "fieldwork",
    "fieldwork_surveys": "fieldwork",
    "fieldwork_attendance": "fieldwork",
    "fieldwork_leave": "fieldwork",
    "fieldwork_duty": "fieldwork",
    "campaigns": "safety",
    "hazards": "safety",
    "safety_plan": "safety",
    "phone_inspect": "safety",
    "registry": "registry",
    "registry_phone": "registry",
    "people": "registry",
    "boards": "registry",
    "registry_ledgers": "registry",
    "warnings": "oversight",
    "rankings": "oversight",
    "coordination": "oversight",
    "hotline": "oversight",
    "two_way": "oversight",
    "statistics": "reports",
    "ledgers": "reports",
    "summaries": "reports",
    "admin": "admin",
}


def group_of(key: str) -> str:
    if key.startswith("queue:"):
        return "cases"
    return KEY_GROUPS.get(key, DEFAULT_GROUP)


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url: str
    count: int | None = None
    alert: bool = False
    current: bool = False
    group: str = ""


@dataclass(frozen=True)
class NavGroup:
    """One menu of the top bar: its entries, the sum of their counts, red when any is."""

    key: str
    label: str
    items: tuple[NavItem, ...]

    @property
    def count(self) -> int | None:
        counts = [i.count for i in self.items if i.count is not None]
        return sum(counts) if counts else None

    @property
    def alert(self) -> bool:
        return any(i.alert for i in self.items)

    @property
    def current(self) -> bool:
        return any(i.current for i in self.items)


def roles_of(user: Any) -> list[str]:
    """The user's roles, most senior first."""
    scope = scope_of(user)
    if scope.is_admin:
        return [Role.ADMIN]
    return [role for role in ROLE_ORDER if role in scope.roles]


def primary_role(user: Any) -> str | None:
    roles = roles_of(user)
    return roles[0] if roles else None


def uses_phone_pages(user: Any) -> bool:
    """A grid worker and nothing more works from the phone pages (with their tab bar)."""
    return roles_of(user) == [Role.WORKER]


def queues_for(user: Any) -> list[str]:
    names: list[str] = []
    for role in roles_of(user):
        for name in ROLE_QUEUES[role]:
            if name not in names:
                names.append(name)
    return names


def queue_counts_for(request: HttpRequest) -> dict[str, int]:
    cached = getattr(request, "_gridgov_queue_counts", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    from gridgov.web.queries import queue_counts

    counts = queue_counts(request.user, queues_for(request.user))
    setattr(request, "_gridgov_queue_counts", counts)  # noqa: B010
    return counts


def nav_items(request: HttpRequest) -> list[NavItem]:
    user = request.user
    roles = roles_of(user)
    path = request.path
    items: list[NavItem] = []

    def add(key: str, label: str, url: str, *, group: str = "", **kw: Any) -> None:
        if any(i.key == key for i in items):
            return
        current = path == url or (url != "/" and path.startswith(url) and key != "home")
        group = group or group_of(key)
        items.append(NavItem(key=key, label=label, url=url, current=current, group=group, **kw))

    if Role.ADMIN in roles:
        add("home", _("管理首页"), reverse("home"))
    if Role.ADMIN in roles or Role.OFFICE in roles or Role.LEADER in roles:
        add("command", _("指挥中心"), reverse("command_centre"))
    if Role.WORKER in roles:
        add("phone", _("网格员首页"), reverse("phone_home"))
        add("report", _("上报事件"), reverse("phone_report"))
        add("phone_tasks", _("我的任务"), reverse("phone_tasks"))
    counts = queue_counts_for(request)
    from gridgov.web.queries import QUEUE_LABELS

    only_worker = roles == [Role.WORKER]
    for name in queues_for(user):
        if only_worker:
            break  # a grid worker's queues are the phone pages below
        add(
            f"queue:{name}",
            str(QUEUE_LABELS[name]),
            reverse("queue", args=[name]),
            count=counts.get(name, 0),
            alert=name in ALERT_QUEUES and counts.get(name, 0) > 0,
        )
    if Role.WORKER in roles:
        add("phone_verify", _("待核查"), reverse("phone_verify"), count=counts.get("to_verify"))
        add("phone_map", _("我的网格"), reverse("phone_map"))
        add("phone_patrol", _("巡查"), reverse("phone_patrol"))
        add("registry_phone", _("联系户"), reverse("registry_phone"))
        add("phone_visits", _("走访"), reverse("phone_visits"))
    if Role.ADMIN in roles or Role.OFFICE in roles or Role.LEADER in roles:
        add("fieldwork_monitoring", _("巡查监测"), reverse("fieldwork_monitoring"))
        add("fieldwork_visits", _("走访情况"), reverse("fieldwork_visits"))
        add("fieldwork_compliance", _("巡查达标"), reverse("fieldwork_compliance"))
        add("fieldwork_diaries", _("民情日志"), reverse("fieldwork_diaries"))
        add("fieldwork_surveys", _("民情调查"), reverse("fieldwork_surveys"))
        add("fieldwork_attendance", _("考勤台账"), reverse("fieldwork_attendance"))
        add("fieldwork_leave", _("请假"), reverse("fieldwork_leave"))
        add("fieldwork_duty", _("值班表"), reverse("fieldwork_duty"))
        add("registry", _("基础信息"), reverse("registry_home"))
    if Role.ADMIN in roles or Role.OFFICE in roles:
        add("people", _("人员与岗位"), reverse("people_list"))
        add("registry_ledgers", _("台账导入"), reverse("registry_ledgers"))
    if roles:
        add("boards", _("公示牌"), reverse("boards"))
    if Role.ADMIN in roles or Role.OFFICE in roles or Role.LEADER in roles:
        add("warnings", _("四色预警"), reverse("oversight:warnings"))
        add("rankings", _("考核排名"), reverse("oversight:rankings"))
        add("coordination", _("协同联动"), reverse("oversight:coordination"))
        add("hotline", _("热线倒查"), reverse("hotline:discovery"))
    if Role.WORKER in roles:
        add("phone_inspect", _("安全检查与专项排查"), reverse("phone_inspect"))
    if Role.ADMIN in roles or Role.OFFICE in roles or Role.LEADER in roles:
        add("hazards", _("安全隐患"), reverse("hazards"))
        add("safety_plan", _("检查计划"), reverse("safety_plan"))
        add("campaigns", _("专项排查"), reverse("campaigns"))
        add("summaries", _("工作总结"), reverse("reports:summary"))
        add("statistics", _("统计分析"), reverse("reports:statistics"))
        add("ledgers", _("台账"), reverse("reports:ledgers"))
    if Role.HANDLER in roles:
        add("two_way", _("双向考核"), reverse("oversight:two_way"))
    if getattr(user, "is_staff", False):
        add("admin", _("管理后台"), reverse("admin:index"))
    return items


def nav_groups(request: HttpRequest) -> list[NavGroup]:
    """The entries of `nav_items` by menu, in `NAV_GROUPS` order, empty menus left out."""
    items = nav_items(request)
    known = {key for key, _label in NAV_GROUPS}
    groups = []
    for key, label in NAV_GROUPS:
        # An entry given a group no menu declares goes to the default menu too.
        members = tuple(i for i in items if (i.group if i.group in known else DEFAULT_GROUP) == key)
        if members:
            groups.append(NavGroup(key=key, label=str(label), items=members))
    return groups
