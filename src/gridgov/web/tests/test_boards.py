"""Public boards: anyone can open and print a grid's board; the PDF embeds the Chinese text; the
QR code encodes the resident report page of that grid."""

from __future__ import annotations

import io
from typing import Any

import segno
from pypdf import PdfReader

from gridgov.core.testing.town import UNIT_A1, VILLAGE_A, Town


def test_board_shows_people_phones_flow_hotline_and_map(client_for: Any) -> None:
    response = client_for("").get(f"/board/{VILLAGE_A}/")
    assert response.status_code == 200
    body = response.content.decode()
    for text in [
        "王建国",
        "工作站站长",
        "138 0000 0002",
        "陈刚",
        "下沉",
        "孙书记",
        "12345",
        "办理流程",
        "王村第1网格",
    ]:
        assert text in body, text
    assert body.count('class="grid-outline') == 3


def test_qr_code_opens_the_report_page_of_the_grid(client_for: Any) -> None:
    body = client_for("").get(f"/board/{UNIT_A1}/").content.decode()
    expected = segno.make(f"http://testserver/report/?grid={UNIT_A1}", error="m")
    assert expected.svg_inline(scale=4, dark="#000000", border=2) in body
    report_page = client_for("").get(f"/report/?grid={UNIT_A1}").content.decode()
    assert "王村第1网格" in report_page
    assert f'value="{UNIT_A1}"' in report_page


def test_pdf_embeds_the_chinese_text(client_for: Any) -> None:
    response = client_for("").get(f"/board/{VILLAGE_A}/board.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for expected in [
        "网格公示牌",
        "王村",
        "王建国",
        "工作站站长",
        "138 0000 0002",
        "服务热线",
        "12345",
    ]:
        assert expected in text, expected
    fonts = [
        str(f.get_object()["/BaseFont"]) for f in reader.pages[0]["/Resources"]["/Font"].values()
    ]
    assert any("Noto-Sans-CJK" in f for f in fonts)
    for f in reader.pages[0]["/Resources"]["/Font"].values():
        descriptor = (
            f.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        )
        assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))  # embedded


def test_an_inactive_grid_has_no_board(client_for: Any, town: Town) -> None:
    grid = town.a2
    grid.is_active = False
    grid.save(update_fields=["is_active"])
    assert client_for("").get(f"/board/{grid.code}/").status_code == 404
    assert client_for("").get(f"/board/{grid.code}/board.pdf").status_code == 404


def test_staff_find_the_boards_of_their_grids(client_for: Any) -> None:
    body = client_for("village_a").get("/boards/").content.decode()
    assert f"/board/{VILLAGE_A}/" in body
    assert "/board/410182100202/" not in body
    found = client_for("town_office").get("/boards/", {"q": "小村"}).content.decode()
    assert "/board/410182100202/" in found
    assert f"/board/{VILLAGE_A}/" not in found


def test_qr_code_uses_the_public_address_when_one_is_set(client_for: Any, settings: Any) -> None:
    """Boards are generated from an internal address; residents scan them outside."""
    settings.GRIDGOV_PUBLIC_URL = "https://grid.example.gov.cn/"
    settings.ALLOWED_HOSTS = ["office.intranet"]
    response = client_for("").get(f"/board/{UNIT_A1}/", HTTP_HOST="office.intranet")
    assert response.status_code == 200
    body = response.content.decode()
    url = f"https://grid.example.gov.cn/report/?grid={UNIT_A1}"
    expected = segno.make(url, error="m")
    assert expected.svg_inline(scale=4, dark="#000000", border=2) in body
    assert "office.intranet" not in body


def leader_photo(town: Town) -> str:
    """Give the village's grid leader (王建国) a photo; returns its URL."""
    from django.core.files.base import ContentFile

    from gridgov.people.models import Staff

    from .conftest import jpeg

    staff = Staff.objects.get(name="王建国")
    staff.photo.save("wang.jpg", ContentFile(jpeg((90, 112))), save=True)
    return str(staff.photo.url)


def test_board_shows_the_grid_leaders_photo(client_for: Any, town: Town) -> None:
    placeholder = client_for("").get(f"/board/{VILLAGE_A}/").content.decode()
    assert "data-board-leader" in placeholder
    assert "gridgov/person.svg" in placeholder  # a neutral placeholder, no broken image
    url = leader_photo(town)
    body = client_for("").get(f"/board/{VILLAGE_A}/").content.decode()
    leader = body[body.index("data-board-leader") :]
    leader = leader[: leader.index("</div>\n        </div>")]
    assert f'src="{url}"' in leader
    assert "王建国" in leader
    assert "138 0000 0002" in leader


def test_board_pdf_carries_the_leaders_photo(client_for: Any, town: Town) -> None:
    without = PdfReader(io.BytesIO(client_for("").get(f"/board/{VILLAGE_A}/board.pdf").content))
    assert len(without.pages[0].images) == 0
    leader_photo(town)
    response = client_for("").get(f"/board/{VILLAGE_A}/board.pdf")
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    images = reader.pages[0].images
    assert len(images) >= 1
    assert images[0].image is not None
    assert images[0].image.size[0] >= 90
