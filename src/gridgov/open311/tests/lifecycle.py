"""Drive a case through the platform's own services, step by step (shared by the lifecycle
and the end-to-end client tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from gridgov.cases import services
from gridgov.cases.models import Case
from gridgov.core.testing.town import Town


def steps(town: Town) -> list[tuple[str, Callable[[Case], Case]]]:
    """The whole loop of seed 002 (accept → escalate → dispatch → handle → feedback → verify →
    close → callback), each step as (expected state, action)."""
    village, office = town.user("village_a"), town.user("town_office")
    handler, worker = town.user("env_handler"), town.user("worker_a1")
    return [
        ("accepted", lambda c: services.accept_case(case=c, by=village, note="属实")),
        ("accepted", lambda c: services.escalate_case(case=c, by=village, note="需环保所处理")),
        ("dispatched", lambda c: services.dispatch_case(case=c, by=office, to=town.env, days=3)),
        ("handling", lambda c: services.handle_case(case=c, by=handler)),
        (
            "fed_back",
            lambda c: services.feedback_case(case=c, by=handler, result="已封堵排污口"),
        ),
        ("verified", lambda c: services.verify_case(case=c, by=worker, passed=True, note="已整改")),
        ("closed", lambda c: services.close_case(case=c, by=office)),
        ("called_back", lambda c: services.callback_case(case=c, by=office, satisfaction=5)),
    ]


def drive(case: Case, town: Town) -> Iterator[Case]:
    """Yield the case after each step."""
    for _state, action in steps(town):
        case = action(Case.objects.get(pk=case.pk))
        yield case
