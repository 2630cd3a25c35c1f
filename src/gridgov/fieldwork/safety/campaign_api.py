"""Special campaigns API (/api/v1/fieldwork/campaigns): the list, a campaign with its progress
per town, village and unit grid, answers (idempotent: an item answered keeps its first answer),
corrections, and one POST per lifecycle verb of campaign_workflow.py's table.

Lookups go through `Campaign.objects.visible_to`, so a campaign outside the caller's scope is a
404 like a missing one; a visible campaign the caller may not act on is a 403; a verb its state
does not admit (an answer to a closed campaign) is a 409 naming what is allowed now."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from gridgov.core.errors import ReferenceNotFoundError
from gridgov.core.jurisdiction import get_scoped_or_404
from gridgov.fieldwork.safety import services
from gridgov.fieldwork.safety.campaign_workflow import allowed_actions, allowed_answer_actions
from gridgov.fieldwork.safety.models import Campaign, CampaignAnswer
from gridgov.fieldwork.safety.services import AnswerIn, ProgressRow
from gridgov.grids.models import Grid

router = Router(tags=["campaigns"])

LIST_LIMIT = 200


class CampaignOut(Schema):
    id: int
    title: str
    state: str
    deadline: dt.date
    answered: int
    due: int
    share: float
    allowed: list[str]


class ItemOut(Schema):
    id: int
    order: int
    text: str


class ProgressOut(Schema):
    code: str
    name: str
    level: str
    due: int
    answered: int
    share: float
    problems: int
    overdue: int
    children: list[ProgressOut] = []


class EventOut(Schema):
    kind: str
    from_state: str
    to_state: str
    actor: str | None
    at: dt.datetime
    deadline: dt.date | None
    note: str


class RevisionOut(Schema):
    by: str
    at: dt.datetime
    old_outcome: str
    new_outcome: str
    old_note: str
    new_note: str
    reason: str


class AnswerOut(Schema):
    id: int
    grid: str
    item: int
    outcome: str
    note: str
    answered_by: str
    answered_at: dt.datetime
    case: str | None
    hazard: str | None
    allowed: list[str]
    revisions: list[RevisionOut]


class CampaignDetailOut(CampaignOut):
    remark: str
    closed_at: dt.datetime | None
    items: list[ItemOut]
    progress: list[ProgressOut]
    overdue_grids: list[str]
    events: list[EventOut]
    answers: list[AnswerOut]


class AnswerItemIn(Schema):
    item: int
    outcome: str = Field(max_length=16)
    note: str = Field("", max_length=500)


class AnswersIn(Schema):
    grid: str = Field(max_length=32)
    answers: list[AnswerItemIn] = Field(max_length=50)
    idempotency_key: str = Field("", max_length=64)


class AnswersOut(Schema):
    saved: int
    cases: list[str]
    hazards: list[str]


class CorrectIn(Schema):
    outcome: str = Field(max_length=16)
    note: str = Field("", max_length=500)
    reason: str = Field("", max_length=500)


class NoteIn(Schema):
    note: str = Field("", max_length=2000)


class CloseIn(Schema):
    remark: str = Field(max_length=2000)


class CancelIn(Schema):
    reason: str = Field(max_length=2000)


class ReopenIn(Schema):
    deadline: dt.date
    note: str = Field("", max_length=2000)


def _campaign(request: HttpRequest, campaign_id: int) -> Campaign:
    return get_scoped_or_404(
        Campaign.objects.visible_to(request.user).select_related("checklist"), pk=campaign_id
    )


def _progress(row: ProgressRow) -> dict[str, Any]:
    return {
        **{k: getattr(row, k) for k in ("code", "name", "level", "due", "answered", "problems")},
        "overdue": row.overdue,
        "share": round(row.share, 4),
        "children": [_progress(c) for c in row.children],
    }


def _name(user: Any) -> str | None:
    return user.username if user is not None else None


def _summary(campaign: Campaign, user: Any, answered: int, due: int) -> dict[str, Any]:
    return {
        "id": campaign.pk,
        "title": campaign.title,
        "state": campaign.state,
        "deadline": campaign.deadline,
        "answered": answered,
        "due": due,
        "share": round(answered / due, 4) if due else 0.0,
        "allowed": allowed_actions(campaign, user),
    }


@router.get("", response=list[CampaignOut])
def campaign_list(request: HttpRequest) -> list[dict[str, Any]]:
    shown = list(Campaign.objects.visible_to(request.user)[:LIST_LIMIT])
    return [
        _summary(s.campaign, request.user, s.answered, s.due)
        for s in services.campaign_summaries(shown, request.user)
    ]


def _detail(request: HttpRequest, campaign: Campaign) -> dict[str, Any]:
    user = request.user
    towns = services.campaign_progress(campaign, user)
    answered = sum(t.answered for t in towns)
    due = sum(t.due for t in towns)
    answers = (
        CampaignAnswer.objects.filter(campaign=campaign, grid__in=Grid.objects.visible_to(user))
        .select_related("grid__region", "answered_by", "case", "hazard", "campaign")
        .prefetch_related("revisions__by")
    )
    return {
        **_summary(campaign, user, answered, due),
        "remark": campaign.remark,
        "closed_at": campaign.closed_at,
        "items": list(campaign.checklist.items.values("id", "order", "text")),
        "progress": [_progress(t) for t in towns],
        "overdue_grids": [u.code for _v, u in services.overdue_units(towns)],
        "events": [
            {
                "kind": e.kind,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "actor": _name(e.actor),
                "at": e.at,
                "deadline": e.deadline,
                "note": e.note,
            }
            for e in campaign.events.select_related("actor")
        ],
        "answers": [
            {
                "id": a.pk,
                "grid": a.grid.code,
                "item": a.item_id,
                "outcome": a.outcome,
                "note": a.note,
                "answered_by": a.answered_by.username,
                "answered_at": a.answered_at,
                "case": a.case.number if a.case else None,
                "hazard": a.hazard.number if a.hazard else None,
                "allowed": allowed_answer_actions(a, user),
                "revisions": [
                    {
                        "by": r.by.username,
                        "at": r.at,
                        "old_outcome": r.old_outcome,
                        "new_outcome": r.new_outcome,
                        "old_note": r.old_note,
                        "new_note": r.new_note,
                        "reason": r.reason,
                    }
                    for r in a.revisions.all()
                ],
            }
            for a in answers
        ],
    }


@router.get("/{int:campaign_id}", response=CampaignDetailOut)
def campaign_detail(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    return _detail(request, _campaign(request, campaign_id))


@router.post("/{int:campaign_id}/answers", response={200: AnswersOut, 201: AnswersOut})
def campaign_answer(request: HttpRequest, campaign_id: int, payload: AnswersIn) -> Status:
    """A unit grid's answers; a resend saves nothing twice (200 with `saved: 0`)."""
    campaign = _campaign(request, campaign_id)
    grid = Grid.objects.visible_to(request.user).filter(code=payload.grid).first()
    if grid is None:
        raise ReferenceNotFoundError(_("网格不存在"), field="grid")
    result = services.answer_campaign(
        by=request.user,
        campaign=campaign,
        grid=grid,
        answers=[AnswerIn(a.item, a.outcome, a.note) for a in payload.answers],
        idempotency_key=payload.idempotency_key,
    )
    body = {
        "saved": result.saved,
        "cases": [c.number for c in result.cases],
        "hazards": [h.number for h in result.hazards],
    }
    return Status(201 if result.saved else 200, body)


