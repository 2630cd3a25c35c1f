"""Every user's in-app inbox (issue 3): assignments, urges, returns, overdue warnings and
callbacks, unread first; opening one marks it read and leads to its case; a badge in the
navigation counts the unread ones."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from gridgov.cases import services
from gridgov.core.models import Notification
from gridgov.core.notify import notify
from gridgov.core.testing.town import Town


def test_an_assignment_reaches_the_handlers_inbox_and_opens_its_case(
    town: Town, report: Any, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    village, office = town.user("village_a"), town.user("town_office")
    case = services.accept_case(case=report(), by=village)
    case = services.escalate_case(case=case, by=village, note="需镇环保所处理")
    with django_capture_on_commit_callbacks(execute=True):
        services.dispatch_case(case=case, by=office, to=town.env)
        services.urge_case(case=case, by=office, note="请尽快处理")
    client = client_for("env_handler")
    page = client.get("/inbox/").content.decode()
    rows = Notification.objects.filter(user=town.user("env_handler")).order_by("created_at")
    assert [n.kind for n in rows] == ["assignment", "urge"]
    assert all(f'href="/inbox/{n.pk}/"' in page for n in rows)
    # newest first: the urge above the assignment
    assert page.index(f'data-notification="{rows[1].pk}"') < page.index(
        f'data-notification="{rows[0].pk}"'
    )
    response = client.get(f"/inbox/{rows[0].pk}/")
    assert response.status_code == 302
    assert response.url == f"/cases/{case.pk}/"
    rows[0].refresh_from_db()
    assert rows[0].read_at is not None
    assert client.get(response.url).status_code == 200


def test_unread_come_first_then_the_newest(town: Town, client_for: Any) -> None:
    user = town.user("town_office")
    now = timezone.now()
    old_unread = notify(user=user, kind="overdue", title="旧的未读", url="/cases/1/")
    newer_read = notify(user=user, kind="urge", title="新的已读", url="/cases/1/")
    newest_unread = notify(user=user, kind="callback", title="最新未读", url="/cases/1/")
    Notification.objects.filter(pk=old_unread.pk).update(created_at=now - dt.timedelta(days=2))
    Notification.objects.filter(pk=newer_read.pk).update(
        created_at=now - dt.timedelta(days=1), read_at=now
    )
    page = client_for("town_office").get("/inbox/").content.decode()
    order = [int(pk) for pk in re.findall(r'data-notification="(\d+)"', page)]
    assert order == [newest_unread.pk, old_unread.pk, newer_read.pk]


def test_the_inbox_pages_twenty_at_a_time(town: Town, client_for: Any) -> None:
    user = town.user("worker_a1")
    for i in range(25):
        notify(user=user, kind="generic", title=f"通知 {i}")
    client = client_for("worker_a1")
    first = client.get("/inbox/").content.decode()
    second = client.get("/inbox/", {"page": 2}).content.decode()
    assert first.count("data-notification=") == 20
    assert second.count("data-notification=") == 5
    assert "通知 24" in first
    assert "通知 0" in second


def test_another_users_notification_is_not_found(town: Town, client_for: Any) -> None:
    theirs = notify(user=town.user("worker_b1"), kind="urge", title="别人的催办", url="/")
    client = client_for("worker_a1")
    assert client.get(f"/inbox/{theirs.pk}/").status_code == 404
    assert "别人的催办" not in client.get("/inbox/").content.decode()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read(town: Town, client_for: Any) -> None:
    user = town.user("village_a")
    for title in ("一", "二", "三"):
        notify(user=user, kind="return", title=title)
    other = notify(user=town.user("worker_a1"), kind="urge", title="别人的")
    client = client_for("village_a")
    assert client.get("/inbox/unread/").content.decode().count('data-unread="3"') == 1
    response = client.post("/inbox/read-all/")
    assert response.status_code == 302
    assert Notification.objects.for_user(user).unread().count() == 0
    other.refresh_from_db()
    assert other.read_at is None
    assert 'data-unread="0"' in client.get("/inbox/unread/").content.decode()
    assert client.get("/inbox/read-all/").status_code == 405


def test_a_link_elsewhere_is_never_followed(town: Town, client_for: Any) -> None:
    """A stored absolute URL (an SMS link) does not make the inbox an open redirect: the case
    page is opened instead."""
    user = town.user("town_office")
    odd = notify(user=user, kind="generic", title="外部链接", url="https://example.org/x")
    assert client_for("town_office").get(f"/inbox/{odd.pk}/").url == "/inbox/"


@pytest.mark.parametrize(
    "username", ["admin", "town_office", "village_a", "leader", "env_handler", "worker_a1"]
)
def test_every_role_sees_the_unread_badge(town: Town, client_for: Any, username: str) -> None:
    notify(user=town.user(username), kind="urge", title="催办")
    client = client_for(username)
    page = client.get("/", follow=True).content.decode()
    badge = re.search(r'<span class="count inbox-count"[^>]*data-unread="(\d+)"[^>]*>', page)
    assert badge is not None, username
    assert badge.group(1) == "1"
    assert 'hx-get="/inbox/unread/"' in badge.group(0)
    assert 'hx-trigger="every 60s"' in badge.group(0)
    assert 'href="/inbox/"' in page


def test_the_phone_inbox_has_the_tab_bar(town: Town, client_for: Any) -> None:
    notify(user=town.user("worker_a1"), kind="verify", title="待核查")
    page = client_for("worker_a1").get("/inbox/").content.decode()
    assert 'class="tabbar"' in page
    assert page.count('id="inbox-count"') == 1  # one badge: in the tab bar, not in the top bar
    office = client_for("town_office").get("/inbox/").content.decode()
    assert 'class="tabbar"' not in office


def test_the_badge_costs_one_count_query(
    town: Town, client_for: Any, django_assert_num_queries: Any
) -> None:
    notify(user=town.user("town_office"), kind="urge", title="催办")
    client = client_for("town_office")
    client.get("/inbox/unread/")
    # the session, the user, and the COUNT
    with django_assert_num_queries(3) as captured:
        response = client.get("/inbox/unread/")
    assert 'data-unread="1"' in response.content.decode()
    assert "COUNT(" in captured.captured_queries[-1]["sql"].upper()


def test_an_anonymous_visitor_is_sent_to_log_in(client_for: Any) -> None:
    response = client_for("").get("/inbox/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_after_logging_out_the_badge_stops_polling(client_for: Any) -> None:
    response = client_for("").get("/inbox/unread/")
    assert response.status_code == 286  # htmx: stop polling
    body = response.content.decode()
    assert 'data-unread="0"' in body
    assert "hx-get" not in body
