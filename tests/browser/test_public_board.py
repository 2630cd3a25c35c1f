"""The public board (公示牌) of a grid: a printable page and a PDF with the Chinese text embedded,
and a QR code leading residents to the report page of that grid."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader

from gridgov.core.testing.town import TOWN_CODE, UNIT_A1, VILLAGE_A

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


# A post title and duties as long as a real town's (seed 004): on a phone, five table columns
# left the duties one or two characters wide and pushed the page sideways.
LONG_TITLE = "镇网格长(镇党委书记)"
LONG_DUTIES = (
    "对全镇网格化服务管理负第一责任:统筹部署、协调解决网格内重大事项,督导考核各级网格。"
    "落实上级党委政府的工作部署并分解到网格员;定期巡视各级网格。"
)


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_board_fits_a_phone_with_long_posts_and_duties(
    open_page: Any, shot: Any, locale: str
) -> None:
    from gridgov.people.models import Post

    Post.objects.filter(grid__code__in=[TOWN_CODE, VILLAGE_A]).update(
        title=LONG_TITLE, duties=LONG_DUTIES
    )
    phone = open_page(viewport="phone", locale=locale).page
    for code in (TOWN_CODE, VILLAGE_A):
        phone.goto(f"/board/{code}/")
        assert LONG_TITLE in phone.locator(".bs-people").inner_text()
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"board {code} is {width}px wide at 375px ({locale})"
        duties = phone.locator(".bs-people .bs-duties").first.bounding_box()
        assert duties is not None
        assert duties["width"] >= 250, duties  # whole lines, not a sliver
        shot(phone, f"board-phone-375-{code}-{locale}")