@router.post("/{int:campaign_id}/answers/{int:answer_id}/correct", response=AnswerOut)
def campaign_correct(
    request: HttpRequest, campaign_id: int, answer_id: int, payload: CorrectIn
) -> dict[str, Any]:
    campaign = _campaign(request, campaign_id)
    answer = get_scoped_or_404(
        CampaignAnswer.objects.filter(
            campaign=campaign, grid__in=Grid.objects.visible_to(request.user)
        ),
        pk=answer_id,
    )
    services.correct_campaign_answer(answer, by=request.user, **payload.dict())
    [out] = [a for a in _detail(request, campaign)["answers"] if a["id"] == answer.pk]
    return out


@router.post("/{int:campaign_id}/publish", response=CampaignDetailOut)
def campaign_publish(request: HttpRequest, campaign_id: int, payload: NoteIn) -> dict[str, Any]:
    campaign = services.publish_campaign(
        _campaign(request, campaign_id), by=request.user, note=payload.note
    )
    return _detail(request, campaign)


@router.post("/{int:campaign_id}/close", response=CampaignDetailOut)
def campaign_close(request: HttpRequest, campaign_id: int, payload: CloseIn) -> dict[str, Any]:
    campaign = services.close_campaign(
        _campaign(request, campaign_id), by=request.user, remark=payload.remark
    )
    return _detail(request, campaign)


@router.post("/{int:campaign_id}/cancel", response=CampaignDetailOut)
def campaign_cancel(request: HttpRequest, campaign_id: int, payload: CancelIn) -> dict[str, Any]:
    campaign = services.cancel_campaign(
        _campaign(request, campaign_id), by=request.user, reason=payload.reason
    )
    return _detail(request, campaign)


@router.post("/{int:campaign_id}/reopen", response=CampaignDetailOut)
def campaign_reopen(request: HttpRequest, campaign_id: int, payload: ReopenIn) -> dict[str, Any]:
    campaign = services.reopen_campaign(
        _campaign(request, campaign_id),
        by=request.user,
        deadline=payload.deadline,
        note=payload.note,
    )
    return _detail(request, campaign)
