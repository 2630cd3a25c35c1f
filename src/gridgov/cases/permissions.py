"""Who may act on a case (`rules` predicates). They apply only to cases the user can already see
(`Case.objects.visible_to`): outside the scope is a 404 before any rule is asked. A rule that
fails is a 403; a state that does not allow the action is a 409 (services.py).

Roles come from `people.Jurisdiction` (core.jurisdiction.Role):
- operator (网格办): acts on the cases held by their own platform level (逐级受理), urges and
  supervises the cases held by their level or a level below it (never upwards), verifies
  within their subtree;
- grid worker (网格员): reports, verifies the cases of their grids and the ones they reported;
- department handler (部门处置人员): signs for, returns, feeds back and asks for more time on
  the assignments of their department;
- leader (领导): reads the subtree only;
- admin: everything.

Who may file a case through which channel is a table (CHANNEL_ROLES), not a chain of ifs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import rules
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet
from django.db.models.lookups import StartsWith
from django.utils.translation import gettext as _
from rules.predicates import Predicate

from gridgov.cases.models import (
    LIVE_TASK_STATES,
    STANDING_TASK_STATES,
    CaseState,
    Channel,
    ExtensionState,
    Satisfaction,
    TaskRole,
    TaskState,
)
from gridgov.core.jurisdiction import NOTHING, Role, scope_of
from gridgov.grids.models import path_with_ancestors

if TYPE_CHECKING:
    from gridgov.cases.models import Case, CaseTask, ExtensionRequest
    from gridgov.core.jurisdiction import AnyUser

# Seed 003: the acceptance centre handles an undispatched case itself, or dispatches it.
SELF_HANDLING_STATES = frozenset({CaseState.ACCEPTED, CaseState.REGISTERED, CaseState.RETURNED})

_PLATFORM_ATTR = "_gridgov_platform_regions"
_PLATFORM_PATHS_ATTR = "_gridgov_platform_region_paths"

# Who may file a case through each channel (issue 3 review). A resident reports through the
# public form or API only, so that the tracking code reaches the resident and nobody files in
# a resident's name; hotline transfers and off-site inspection are the grid office's; a
# department hands over its own findings. Administrators hold every role.
CHANNEL_ROLES: dict[str, frozenset[str]] = {
    Channel.PATROL: frozenset({Role.WORKER, Role.OFFICE}),
    Channel.PARTY_MEMBER: frozenset({Role.WORKER, Role.OFFICE}),
    Channel.HOTLINE: frozenset({Role.OFFICE}),
    Channel.OFFSITE: frozenset({Role.OFFICE}),
    Channel.DEPARTMENT: frozenset({Role.HANDLER, Role.OFFICE}),
    Channel.RESIDENT: frozenset(),
    # Outside apps only, through /open311/ with an API key (gridgov.open311).
    Channel.OPEN311: frozenset(),
}


def platform_region_ids(user: AnyUser) -> frozenset[int]:
    """Regions whose platform the user operates: the region of each operator grid scope and each
    operator region scope. Cached on the user object for the request."""
    cached = getattr(user, _PLATFORM_ATTR, None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    scope = scope_of(user)
    ids: set[int] = set()
    if user is not None and user.is_authenticated and scope.has_role(Role.OFFICE):
        from gridgov.people.models import Jurisdiction

        rows = Jurisdiction.objects.filter(user_id=user.pk, active=True, role=Role.OFFICE)
        for row in rows.select_related("grid"):
            if row.grid is not None:
                ids.add(row.grid.region_id)
            if row.region_id:
                ids.add(row.region_id)
    result = frozenset(ids)
    if user is not None:
        setattr(user, _PLATFORM_ATTR, result)
    return result


def platform_region_paths(user: AnyUser) -> frozenset[str]:
    """Paths of the regions whose platform the user operates (see platform_region_ids)."""
    cached = getattr(user, _PLATFORM_PATHS_ATTR, None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    from gridgov.grids.models import Region

    ids = platform_region_ids(user)
    result = frozenset(Region.objects.filter(pk__in=ids).values_list("path", flat=True))
    if user is not None:
        setattr(user, _PLATFORM_PATHS_ATTR, result)
    return result


def platform_chain_paths(user: AnyUser) -> frozenset[str]:
    """Paths of the user's platform regions and of every region above them: the levels whose
    cases the user's platforms stand under, so may verify on site (seed 003: 受理中心核查)."""
    return frozenset(
        prefix for path in platform_region_paths(user) for prefix in path_with_ancestors(path)
    )


