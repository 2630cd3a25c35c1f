"""The inbox badge in the navigation refreshes without reloading the page (htmx polling); a
notification opened from the inbox is marked read and leads to its case."""

from __future__ import annotations

from typing import Any

import pytest

from gridgov.core.testing.town import Town

pytestmark = pytest.mark.browser


def test_the_badge_counts_a_new_notification_without_a_reload(open_page: Any, report: Any) -> None:
    from gridgov.core.notify import notify

    town = Town()
    case = report(description="井盖缺失,夜间危险")
    w = open_page("village_a")
    page = w.page
    page.clock.install()
    page.goto("/queues/to_accept/")
    badge = page.locator("#inbox-count")
    assert badge.get_attribute("data-unread") == "0"
    assert badge.is_hidden()
    page.evaluate("window.__sameDocument = true")

    notify(
        user=town.user("village_a"), kind="urge", title="催办:井盖缺失", url=f"/cases/{case.pk}/"
    )
    with page.expect_response(lambda r: "/inbox/unread/" in r.url):
        page.clock.fast_forward("01:01")
    page.wait_for_selector("#inbox-count[data-unread='1']")
    assert page.locator("#inbox-count").is_visible()
    assert page.evaluate("window.__sameDocument") is True

    page.locator("a[data-nav='inbox']").click()
    page.wait_for_url("**/inbox/")
    page.locator("[data-inbox] li.unread a").first.click()
    page.wait_for_url(f"**/cases/{case.pk}/")
    assert page.locator("#inbox-count").get_attribute("data-unread") == "0"


@pytest.fixture
def report(site: str) -> Any:
    from gridgov.cases.models import Channel
    from gridgov.cases.services.intake import report_case
    from gridgov.core.testing.town import INSIDE, UNIT_A1

    def make(description: str) -> Any:
        lon, lat = INSIDE[UNIT_A1]
        return report_case(
            by=Town().user("worker_a1"),
            channel=Channel.PATROL,
            description=description,
            lon=lon,
            lat=lat,
        ).case

    return make
