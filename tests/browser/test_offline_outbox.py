"""A grid worker without network: the report waits on the phone, visibly, and is sent when the
network is back; a resend after a lost answer does not create a second case."""

from __future__ import annotations

from typing import Any

import pytest

from gridgov.cases.models import Case
from gridgov.core.testing.town import INSIDE, UNIT_A1

pytestmark = pytest.mark.browser


def ready_report_page(open_page: Any) -> Any:
    w = open_page("worker_a1", viewport="phone", geolocation=INSIDE[UNIT_A1])
    w.page.goto("/m/report/")
    w.page.wait_for_selector("#report-form[data-has-position='1']")
    return w


def test_report_made_offline_waits_and_is_sent_once_back_online(open_page: Any, shot: Any) -> None:
    w = ready_report_page(open_page)
    page = w.page
    w.context.set_offline(True)
    page.get_by_label("问题描述").fill("离线上报:路灯损坏,夜间无照明")
    page.get_by_role("button", name="上报", exact=True).click()
    outbox = page.locator("#outbox")
    outbox.wait_for()
    assert outbox.get_attribute("data-pending") == "1"
    assert "1 条上报等待发送" in outbox.inner_text()
    assert "离线上报:路灯损坏" in outbox.inner_text()
    shot(page, "phone-outbox-waiting-375")
    assert not Case.objects.filter(description__startswith="离线上报").exists()

    w.context.set_offline(False)
    page.locator("#sent-list a").wait_for()
    page.wait_for_selector("#outbox[data-pending='0']", state="attached")
    assert outbox.is_hidden()
    assert Case.objects.filter(description__startswith="离线上报").count() == 1
    shot(page, "phone-outbox-sent-375")


def test_a_resend_after_a_lost_answer_returns_the_first_case(open_page: Any) -> None:
    w = ready_report_page(open_page)
    page = w.page
    w.allow("net::ERR_FAILED")  # the answer we throw away below
    lost: list[int] = []

    def lose_first_answer(route: Any) -> None:
        if route.request.method != "POST" or lost:
            route.continue_()
            return
        response = route.fetch()  # the server takes the report in...
        lost.append(response.status)
        route.abort("failed")  # ...but the phone never hears back

    page.route("**/m/report/", lose_first_answer)
    page.get_by_label("问题描述").fill("应答丢失:井盖缺失")
    with page.expect_event("requestfailed"):
        page.get_by_role("button", name="上报", exact=True).click()
    page.wait_for_selector("#outbox[data-pending='1']")
    assert lost == [201]
    assert Case.objects.filter(description="应答丢失:井盖缺失").count() == 1

    page.locator("[data-outbox-retry]").click()
    page.locator("#sent-list a").wait_for()
    page.wait_for_selector("#outbox[data-pending='0']", state="attached")
    assert Case.objects.filter(description="应答丢失:井盖缺失").count() == 1


def test_the_report_page_opens_without_network_once_it_was_visited(
    open_page: Any, shot: Any
) -> None:
    w = ready_report_page(open_page)
    page = w.page
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.wait_for_selector("#report-form[data-has-position='1']")
    w.context.set_offline(True)
    page.goto("/m/report/")
    page.wait_for_selector("#pos-map[data-ready='1']")
    page.wait_for_selector("#report-form[data-has-position='1']")
    page.get_by_label("问题描述").fill("山里没信号:护栏被撞坏")
    page.get_by_role("button", name="上报", exact=True).click()
    page.wait_for_selector("#outbox[data-pending='1']")
    shot(page, "phone-offline-page-375")
    assert not Case.objects.filter(description__startswith="山里没信号").exists()
    w.context.set_offline(False)
    page.locator("#sent-list a").wait_for()
    assert Case.objects.filter(description__startswith="山里没信号").count() == 1


def test_a_report_waits_for_its_own_account(open_page: Any, login_as: Any) -> None:
    w = ready_report_page(open_page)
    page = w.page
    w.allow("status of 409")  # the old page of the first worker trying under the new log-in
    w.context.set_offline(True)
    page.get_by_label("问题描述").fill("换人之前保存的上报")
    page.get_by_role("button", name="上报", exact=True).click()
    page.wait_for_selector("#outbox[data-pending='1']")
    # Another worker logs in on the same phone before it was sent: never under their name.
    login_as(w.context, "worker_b1")
    w.context.set_offline(False)
    page.goto("/m/")
    outbox = page.locator("#outbox")
    outbox.wait_for()
    assert "1 条其他账号保存的上报" in outbox.inner_text()
    assert outbox.get_attribute("data-pending") == "0"
    assert not Case.objects.filter(description="换人之前保存的上报").exists()
    login_as(w.context, "worker_a1")
    page.goto("/m/")
    page.wait_for_selector("#outbox[data-pending='0']", state="attached")
    case = Case.objects.get(description="换人之前保存的上报")
    assert case.reporter is not None
    assert case.reporter.username == "worker_a1"


