"""The classifier's suggestion on the report forms (issue 13), on a 375 px phone: typing the
description shows the suggested matter and its confidence; only the button chooses it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from gridgov.cases.models import Case
from gridgov.core.testing.town import INSIDE, UNIT_A1
from gridgov.hotline.services.suggest import train_classifier
from gridgov.hotline.tests.test_classify import closed_cases

pytestmark = pytest.mark.browser


@pytest.fixture
def trained(site: str) -> None:
    users = get_user_model().objects
    closed_cases(SimpleNamespace(user=lambda name: users.get(username=name)))
    train_classifier(by=None)


def test_the_worker_sees_the_suggestion_and_chooses_it_with_the_button(
    trained: None, open_page: Any, shot: Any
) -> None:
    w = open_page("worker_a1", viewport="phone", geolocation=INSIDE[UNIT_A1])
    page = w.page
    page.goto("/m/report/")
    page.wait_for_selector("#report-form[data-has-position='1']")
    page.get_by_label("问题描述").fill("半夜施工噪音太吵了")
    button = page.locator("[data-suggest-item='0404']")
    button.wait_for()
    hint = page.locator("[data-item-suggestion]").inner_text()
    assert "建议分类:" in hint
    assert "置信度" in hint
    radio = page.locator("input[name='category'][value='0404']")
    assert not radio.is_checked(), "a suggestion is never applied by itself"
    shot(page, "phone-report-suggestion-375", full_page=False)
    button.click()
    assert radio.is_checked()
    assert button.is_disabled()
    page.get_by_role("button", name="上报", exact=True).click()
    page.locator("#sent-list a").wait_for()
    assert Case.objects.get(description="半夜施工噪音太吵了").item.code == "0404"


def test_the_resident_sees_the_suggestion_on_the_public_form(
    trained: None, open_page: Any, shot: Any
) -> None:
    w = open_page(None, viewport="phone")
    page = w.page
    page.goto("/report/")
    page.get_by_label("问题描述").fill("小区停水三天了")
    page.locator("[data-suggest-item='0708']").wait_for()
    assert not page.locator("input[name='category'][value='0708']").is_checked()
    page.locator("[data-item-suggestion]").scroll_into_view_if_needed()
    shot(page, "resident-report-suggestion-375", full_page=False)
