"""Every role logs in through the form and lands on the page it works from."""

from __future__ import annotations

import re
from typing import Any

import pytest

from gridgov.core.testing.town import PASSWORD

pytestmark = pytest.mark.browser

HOMES = [
    ("admin", r"/$", "平台管理"),
    ("town_office", r"/command/$", "指挥中心"),
    ("village_a", r"/command/$", "指挥中心"),
    ("leader", r"/command/$", "指挥中心"),
    ("env_handler", r"/queues/my_tasks/$", "本部门待办"),
    ("worker_a1", r"/m/$", "您好"),
]


def log_in(page: Any, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("networkidle")


def test_each_role_lands_on_its_own_home(open_page: Any, shot: Any) -> None:
    for username, url, heading in HOMES:
        w = open_page(viewport="phone" if username == "worker_a1" else "desktop")
        log_in(w.page, username)
        assert re.search(url, w.page.url), (username, w.page.url)
        assert heading in w.page.locator("h1").first.inner_text()
        shot(w.page, f"home-{username}-{'phone' if username == 'worker_a1' else 'desktop'}")


def test_wrong_password_is_shown_on_the_form(open_page: Any) -> None:
    w = open_page()
    w.page.goto("/login/")
    w.page.get_by_label("用户名").fill("worker_a1")
    w.page.get_by_label("密码").fill("not-the-password")
    w.page.get_by_role("button", name="登录").click()
    assert "/login/" in w.page.url
    assert w.page.locator(".errorlist").count() == 1


def test_language_switch_renders_pages_in_english(open_page: Any) -> None:
    w = open_page("town_office")
    w.page.goto("/command/")
    w.page.get_by_role("button", name="EN").click()
    w.page.wait_for_load_state("networkidle")
    assert w.page.locator("html").get_attribute("lang") == "en"
    assert w.page.url.endswith("/command/")
    for path in ["/queues/to_accept/", "/boards/", "/report/", "/track/"]:
        response = w.page.goto(path)
        assert response is not None
        assert response.status == 200, path
        assert w.page.locator("html").get_attribute("lang") == "en"
    w.page.get_by_role("button", name="中文").click()
    w.page.wait_for_load_state("networkidle")
    assert w.page.locator("html").get_attribute("lang") == "zh-CN"
