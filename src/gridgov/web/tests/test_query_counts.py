"""Zulip's N+1 rule on the pages: every queue page, the inbox and the command centre's data
endpoints answer in a bounded number of queries that does not grow with the rows shown."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridgov.cases import services
from gridgov.cases.models import Case
from gridgov.core.notify import notify
from gridgov.core.testing.town import UNIT_A1, UNIT_A2, Town


def fill_queues(town: Town, report: Callable[..., Case], n: int) -> None:
    """`n` more rows in every queue of the cast: waiting to accept, to dispatch, returned,
    dispatched (the department's tasks, one with an extension request, one overdue), fed back
    (to verify) and closed (to call back)."""
    village, office = town.user("village_a"), town.user("town_office")
    handler, worker = town.user("env_handler"), town.user("worker_a1")
    for i in range(n):
        report(grid=UNIT_A1, description=f"待受理 {i}")

        def to_town(text: str) -> Case:
            case = services.accept_case(case=report(grid=UNIT_A2, description=text), by=village)
            return services.escalate_case(case=case, by=village, note="上报")

        to_town(f"待派遣 {i}")
        returned = services.dispatch_case(case=to_town(f"退回 {i}"), by=office, to=town.env)
        services.return_case(case=returned, by=handler, reason="not_ours", note="非本部门")
        task = services.dispatch_case(case=to_town(f"待办 {i}"), by=office, to=town.env, days=3)
        services.request_extension(case=task, by=handler, days=2, reason=f"延期 {i}")
        late = services.dispatch_case(case=to_town(f"超期 {i}"), by=office, to=town.env, days=1)
        Case.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(days=2))
        done = services.dispatch_case(case=to_town(f"反馈 {i}"), by=office, to=town.env)
        done = services.handle_case(case=done, by=handler)
        done = services.feedback_case(case=done, by=handler, result="已处理")
        closed = services.verify_case(case=done, by=worker, passed=True)
        services.close_case(case=closed, by=office)
        fed = services.dispatch_case(case=to_town(f"核查 {i}"), by=office, to=town.env)
        fed = services.handle_case(case=fed, by=handler)
        services.feedback_case(case=fed, by=handler, result="已处理")
        for user in (village, office, handler, worker):
            notify(user=user, kind="urge", title=f"催办 {i}", url="/cases/1/")


def queries_for(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


# Operators' pages carry one badge query per work queue of the navigation (nine queues); a
# queue page also reads the paths of the user's platforms (the to-verify badge counts the cases
# of the levels above them, which a county operator does not verify).
PAGES = [
    ("village_a", "/queues/to_accept/", 18),
    ("town_office", "/queues/to_dispatch/", 18),
    ("town_office", "/queues/returned/", 18),
    ("town_office", "/queues/extensions/", 18),
    ("town_office", "/queues/overdue/", 18),
    ("town_office", "/queues/to_verify/", 18),
    ("town_office", "/queues/to_callback/", 18),
    ("env_handler", "/queues/my_tasks/", 12),
    ("env_handler", "/queues/overdue/", 12),
    ("worker_a1", "/m/tasks/", 10),
    ("worker_a1", "/m/verify/", 10),
    ("town_office", "/inbox/", 18),  # + one query for the back-tracing tasks (core.inbox)
    ("worker_a1", "/inbox/", 10),
    ("town_office", "/command/figures.json", 17),
    ("town_office", "/command/grids.json", 8),
    ("town_office", "/command/tiles/", 17),
    ("town_office", f"/command/grid/{UNIT_A2}/", 12),
    ("town_office", "/inbox/unread/", 4),
    ("town_office", "/command/", 18),  # + who is on duty now (one query)
    ("worker_a1", "/m/", 10),
    ("town_office", "/boards/", 17),
]


@pytest.mark.parametrize(("username", "url", "most"), PAGES)
def test_page_queries_are_bounded_and_do_not_grow_with_rows(
    town: Town,
    report: Callable[..., Case],
    client_for: Any,
    django_assert_max_num_queries: Any,
    username: str,
    url: str,
    most: int,
) -> None:
    client = client_for(username)
    fill_queues(town, report, 1)
    client.get(url)  # warm per-process caches (the calendar, the grid document)
    few = queries_for(client, url)
    fill_queues(town, report, 3)
    with django_assert_max_num_queries(most):
        many = queries_for(client, url)
    assert many == few, f"{url}: {few} queries with one row each, {many} with four"