def forget_platforms(user: AnyUser) -> None:
    for attr in (_PLATFORM_ATTR, _PLATFORM_PATHS_ATTR):
        if hasattr(user, attr):
            delattr(user, attr)


def may_report_through(user: AnyUser, channel: str) -> bool:
    """Whether the user's roles may file a case through `channel` (CHANNEL_ROLES)."""
    allowed = CHANNEL_ROLES.get(channel, frozenset())
    return bool(allowed) and scope_of(user).has_role(*allowed)


def require_channel(user: AnyUser, channel: str) -> None:
    """Raise PermissionDenied (HTTP 403) unless the user may report through `channel`."""
    if not may_report_through(user, channel):
        label = Channel(channel).label if channel in Channel.values else channel
        raise PermissionDenied(_("您的角色不能以“%(channel)s”渠道上报") % {"channel": label})


def _within(path: str, roots: frozenset[str]) -> bool:
    return any(path.startswith(root) for root in roots)


def _prefix_q(lookup: str, paths: Iterable[str]) -> Q:
    q = NOTHING
    for path in sorted(paths):
        q |= Q(**{f"{lookup}__startswith": path})
    return q


# Q() is dropped when OR-ed with another Q, so "every case" is spelt as a condition.
EVERYTHING = Q(pk__isnull=False)


@dataclass(frozen=True)
class Rule:
    """A "who may" rule and its queryset twin beside it (NetBox's `restrict(user, action)`):
    `test(user, case)` answers for one case, `q(user)` filters many the same way, so a list,
    a queue and a case page agree. Rules combine with `&` and `|` like `rules` predicates."""

    predicate: Predicate
    twin: Callable[[Any], Q]

    def test(self, user: Any, case: Case | None = None) -> bool:
        return bool(self.predicate.test(user, case))

    def q(self, user: Any) -> Q:
        return self.twin(user)

    def __and__(self, other: Rule) -> Rule:
        return Rule(self.predicate & other.predicate, lambda u: self.twin(u) & other.twin(u))

    def __or__(self, other: Rule) -> Rule:
        return Rule(self.predicate | other.predicate, lambda u: self.twin(u) | other.twin(u))


def _if(flag: bool, q: Q | None = None) -> Q:
    return (EVERYTHING if q is None else q) if flag else NOTHING


@rules.predicate
def _is_admin(user: AnyUser) -> bool:
    return scope_of(user).is_admin


is_admin = Rule(_is_admin, lambda u: _if(scope_of(u).is_admin))


@rules.predicate
def _is_staff_member(user: AnyUser) -> bool:
    """Anyone with a working role (not only read-only leaders) may report."""
    return scope_of(user).has_role(Role.OFFICE, Role.WORKER, Role.HANDLER)


is_staff_member = Rule(
    _is_staff_member, lambda u: _if(scope_of(u).has_role(Role.OFFICE, Role.WORKER, Role.HANDLER))
)


@rules.predicate
def _is_operator(user: AnyUser) -> bool:
    return scope_of(user).has_role(Role.OFFICE)


is_operator = Rule(_is_operator, lambda u: _if(scope_of(u).has_role(Role.OFFICE)))


@rules.predicate
def _is_operator_at_level(user: AnyUser, case: Case) -> bool:
    """The case sits at this operator's platform (统一受理 at each level, seed 002)."""
    return case.level_region_id in platform_region_ids(user)


is_operator_at_level = Rule(
    _is_operator_at_level, lambda u: Q(level_region_id__in=sorted(platform_region_ids(u)))
)


@rules.predicate
def _is_operator_in_subtree(user: AnyUser, case: Case) -> bool:
    """An operator of this level or of any level above the case (跟踪督查, seed 002)."""
    scope = scope_of(user)
    if not scope.has_role(Role.OFFICE):
        return False
    return _within(case.grid.path, scope.all_grid_paths(Role.OFFICE)) or _within(
        case.grid.region.path, scope.all_region_paths(Role.OFFICE)
    )


def _operator_subtree_q(user: AnyUser) -> Q:
    scope = scope_of(user)
    if not scope.has_role(Role.OFFICE):
        return NOTHING
    return _prefix_q("grid__path", scope.all_grid_paths(Role.OFFICE)) | _prefix_q(
        "grid__region__path", scope.all_region_paths(Role.OFFICE)
    )


