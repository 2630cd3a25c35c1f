"""A case's whole life in the browser, as the people who handle it see it: a grid worker reports
it on a phone with a photo and a position, the village takes it in and passes it up, the town's
grid office dispatches it to the environment office, the handler feeds back, the worker
verifies, the office closes, and the resident follows it by tracking code and rates it."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from gridgov.cases.models import Case, CaseState
from gridgov.core.testing.town import INSIDE, UNIT_A1

pytestmark = pytest.mark.browser


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 120, 60)).save(buffer, format="JPEG")
    return buffer.getvalue()


def open_action(page: Any, action: str) -> Any:
    details = page.locator(f"details[data-action='{action}']")
    details.wait_for()
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    return details


def act(page: Any, action: str, fill: dict[str, str] | None = None, choose: str = "") -> None:
    """Open an action's form on the case page, fill it, submit, and wait for the new page."""
    details = open_action(page, action)
    for label, value in (fill or {}).items():
        details.get_by_label(label).fill(value)
    if choose:
        details.get_by_label(choose, exact=True).check()
    details.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".messages li.success").count() == 1, page.locator("main").inner_text()


def test_report_dispatch_feedback_verify_close_and_resident_callback(
    open_page: Any, shot: Any
) -> None:
    # 1. The grid worker reports on the phone: photo, position from geolocation, category, text.
    worker = open_page("worker_a1", viewport="phone", geolocation=INSIDE[UNIT_A1])
    page = worker.page
    page.goto("/m/report/")
    page.wait_for_selector("#pos-map[data-ready='1']")
    page.wait_for_selector("#report-form[data-has-position='1']")
    page.set_input_files(
        "input[name=photos]",
        files=[{"name": "scene.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}],
    )
    page.get_by_label("搜索事项").fill("排污")
    page.get_by_label("违法排污(废水、废气)").check()
    page.get_by_label("问题描述").fill("村东小河有暗管向河里排放黑水,气味刺鼻。")
    shot(page, "phone-report-375")
    page.get_by_role("button", name="上报", exact=True).click()
    page.locator("#sent-list a").wait_for()
    assert page.locator("#outbox").is_hidden()
    case = Case.objects.get(reporter__username="worker_a1")
    assert case.grid.code == UNIT_A1
    assert case.item is not None
    assert case.item.code == "0401"
    assert abs(case.lon - INSIDE[UNIT_A1][0]) < 1e-4
    assert abs(case.lat - INSIDE[UNIT_A1][1]) < 1e-4
    assert case.attachments.count() == 1
    assert case.state == CaseState.REPORTED
    shot(page, "phone-report-sent-375")

    # 2. The village acceptance centre accepts it and passes it up to the town (the
    #    environment office works at town level).
    village = open_page("village_a").page
    village.goto("/queues/to_accept/")
    village.get_by_role("link", name=case.title).click()
    village.wait_for_selector("#case-map[data-ready='1']")
    shot(village, "case-page-reported-desktop")
    act(village, "accept")
    act(village, "escalate", {"说明": "需镇环保所执法"})

    # 3. The town's grid office dispatches it to the environment office.
    office = open_page("town_office").page
    office.goto("/queues/to_dispatch/")
    office.get_by_role("link", name=case.title).click()
    open_action(office, "dispatch").get_by_label("主办部门").select_option(label="王村镇环保所")
    act(office, "dispatch", {"交办要求": "现场取证并责令停止排放"})
    case.refresh_from_db()
    assert case.state == CaseState.DISPATCHED

    # 4. The department handler signs for it and feeds back.
    handler = open_page("env_handler").page
    handler.goto("/queues/my_tasks/")
    handler.get_by_role("link", name=case.title).click()
    act(handler, "handle")
    act(handler, "feedback", {"处置结果": "已封堵暗管,责令企业整改,水体已清理。"})
    case.refresh_from_db()
    assert case.state == CaseState.FED_BACK

    # 5. The worker verifies on the phone.
    page.goto("/m/verify/")
    page.get_by_role("link", name=case.title).click()
    act(page, "verify", {"核查意见": "现场已无排放"}, choose="通过")
    shot(page, "case-page-verified-375")
    case.refresh_from_db()
    assert case.state == CaseState.VERIFIED

    # 6. The grid office closes it.
    office.goto(f"/cases/{case.pk}/")
    act(office, "close")
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED
    shot(office, "case-page-closed-desktop")

    # 7. The resident follows it with the tracking code and rates it.
    resident = open_page(viewport="phone").page
    resident.goto("/track/")
    resident.get_by_label("查询码").fill(case.tracking_code.lower())
    resident.get_by_role("button", name="查询").click()
    assert resident.locator("[data-state]").get_attribute("data-state") == "closed"
    assert "已结案" in resident.locator("main").inner_text()
    resident.get_by_label("满意", exact=True).check()
    resident.get_by_label("意见和建议").fill("处理及时,谢谢!")
    shot(resident, "resident-track-closed-375")
    resident.get_by_role("button", name="提交评价").click()
    resident.wait_for_load_state("networkidle")
    assert "感谢您的评价" in resident.locator("main").inner_text()
    case.refresh_from_db()
    assert case.state == CaseState.CALLED_BACK
    assert case.satisfaction == 5
