"""Every page renders for the roles it serves, in Chinese and in English; other roles get the
403 page, and anything outside the user's scope the same 404 as a missing row."""

from __future__ import annotations

from typing import Any

import pytest

from gridgov.core.testing.town import UNIT_A1, UNIT_B1, VILLAGE_A, VILLAGE_B

PAGES = [
    ("admin", "/"),
    ("admin", "/command/"),
    ("town_office", "/command/"),
    ("town_office", "/queues/to_accept/"),
    ("town_office", "/queues/to_dispatch/"),
    ("town_office", "/queues/returned/"),
    ("town_office", "/queues/extensions/"),
    ("town_office", "/queues/overdue/"),
    ("town_office", "/queues/to_verify/"),
    ("town_office", "/queues/to_callback/"),
    ("town_office", "/boards/"),
    ("town_office", f"/command/grid/{VILLAGE_A}/"),
    ("leader", "/command/"),
    ("leader", "/queues/overdue/"),
    ("env_handler", "/queues/my_tasks/"),
    ("worker_a1", "/m/"),
    ("worker_a1", "/m/report/"),
    ("worker_a1", "/m/tasks/"),
    ("worker_a1", "/m/verify/"),
    ("worker_a1", "/m/map/"),
    ("", "/login/"),
    ("", "/report/"),
    ("", f"/report/?grid={UNIT_A1}"),
    ("", "/track/"),
    ("", f"/board/{UNIT_A1}/"),
]


@pytest.mark.parametrize(("username", "url"), PAGES)
def test_page_renders_in_chinese_and_in_english(client_for: Any, username: str, url: str) -> None:
    client = client_for(username)
    response = client.get(url)
    assert response.status_code == 200, url
    assert b'lang="zh-CN"' in response.content or url.startswith("/command/grid/")
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 200
    assert b'lang="en"' in english.content or url.startswith("/command/grid/")


def test_each_role_is_sent_to_its_home(client_for: Any) -> None:
    assert client_for("town_office").get("/").url == "/command/"
    assert client_for("leader").get("/").url == "/command/"
    assert client_for("env_handler").get("/").url == "/queues/my_tasks/"
    assert client_for("worker_a1").get("/").url == "/m/"
    admin_home = client_for("admin").get("/")
    assert admin_home.status_code == 200
    assert "平台管理" in admin_home.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client_for: Any) -> None:
    response = client_for("").get("/command/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")


@pytest.mark.parametrize(
    ("username", "url"),
    [
        ("worker_a1", "/command/"),
        ("env_handler", "/m/report/"),
        ("leader", "/m/"),
        ("worker_a1", "/command/figures.json"),
    ],
)
def test_other_roles_get_the_403_page(client_for: Any, username: str, url: str) -> None:
    response = client_for(username).get(url)
    assert response.status_code == 403
    body = response.content.decode()
    assert "无权访问" in body
    assert "Traceback" not in body


@pytest.mark.parametrize(
    ("username", "url"),
    [
        ("village_a", f"/command/grid/{VILLAGE_B}/"),
        ("worker_a1", f"/command/grid/{UNIT_B1}/"),
        ("leader", "/queues/to_accept/"),
        ("worker_a1", "/queues/to_dispatch/"),
        ("town_office", "/queues/no_such_queue/"),
        ("town_office", "/cases/999999/"),
        ("", "/board/000000000000/"),
        ("", "/track/NOSUCHCODE/"),
    ],
)
def test_outside_the_scope_looks_like_missing(client_for: Any, username: str, url: str) -> None:
    response = client_for(username).get(url)
    assert response.status_code == 404
    body = response.content.decode()
    assert "页面不存在" in body
    assert "Traceback" not in body


def test_a_case_of_another_grid_is_a_404_for_a_worker(client_for: Any, report: Any) -> None:
    case = report()
    assert client_for("worker_a1").get(f"/cases/{case.pk}/").status_code == 200
    assert client_for("worker_b1").get(f"/cases/{case.pk}/").status_code == 404
    assert client_for("town_office").get(f"/cases/{case.pk}/").status_code == 200


def test_navigation_shows_queue_counts(client_for: Any, report: Any) -> None:
    report()
    body = client_for("village_a").get("/queues/to_accept/").content.decode()
    assert 'data-count="queue:to_accept"' in body
    start = body.index('data-count="queue:to_accept"')
    assert ">1</span>" in body[start : start + 120]


def test_server_errors_use_the_plain_500_page() -> None:
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "服务器出错" in html
    assert "Traceback" not in html
