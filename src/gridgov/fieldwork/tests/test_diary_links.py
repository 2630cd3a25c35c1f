"""Diary entries with photos and links (issue 11): photos checked like a case report's, linked
households (registry) and cases the worker sees, on the phone diary page and in the API, and
still counted per person and period."""

from __future__ import annotations

import io
import json
import uuid

import pytest
from PIL import Image

from gridgov.cases.models import Case
from gridgov.core.testing.town import UNIT_A1, UNIT_B1
from gridgov.fieldwork.models import Diary, DiaryPhoto
from gridgov.registry.models import Household

JSON = {"HTTP_ACCEPT": "application/json"}
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def homes(town) -> dict[str, Household]:
    return {
        "D1": Household.objects.create(
            grid=town.grid(UNIT_A1), number="D1", contact_worker=town.user("worker_a1").staff
        ),
        "D9": Household.objects.create(grid=town.grid(UNIT_B1), number="D9"),
    }


def png_with_gps() -> io.BytesIO:
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make: metadata the stored photo must not keep
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    buffer.seek(0)
    buffer.name = "site.jpg"
    return buffer


def a_case(town) -> Case:
    case = Case.objects.filter(grid=town.grid(UNIT_A1)).first()
    if case is not None:
        return case
    from gridgov.cases.services.intake import report_case

    return report_case(
        by=town.user("worker_a1"), description="路灯不亮", grid_code=UNIT_A1, channel="patrol"
    ).case


def test_a_diary_entry_on_the_phone_keeps_photos_households_and_cases(client_for, town, homes):
    case = a_case(town)
    worker = client_for("worker_a1")
    form = worker.get("/m/diary/")
    assert "D1" in dict(form.context["form"].fields["households"].choices)
    assert str(case.pk) in dict(form.context["form"].fields["cases"].choices)
    sent = worker.post(
        "/m/diary/",
        {
            "idempotency_key": uuid.uuid4().hex,
            "kind": "people",
            "day": "2026-05-12",
            "text": "走访D1,反映路灯不亮",
            "households": ["D1"],
            "cases": [str(case.pk)],
            "photos": [png_with_gps()],
        },
        **JSON,
    )
    assert sent.status_code == 201, sent.content
    diary = Diary.objects.get(text__startswith="走访D1")
    assert [h.number for h in diary.households.all()] == ["D1"]
    assert [c.pk for c in diary.cases.all()] == [case.pk]
    photo = DiaryPhoto.objects.get(diary=diary)
    assert photo.content_type == "image/jpeg"
    with photo.file.open("rb") as handle:
        assert not Image.open(handle).getexif()
    page = worker.get("/m/diary/").content.decode()
    assert f"/api/v1/fieldwork/diaries/{diary.pk}/photos/{photo.pk}" in page
    assert case.number in page
    # The API shows the same entry; the photo is served behind the entry's visibility.
    out = worker.get(f"/api/v1/fieldwork/diaries/{diary.pk}").json()
    assert out["households"] == ["D1"]
    assert out["cases"] == [case.pk]
    assert out["photos"] == [f"/api/v1/fieldwork/diaries/{diary.pk}/photos/{photo.pk}"]
    served = worker.get(out["photos"][0])
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    assert client_for("worker_b1").get(out["photos"][0]).status_code == 404
    # Still counted per person and period.
    counts = client_for("town_office").get(
        "/api/v1/fieldwork/diaries/counts?start=2026-05-01&end=2026-05-31"
    )
    assert counts.json() == [{"username": "worker_a1", "people": 1, "work": 0, "total": 1}]


def test_a_bad_photo_is_a_form_error_and_nothing_is_kept(client_for, homes):
    worker = client_for("worker_a1")
    fake = io.BytesIO(b"MZ\x90\x00 not a picture")
    fake.name = "virus.jpg"
    body = {"kind": "people", "day": "2026-05-12", "text": "坏照片", "photos": [fake]}
    refused = worker.post("/m/diary/", body)
    assert refused.status_code == 400
    errors = refused.context["form"].errors
    assert "photos" in errors
    assert "virus.jpg" in errors["photos"][0]
    fake.seek(0)
    as_json = worker.post("/m/diary/", body, **JSON)
    assert as_json.status_code == 400
    assert "photos" in as_json.json()["errors"]
    assert not Diary.objects.exists()
    assert not DiaryPhoto.objects.exists()


def test_an_invisible_household_is_refused_naming_the_field(client_for, homes):
    worker = client_for("worker_a1")
    page = worker.post(
        "/m/diary/",
        {"kind": "people", "day": "2026-05-12", "text": "邻村", "households": ["D9"]},
        **JSON,
    )
    assert page.status_code == 400
    assert "households" in page.json()["errors"]
    api = worker.post(
        "/api/v1/fieldwork/diaries",
        json.dumps({"kind": "people", "day": "2026-05-12", "text": "邻村", "households": ["D9"]}),
        content_type="application/json",
    )
    assert api.status_code == 404
    assert api.json()["field"] == "households"
    assert not Diary.objects.exists()


def test_photos_added_through_the_api_are_checked(client_for, homes):
    worker = client_for("worker_a1")
    made = worker.post(
        "/api/v1/fieldwork/diaries",
        json.dumps({"kind": "work", "day": "2026-05-12", "text": "周工作", "households": ["D1"]}),
        content_type="application/json",
    ).json()
    url = f"/api/v1/fieldwork/diaries/{made['id']}/photos"
    fake = io.BytesIO(b"%PDF-1.4")
    fake.name = "a.pdf"
    bad = worker.post(url, {"photos": [fake]})
    assert bad.status_code == 400
    assert bad.json()["field"] == "photos"
    good = worker.post(url, {"photos": [png_with_gps()]})
    assert good.status_code == 201, good.content
    assert len(good.json()["photos"]) == 1
    assert client_for("worker_b1").post(url, {"photos": [png_with_gps()]}).status_code == 404
