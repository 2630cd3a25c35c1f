"""Special campaigns (专项排查): creation, answers per unit grid (a problem becomes a case through
the cases intake, or a hazard) and progress."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError, ReferenceNotFoundError
from gridgov.core.jurisdiction import Role, scope_of
from gridgov.fieldwork.safety.models import (
    Campaign,
    CampaignAnswer,
    CampaignOutcome,
    Checklist,
    ChecklistItem,
    ChecklistPurpose,
    Hazard,
    HazardSource,
)
from gridgov.fieldwork.safety.services.hazards import _text, report_hazard
from gridgov.grids.models import Grid

# --- campaigns ---------------------------------------------------------------------------------


def _require_office(by: Any) -> None:
    if not scope_of(by).has_role(Role.OFFICE):
        raise PermissionDenied(_("只有网格办可以发起专项排查"))


@transaction.atomic
def create_campaign(
    *, by: Any, title: str, items: Iterable[str], grids: Iterable[Grid], deadline: dt.date
) -> Campaign:
    """The office starts a campaign (专项排查) over grids it oversees, with its checklist."""
    _require_office(by)
    texts = [t.strip() for t in items if t and t.strip()]
    if not texts:
        raise DomainError(_("请至少填写一个排查项"), field="items")
    if len(texts) > 50 or any(len(t) > 200 for t in texts):
        raise DomainError(_("排查项最多 50 项,每项最多 200 字"), field="items")
    chosen = list(grids)
    if not chosen:
        raise DomainError(_("请选择排查范围"), field="grids")
    visible = set(
        Grid.objects.visible_to(by)
        .filter(pk__in=[g.pk for g in chosen])
        .values_list("pk", flat=True)
    )
    if any(g.pk not in visible for g in chosen):
        raise ReferenceNotFoundError(_("网格不存在"), field="grids")
    if deadline < timezone.localdate():
        raise DomainError(_("截止日期早于今天"), field="deadline")
    title = _text(title, "title", limit=100)
    checklist = Checklist.objects.create(name=title, purpose=ChecklistPurpose.CAMPAIGN)
    ChecklistItem.objects.bulk_create(
        ChecklistItem(checklist=checklist, order=n, text=t) for n, t in enumerate(texts, 1)
    )
    campaign = Campaign.objects.create(
        title=title, checklist=checklist, deadline=deadline, created_by=by
    )
    campaign.grids.set(chosen)
    return campaign


def campaign_units(campaign: Campaign) -> Any:
    """The unit grids (leaves) within the campaign's scope."""
    q = Q(pk__in=[])
    for path in campaign.grids.values_list("path", flat=True):
        q |= Q(path__startswith=path)
    return Grid.objects.filter(q, children__isnull=True, is_active=True).select_related(
        "parent__parent"
    )


@dataclass(frozen=True)
class AnswerIn:
    item_id: int
    outcome: str
    note: str = ""


@dataclass(frozen=True)
class AnswerResult:
    saved: int
    cases: list[Any]
    hazards: list[Hazard]


@transaction.atomic
def answer_campaign(
    *,
    by: Any,
    campaign: Campaign,
    grid: Grid,
    answers: Sequence[AnswerIn],
    idempotency_key: str = "",
) -> AnswerResult:
    """A unit grid's worker answers campaign items. An item already answered keeps its first
    answer (a resend saves nothing twice); a problem becomes a case through the cases intake,
    or a hazard. Every item must be answered by the deadline, not in one go."""
    from gridgov.cases.models import Channel
    from gridgov.cases.services.intake import report_case

    if not campaign_units(campaign).filter(pk=grid.pk).exists():
        raise ReferenceNotFoundError(_("该网格不在排查范围内"), field="grid")
    scope = scope_of(by)
    if not (
        scope.is_admin or any(grid.path.startswith(p) for p in scope.all_grid_paths(Role.WORKER))
    ):
        raise PermissionDenied(_("只有本网格的网格员可以填报"))
    items = {i.pk: i for i in campaign.checklist.items.all()}
    done = set(
        CampaignAnswer.objects.filter(campaign=campaign, grid=grid).values_list(
            "item_id", flat=True
        )
    )
    if not answers:
        raise DomainError(_("请至少填写一项"), field="answers")
    cases: list[Any] = []
    hazards: list[Hazard] = []
    saved = 0
    for a in answers:
        item = items.get(a.item_id)
        if item is None:
            raise DomainError(_("排查项不存在"), field=f"outcome_{a.item_id}")
        if a.outcome not in CampaignOutcome.values:
            raise DomainError(_("请选择排查结果"), field=f"outcome_{a.item_id}")
        note = _text(
            a.note, f"note_{a.item_id}", required=a.outcome != CampaignOutcome.DONE, limit=500
        )
        if item.pk in done:
            continue
        case = hazard = None
        description = f"【{campaign.title}】{item.text}:{note}" if note else item.text
        if a.outcome == CampaignOutcome.CASE:
            intake = report_case(
                by=by,
                channel=Channel.PATROL,
                description=description,
                grid_code=grid.code,
                idempotency_key=(f"{idempotency_key}-{item.pk}"[:64] if idempotency_key else None),
            )
            case = intake.case
            cases.append(case)
        elif a.outcome == CampaignOutcome.HAZARD:
            hazard = report_hazard(
                by=by, grid=grid, description=description, source=HazardSource.CAMPAIGN
            )
            hazards.append(hazard)
        CampaignAnswer.objects.create(
            campaign=campaign,
            grid=grid,
            item=item,
            outcome=a.outcome,
            note=note,
            answered_by=by,
            case=case,
            hazard=hazard,
        )
        done.add(item.pk)
        saved += 1
    return AnswerResult(saved, cases, hazards)


