"""The back-tracing task's verbs, one row each (STYLE "Lifecycles"): rows of core's `Verb`
(label, permission, the states it applies to, the state it leads to), asked by core's one
`allowed_actions` loop; every other place reads this table."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from gridgov.core import workflow
from gridgov.core.workflow import Verb
from gridgov.hotline.models import BacktraceState as S

VERBS: dict[str, Verb] = {
    # The worker (or the station for them) says why the grid did not find it first…
    "explain": Verb(_("说明"), "hotline.answer_backtrace", frozenset({S.OPEN}), S.EXPLAINED),
    # …or reports what was put right.
    "correct": Verb(_("整改"), "hotline.answer_backtrace", frozenset({S.OPEN}), S.CORRECTED),
    # The office accepts the answer; the task is done.
    "accept": Verb(
        _("认定"), "hotline.review_backtrace", frozenset({S.EXPLAINED, S.CORRECTED}), S.ACCEPTED
    ),
    # The office finds the answer insufficient: back to the worker.
    "reopen": Verb(
        _("退回"), "hotline.review_backtrace", frozenset({S.EXPLAINED, S.CORRECTED}), S.OPEN
    ),
}


def allowed_actions(task: Any, user: Any) -> list[str]:
    """The verbs `user` may take on the back-tracing task now, in table order."""
    return workflow.allowed_actions(VERBS, task, user)
