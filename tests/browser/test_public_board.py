"""The public board (公示牌) of a grid: a printable page and a PDF with the Chinese text embedded,
and a QR code leading residents to the report page of that grid."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader

from gridgov.core.testing.town import UNIT_A1, VILLAGE_A

pytestmark = pytest.mark.browser


def test_board_page_and_pdf_carry_the_grids_people_in_chinese(open_page: Any, shot: Any) -> None:
    w = open_page(viewport="desktop")
    page = w.page
    page.goto(f"/board/{VILLAGE_A}/")
    sheet = page.locator(f"[data-board='{VILLAGE_A}']")
    assert "王建国" in sheet.inner_text()  # the station chief, with post and phone
    assert "工作站站长" in sheet.inner_text()
    assert (
        sheet.locator("svg.board-map path.grid-outline").count() == 3
    )  # the village and its two unit grids
    assert sheet.locator(".bs-qr svg").count() == 1
    shot(page, "board-desktop")

    response = page.request.get(f"/board/{VILLAGE_A}/board.pdf")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.body()))
    text = "".join(p.extract_text() for p in reader.pages)
    for expected in [
        "网格公示牌",
        "王村",
        "王建国",
        "工作站站长",
        "138 0000 0002",
        "12345",
        "办理流程",
    ]:
        assert expected in text, expected
    fonts = {
        str(font.get_object()["/BaseFont"])
        for p in reader.pages
        for font in p["/Resources"]["/Font"].values()
    }
    assert any("Noto-Sans-CJK" in f for f in fonts), fonts

    phone = open_page(viewport="phone").page
    phone.goto(f"/board/{UNIT_A1}/")
    assert "李娜" in phone.locator(f"[data-board='{UNIT_A1}']").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    shot(phone, "board-phone-375")
    phone.get_by_role("link", name="向本网格反映问题").click()
    assert "王村第1网格" in phone.locator("main").inner_text()
    assert phone.locator("input[name=grid]").input_value() == UNIT_A1
