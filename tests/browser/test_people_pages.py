"""People and posts from the web, in the browser: a town office finds a volunteer, appoints
and moves her, creates her log-in; she logs in with the one-time password and is held on the
change page until she chooses her own."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gridgov.core.testing.town import UNIT_A1, UNIT_B1

pytestmark = pytest.mark.browser


def test_office_manages_posts_and_a_new_worker_changes_her_first_password(
    open_page: Any, shot: Any
) -> None:
    viewport = "desktop"
    from gridgov.grids.models import Grid
    from gridgov.people.models import PasswordChangeDue, PostKind, Staff
    from gridgov.people.services import assign_post, create_staff

    helper = create_staff(name="钱多多", phone="13900001111")
    assign_post(
        staff=helper,
        kind=PostKind.VOLUNTEER,
        grid=Grid.objects.get(code=UNIT_A1),
        started_on=dt.date(2026, 1, 1),
    )
    w = open_page("town_office", viewport=viewport)
    page = w.page
    page.goto("/people/")
    page.get_by_label("姓名").fill("钱")
    page.get_by_role("button", name="筛选").click()
    page.get_by_role("link", name="钱多多").click()
    assert "139****1111" in page.inner_text("main")
    assert "13900001111" not in page.content()
    shot(page, f"people-staff-{viewport}")

    page.get_by_text("调整网格", exact=True).first.click()
    page.get_by_label("调往网格").select_option(UNIT_B1)
    shot(page, f"people-move-{viewport}")
    page.get_by_role("button", name="确定").click()
    page.wait_for_selector(".messages")
    current = Staff.objects.get(pk=helper.pk).posts.get(ended_on__isnull=True)
    assert current.grid.code == UNIT_B1

    page.locator("summary", has_text="创建登录账号").click()
    page.get_by_label("用户名").fill(f"qian_{viewport}")
    page.get_by_label("授权网格").select_option(UNIT_B1)
    page.get_by_role("button", name="创建账号").click()
    password = page.locator("[data-one-time-password]").inner_text().strip()
    assert len(password) == 12
    shot(page, f"people-one-time-password-{viewport}")
    small = open_page("town_office", viewport="phone").page
    for url, name in [("/people/", "list"), (f"/people/staff/{helper.pk}/", "staff")]:
        small.goto(url)
        shot(small, f"people-{name}-phone")
        assert small.evaluate("document.documentElement.scrollWidth") <= 375 + 1

    new = open_page(viewport="phone")
    worker = new.page
    worker.goto("/login/")
    worker.get_by_label("用户名").fill(f"qian_{viewport}")
    worker.get_by_label("密码").fill(password)
    worker.get_by_label("密码").press("Enter")
    worker.wait_for_url("**/people/password/**")
    assert "初始密码" in worker.inner_text("main")
    shot(worker, f"people-forced-password-change-{viewport}")
    worker.goto("/m/report/")
    assert "/people/password/" in worker.url  # held here until the password is changed
    worker.locator("#id_old_password").fill(password)
    worker.locator("#id_new_password1").fill("qian-own-2026")
    worker.locator("#id_new_password2").fill("qian-own-2026")
    worker.locator("#id_new_password2").press("Enter")
    worker.wait_for_url("**/m/report/")
    assert not PasswordChangeDue.objects.filter(user__username=f"qian_{viewport}").exists()
    shot(worker, f"people-after-change-{viewport}")