NOT_AN_IMAGE = {"name": "fake.jpg", "mimeType": "image/jpeg", "buffer": b"not an image"}


def test_a_refused_report_keeps_the_input_with_each_error_beside_its_field(
    open_page: Any, shot: Any
) -> None:
    w = ready_report_page(open_page)
    page = w.page
    w.allow("status of 400")  # the refusal this test provokes
    lon = page.locator("input[name=lon]").input_value()
    page.locator("#category-search").fill("垃圾")
    page.locator("#category-list label:not([hidden])").nth(1).click()
    category = page.locator("input[name=category]:checked").get_attribute("value")
    assert category
    page.get_by_label("问题描述").fill("路边垃圾堆积")
    page.locator("input[name=urgency][value=urgent]").check()
    page.get_by_label("地址或位置说明").fill("村口东侧")
    page.locator("input[name=photos]").set_input_files(files=[NOT_AN_IMAGE])
    page.get_by_role("button", name="上报", exact=True).click()

    errors = page.locator("#id_photos_errors")
    errors.wait_for()
    assert "fake.jpg 不是 JPEG、PNG 或 WebP 图片" in errors.inner_text()
    assert page.locator("[data-photo-again]").is_visible()
    photo = page.locator("input[name=photos]")
    assert photo.get_attribute("aria-invalid") == "true"
    assert set((photo.get_attribute("aria-describedby") or "").split()) == {
        "id_photos_errors",
        "id_photos_again",
    }
    assert page.get_by_label("问题描述").input_value() == "路边垃圾堆积"
    assert page.locator("input[name=category]:checked").get_attribute("value") == category
    assert page.locator("input[name=urgency]:checked").get_attribute("value") == "urgent"
    assert page.get_by_label("地址或位置说明").input_value() == "村口东侧"
    assert page.locator("input[name=lon]").input_value() == lon
    assert page.locator("#report-form").get_attribute("data-has-position") == "1"
    assert page.locator("#sent-list").is_hidden()
    shot(page, "phone-report-refused-375")
    assert not Case.objects.exists()

    # Sent without the photo: the form is cleared, the category list whole again.
    page.get_by_role("button", name="上报", exact=True).click()
    page.locator("#sent-list a").wait_for()
    assert Case.objects.get().description == "路边垃圾堆积"
    assert page.locator("#category-search").input_value() == ""
    labels = page.locator("#category-list label[data-search]")
    assert labels.count() > 3
    assert page.locator("#category-list label[data-search][hidden]").count() == 0
    assert page.locator("#id_photos_errors, [data-photo-again], [aria-invalid]").count() == 0


def test_a_report_refused_after_waiting_offline_comes_back_into_the_form(
    open_page: Any,
) -> None:
    w = ready_report_page(open_page)
    page = w.page
    w.allow("status of 400")
    w.context.set_offline(True)
    page.get_by_label("问题描述").fill("离线时拍的照片坏了")
    page.locator("input[name=urgency][value=emergency]").check()
    page.locator("input[name=photos]").set_input_files(files=[NOT_AN_IMAGE])
    page.get_by_role("button", name="上报", exact=True).click()
    page.wait_for_selector("#outbox[data-pending='1']")
    assert page.get_by_label("问题描述").input_value() == ""  # kept on the phone meanwhile

    w.context.set_offline(False)
    page.locator("#id_photos_errors").wait_for()
    page.wait_for_selector("#outbox[data-pending='0']", state="attached")
    assert page.get_by_label("问题描述").input_value() == "离线时拍的照片坏了"
    assert page.locator("input[name=urgency]:checked").get_attribute("value") == "emergency"
    assert page.locator("#report-form").get_attribute("data-has-position") == "1"
    assert page.locator("[data-photo-again]").is_visible()
    assert "已放回表单" in page.locator("#sent-list").inner_text()
    assert not Case.objects.exists()
