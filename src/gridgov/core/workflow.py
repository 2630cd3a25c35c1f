"""A lifecycle's verbs as one declared table (STYLE: "Lifecycles: one verb, one row").

Every app with a lifecycle (cases, assignment slips, and the hazards, warnings, campaigns and
appeals to come) declares its verbs as rows of `Verb` in its own `workflow.py`. A row is data
only: the verb's label, the `rules` permission that answers "who may" and the rule registered
under it, the states it applies to, the transition methods it may run and the event kind it
writes. It holds no callbacks and no
service references (importing the services from the table would make a cycle).

`allowed_actions` asks every row the same two questions, with no per-verb branch: does the
object's state admit the verb, and does the permission hold for this user on this object. A
condition that depends on the user's own part in the object (their department's slip, the
request they already filed) belongs in the permission predicate (permissions.py), so the list
of allowed verbs and the service's 403 come from the same rule (NetBox's ObjectAction).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import rules
from django.utils.functional import Promise


@dataclass(frozen=True)
class Verb:
    """One verb of a lifecycle: one row of its app's table."""

    label: str | Promise
    perm: str
    states: frozenset[str]
    # The state the verb leads to, for a lifecycle whose service sets the state itself (no
    # django-fsm methods: the hotline's back-tracing tasks, oversight's appeals); "" otherwise.
    target: str = ""
    # Names of the model's @transition methods the verb may run (empty: it changes no state).
    transitions: tuple[str, ...] = ()
    # The event kind its service writes ("" when it writes none).
    event: str = ""
    # Other event kinds its service may write instead (a failed verification writes rework).
    other_events: tuple[str, ...] = field(default=())
    # Who may: the rule the app registers under `perm` by one loop over its rows (a `rules`
    # predicate, or the app's rule with its queryset twin). `now` is a part that must hold at
    # this moment as well: failing only `now` means the object moved on (409), not "not yours"
    # (403). None: the app registers the permission itself.
    who: Any = None
    now: Any = None


def allowed_actions(
    verbs: Mapping[str, Verb], obj: Any, user: Any, *, state_field: str = "state"
) -> list[str]:
    """The verbs `user` may take on `obj` now, in table order. `obj` must be visible to the
    user (callers fetch it through the scoped queryset)."""
    state = getattr(obj, state_field)
    return [
        name
        for name, verb in verbs.items()
        if state in verb.states and rules.has_perm(verb.perm, user, obj)
    ]


def transition_sources(*methods: Callable[..., Any]) -> frozenset[str]:
    """The source states of django-fsm transition methods (read from their metadata), so a
    table row can say "the states `dispatch` or `register` leave from" without restating them."""
    found: set[str] = set()
    for method in methods:
        meta = getattr(method, "_django_fsm", None)
        if meta is None:
            raise TypeError(f"{method!r} is not a django-fsm transition")
        sources: Iterable[Any] = meta.transitions.keys()
        found.update(str(s) for s in sources if s not in {"*", "+"})
    return frozenset(found)


def transition_targets(method: Callable[..., Any]) -> frozenset[str]:
    """The target states of one transition method (None, "no change", left out)."""
    meta = getattr(method, "_django_fsm", None)
    if meta is None:
        raise TypeError(f"{method!r} is not a django-fsm transition")
    return frozenset(str(t.target) for t in meta.transitions.values() if t.target is not None)


__all__ = ["Verb", "allowed_actions", "transition_sources", "transition_targets"]
