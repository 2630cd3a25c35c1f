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
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition

from gridgov.core.errors import ConflictError, DomainError, ReferenceNotFoundError
from gridgov.core.jurisdiction import Role, scope_of
from gridgov.fieldwork.safety import campaign_permissions
from gridgov.fieldwork.safety.campaign_workflow import (
    ANSWER_VERBS,
    VERBS,
    allowed_actions,
    allowed_answer_actions,
)
from gridgov.fieldwork.safety.models import (
    Campaign,
    CampaignAnswer,
    CampaignAnswerRevision,
    CampaignEvent,
    CampaignEventKind,
    CampaignOutcome,
    CampaignState,
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
    *,
    by: Any,
    title: str,
    items: Iterable[str],
    grids: Iterable[Grid],
    deadline: dt.date,
    publish: bool = True,
) -> Campaign:
    """The office starts a campaign (专项排查) over grids it oversees, with its checklist:
    published at once (open to answers), or kept as a draft to publish later."""
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
    state = CampaignState.OPEN if publish else CampaignState.DRAFT
    campaign = Campaign.objects.create(
        title=title, checklist=checklist, deadline=deadline, created_by=by, state=state
    )
    campaign.grids.set(chosen)
    _record(campaign, CampaignEventKind.CREATE, by=by)
    return campaign


# --- the lifecycle (campaign_workflow.py's rows: guard, then act, then log) --------------------


def _record(
    campaign: Campaign, kind: str, *, by: Any, from_state: str = "", note: str = ""
) -> CampaignEvent:
    return CampaignEvent.objects.create(
        campaign=campaign,
        kind=kind,
        from_state=from_state,
        to_state=campaign.state,
        actor=by,
        deadline=campaign.deadline,
        note=note,
    )


def _conflict(campaign: Campaign, by: Any, label: Any) -> ConflictError:
    return ConflictError(
        _("专项排查当前状态为“%(state)s”,不能%(action)s")
        % {"state": CampaignState(campaign.state).label, "action": label},
        state=campaign.state,
        allowed=allowed_actions(campaign, by),
    )


def _guard(campaign: Campaign, by: Any, verb: str) -> Campaign:
    """403 unless the role part holds; 409 (with what is allowed now) when the state does not
    admit the verb. The row is locked so two offices cannot close and reopen at once."""
    row = VERBS[verb]
    if not Campaign.objects.select_for_update().filter(pk=campaign.pk).exists():
        raise Http404
    fresh = Campaign.objects.get(pk=campaign.pk)
    campaign_permissions.require(by, row.perm, fresh)
    if fresh.state not in row.states:
        raise _conflict(fresh, by, row.label)
    return fresh


def _save(campaign: Campaign) -> None:
    try:
        campaign.save()
    except ConcurrentTransition:
        raise ConflictError(_("专项排查已被他人处理,请刷新后重试"), state=campaign.state) from None


@transaction.atomic
def publish_campaign(campaign: Campaign, *, by: Any, note: str = "") -> Campaign:
    """A draft is published: the grids in scope may answer from now on."""
    campaign = _guard(campaign, by, "publish")
    if campaign.deadline < timezone.localdate():
        raise DomainError(_("截止日期已过,请先修改截止日期"), field="deadline")
    from_state = campaign.state
    campaign.publish()
    _save(campaign)
    _record(campaign, CampaignEventKind.PUBLISH, by=by, from_state=from_state, note=note)
    return campaign


@transaction.atomic
def close_campaign(campaign: Campaign, *, by: Any, remark: str) -> Campaign:
    """The office ends a campaign, before or after its deadline, with a closing remark
    (结束说明: what was found, what is left); answers are refused from then on."""
    campaign = _guard(campaign, by, "close")
    remark = _text(remark, "remark", limit=2000)
    from_state = campaign.state
    campaign.close(remark)
    _save(campaign)
    _record(campaign, CampaignEventKind.CLOSE, by=by, from_state=from_state, note=remark)
    return campaign


