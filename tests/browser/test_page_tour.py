"""Every main page at phone (375×667) and desktop (1440×900) size: no error in the browser, no
layout wider than the screen, every visible form control labelled; a screenshot of each is kept
in test-artifacts/screenshots/ for a person to look at."""

from __future__ import annotations

from typing import Any

import pytest

from gridgov.cases import services
from gridgov.cases.models import Case, Channel, MatterItem
from gridgov.cases.services.intake import report_case
from gridgov.core.testing.town import INSIDE, UNIT_A1, UNIT_A2, VILLAGE_A, Town

pytestmark = pytest.mark.browser

# Form controls without a label, an aria-label or aria-labelledby (hidden ones excepted).
UNLABELLED = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => el.type !== 'hidden' && !el.closest('[hidden]') && el.offsetParent !== null
    && !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
    && !el.getAttribute('aria-labelledby'))
  .map(el => el.name || el.id || el.outerHTML.slice(0, 80))"""


def seed_cases(town: Town) -> Case:
    item = MatterItem.objects.get(code="0401")
    lon, lat = INSIDE[UNIT_A1]
    worker = town.user("worker_a1")
    first = report_case(
        by=worker, channel=Channel.PATROL, description="河边暗管排污", item=item, lon=lon, lat=lat
    ).case
    report_case(
        by=worker,
        channel=Channel.PATROL,
        description="路边积存垃圾",
        item=MatterItem.objects.get(code="0502"),
        lon=INSIDE[UNIT_A2][0],
        lat=INSIDE[UNIT_A2][1],
    )
    case = services.accept_case(case=first, by=town.user("village_a"))
    case = services.escalate_case(case=case, by=town.user("village_a"), note="需镇环保所处理")
    return services.dispatch_case(case=case, by=town.user("town_office"), to=town.env)


def notify_everyone(town: Town, case: Case) -> None:
    """A few inbox rows, read and unread, for the inbox pages."""
    from gridgov.core.notify import mark_read, notify

    for username in ("town_office", "worker_a1"):
        user = town.user(username)
        for kind, title in [
            ("urge", f"催办:{case.title}"),
            ("overdue", f"案件已超期:{case.title}"),
            ("callback", "请回访群众:路边积存垃圾清理情况"),
        ]:
            last = notify(
                user=user, kind=kind, title=title, body="请及时处理", url=f"/cases/{case.pk}/"
            )
        mark_read(notification=last, by=user)


PAGES: list[tuple[str, str, str, str]] = [
    # (name, user, path, selector to wait for)
    ("login", "", "/login/", "form"),
    ("command-centre", "town_office", "/command/", "#command-centre[data-figures='1']"),
    ("queue-to-accept", "village_a", "/queues/to_accept/", "table.data"),
    ("queue-my-tasks", "env_handler", "/queues/my_tasks/", "table.data"),
    ("case-page", "env_handler", "/cases/{case}/", "#case-map[data-ready='1']"),
    ("admin-home", "admin", "/", "h1"),
    ("boards", "town_office", "/boards/", "table.data"),
    ("board", "", f"/board/{VILLAGE_A}/", ".board-sheet"),
    ("resident-report", "", f"/report/?grid={UNIT_A1}", "#pos-map[data-ready='1']"),
    ("resident-track", "", "/track/", "form"),
    ("resident-progress", "", "/track/{code}/?new=1", ".tracking-code"),
    ("phone-home", "worker_a1", "/m/", "h1"),
    ("phone-report", "worker_a1", "/m/report/", "#pos-map[data-ready='1']"),
    ("phone-tasks", "worker_a1", "/m/tasks/", "h1"),
    ("phone-verify", "worker_a1", "/m/verify/", "h1"),
    ("phone-map", "worker_a1", "/m/map/", "#phone-map[data-ready='1']"),
    ("inbox", "town_office", "/inbox/", "[data-inbox]"),
    ("phone-inbox", "worker_a1", "/inbox/", "[data-inbox]"),
    ("slip-assignment", "env_handler", "/cases/{case}/slips/assignment/{task}/", ".slip-sheet"),
    ("slip-report", "env_handler", "/cases/{case}/slips/report/0/", ".slip-sheet"),
]


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_main_pages_fit_the_screen_and_label_their_controls(
    open_page: Any, shot: Any, viewport: str
) -> None:
    case = seed_cases(Town())
    task = case.tasks.get()
    notify_everyone(Town(), case)
    width = 375 if viewport == "phone" else 1440
    pages: dict[str, Any] = {}
    for name, user, path, ready in PAGES:
        if user not in pages:
            pages[user] = open_page(
                user or None, viewport=viewport, geolocation=INSIDE[UNIT_A1]
            ).page
        page = pages[user]
        page.goto(path.format(case=case.pk, code=case.tracking_code, task=task.pk))
        page.wait_for_selector(ready)
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"{name} is {overflow}px wide at {width}px"
        assert page.evaluate(UNLABELLED) == [], name
        shot(page, f"{name}-{viewport}")