is_operator_in_subtree = Rule(_is_operator_in_subtree, _operator_subtree_q)


@rules.predicate
def _is_operator_at_or_above_level(user: AnyUser, case: Case) -> bool:
    """The case is held by this operator's platform or one below it: urging and supervision go
    down the levels, never up (跟踪督查, seed 002; a village does not supervise its town)."""
    return _within(case.level_region.path, platform_region_paths(user))


is_operator_at_or_above_level = Rule(
    _is_operator_at_or_above_level,
    lambda u: _prefix_q("level_region__path", platform_region_paths(u)),
)


@rules.predicate
def _is_operator_at_or_below_level(user: AnyUser, case: Case) -> bool:
    """One of this operator's platforms stands between the case's grid and the level holding
    it: the acceptance centre verifies the town's case in its village, the county does not
    verify a town's (it supervises)."""
    level, grid_region = case.level_region.path, case.grid.region.path
    return any(
        path.startswith(level) and grid_region.startswith(path)
        for path in platform_region_paths(user)
    )


def _at_or_below_q(user: AnyUser) -> Q:
    q = NOTHING
    for path in sorted(platform_region_paths(user)):
        q |= Q(
            level_region__path__in=path_with_ancestors(path), grid__region__path__startswith=path
        )
    return q


is_operator_at_or_below_level = Rule(_is_operator_at_or_below_level, _at_or_below_q)


@rules.predicate
def _is_case_worker(user: AnyUser, case: Case) -> bool:
    """A grid worker of the case's grid, or the worker who reported it."""
    scope = scope_of(user)
    if not scope.has_role(Role.WORKER):
        return False
    return case.reporter_id == user.pk or _within(case.grid.path, scope.all_grid_paths(Role.WORKER))


def _case_worker_q(user: AnyUser) -> Q:
    scope = scope_of(user)
    if not scope.has_role(Role.WORKER):
        return NOTHING
    return Q(reporter_id=user.pk) | _prefix_q("grid__path", scope.all_grid_paths(Role.WORKER))


is_case_worker = Rule(_is_case_worker, _case_worker_q)


@rules.predicate
def _is_task_handler(user: AnyUser, case: Case) -> bool:
    """A handler of a department with an assignment on the case."""
    departments = scope_of(user).all_department_ids(Role.HANDLER)
    if not departments:
        return False
    return any(task.department_id in departments for task in case.tasks.all())


def _task_handler_q(user: AnyUser) -> Q:
    departments = scope_of(user).all_department_ids(Role.HANDLER)
    if not departments:
        return NOTHING
    return Q(Exists(_slips().filter(department_id__in=sorted(departments))))


is_task_handler = Rule(_is_task_handler, _task_handler_q)

level_operator = is_admin | (is_operator & is_operator_at_level)
subtree_operator = is_admin | is_operator_in_subtree
upper_operator = is_admin | (is_operator_in_subtree & is_operator_at_or_above_level)


# ---------------------------------------------------------------------------------------------
# The user's own part in a case now: their department's slips (交办单) and the requests they
# filed. These conditions used to be branches of `allowed_actions` and copies inside the
# services; they are rules here, and both read them (issue 8).


def _acts_for_any_slip(user: AnyUser) -> bool:
    """An administrator holding no department acts for any slip."""
    scope = scope_of(user)
    return scope.is_admin and not scope.all_department_ids(Role.HANDLER)


def acting_tasks(user: AnyUser, case: Case, states: Iterable[str]) -> list[CaseTask]:
    """The slips in `states` the user acts for: their own departments' (a handler's); an
    administrator holding no department acts for any. The lead's slip comes first."""
    wanted = set(states)
    departments = scope_of(user).all_department_ids(Role.HANDLER)
    any_slip = _acts_for_any_slip(user)
    mine = [
        t
        for t in case.tasks.all()
        if t.state in wanted and (any_slip or t.department_id in departments)
    ]
    return sorted(mine, key=lambda t: t.role != TaskRole.LEAD)


def acting_tasks_q(user: AnyUser) -> Q:
    """The twin of `acting_tasks` on CaseTask rows (a handler's queue of slips)."""
    if _acts_for_any_slip(user):
        return EVERYTHING
    return Q(department_id__in=sorted(scope_of(user).all_department_ids(Role.HANDLER)))


