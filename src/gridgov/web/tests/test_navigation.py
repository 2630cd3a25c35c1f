"""The top bar's menus: every entry of a role in one menu, counts summed per menu, an entry
added without a group in the default menu, and every existing key and URL kept."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import RequestFactory

from gridgov.web import navigation
from gridgov.web.navigation import DEFAULT_GROUP, KEY_GROUPS, NAV_GROUPS, group_of, nav_groups

pytestmark = pytest.mark.django_db


def request_for(user: Any, path: str = "/") -> Any:
    request = RequestFactory().get(path)
    request.user = user
    return request


@pytest.mark.parametrize("username", ["admin", "town_office", "leader", "env_handler", "worker_a1"])
def test_every_entry_lands_in_exactly_one_declared_menu(town: Any, username: str) -> None:
    request = request_for(town.user(username))
    items = navigation.nav_items(request)
    groups = nav_groups(request)
    grouped = [i.key for g in groups for i in g.items]
    assert sorted(grouped) == sorted(i.key for i in items)
    assert len(grouped) == len(set(grouped))
    declared = [key for key, _label in NAV_GROUPS]
    assert [g.key for g in groups] == [k for k in declared if k in {g.key for g in groups}]
    # Every key the bar has today is mapped: nothing of it falls into the catch-all menu.
    assert all(g.key != DEFAULT_GROUP for g in groups), username


def test_the_cases_menu_sums_its_queues_and_is_red_with_an_alert(town: Any) -> None:
    request = request_for(town.user("town_office"), "/queues/overdue/")
    request._gridgov_queue_counts = {"to_accept": 2, "to_dispatch": 3, "overdue": 4}
    cases = next(g for g in nav_groups(request) if g.key == "cases")
    assert cases.count == 9
    assert cases.alert
    assert cases.current
    request = request_for(town.user("town_office"), "/")
    request._gridgov_queue_counts = {"to_accept": 2, "to_dispatch": 3}
    cases = next(g for g in nav_groups(request) if g.key == "cases")
    assert (cases.count, cases.alert, cases.current) == (5, False, False)
    registry = next(g for g in nav_groups(request) if g.key == "registry")
    assert registry.count is None


def test_an_entry_added_without_a_group_lands_in_the_default_menu(
    town: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = navigation.nav_items

    def with_new_page(request: Any) -> list[navigation.NavItem]:
        items = real(request)
        new = navigation.NavItem(
            key="newpage", label="新页面", url="/new/", group=group_of("newpage")
        )
        return [*items, new]

    monkeypatch.setattr(navigation, "nav_items", with_new_page)
    groups = nav_groups(request_for(town.user("admin")))
    # 更多 comes after the declared menus, before 管理后台.
    assert [g.key for g in groups[-2:]] == [DEFAULT_GROUP, "admin"]
    assert [i.key for i in groups[-2].items] == ["newpage"]
    assert group_of("queue:anything") == "cases"
    assert group_of("fieldwork_attendance") == KEY_GROUPS["fieldwork_attendance"] == "fieldwork"


def test_the_page_keeps_every_key_and_url(client_for: Any, town: Any) -> None:
    body = client_for("admin").get("/").content.decode()
    keys = set(re.findall(r'data-nav="([^"]+)"', body))
    for key in ("home", "command", "queue:to_accept", "queue:overdue", "people", "boards"):
        assert key in keys
    assert {"hotline", "statistics", "ledgers", "registry_ledgers", "admin"} <= keys
    assert 'href="/admin/"' in body
    assert body.count("<details>") >= 5
    assert 'data-group-count="cases"' in body
