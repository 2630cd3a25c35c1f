"""Reporting from the phone (the outbox posts with an idempotency key and reads JSON) and by
residents without an account, then following the case by tracking code and rating it."""

from __future__ import annotations

import json
import re
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.cases.models import Case, CaseState, Channel
from gridgov.core.testing.town import INSIDE, UNIT_A1, UNIT_A2, UNIT_B1

from .conftest import jpeg

JSON = {"HTTP_ACCEPT": "application/json"}


def phone_report(client: Any, key: str, **extra: Any) -> Any:
    lon, lat = INSIDE[UNIT_A1]
    data = {
        "idempotency_key": key,
        "description": "路面塌陷,有安全隐患",
        "category": "0105",
        "urgency": "ordinary",
        "mode": "coordinate",
        "lon": lon,
        "lat": lat,
        **extra,
    }
    return client.post("/m/report/", data, **JSON)


def test_a_resent_report_returns_the_first_case(client_for: Any) -> None:
    client = client_for("worker_a1")
    photo = SimpleUploadedFile("hole.jpg", jpeg(), content_type="image/jpeg")
    first = phone_report(client, "k-123", photos=photo)
    assert first.status_code == 201
    # A genuine retry repeats the submission exactly, photo included.
    photo = SimpleUploadedFile("hole.jpg", jpeg(), content_type="image/jpeg")
    again = phone_report(client, "k-123", photos=photo)
    assert again.status_code == 200
    assert json.loads(again.content)["id"] == json.loads(first.content)["id"]
    case = Case.objects.get(pk=json.loads(first.content)["id"])
    assert Case.objects.filter(reporter__username="worker_a1").count() == 1
    assert case.channel == Channel.PATROL
    assert case.grid.code == UNIT_A1
    assert case.item is not None
    assert case.item.code == "0105"
    assert case.attachments.count() == 1


def test_the_same_key_from_another_worker_is_another_report(client_for: Any) -> None:
    assert phone_report(client_for("worker_a1"), "same").status_code == 201
    lon, lat = INSIDE[UNIT_B1]
    assert phone_report(client_for("worker_b1"), "same", lon=lon, lat=lat).status_code == 201
    assert Case.objects.count() == 2


def test_report_problems_come_back_per_field(client_for: Any) -> None:
    client = client_for("worker_a1")
    response = phone_report(client, "k-bad", description="", mode="on_spot")
    assert response.status_code == 400
    errors = json.loads(response.content)["errors"]
    assert set(errors) == {"description", "result"}
    not_an_image = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    response = phone_report(client, "k-bad2", photos=not_an_image)
    assert response.status_code == 400
    assert "photos" in json.loads(response.content)["errors"]
    assert Case.objects.count() == 0


