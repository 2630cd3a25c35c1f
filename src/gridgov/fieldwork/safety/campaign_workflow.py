"""The verbs of a special campaign (专项排查) and of its answers, one row each (STYLE:
"Lifecycles: one verb, one row"), on `core/workflow.py`'s `Verb`: the label, the permission
and its rule (`who`, and `now` for a part that must still hold), the states it applies to
(read from the @transition metadata), the state it leads to (`target`) and the event it
writes. The services (services/campaigns.py), the pages' buttons, the phone page, the JSON
API (campaign_api.py) and the agreement test (fieldwork/tests/test_campaign_workflow.py) read
this table. Data only: no services are imported here.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from gridgov.core import workflow
from gridgov.core.workflow import Verb, transition_sources, transition_targets
from gridgov.fieldwork.safety import campaign_permissions as p
from gridgov.fieldwork.safety.models import (
    Campaign,
    CampaignAnswer,
    CampaignEventKind,
    CampaignQuerySet,
    CampaignState,
)

E = CampaignEventKind
S = CampaignState


def _target(method: Any) -> str:
    [target] = transition_targets(method)
    return target


office = p.is_admin | p.is_campaign_office

VERBS: dict[str, Verb] = {
    "publish": Verb(
        _("发布"),
        perm="fieldwork.publish_campaign",
        who=office,
        states=transition_sources(Campaign.publish),
        target=_target(Campaign.publish),
        transitions=("publish",),
        event=E.PUBLISH,
    ),
    # Before or after the deadline, with a closing remark (结束说明).
    "close": Verb(
        _("结束"),
        perm="fieldwork.close_campaign",
        who=office,
        states=transition_sources(Campaign.close),
        target=_target(Campaign.close),
        transitions=("close",),
        event=E.CLOSE,
    ),
    "cancel": Verb(
        _("撤销"),
        perm="fieldwork.cancel_campaign",
        who=office,
        states=transition_sources(Campaign.cancel),
        target=_target(Campaign.cancel),
        transitions=("cancel",),
        event=E.CANCEL,
    ),
    # With a new deadline: grids that had not answered may still do so.
    "reopen": Verb(
        _("重新开放"),
        perm="fieldwork.reopen_campaign",
        who=office,
        states=transition_sources(Campaign.reopen),
        target=_target(Campaign.reopen),
        transitions=("reopen",),
        event=E.REOPEN,
    ),
    # Answering changes no state: it writes answer rows, while the campaign is open.
    "answer": Verb(
        _("填报"),
        perm="fieldwork.answer_campaign",
        who=p.is_admin | p.is_campaign_worker,
        states=frozenset({S.OPEN}),
    ),
}

# A verb on one answer (its state is its campaign's: `CampaignAnswer.campaign_state`).
ANSWER_VERBS: dict[str, Verb] = {
    "correct": Verb(
        _("更正"),
        perm="fieldwork.correct_campaign_answer",
        who=p.is_admin | p.answered_it | p.office_of_answer,
        states=frozenset({S.OPEN}),
    ),
}

# One loop registers every row's rule under its permission name.
for _verb in (*VERBS.values(), *ANSWER_VERBS.values()):
    p.register(_verb.perm, _verb.who, _verb.now)

# The verbs that move the campaign to another state (the buttons with a form of their own).
LIFECYCLE = tuple(name for name, verb in VERBS.items() if verb.target)


def allowed_actions(campaign: Campaign, user: Any) -> list[str]:
    """The verbs `user` may take on `campaign` now, in table order (the campaign must be
    visible to the user: callers fetch it scoped)."""
    return workflow.allowed_actions(VERBS, campaign, user)


def allowed_answer_actions(answer: CampaignAnswer, user: Any) -> list[str]:
    return workflow.allowed_actions(ANSWER_VERBS, answer, user, state_field="campaign_state")


def restrict(queryset: CampaignQuerySet, user: Any, verb: str) -> CampaignQuerySet:
    """The campaigns of `queryset` on which `user` may take `verb` now (states and the twin)."""
    row = VERBS[verb]
    return queryset.filter(state__in=sorted(row.states)).filter(p.twin(row.perm, user))


__all__ = [
    "ANSWER_VERBS",
    "LIFECYCLE",
    "VERBS",
    "allowed_actions",
    "allowed_answer_actions",
    "restrict",
]