@transaction.atomic
def cancel_campaign(campaign: Campaign, *, by: Any, reason: str) -> Campaign:
    """A draft or running campaign is called off, with the reason; its answers stay."""
    campaign = _guard(campaign, by, "cancel")
    reason = _text(reason, "reason", limit=2000)
    from_state = campaign.state
    campaign.cancel(reason)
    _save(campaign)
    _record(campaign, CampaignEventKind.CANCEL, by=by, from_state=from_state, note=reason)
    return campaign


@transaction.atomic
def reopen_campaign(campaign: Campaign, *, by: Any, deadline: dt.date, note: str = "") -> Campaign:
    """A closed campaign is opened again with a new deadline (grids found not to have answered,
    or a problem to check again)."""
    campaign = _guard(campaign, by, "reopen")
    if not isinstance(deadline, dt.date) or deadline < timezone.localdate():
        raise DomainError(_("新的截止日期不能早于今天"), field="deadline")
    note = _text(note, "note", required=False, limit=2000)
    from_state = campaign.state
    campaign.reopen(deadline)
    _save(campaign)
    _record(campaign, CampaignEventKind.REOPEN, by=by, from_state=from_state, note=note)
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
    if not campaign_units(campaign).filter(pk=grid.pk).exists():
        raise ReferenceNotFoundError(_("该网格不在排查范围内"), field="grid")
    scope = scope_of(by)
    if not (
        scope.is_admin or any(grid.path.startswith(p) for p in scope.all_grid_paths(Role.WORKER))
    ):
        raise PermissionDenied(_("只有本网格的网格员可以填报"))
    # Read under a row lock: an answer never slips in after the office has closed the campaign.
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.state != CampaignState.OPEN:
        raise ConflictError(
            _("专项排查%(state)s,不再接受填报") % {"state": CampaignState(campaign.state).label},
            state=campaign.state,
            allowed=allowed_actions(campaign, by),
        )
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
        case, hazard = _problem(
            by=by,
            campaign=campaign,
            grid=grid,
            item=item,
            outcome=a.outcome,
            note=note,
            key=f"{idempotency_key}-{item.pk}"[:64] if idempotency_key else None,
        )
        if case is not None:
            cases.append(case)
        if hazard is not None:
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


def _problem(
    *,
    by: Any,
    campaign: Campaign,
    grid: Grid,
    item: ChecklistItem,
    outcome: str,
    note: str,
    key: str | None = None,
) -> tuple[Any, Hazard | None]:
    """A problem answer becomes a case through the cases intake, or a hazard."""
    from gridgov.cases.models import Channel
    from gridgov.cases.services.intake import report_case

    description = f"【{campaign.title}】{item.text}:{note}" if note else item.text
    if outcome == CampaignOutcome.CASE:
        intake = report_case(
            by=by,
            channel=Channel.PATROL,
            description=description,
            grid_code=grid.code,
            idempotency_key=key,
        )
        return intake.case, None
    if outcome == CampaignOutcome.HAZARD:
        hazard = report_hazard(
            by=by, grid=grid, description=description, source=HazardSource.CAMPAIGN
        )
        return None, hazard
    return None, None


