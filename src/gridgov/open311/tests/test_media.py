"""Photos: a POST may carry one `media` file; the case keeps it (metadata stripped) and
media_url points at it while the case is one its reporter published through Open311."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gridgov.cases import services
from gridgov.cases.attachments import has_metadata
from gridgov.cases.models import Case, CaseAttachment, Channel, MatterItem
from gridgov.cases.services import intake
from gridgov.core.testing.town import INSIDE, UNIT_A1
from gridgov.open311.models import Submission

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def form(raw: str, **extra):
    lon, lat = INSIDE[UNIT_A1]
    data = {
        "api_key": raw,
        "service_code": "0401",
        "lat": str(lat),
        "long": str(lon),
        "description": "排污口照片",
        "attribute[smell]": "strong",
    }
    data.update(extra)
    return data


def test_the_photo_reaches_the_case_and_media_url_serves_it(
    client, key, attributes, run_task_queue
):
    _row, raw = key
    photo = SimpleUploadedFile("river.jpg", jpeg_with_gps(), content_type="image/jpeg")
    response = client.post("/open311/v2/requests.json", form(raw, media=photo))
    assert response.status_code == 200, response.content
    assert Submission.objects.get().photo
    run_task_queue()
    case = Case.objects.get()
    attachment = CaseAttachment.objects.get(case=case)
    assert attachment.purpose == CaseAttachment.Purpose.REPORT
    assert not has_metadata(attachment.file.read())
    assert not Submission.objects.get().photo  # the queue's copy is gone
    (row,) = client.get(f"/open311/v2/requests/{case.number}.json").json()
    assert row["media_url"] == f"http://testserver/open311/v2/media/{case.number}"
    image = client.get(row["media_url"])
    assert image.status_code == 200
    assert image["Content-Type"] == "image/jpeg"
    assert b"".join(image.streaming_content).startswith(b"\xff\xd8")


def test_other_cases_publish_no_photo(client, town, settings):
    upload = SimpleUploadedFile("p.jpg", jpeg_with_gps(), content_type="image/jpeg")
    from gridgov.cases.attachments import check_photos

    case = intake.report_case(
        by=None,
        channel=Channel.RESIDENT,
        description="门口垃圾",
        item=MatterItem.objects.get(code="0501"),
        lon=INSIDE[UNIT_A1][0],
        lat=INSIDE[UNIT_A1][1],
        photos=check_photos([upload]),
    ).case
    services.accept_case(case=case, by=town.user("village_a"), note="")
    (row,) = client.get(f"/open311/v2/requests/{case.number}.json").json()
    assert row["media_url"] is None
    response = client.get(f"/open311/v2/media/{case.number}")
    assert response.status_code == 404
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<errors>')


@pytest.mark.parametrize(
    "files",
    [
        [("a.jpg", "jpeg"), ("b.jpg", "jpeg")],  # one photo per request
        [("notes.txt", "text")],  # not an image
    ],
)
def test_bad_media_is_400(client, key, attributes, files):
    _row, raw = key
    uploads = [
        SimpleUploadedFile(
            name, jpeg_with_gps() if kind == "jpeg" else b"hello", content_type="x/y"
        )
        for name, kind in files
    ]
    response = client.post("/open311/v2/requests.json", form(raw, media=uploads))
    assert response.status_code == 400
    assert response.json()[0]["code"] == 400
    assert Submission.objects.count() == 0