@dataclass
class ProgressRow:
    """A grid's progress in a campaign: items answered of those due, problems found."""

    code: str
    name: str
    level: str
    due: int = 0
    answered: int = 0
    problems: int = 0
    children: list[ProgressRow] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.answered / self.due if self.due else 0.0

    @property
    def complete(self) -> bool:
        return self.due > 0 and self.answered >= self.due


def campaign_progress(campaign: Campaign, viewer: Any) -> list[ProgressRow]:
    """Progress per town, with its villages and their unit grids (only grids the viewer
    sees); each level adds up the unit grids below it."""
    n_items = campaign.checklist.items.count()
    units = list(campaign_units(campaign).filter(pk__in=Grid.objects.visible_to(viewer)))
    answered: dict[int, int] = {}
    problems: dict[int, int] = {}
    for grid_id, outcome in CampaignAnswer.objects.filter(
        campaign=campaign, grid__in=units
    ).values_list("grid_id", "outcome"):
        answered[grid_id] = answered.get(grid_id, 0) + 1
        if outcome != CampaignOutcome.DONE:
            problems[grid_id] = problems.get(grid_id, 0) + 1
    towns: dict[str, ProgressRow] = {}
    villages: dict[str, ProgressRow] = {}
    for unit in sorted(units, key=lambda g: g.path):
        village = unit.parent or unit
        town = village.parent or village
        t = towns.setdefault(town.code, ProgressRow(town.code, town.name, "town"))
        v = villages.get(village.code)
        if v is None:
            v = villages[village.code] = ProgressRow(village.code, village.name, "village")
            t.children.append(v)
        u = ProgressRow(
            unit.code,
            unit.name,
            "unit",
            due=n_items,
            answered=answered.get(unit.pk, 0),
            problems=problems.get(unit.pk, 0),
        )
        v.children.append(u)
        for row in (v, t):
            row.due += u.due
            row.answered += u.answered
            row.problems += u.problems
    return list(towns.values())


@dataclass(frozen=True)
class CampaignSummary:
    campaign: Campaign
    answered: int
    due: int

    @property
    def share(self) -> float:
        return self.answered / self.due if self.due else 0.0


def campaign_summaries(campaigns: Sequence[Campaign], viewer: Any) -> list[CampaignSummary]:
    """Items answered of those due per campaign, over the unit grids the viewer sees, in a
    fixed number of queries however many campaigns (the list page)."""
    ids = [c.pk for c in campaigns]
    scopes: dict[int, list[str]] = {}
    for campaign_id, path in Campaign.grids.through.objects.filter(campaign_id__in=ids).values_list(
        "campaign_id", "grid__path"
    ):
        scopes.setdefault(campaign_id, []).append(path)
    units = list(
        Grid.objects.visible_to(viewer)
        .filter(children__isnull=True, is_active=True)
        .values_list("pk", "path")
    )
    items = dict(
        ChecklistItem.objects.filter(checklist__campaigns__in=ids)
        .values("checklist__campaigns")
        .annotate(n=Count("pk"))
        .values_list("checklist__campaigns", "n")
    )
    unit_ids = [pk for pk, _path in units]
    answered = dict(
        CampaignAnswer.objects.filter(campaign_id__in=ids, grid_id__in=unit_ids)
        .values("campaign_id")
        .annotate(n=Count("pk"))
        .values_list("campaign_id", "n")
    )
    out = []
    for c in campaigns:
        roots = tuple(scopes.get(c.pk, ()))
        n_units = sum(1 for _pk, path in units if roots and path.startswith(roots))
        out.append(CampaignSummary(c, answered.get(c.pk, 0), n_units * items.get(c.pk, 0)))
    return out


def open_campaigns_for(user: Any) -> list[tuple[Campaign, Grid, int, int]]:
    """The worker's campaigns to answer: (campaign, unit grid, answered, items) for each unit
    grid of theirs in a campaign's scope, deadline not passed more than a week ago."""
    worker_paths = scope_of(user).all_grid_paths(Role.WORKER)
    out = []
    since = timezone.localdate() - dt.timedelta(days=7)
    for campaign in (
        Campaign.objects.visible_to(user).filter(deadline__gte=since).select_related("checklist")
    ):
        n_items = campaign.checklist.items.count()
        for unit in campaign_units(campaign):
            if any(unit.path.startswith(p) for p in worker_paths):
                n = CampaignAnswer.objects.filter(campaign=campaign, grid=unit).count()
                out.append((campaign, unit, n, n_items))
    return out
