"""Photos are stored without their metadata: a phone's EXIF holds the GPS position of the person
who took it and the device, and report photos are served to anyone with the tracking code. The
orientation the EXIF asked for is applied to the pixels, so the photo still stands upright."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from gridgov.cases.attachments import check_photo
from gridgov.cases.models import CaseAttachment
from gridgov.core.testing.town import UNIT_A1

pytestmark = pytest.mark.usefixtures("clock")
GPS_IFD = 0x8825
ORIENTATION = 0x0112


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def phone_photo(fmt="JPEG", size=(40, 30)) -> bytes:
    """A photo as a phone writes it: GPS position, maker, model, and 'rotate 90° to view'."""
    exif = Image.Exif()
    exif[0x010F] = "GridPhone"
    exif[0x0110] = "Model-X SN12345"
    exif[ORIENTATION] = 6
    exif[GPS_IFD] = {1: "N", 2: (34.0, 48.0, 36.0), 3: "E", 4: (113.0, 18.0, 18.0)}
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((20, 20, 220), (0, 0, size[0] // 2, size[1]))  # left half blue: shows rotation
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, exif=exif.tobytes())
    return buffer.getvalue()


class Upload(io.BytesIO):
    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self.name = name
        self.size = len(data)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_checked_photo_has_no_metadata_and_stands_upright(fmt):
    original = phone_photo(fmt)
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get_ifd(GPS_IFD)
    photo = check_photo(Upload(original, f"p.{fmt.lower()}"))
    assert b"GridPhone" not in photo.data
    assert b"SN12345" not in photo.data
    with Image.open(io.BytesIO(photo.data)) as after:
        assert dict(after.getexif()) == {}
        assert after.format == fmt
        # Rotated 90° clockwise: 40×30 became 30×40, the blue left half is now on top.
        assert after.size == (photo.width, photo.height) == (30, 40)
        top, bottom = (
            after.convert("RGB").getpixel((15, 5)),
            after.convert("RGB").getpixel((15, 35)),
        )
        assert top[2] > 150 > bottom[2]


def test_a_residents_photo_served_with_the_tracking_code_carries_no_gps(client, town):
    response = client.post(
        "/api/v1/cases/public",
        data={
            "description": "河边偷排",
            "grid": UNIT_A1,
            "photos": Upload(phone_photo(), "IMG_0001.jpg"),
        },
    )
    assert response.status_code == 201, response.content
    tracked = client.get(f"/api/v1/cases/track/{response.json()['tracking_code']}").json()
    assert len(tracked["photos"]) == 1
    stored = CaseAttachment.objects.get()
    data = stored.file.read()
    assert stored.size == len(data)
    with Image.open(io.BytesIO(data)) as served:
        assert served.getexif().get_ifd(GPS_IFD) == {}
        assert dict(served.getexif()) == {}
    assert b"GridPhone" not in data


def test_photos_stored_before_cleaning_are_scrubbed_once(town, report):
    from django.core.files.base import ContentFile
    from django.core.management import call_command

    case = report()
    old = CaseAttachment(
        case=case, purpose="report", content_type="image/jpeg", size=0, width=40, height=30
    )
    old.file.save("old.jpg", ContentFile(phone_photo()), save=False)
    old.save()
    out = io.StringIO()
    call_command("scrub_case_photos", stdout=out)
    assert "scrubbed 1 photo" in out.getvalue()
    old.refresh_from_db()
    data = old.file.read()
    assert b"GridPhone" not in data
    assert (old.size, old.width, old.height) == (len(data), 30, 40)
    again = io.StringIO()
    call_command("scrub_case_photos", stdout=again)
    assert "scrubbed 0 photo" in again.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares its size and nothing else: Pillow reads the size from the header."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


@pytest.mark.parametrize("side", [20_000, 9_000])
def test_a_huge_png_is_too_many_pixels_not_not_an_image(side):
    from gridgov.core.errors import DomainError

    with pytest.raises(DomainError) as info:
        check_photo(Upload(png_header_only(side, side), "huge.png"))
    assert "像素过大" in info.value.message
    assert info.value.field == "photos"
