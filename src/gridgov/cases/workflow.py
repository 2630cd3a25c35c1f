"""The verbs of a case, one row each (STYLE: "Lifecycles: one verb, one row"; issue 8).

A row names the verb's button label, its permission and the rule behind it (`who`, and `now`
for the part that must still hold at this moment; the predicates live in permissions.py with
their queryset twins, and one loop below registers them), the states it applies to (read from
the @transition metadata where a transition leaves from them), the transitions its service may
run and the event kinds it writes. Every other place reads this
table: `allowed_actions`, the case page's forms (cases/forms.py, keyed by these names), and
the agreement test (cases/tests/test_workflow.py), which checks that the table, the forms, the
API's `/cases/{id}/<verb>` operations and the registered permissions name the same verbs.

Data only: no services are imported here (they import this table).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.cases import permissions
from gridgov.cases.models import OPEN_STATES, Case, CaseQuerySet, CaseState, EventKind
from gridgov.cases.permissions import (
    decides_an_extension,
    feeds_back_at_level,
    handles_at_level,
    has_dispatch_targets,
    has_upper_platform,
    holds_a_live_slip,
    holds_an_accepted_slip,
    is_admin,
    is_case_worker,
    is_operator,
    is_operator_at_or_below_level,
    is_operator_in_subtree,
    is_task_handler,
    level_operator,
    may_ask_for_time,
    signs_for_a_slip,
    subtree_operator,
    upper_operator,
    was_dissatisfied,
)
from gridgov.core import workflow
from gridgov.core.workflow import Verb, transition_sources

S = CaseState
E = EventKind

VERBS: dict[str, Verb] = {
    "accept": Verb(
        _("受理"),
        perm="cases.accept_case",
        who=level_operator,
        states=transition_sources(Case.accept),
        transitions=("accept", "classify"),
        event=E.ACCEPT,
    ),
    "reject": Verb(
        pgettext_lazy("action button", "不予受理"),
        perm="cases.reject_case",
        who=level_operator,
        states=transition_sources(Case.reject),
        transitions=("reject",),
        event=E.REJECT,
    ),
    "merge": Verb(
        _("合并重复件"),
        perm="cases.merge_case",
        who=level_operator,
        states=transition_sources(Case.merge),
        transitions=("merge",),
        event=E.MERGE,
        other_events=(E.MERGED_IN,),
    ),
    "classify": Verb(
        _("修改分类"),
        perm="cases.classify_case",
        who=level_operator,
        states=transition_sources(Case.classify),
        transitions=("classify",),
        event=E.CLASSIFY,
    ),
    "register": Verb(
        _("立案"),
        perm="cases.register_case",
        who=level_operator,
        states=transition_sources(Case.register),
        transitions=("register",),
        event=E.REGISTER,
    ),
    "dispatch": Verb(
        _("派遣"),
        perm="cases.dispatch_case",
        who=level_operator,
        now=has_dispatch_targets,
        # An accepted case is registered on the way (立案派遣).
        states=transition_sources(Case.dispatch, Case.register),
        transitions=("register", "dispatch"),
        event=E.DISPATCH,
        other_events=(E.REGISTER, E.CO_DISPATCH),
    ),
    "handle": Verb(
        _("签收处置"),
        perm="cases.handle_case",
        # The department on its assignment, or the level handling the case itself.
        who=is_task_handler | level_operator,
        now=signs_for_a_slip | handles_at_level,
        # A co-handler signs for its own slip while the lead already handles the case.
        states=transition_sources(Case.handle) | {S.HANDLING},
        transitions=("handle",),
        event=E.HANDLE,
    ),
    "return": Verb(
        _("退回"),
        perm="cases.return_case",
        who=is_admin | is_task_handler,
        now=holds_a_live_slip,
        states=transition_sources(Case.return_),
        transitions=("return_",),
        event=E.RETURN,
    ),
    "feedback": Verb(
        _("反馈处置结果"),
        perm="cases.feedback_case",
        # The department on its assignment, or the level handling the case itself.
        who=is_task_handler | level_operator,
        now=holds_an_accepted_slip | feeds_back_at_level,
        # A co-handler may feed back before the lead has signed.
        states=transition_sources(Case.feedback) | {S.DISPATCHED},
        transitions=("feedback",),
        event=E.FEEDBACK,
    ),
    "verify": Verb(
        _("核查"),
        perm="cases.verify_case",
        # Seed 003: verification by the reporting worker or the acceptance centre.
        who=is_admin | is_case_worker | (is_operator_in_subtree & is_operator_at_or_below_level),
        states=transition_sources(Case.verify, Case.rework),
        transitions=("verify", "rework", "close"),
        event=E.VERIFY,
        other_events=(E.REWORK, E.CLOSE),
    ),
    "close": Verb(
        _("结案"),
        perm="cases.close_case",
        who=level_operator,
        states=transition_sources(Case.close),
        transitions=("close",),
        event=E.CLOSE,
    ),
    "transfer": Verb(
        pgettext_lazy("action button", "转交热线"),
        perm="cases.transfer_case",
        who=level_operator,
        states=transition_sources(Case.transfer),
        transitions=("transfer",),
        event=E.TRANSFER,
    ),
    "callback": Verb(
        _("回访"),
        perm="cases.callback_case",
        who=level_operator,
        states=transition_sources(Case.callback),
        transitions=("callback", "reopen"),
        event=E.CALLBACK,
        other_events=(E.REOPEN,),
    ),
    "reopen": Verb(
        _("重新办理"),
        perm="cases.reopen_case",
        who=level_operator,
        now=was_dissatisfied,
        states=transition_sources(Case.reopen),
        transitions=("reopen",),
        event=E.REOPEN,
    ),
    "escalate": Verb(
        _("上报上级"),
        perm="cases.escalate_case",
        who=level_operator,
        now=has_upper_platform,
        states=transition_sources(Case.escalate),
        transitions=("escalate",),
        event=E.ESCALATE,
    ),
    "extend": Verb(
        _("申请延期"),
        perm="cases.extend_case",
        who=is_admin | is_task_handler,
        now=may_ask_for_time,
        states=transition_sources(Case.extend),
        event=E.EXTENSION_REQUEST,
    ),
    "decide_extension": Verb(
        _("审批延期"),
        perm="cases.decide_extension",
        who=is_admin | is_operator,
        now=decides_an_extension,
        states=transition_sources(Case.extend),
        transitions=("extend",),
        event=E.EXTEND,
        other_events=(E.EXTENSION_REFUSE,),
    ),
    # Urging and supervision change no state: they write an event only (STYLE).
    "urge": Verb(
        _("催办"),
        perm="cases.urge_case",
        who=upper_operator,
        states=OPEN_STATES,
        event=E.URGE,
    ),
    "supervise": Verb(
        _("督办"),
        perm="cases.supervise_case",
        who=upper_operator,
        states=OPEN_STATES,
        event=E.SUPERVISE,
    ),
    "comment": Verb(
        _("跟进记录"),
        perm="cases.comment_case",
        who=is_case_worker | is_task_handler | subtree_operator,
        states=frozenset(S.values) - {S.MERGED},
        event=E.NOTE,
    ),
}

# One loop registers every row's rule under its permission name: `rules` (`has_perm`, so
# `allowed_actions`), `require` (the role part: 403) and `twin` (the queues) read it there.
for _verb in VERBS.values():
    permissions.register(_verb.perm, _verb.who, _verb.now)

# The assignment slip's own transitions (CaseTask) and the case event each step writes: the
# event row names the slip (CaseEvent.task). Cancelling writes none of its own: it happens
# inside the case's re-dispatch, escalation or closure, whose event records it.
TASK_STEPS: dict[str, str] = {
    "sign": E.HANDLE,
    "return_": E.RETURN,
    "feedback": E.FEEDBACK,
    "rework": E.REWORK,
    "cancel": "",
}


def restrict(queryset: CaseQuerySet, user: Any, verb: str) -> CaseQuerySet:
    """The cases of `queryset` on which `user` may take `verb` now: the row's states and the
    queryset twin of its permission, so a queue agrees with the case page (NetBox's
    `RestrictedQuerySet.restrict`). `queryset` should already be `visible_to(user)`."""
    row = VERBS[verb]
    return queryset.filter(state__in=sorted(row.states)).filter(permissions.twin(row.perm, user))


def allowed_actions(case: Case, user: Any) -> list[str]:
    """The verbs `user` may take on `case` now, in table order (the 409 body, the case page's
    buttons). The case must be visible to the user (callers fetch it scoped)."""
    return workflow.allowed_actions(VERBS, case, user)


__all__ = ["TASK_STEPS", "VERBS", "allowed_actions", "restrict"]
