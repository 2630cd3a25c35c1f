"""Photos of report and feedback slips: checked with Pillow (a real JPEG/PNG/WebP image, within
the size and pixel limits) before anything is written, then stored through Django storage.

Every photo is re-encoded without its metadata: a phone's EXIF carries the GPS position of the
person who took it, the device and its serial number, and report photos are shown to anyone
holding the tracking code (seed 003: keep residents' information private). The orientation
the EXIF asked for is applied to the pixels first, so the photo still stands upright."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from gridgov.cases.models import CaseAttachment
from gridgov.core.errors import DomainError

if TYPE_CHECKING:
    from gridgov.cases.models import Case, CaseEvent, CaseTask

FORMATS = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "WEBP": ("image/webp", ".webp"),
}
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_PHOTOS = 9
MAX_PIXELS = 60_000_000
# Re-encoding quality of lossy formats: visually the same photo, a fraction of a phone's bytes.
LOSSY_QUALITY = 88
JPEG_MODES = {"RGB", "L", "CMYK"}


def max_photo_bytes() -> int:
    return int(getattr(settings, "GRIDGOV_CASE_PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES))


@dataclass(frozen=True)
class CheckedPhoto:
    name: str
    content_type: str
    suffix: str
    data: bytes
    width: int
    height: int


def check_photo(upload: Any, *, position: int = 1) -> CheckedPhoto:
    """One uploaded file, read once and proven to be an image of an allowed type and size."""
    name = str(getattr(upload, "name", "") or f"photo{position}")[:200]
    limit = max_photo_bytes()
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise DomainError(
            _("第%(n)s张照片 %(name)s 超过 %(mb)s MB")
            % {"n": position, "name": name, "mb": limit // (1024 * 1024)},
            field="photos",
        )
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise DomainError(
            _("第%(n)s张照片 %(name)s 超过 %(mb)s MB")
            % {"n": position, "name": name, "mb": limit // (1024 * 1024)},
            field="photos",
        )
    bad = DomainError(
        _("第%(n)s张文件 %(name)s 不是 JPEG、PNG 或 WebP 图片") % {"n": position, "name": name},
        field="photos",
    )
    too_many_pixels = DomainError(
        _("第%(n)s张照片 %(name)s 像素过大") % {"n": position, "name": name}, field="photos"
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise too_many_pixels
                probe.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow read the header and found more pixels than it will decode: it is an image,
        # only too large, so say that rather than "not an image".
        raise too_many_pixels from None
    except UnidentifiedImageError:
        raise bad from None
    except (OSError, SyntaxError, ValueError):
        raise bad from None
    if fmt not in FORMATS:
        raise bad
    try:
        clean, width, height = strip_metadata(data, fmt)
    except (OSError, SyntaxError, ValueError):
        raise bad from None
    content_type, suffix = FORMATS[fmt]
    return CheckedPhoto(
        name=name, content_type=content_type, suffix=suffix, data=clean, width=width, height=height
    )


def strip_metadata(data: bytes, fmt: str) -> tuple[bytes, int, int]:
    """The image re-encoded in its own format with no EXIF, XMP or text chunks (GPS position,
    device, owner), its EXIF orientation applied to the pixels; returns bytes and size. Only
    the colour profile is kept, since it is about the colours, not the person."""
    with Image.open(io.BytesIO(data)) as source:
        source.load()
        icc = source.info.get("icc_profile")
        image = ImageOps.exif_transpose(source)
    out = io.BytesIO()
    options: dict[str, Any] = {"icc_profile": icc} if icc else {}
    if fmt == "JPEG":
        if image.mode not in JPEG_MODES:
            image = image.convert("RGB")
        image.save(out, format="JPEG", quality=LOSSY_QUALITY, **options)
    elif fmt == "WEBP":
        image.save(out, format="WEBP", quality=LOSSY_QUALITY, **options)
    else:
        image.save(out, format=fmt, **options)
    return out.getvalue(), image.width, image.height


def check_photos(uploads: Iterable[Any] | None) -> list[CheckedPhoto]:
    """All photos of one submission, or a DomainError naming the first bad one."""
    files = [u for u in (uploads or []) if u is not None]
    if len(files) > DEFAULT_MAX_PHOTOS:
        raise DomainError(
            _("每次最多上传 %(n)s 张照片") % {"n": DEFAULT_MAX_PHOTOS}, field="photos"
        )
    return [check_photo(upload, position=i) for i, upload in enumerate(files, start=1)]


def store_photos(
    case: Case,
    photos: Sequence[CheckedPhoto],
    *,
    by: Any,
    event: CaseEvent | None,
    purpose: str,
    task: CaseTask | None = None,
) -> list[CaseAttachment]:
    """Write checked photos to storage and their rows; called last in the service's
    transaction, so a failed step has written no file."""
    stored = []
    for photo in photos:
        attachment = CaseAttachment(
            case=case,
            event=event,
            task=task,
            purpose=purpose,
            original_name=photo.name,
            content_type=photo.content_type,
            size=len(photo.data),
            width=photo.width,
            height=photo.height,
            uploaded_by=by,
        )
        attachment.file.save(f"photo{photo.suffix}", ContentFile(photo.data), save=False)
        attachment.save()
        stored.append(attachment)
    return stored


# What Pillow reports of a photo that says nothing about the person: format and colour details.
HARMLESS_INFO = frozenset(
    {
        "jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "icc_profile", "adobe",
        "adobe_transform", "progressive", "progression", "loop", "background", "duration",
        "transparency", "gamma", "srgb", "aspect", "chromaticity", "bbox", "blend", "disposal",
    }
)  # fmt: skip


def has_metadata(data: bytes) -> bool:
    """Whether a stored photo still carries EXIF, XMP, comments or text chunks."""
    with Image.open(io.BytesIO(data)) as image:
        return bool(image.getexif()) or bool(set(image.info) - HARMLESS_INFO)


def scrub_stored_photo(attachment: CaseAttachment) -> bool:
    """Re-encode one stored photo without its metadata (photos stored before uploads were
    cleaned); a clean photo is left alone, so running this twice changes nothing more."""
    fmt = next((f for f, (ctype, _s) in FORMATS.items() if ctype == attachment.content_type), None)
    if fmt is None:
        return False
    with attachment.file.open("rb") as handle:
        data = handle.read()
    if not has_metadata(data):
        return False
    clean, width, height = strip_metadata(data, fmt)
    storage, name = attachment.file.storage, attachment.file.name or ""
    storage.delete(name)
    saved = storage.save(name, ContentFile(clean))
    CaseAttachment.objects.filter(pk=attachment.pk).update(
        file=saved, size=len(clean), width=width, height=height
    )
    return True


def attachment_url(attachment: CaseAttachment) -> str:
    """Where the API serves a photo, behind the case's jurisdiction check. Photos are never
    under /media/: they may show people, and the media folder is not served."""
    return reverse(
        "api:case_attachment",
        kwargs={"case_id": attachment.case_id, "attachment_id": attachment.pk},
    )


def tracking_photo_url(tracking_code: str, index: int) -> str:
    """Where a resident's report photo is served, reached through the tracking code."""
    return reverse("api:track_photo", kwargs={"code": tracking_code, "index": index})


def attachment_response(attachment: CaseAttachment) -> FileResponse:
    """The stored photo as a private, cacheable response (404 if its file is gone)."""
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(
        handle, content_type=attachment.content_type or "application/octet-stream"
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response
