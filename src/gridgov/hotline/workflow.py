"""The back-tracing task's verbs, one row each (STYLE "Lifecycles"). core/workflow.py is not on
this branch yet, so the Verb row is local and small; every other place reads this table."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gridgov.hotline.models import BacktraceState as S


@dataclass(frozen=True)
class Verb:
    label: str | Promise
    perm: str
    states: frozenset[str]
    target: str


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


def allowed_actions(task: object, user: object) -> list[str]:
    state = getattr(task, "state", "")
    return [
        name
        for name, verb in VERBS.items()
        if state in verb.states and user.has_perm(verb.perm, task)  # type: ignore[attr-defined]
    ]