def _slips() -> QuerySet[CaseTask]:
    from gridgov.cases.models import CaseTask

    return CaseTask.objects.filter(case_id=OuterRef("pk"))


def _acting_slip_q(user: AnyUser, states: Iterable[str], **extra: Any) -> Q:
    return Q(Exists(_slips().filter(acting_tasks_q(user), state__in=list(states), **extra)))


@rules.predicate
def _signs_for_a_slip(user: AnyUser, case: Case) -> bool:
    return any(
        t.role == TaskRole.CO or case.state == CaseState.DISPATCHED
        for t in acting_tasks(user, case, {TaskState.PENDING})
    )


# A pending slip of the user's: the lead's once the case is dispatched, a co-handler's any time
# (each co-handler signs for its own sub-task).
signs_for_a_slip = Rule(
    _signs_for_a_slip,
    lambda u: (
        _acting_slip_q(u, [TaskState.PENDING], role=TaskRole.CO)
        | (Q(state=CaseState.DISPATCHED) & _acting_slip_q(u, [TaskState.PENDING]))
    ),
)


@rules.predicate
def _in_self_handling_state(user: AnyUser, case: Case) -> bool:
    return case.state in SELF_HANDLING_STATES


# The level's platform handles an undispatched case itself (seed 003: the acceptance centre
# handles or dispatches).
handles_at_level = (
    Rule(_in_self_handling_state, lambda u: Q(state__in=sorted(SELF_HANDLING_STATES)))
    & level_operator
)


@rules.predicate
def _holds_a_live_slip(user: AnyUser, case: Case) -> bool:
    return bool(acting_tasks(user, case, LIVE_TASK_STATES))


holds_a_live_slip = Rule(_holds_a_live_slip, lambda u: _acting_slip_q(u, LIVE_TASK_STATES))


@rules.predicate
def _holds_an_accepted_slip(user: AnyUser, case: Case) -> bool:
    return bool(acting_tasks(user, case, {TaskState.ACCEPTED}))


holds_an_accepted_slip = Rule(
    _holds_an_accepted_slip, lambda u: _acting_slip_q(u, [TaskState.ACCEPTED])
)


@rules.predicate
def _handled_by_its_level(user: AnyUser, case: Case) -> bool:
    return case.state == CaseState.HANDLING and not any(t.is_active for t in case.tasks.all())


# The level gives the feedback of a case it handled itself, never of one a department holds
# (that department's slip carries it).
feeds_back_at_level = (
    Rule(
        _handled_by_its_level,
        lambda u: (
            Q(state=CaseState.HANDLING)
            & ~Q(Exists(_slips().filter(state__in=STANDING_TASK_STATES)))
        ),
    )
    & level_operator
)


@rules.predicate
def _may_ask_for_time(user: AnyUser, case: Case) -> bool:
    waiting = {e.task_id for e in case.extensions.all() if e.state == ExtensionState.PENDING}
    return any(t.pk not in waiting for t in acting_tasks(user, case, LIVE_TASK_STATES))


def _may_ask_for_time_q(user: AnyUser) -> Q:
    from gridgov.cases.models import ExtensionRequest

    waiting = ExtensionRequest.objects.filter(task_id=OuterRef("pk"), state=ExtensionState.PENDING)
    return Q(
        Exists(
            _slips()
            .filter(acting_tasks_q(user), state__in=LIVE_TASK_STATES)
            .filter(~Exists(waiting))
        )
    )


# A live slip of the user's without a request already waiting (one at a time).
may_ask_for_time = Rule(_may_ask_for_time, _may_ask_for_time_q)


def decides(user: AnyUser, extension: ExtensionRequest) -> bool:
    """The level that dispatched the slip (and set its deadline) decides on moving it."""
    return scope_of(user).is_admin or extension.task.dispatch_region_id in platform_region_ids(user)


def decides_q(user: AnyUser) -> Q:
    """The twin of `decides` on ExtensionRequest rows (the extensions queue)."""
    if scope_of(user).is_admin:
        return EVERYTHING
    return Q(task__dispatch_region_id__in=sorted(platform_region_ids(user)))


def decidable_extensions(user: AnyUser, case: Case) -> list[ExtensionRequest]:
    """Pending requests on the case that the user may decide."""
    return [
        e for e in case.extensions.all() if e.state == ExtensionState.PENDING and decides(user, e)
    ]


