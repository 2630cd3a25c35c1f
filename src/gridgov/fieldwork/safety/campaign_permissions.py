"""Who may act on a special campaign (专项排查) and on its answers: `rules` predicates, each
with its queryset twin (the `Rule` of cases/permissions.py). They apply only to campaigns the
user can see (`Campaign.objects.visible_to`): outside the scope is a 404 first.

- operator (网格办) whose territory holds the campaign's whole scope: publishes, closes,
  cancels and reopens it, and corrects any answer of a grid in their territory;
- grid worker (网格员) of a unit grid in the scope: answers for that grid, corrects the
  answers they gave;
- leader, handler: read only; admin: everything.

The rows of safety/campaign_workflow.py name these rules (`who`), and one loop there
registers them under the verbs' permissions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import rules
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from gridgov.cases.permissions import EVERYTHING, Rule
from gridgov.core.jurisdiction import NOTHING, Role, scope_of

if TYPE_CHECKING:
    from gridgov.core.jurisdiction import AnyUser
    from gridgov.fieldwork.safety.models import Campaign, CampaignAnswer


def _within(path: str, roots: frozenset[str]) -> bool:
    return any(path.startswith(root) for root in roots)


def _prefix_q(lookup: str, paths: frozenset[str]) -> Q:
    q = NOTHING
    for path in sorted(paths):
        q |= Q(**{f"{lookup}__startswith": path})
    return q


def _scope_rows(campaign: Campaign) -> list[tuple[str, str]]:
    """(grid path, region path) of each grid in the campaign's scope, once per campaign object."""
    cached = getattr(campaign, "_scope_rows", None)
    if cached is None:
        cached = list(campaign.grids.values_list("path", "region__path"))
        campaign._scope_rows = cached  # type: ignore[attr-defined]
    return cached


@rules.predicate
def _is_admin(user: AnyUser) -> bool:
    return scope_of(user).is_admin


is_admin = Rule(_is_admin, lambda u: EVERYTHING if scope_of(u).is_admin else NOTHING)


def _office_covers(user: AnyUser, grid_path: str, region_path: str | None) -> bool:
    scope = scope_of(user)
    return _within(grid_path, scope.all_grid_paths(Role.OFFICE)) or _within(
        region_path or "\0", scope.all_region_paths(Role.OFFICE)
    )


@rules.predicate
def _is_campaign_office(user: AnyUser, campaign: Campaign | None) -> bool:
    """An operator whose territory holds every grid of the campaign's scope (the office that
    started it, or one above it), not one that only shares a village with it."""
    if campaign is None:
        return False
    rows = _scope_rows(campaign)
    return bool(rows) and all(_office_covers(user, g, r) for g, r in rows)


def _campaign_office_q(user: Any) -> Q:
    from gridgov.fieldwork.safety.models import Campaign

    scope = scope_of(user)
    if not scope.has_role(Role.OFFICE):
        return NOTHING
    covered = _prefix_q("grid__path", scope.all_grid_paths(Role.OFFICE)) | _prefix_q(
        "grid__region__path", scope.all_region_paths(Role.OFFICE)
    )
    through = Campaign.grids.through.objects.filter(campaign_id=OuterRef("pk"))
    return Q(Exists(through)) & ~Q(Exists(through.exclude(covered)))


is_campaign_office = Rule(_is_campaign_office, _campaign_office_q)


@rules.predicate
def _is_campaign_worker(user: AnyUser, campaign: Campaign | None) -> bool:
    """A worker of a unit grid inside the campaign's scope."""
    if campaign is None:
        return False
    mine = scope_of(user).all_grid_paths(Role.WORKER)
    return any(
        mine_path.startswith(scope_path)
        for scope_path, _r in _scope_rows(campaign)
        for mine_path in mine
    )


def _campaign_worker_q(user: Any) -> Q:
    from gridgov.fieldwork.safety.models import Campaign

    mine = sorted(scope_of(user).all_grid_paths(Role.WORKER))
    if not mine:
        return NOTHING
    # A scope grid is an ancestor (or the same) of one of the worker's grids.
    from gridgov.fieldwork.safety.models import _prefixes

    ancestors = sorted({p for path in mine for p in _prefixes(path)})
    through = Campaign.grids.through.objects.filter(
        campaign_id=OuterRef("pk"), grid__path__in=ancestors
    )
    return Q(Exists(through))


is_campaign_worker = Rule(_is_campaign_worker, _campaign_worker_q)


# --- answers (the correction verb asks about one answer) ---------------------------------------


@rules.predicate
def _answered_it(user: AnyUser, answer: CampaignAnswer | None) -> bool:
    """The worker who gave the answer, while still a worker of its grid."""
    if answer is None or answer.answered_by_id != user.pk:
        return False
    return _within(answer.grid.path, scope_of(user).all_grid_paths(Role.WORKER))


def _answered_it_q(user: Any) -> Q:
    return Q(answered_by_id=user.pk) & _prefix_q(
        "grid__path", scope_of(user).all_grid_paths(Role.WORKER)
    )


answered_it = Rule(_answered_it, _answered_it_q)


@rules.predicate
def _office_of_answer(user: AnyUser, answer: CampaignAnswer | None) -> bool:
    """An operator of a level containing the answer's grid."""
    if answer is None:
        return False
    return _office_covers(user, answer.grid.path, answer.grid.region.path)


def _office_of_answer_q(user: Any) -> Q:
    scope = scope_of(user)
    return _prefix_q("grid__path", scope.all_grid_paths(Role.OFFICE)) | _prefix_q(
        "grid__region__path", scope.all_region_paths(Role.OFFICE)
    )


office_of_answer = Rule(_office_of_answer, _office_of_answer_q)

ROLE_RULES: dict[str, Rule] = {}
RULES: dict[str, Rule] = {}


def register(perm: str, role: Rule, now: Rule | None = None) -> None:
    """Register a verb's rule: its role part (403 when it fails) and the part that must hold
    now (409)."""
    ROLE_RULES[perm] = role
    RULES[perm] = role if now is None else role & now
    rules.set_perm(perm, RULES[perm].predicate)  # type: ignore[no-untyped-call]


def twin(perm: str, user: Any) -> Q:
    """The queryset twin of a permission (the campaigns, or answers, on which it holds)."""
    return RULES[perm].q(user)


def require(user: AnyUser, perm: str, obj: Any = None) -> None:
    """Raise PermissionDenied (HTTP 403) unless the role part of the rule holds."""
    if not ROLE_RULES[perm].test(user, obj):
        raise PermissionDenied(_("无权执行此操作"))


def may_create(user: AnyUser) -> bool:
    """Starting a campaign is the office's (or an administrator's)."""
    return scope_of(user).has_role(Role.OFFICE)
