"""Unclassified hotline records and the case page's suggestion (issue 13 audit): the operator
sees each record's suggested item and confidence, confirms ticked rows in bulk or picks another
item; on the page of a case without an item the suggestion fills the form, which the operator
still submits."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from gridgov.cases.models import Case, Channel, MatterItem
from gridgov.cases.services import intake
from gridgov.core.testing.town import INSIDE, UNIT_A1, UNIT_B1
from gridgov.hotline.models import HotlineRecord
from gridgov.hotline.services.suggest import suggest_for_records, train_classifier
from gridgov.hotline.tests.test_api import make
from gridgov.hotline.tests.test_classify import closed_cases

pytestmark = pytest.mark.browser


@pytest.fixture
def trained(site: str) -> None:
    users = get_user_model().objects
    closed_cases(SimpleNamespace(user=lambda name: users.get(username=name)))
    train_classifier(by=None)


def test_the_office_confirms_ticked_suggestions_and_picks_another_item(
    trained: None, open_page: Any, shot: Any
) -> None:
    make("12345-0001", UNIT_A1, description="深夜工地施工噪音太吵", category_value="其他")
    make("12345-0002", UNIT_A1, description="小区停水两天了", category_value="其他")
    make("12345-0003", UNIT_B1, description="河边垃圾堆积没人清理", category_value="其他")
    suggest_for_records(list(HotlineRecord.objects.all()))
    page = open_page("town_office").page
    page.goto("/hotline/unclassified/")
    rows = page.locator("#unclassified tbody tr")
    assert rows.count() == 3
    assert "置信度" in page.locator("tr[data-record='12345-0001']").inner_text()
    shot(page, "r13-hotline-unclassified")
    page.locator("tr[data-record='12345-0001'] input[type=checkbox]").check()
    page.locator("tr[data-record='12345-0003'] input[type=checkbox]").check()
    page.get_by_role("button", name="确认所选工单的建议").click()
    page.locator(".notice").wait_for()
    assert "已分类 2 件工单" in page.locator(".notice").inner_text()
    assert rows.count() == 1
    row = page.locator("tr[data-record='12345-0002']")
    row.locator("select[name=item]").select_option("0404")
    row.get_by_role("button", name="确认").click()
    page.locator(".notice").wait_for()
    items = dict(HotlineRecord.objects.values_list("external_number", "item__code"))
    assert items == {"12345-0001": "0404", "12345-0002": "0404", "12345-0003": "0502"}
    assert HotlineRecord.objects.get(external_number="12345-0002").took_suggestion is False
    shot(page, "r13-hotline-unclassified-done")


def test_the_case_page_fills_the_suggested_item_and_the_operator_submits(
    trained: None, open_page: Any, shot: Any
) -> None:
    worker = get_user_model().objects.get(username="worker_a1")
    case = intake.report_case(
        by=worker,
        channel=Channel.PATROL,
        description="半夜工地施工噪音很大,吵得睡不着",
        lon=INSIDE[UNIT_A1][0],
        lat=INSIDE[UNIT_A1][1],
    ).case
    page = open_page("village_a").page  # the station accepts its workers' reports
    page.goto(f"/cases/{case.pk}/")
    button = page.locator("[data-fill-item]")
    button.wait_for()
    assert "置信度" in page.locator("[data-case-suggestion]").inner_text()
    noise = MatterItem.objects.get(code="0404")
    assert Case.objects.get(pk=case.pk).item is None, "a suggestion is never applied by itself"
    button.click()
    opened = page.locator(".action-forms details[data-action='classify']")
    assert opened.get_attribute("open") is not None
    assert opened.locator("select").input_value() == str(noise.pk)
    assert button.is_disabled()
    shot(page, "r13-case-suggestion")
    opened.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert Case.objects.get(pk=case.pk).item == noise