@rules.predicate
def _decides_an_extension(user: AnyUser, case: Case) -> bool:
    return bool(decidable_extensions(user, case))


def _decides_an_extension_q(user: AnyUser) -> Q:
    from gridgov.cases.models import ExtensionRequest

    pending = ExtensionRequest.objects.filter(
        decides_q(user), case_id=OuterRef("pk"), state=ExtensionState.PENDING
    )
    return Q(Exists(pending))


decides_an_extension = Rule(_decides_an_extension, _decides_an_extension_q)


def _outer_text(field: str) -> ExpressionWrapper:
    """A path of the outer case, typed so that it can be the left side of a lookup (the outer
    path starts with the inner row's path: the inner row is an ancestor-or-self)."""
    return ExpressionWrapper(OuterRef(field), output_field=CharField())


@rules.predicate
def _has_dispatch_targets(user: AnyUser, case: Case) -> bool:
    from gridgov.cases.catalogue import dispatch_targets

    return dispatch_targets(case).exists()


def _dispatch_targets_q(user: AnyUser) -> Q:
    from gridgov.people.models import Department

    # Active departments at or below the level's region that serve the case's area (the
    # department's region is an ancestor-or-self of the case's grid's region).
    targets = Department.objects.filter(
        StartsWith(_outer_text("grid__region__path"), F("region__path")),
        is_active=True,
        region__path__startswith=OuterRef("level_region__path"),
    )
    return Q(Exists(targets))


# A village acceptance centre with no department of its own handles or escalates.
has_dispatch_targets = Rule(_has_dispatch_targets, _dispatch_targets_q)


@rules.predicate
def _has_upper_platform(user: AnyUser, case: Case) -> bool:
    from gridgov.cases.location import platform_chain

    return len(platform_chain(case.level_region)) >= 2


def _upper_platform_q(user: AnyUser) -> Q:
    from gridgov.cases.models import REGION_LEVEL_TO_PLATFORM
    from gridgov.grids.models import Region

    above = Region.objects.filter(
        StartsWith(_outer_text("level_region__path"), F("path")),
        level__in=sorted(REGION_LEVEL_TO_PLATFORM),
    ).exclude(pk=OuterRef("level_region_id"))
    return Q(Exists(above))


# Seed 002: a case goes up one level; the top platform transfers to the hotline instead.
has_upper_platform = Rule(_has_upper_platform, _upper_platform_q)


@rules.predicate
def _was_dissatisfied(user: AnyUser, case: Case) -> bool:
    return case.satisfaction == Satisfaction.DISSATISFIED


# Only a dissatisfied callback reopens a case (seed 002).
was_dissatisfied = Rule(_was_dissatisfied, lambda u: Q(satisfaction=Satisfaction.DISSATISFIED))


# ---------------------------------------------------------------------------------------------
# The permissions. Each is a role part ("who may at all": failing it is a 403) and, for the
# verbs bound to the user's own slip or to a fact of the case, a part that holds "now" (the
# services answer 409 when only that part fails: the case moved on). `allowed_actions` asks
# the whole rule, `require` the role part, and `twin(perm, user)` filters a queryset alike.

ROLE_RULES: dict[str, Rule] = {}
RULES: dict[str, Rule] = {}


def register(perm: str, role: Rule, now: Rule | None = None) -> None:
    """Register the rule of a permission: its role part and the part that must hold now."""
    ROLE_RULES[perm] = role
    RULES[perm] = role if now is None else role & now
    rules.add_perm(perm, RULES[perm].predicate)  # type: ignore[no-untyped-call]


# The verbs' permissions are registered from their rows (cases/workflow.py: `Verb.who` and
# `Verb.now`, one loop); the two below are not verbs on a case.
register("cases.report_case", is_admin | is_staff_member)
# Resident contacts are personal data (seed 003: keep residents' information private).
register("cases.view_contact", is_case_worker | subtree_operator)


def twin(perm: str, user: Any) -> Q:
    """The queryset twin of a permission: the cases (of those the user can see) on which it
    holds for `user`, as one filter."""
    return RULES[perm].q(user)


def require(user: AnyUser, perm: str, case: Case | None = None) -> None:
    """Raise PermissionDenied (HTTP 403) unless the role part of the rule holds."""
    if not ROLE_RULES[perm].test(user, case):
        raise PermissionDenied(_("无权执行此操作"))
