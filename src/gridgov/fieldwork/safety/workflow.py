"""The verbs of a hazard, one row each (STYLE: "Lifecycles: one verb, one row"), on
`core/workflow.py`'s `Verb` exactly as cases/workflow.py: the services, the detail page's forms
and the agreement test (fieldwork/tests/test_hazard_workflow.py) read this table. Data only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.core import workflow
from gridgov.core.workflow import Verb, transition_sources
from gridgov.fieldwork.safety import permissions
from gridgov.fieldwork.safety.models import (
    RUNNING_STATES,
    Hazard,
    HazardEventKind,
    HazardQuerySet,
    HazardState,
)

E = HazardEventKind

VERBS: dict[str, Verb] = {
    "fix_on_spot": Verb(
        _("当场整改"),
        perm="fieldwork.fix_hazard_on_spot",
        states=transition_sources(Hazard.fix_on_spot),
        transitions=("fix_on_spot",),
        event=E.FIX_ON_SPOT,
    ),
    "order": Verb(
        _("责令限期整改"),
        perm="fieldwork.order_hazard",
        states=transition_sources(Hazard.order),
        transitions=("order",),
        event=E.ORDER,
    ),
    "list": Verb(
        _("挂牌整改"),
        perm="fieldwork.list_hazard",
        states=transition_sources(Hazard.list_),
        transitions=("list_",),
        event=E.LIST,
    ),
    "complete": Verb(
        _("整改完成"),
        perm="fieldwork.complete_hazard",
        states=transition_sources(Hazard.complete),
        transitions=("complete",),
        event=E.COMPLETE,
    ),
    "review": Verb(
        _("复查"),
        perm="fieldwork.review_hazard",
        states=transition_sources(
            Hazard.pass_review, Hazard.fail_review, Hazard.fail_listed_review
        ),
        transitions=("pass_review", "fail_review", "fail_listed_review"),
        event=E.REVIEW_PASS,
        other_events=(E.REVIEW_FAIL,),
    ),
    # Urging and escalation change no state (STYLE): an event, and for escalation the level.
    "urge": Verb(
        pgettext_lazy("hazard", "催办"),
        perm="fieldwork.urge_hazard",
        states=RUNNING_STATES,
        event=E.URGE,
    ),
    "escalate": Verb(
        pgettext_lazy("hazard", "上报上级"),
        perm="fieldwork.escalate_hazard",
        states=RUNNING_STATES,
        event=E.ESCALATE,
    ),
}


def restrict(queryset: HazardQuerySet, user: Any, verb: str) -> HazardQuerySet:
    """The hazards of `queryset` on which `user` may take `verb` now (the row's states and the
    queryset twin of its permission): a queue agrees with the detail page's buttons."""
    row = VERBS[verb]
    return queryset.filter(state__in=sorted(row.states)).filter(permissions.twin(row.perm, user))


def allowed_actions(hazard: Hazard, user: Any) -> list[str]:
    """The verbs `user` may take on `hazard` now, in table order."""
    return workflow.allowed_actions(VERBS, hazard, user)


@dataclass(frozen=True)
class Queue:
    label: Any
    states: frozenset[str] = frozenset()
    verb: str = ""
    overdue: bool = False


# The office's hazard queues: by state, the overdue ones, and "for me" queues built from the
# verbs' twins (never retyped).
QUEUES: dict[str, Queue] = {
    "found": Queue(HazardState.FOUND.label, frozenset({HazardState.FOUND})),
    "rectifying": Queue(HazardState.RECTIFYING.label, frozenset({HazardState.RECTIFYING})),
    "listed": Queue(HazardState.LISTED.label, frozenset({HazardState.LISTED})),
    "reviewing": Queue(HazardState.REVIEWING.label, frozenset({HazardState.REVIEWING})),
    "overdue": Queue(_("已超期"), RUNNING_STATES, overdue=True),
    "closed": Queue(HazardState.CLOSED.label, frozenset({HazardState.CLOSED})),
    "to_review": Queue(_("待我复查"), verb="review"),
    "to_escalate": Queue(_("可上报上级"), verb="escalate"),
}


def queue(name: str, user: Any) -> HazardQuerySet:
    """One queue's hazards for `user` (KeyError for an unknown name)."""
    row = QUEUES[name]
    qs: HazardQuerySet = Hazard.objects.visible_to(user)
    if row.verb:
        return restrict(qs, user, row.verb)
    qs = qs.filter(state__in=sorted(row.states))
    return qs.overdue() if row.overdue else qs


def _queue_q(row: Queue, user: Any) -> Q:
    if row.verb:
        verb = VERBS[row.verb]
        return Q(state__in=sorted(verb.states)) & permissions.twin(verb.perm, user)
    q = Q(state__in=sorted(row.states))
    return q & Q(due_at__lt=timezone.now()) if row.overdue else q


def queue_counts(user: Any) -> dict[str, int]:
    """Every queue's count for `user` in one query (the same conditions as `queue`)."""
    counts = Hazard.objects.visible_to(user).aggregate(
        **{name: Count("pk", filter=_queue_q(row, user)) for name, row in QUEUES.items()}
    )
    return {name: int(n or 0) for name, n in counts.items()}


__all__ = ["QUEUES", "VERBS", "allowed_actions", "queue", "queue_counts", "restrict"]