@transaction.atomic
def correct_campaign_answer(
    answer: CampaignAnswer, *, by: Any, outcome: str, note: str = "", reason: str = ""
) -> CampaignAnswer:
    """The worker who answered, or the office, corrects an answer while the campaign is open.
    The answer row takes the new value and a revision row keeps who, when, old and new. A
    correction to a problem with no case or hazard yet reports one; a problem already reported
    keeps its case or hazard (it has its own lifecycle and is closed there)."""
    row = ANSWER_VERBS["correct"]
    locked = (
        CampaignAnswer.objects.select_for_update()
        .filter(pk=answer.pk)
        .values_list("campaign_id", flat=True)
    )
    if not locked:
        raise Http404
    Campaign.objects.select_for_update().filter(pk=locked[0]).exists()
    fresh = CampaignAnswer.objects.select_related("campaign", "grid__region", "item").get(
        pk=answer.pk
    )
    campaign_permissions.require(by, row.perm, fresh)
    if fresh.campaign.state not in row.states:
        raise ConflictError(
            _("专项排查%(state)s,答复不能再更正")
            % {"state": CampaignState(fresh.campaign.state).label},
            state=fresh.campaign.state,
            allowed=allowed_answer_actions(fresh, by),
        )
    if outcome not in CampaignOutcome.values:
        raise DomainError(_("请选择排查结果"), field="outcome")
    note = _text(note, "note", required=outcome != CampaignOutcome.DONE, limit=500)
    reason = _text(reason, "reason", required=False, limit=500)
    if outcome == fresh.outcome and note == fresh.note:
        raise DomainError(_("更正内容与原答复相同"), field="outcome")
    CampaignAnswerRevision.objects.create(
        answer=fresh,
        by=by,
        old_outcome=fresh.outcome,
        new_outcome=outcome,
        old_note=fresh.note,
        new_note=note,
        reason=reason,
    )
    if outcome != CampaignOutcome.DONE and fresh.case_id is None and fresh.hazard_id is None:
        fresh.case, fresh.hazard = _problem(
            by=by,
            campaign=fresh.campaign,
            grid=fresh.grid,
            item=fresh.item,
            outcome=outcome,
            note=note,
        )
    fresh.outcome = outcome
    fresh.note = note
    fresh.save(update_fields=["outcome", "note", "case", "hazard"])
    return fresh


@dataclass
class ProgressRow:
    """A grid's progress in a campaign: items answered of those due, problems found."""

    code: str
    name: str
    level: str
    due: int = 0
    answered: int = 0
    problems: int = 0
    # Unit grids with items unanswered after the deadline (a unit row: 1 when it is one).
    overdue: int = 0
    children: list[ProgressRow] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.answered / self.due if self.due else 0.0

    @property
    def complete(self) -> bool:
        return self.due > 0 and self.answered >= self.due


def campaign_progress(campaign: Campaign, viewer: Any) -> list[ProgressRow]:
    """Progress per town, with its villages and their unit grids (only grids the viewer
    sees); each level adds up the unit grids below it. A unit grid is overdue when the
    deadline has passed with items unanswered and the campaign was not cancelled."""
    n_items = campaign.checklist.items.count()
    late = campaign.is_past_deadline and campaign.state != CampaignState.CANCELLED
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
        u.overdue = int(late and not u.complete)
        v.children.append(u)
        for row in (v, t):
            row.due += u.due
            row.answered += u.answered
            row.problems += u.problems
            row.overdue += u.overdue
    return list(towns.values())


def overdue_units(towns: Sequence[ProgressRow]) -> list[tuple[ProgressRow, ProgressRow]]:
    """(village, unit grid) of every unit grid still owing answers after the deadline."""
    return [(v, u) for t in towns for v in t.children for u in v.children if u.overdue]


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
    """The worker's campaigns: (campaign, unit grid, answered, items) for each unit grid of
    theirs in a campaign's scope; open ones however late, the others (closed, cancelled) for a
    week after the deadline so the worker sees how they ended. Drafts are the office's."""
    worker_paths = scope_of(user).all_grid_paths(Role.WORKER)
    out = []
    since = timezone.localdate() - dt.timedelta(days=7)
    for campaign in (
        Campaign.objects.visible_to(user)
        .filter(Q(state=CampaignState.OPEN) | Q(deadline__gte=since))
        .exclude(state=CampaignState.DRAFT)
        .select_related("checklist")
    ):
        n_items = campaign.checklist.items.count()
        for unit in campaign_units(campaign):
            if any(unit.path.startswith(p) for p in worker_paths):
                n = CampaignAnswer.objects.filter(campaign=campaign, grid=unit).count()
                out.append((campaign, unit, n, n_items))
    return out
