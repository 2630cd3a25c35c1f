"""The grid worker picks a matter and answers its extra questions on the phone; only that
matter's questions show, and the answers arrive with the case."""

from __future__ import annotations

from typing import Any

import pytest

from gridgov.cases.models import Case
from gridgov.core.testing.town import INSIDE, UNIT_A1

pytestmark = pytest.mark.browser


def test_phone_report_asks_the_chosen_matters_questions(open_page: Any, shot: Any) -> None:
    from gridgov.open311.demo import build_demo_attributes

    build_demo_attributes()
    w = open_page("worker_a1", viewport="phone", geolocation=INSIDE[UNIT_A1])
    page = w.page
    page.goto("/m/report/")
    page.wait_for_selector("#report-form[data-has-position='1']")
    questions = page.locator("[data-attributes-for='0505']")
    assert questions.is_hidden()
    page.get_by_label("问题描述").fill("路口路面塌陷")
    page.locator("[data-category-search]").fill("道路破损")
    page.locator("input[name='category'][value='0505']").check()
    questions.wait_for()
    assert page.locator("[data-attributes-for='0401']").is_hidden()
    page.get_by_label("破损面积(平方米) *").fill("2")
    page.get_by_label("影响行人").check()
    questions.scroll_into_view_if_needed()
    shot(page, "phone-report-questions-375", full_page=False)
    page.get_by_role("button", name="上报", exact=True).click()
    page.locator("#sent-list a").wait_for()
    case = Case.objects.get(description="路口路面塌陷")
    assert case.attributes == {"area_m2": 2, "hazards": ["walkers"]}
