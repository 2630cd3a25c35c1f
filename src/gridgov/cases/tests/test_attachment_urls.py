"""The `url` of a photo in the API answers (issue 9, defect 7): it used to point under /media/,
which is not served. It now goes through the same jurisdiction check as the case."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from gridgov.cases.models import Case
from gridgov.core.testing.town import INSIDE, UNIT_A1

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def png() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "photo.png"
    return buffer


@pytest.fixture
def case_with_photo(client_for, town) -> Case:
    lon, lat = INSIDE[UNIT_A1]
    response = client_for("worker_a1").post(
        "/api/v1/cases/",
        data={
            "description": "井盖缺失",
            "category": "0401",
            "lon": lon,
            "lat": lat,
            "photos": png(),
        },
    )
    assert response.status_code == 201, response.content
    return Case.objects.get(pk=response.json()["id"])


def test_the_attachment_url_serves_the_photo_to_whoever_sees_the_case(client_for, case_with_photo):
    client = client_for("village_a")
    detail = client.get(f"/api/v1/cases/{case_with_photo.pk}").json()
    [attachment] = detail["attachments"]
    assert not attachment["url"].startswith("/media/")
    response = client.get(attachment["url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (40, 30)


def test_the_attachment_url_is_404_outside_the_jurisdiction(client_for, case_with_photo):
    attachment = case_with_photo.attachments.get()
    path = f"/api/v1/cases/{case_with_photo.pk}/attachments/{attachment.pk}"
    assert client_for("worker_b1").get(path).status_code == 404
    assert client_for("").get(path).status_code == 401


def test_an_attachment_of_another_case_is_404(client_for, case_with_photo, report):
    other = report()
    attachment = case_with_photo.attachments.get()
    path = f"/api/v1/cases/{other.pk}/attachments/{attachment.pk}"
    assert client_for("admin").get(path).status_code == 404


def test_tracking_photo_urls_answer_with_the_code_alone(client, case_with_photo):
    view = client.get(f"/api/v1/cases/track/{case_with_photo.tracking_code}").json()
    [url] = view["photos"]
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert client.get(url.replace("/0", "/1")).status_code == 404