def test_without_script_the_report_posts_and_opens_the_case(client_for: Any) -> None:
    lon, lat = INSIDE[UNIT_A1]
    response = client_for("worker_a1").post(
        "/m/report/",
        {
            "description": "垃圾堆放",
            "urgency": "ordinary",
            "mode": "coordinate",
            "lon": lon,
            "lat": lat,
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert response.url == f"/cases/{case.pk}/"
    invalid = client_for("worker_a1").post(
        "/m/report/", {"urgency": "ordinary", "mode": "coordinate"}
    )
    assert invalid.status_code == 400
    assert 'id="id_description_errors"' in invalid.content.decode()


def test_an_on_the_spot_report_is_closed_at_once(client_for: Any) -> None:
    response = phone_report(
        client_for("worker_a1"), "k-spot", category="0102", mode="on_spot", result="已清理通道"
    )
    assert response.status_code == 201
    case = Case.objects.get()
    assert case.state == CaseState.CLOSED


def test_resident_reports_for_a_grid_and_follows_it_by_code(
    client_for: Any, closed_case: Case
) -> None:
    client = client_for("")
    response = client.post(
        "/report/",
        {
            "grid": UNIT_A2,
            "description": "小区门口路灯不亮",
            "contact_phone": "13912345678",
            "idempotency_key": "r1-4b6f0c2e9d8a7f3e",
        },
    )
    case = Case.objects.exclude(pk=closed_case.pk).get()
    assert response.status_code == 302
    assert response.url == f"/track/{case.tracking_code}/?new=1"
    assert case.channel == Channel.RESIDENT
    assert case.grid.code == UNIT_A2
    assert case.contact_phone == "+8613912345678"
    page = client.get(response.url).content.decode()
    assert case.tracking_code in page
    assert "13912345678" not in page  # the resident's own phone is not shown back
    assert "满意度评价" not in page  # only a closed case can be rated


def test_resident_form_errors_sit_next_to_the_fields(client_for: Any) -> None:
    response = client_for("").post("/report/", {"description": "", "contact_phone": "12"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_description_errors"' in body
    trap = client_for("").post("/report/", {"description": "广告", "website": "http://spam"})
    assert trap.status_code == 400
    assert Case.objects.count() == 0


def test_resident_rates_a_closed_case(client_for: Any, closed_case: Case) -> None:
    client = client_for("")
    found = client.get("/track/", {"code": closed_case.tracking_code.lower()})
    assert found.status_code == 302
    page = client.get(found.url).content.decode()
    assert "满意度评价" in page
    assert "已封堵暗管" in page  # the result
    assert "李娜" not in page
    assert "陈刚" not in page
    empty = client.post(found.url, {})
    assert empty.status_code == 400
    assert 'id="id_satisfaction_errors"' in empty.content.decode()
    rated = client.post(found.url, {"satisfaction": "4", "note": "还可以"})
    assert rated.status_code == 302
    closed_case.refresh_from_db()
    assert closed_case.state == CaseState.CALLED_BACK
    assert closed_case.satisfaction == 4
    assert "满意度评价" not in client.get(found.url).content.decode()


def test_unknown_tracking_code_is_reported_on_the_field(client_for: Any) -> None:
    response = client_for("").get("/track/", {"code": "NOPE123456"})
    assert response.status_code == 400
    assert re.search(r'id="id_code_errors".*没有找到', response.content.decode(), re.S)


def test_report_photos_reach_the_resident_only_through_the_code(client_for: Any) -> None:
    photo = SimpleUploadedFile("p.jpg", jpeg(), content_type="image/jpeg")
    client = client_for("")
    client.post("/report/", {"grid": UNIT_A1, "description": "井盖缺失", "photos": photo})
    case = Case.objects.get()
    assert client.get(f"/track/{case.tracking_code}/photos/0/")["Content-Type"] == "image/jpeg"
    assert client.get(f"/track/{case.tracking_code}/photos/1/").status_code == 404


def test_a_report_saved_by_another_account_is_refused(client_for: Any, town: Any) -> None:
    owner = town.user("worker_a1").pk
    response = phone_report(client_for("worker_b1"), "k-shared", outbox_user=str(owner))
    assert response.status_code == 409
    assert Case.objects.count() == 0
    assert (
        phone_report(client_for("worker_a1"), "k-shared", outbox_user=str(owner)).status_code == 201
    )


def not_an_image() -> SimpleUploadedFile:
    return SimpleUploadedFile("fake.jpg", b"not an image", content_type="image/jpeg")


def test_a_refused_phone_report_keeps_every_field_and_puts_errors_beside_them(
    client_for: Any,
) -> None:
    """Without script the page posts normally: a bad photo keeps the worker's input, says
    beside the photo field what was wrong and that the photo must be chosen again."""
    lon, lat = INSIDE[UNIT_A1]
    response = client_for("worker_a1").post(
        "/m/report/",
        {
            "description": "路边垃圾堆积",
            "category": "0105",
            "urgency": "urgent",
            "mode": "coordinate",
            "lon": lon,
            "lat": lat,
            "address": "村口东侧",
            "photos": not_an_image(),
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "路边垃圾堆积</textarea>" in body
    assert 'value="0105" checked' in body
    assert re.search(r'value="urgent"[^>]*checked', body)
    assert f'name="lon" value="{lon}"' in body
    assert f'name="lat" value="{lat}"' in body
    assert 'value="村口东侧"' in body
    photos = re.search(r"<input[^>]*name=\"photos\"[^>]*>", body)
    assert photos is not None
    assert 'aria-describedby="id_photos_errors id_photos_again"' in photos.group(0)
    assert 'aria-invalid="true"' in photos.group(0)
    assert re.search(r'id="id_photos_errors"><li>第1张文件 fake.jpg 不是', body)
    assert 'id="id_photos_again"' in body
    assert "nonfield" not in body  # nothing above the form: each error is beside its field
    assert Case.objects.count() == 0


def test_every_field_error_of_a_phone_report_comes_back_at_once(client_for: Any) -> None:
    response = phone_report(client_for("worker_a1"), "k-all", description="", photos=not_an_image())
    assert response.status_code == 400
    assert set(json.loads(response.content)["errors"]) == {"description", "photos"}


def test_an_incomplete_position_is_reported_beside_the_position_picker(client_for: Any) -> None:
    lon, _lat = INSIDE[UNIT_A1]
    response = client_for("worker_a1").post(
        "/m/report/",
        {"description": "井盖缺失", "urgency": "ordinary", "mode": "coordinate", "lon": lon},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert re.search(r'id="pos-errors"><li>位置不完整', body)
    assert 'aria-describedby="pos-errors"' in body  # the "use current position" button
    assert "nonfield" not in body


def test_resident_sees_the_photo_and_the_phone_errors_of_one_submission(
    client_for: Any,
) -> None:
    response = client_for("").post(
        "/report/",
        {"description": "路灯不亮", "contact_phone": "12ab", "photos": not_an_image()},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_photos_errors"' in body
    assert re.search(r'id="id_contact_phone_errors"><li>电话号码 &#x27;12ab&#x27; 无法识别', body)
    assert 'value="12ab"' in body
    assert "路灯不亮</textarea>" in body
    assert 'id="id_photos_again"' in body
    assert Case.objects.count() == 0
