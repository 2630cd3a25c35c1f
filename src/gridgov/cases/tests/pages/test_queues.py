"""Work queues list what waits for the user's role, sortable by deadline."""

from __future__ import annotations

from typing import Any

from gridgov.cases import services
from gridgov.core.testing.town import UNIT_A2, Town


def dispatched(town: Town, report: Any, *, days: int, description: str, grid: str = UNIT_A2) -> Any:
    village, office = town.user("village_a"), town.user("town_office")
    case = services.accept_case(case=report(grid=grid, description=description), by=village)
    case = services.escalate_case(case=case, by=village, note="上报")
    return services.dispatch_case(case=case, by=office, to=town.env, days=days)


def test_department_queue_sorts_by_deadline(client_for: Any, town: Town, report: Any) -> None:
    late = dispatched(town, report, days=10, description="慢件")
    soon = dispatched(town, report, days=1, description="急件")
    client = client_for("env_handler")
    by_due = client.get("/queues/my_tasks/", {"sort": "due"}).content.decode()
    assert by_due.index(f"/cases/{soon.pk}/") < by_due.index(f"/cases/{late.pk}/")
    reverse = client.get("/queues/my_tasks/", {"sort": "-due"}).content.decode()
    assert reverse.index(f"/cases/{late.pk}/") < reverse.index(f"/cases/{soon.pk}/")


def test_operator_queues_hold_their_level_only(client_for: Any, town: Town, report: Any) -> None:
    waiting = report()
    village = client_for("village_a").get("/queues/to_accept/").content.decode()
    assert f"/cases/{waiting.pk}/" in village
    town_queue = client_for("town_office").get("/queues/to_accept/").content.decode()
    assert f"/cases/{waiting.pk}/" not in town_queue
    services.accept_case(case=waiting, by=town.user("village_a"))
    services.escalate_case(case=waiting, by=town.user("village_a"), note="上报")
    dispatch_queue = (
        client_for("town_office").get("/queues/to_dispatch/", {"sort": "created"}).content.decode()
    )
    assert f"/cases/{waiting.pk}/" in dispatch_queue


def test_extension_requests_wait_for_the_dispatching_level(
    client_for: Any, town: Town, report: Any
) -> None:
    case = dispatched(town, report, days=2, description="需延期")
    services.request_extension(
        case=case, by=town.user("env_handler"), days=3, reason="需第三方检测"
    )
    body = client_for("town_office").get("/queues/extensions/").content.decode()
    assert "需第三方检测" in body
    assert f"/cases/{case.pk}/" in body
    page = client_for("town_office").get(f"/cases/{case.pk}/").content.decode()
    assert 'data-action="decide_extension"' in page


def test_acceptance_queue_shows_the_step_clock_and_late_cases_get_their_own_queue(
    client_for: Any, report: Any
) -> None:
    import datetime as dt

    import time_machine

    waiting = report(description="待受理的案件")
    assert waiting.step_due_at is not None
    client = client_for("village_a")
    body = client.get("/queues/to_accept/").content.decode()
    assert "环节时限" in body
    assert f"/cases/{waiting.pk}/" not in client.get("/queues/late_steps/").content.decode()
    with time_machine.travel(waiting.step_due_at + dt.timedelta(minutes=1), tick=False):
        late = client.get("/queues/late_steps/").content.decode()
    assert f"/cases/{waiting.pk}/" in late
    assert "已超时" in late
    assert 'data-count="queue:late_steps"' in late
