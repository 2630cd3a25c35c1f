"""Writes of the Open311 app: API keys (created, revoked, counted) and service requests, which
enter the platform through cases' own intake (cases.services.intake.report_case) as the Open311 channel.

A POST is checked at once (service code, attributes, location, the key's scope), stored as a
Submission and handed to the task queue. When the queue runs it within the request (an
in-process backend, GRIDGOV_TASKS_BACKEND) the answer names the case; otherwise the answer is the submission's token,
which GET tokens/{token} turns into the case once the worker has run it (GeoReport v2: "token"
when the request is not created synchronously)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases.attachments import CheckedPhoto
from gridgov.cases.attributes import check_answers
from gridgov.cases.location import place
from gridgov.cases.models import Case, Channel
from gridgov.cases.services import intake
from gridgov.core.errors import DomainError
from gridgov.grids.models import Grid
from gridgov.open311.models import ApiKey, Submission
from gridgov.people.services import normalise_phone

if TYPE_CHECKING:
    from django.contrib.auth.models import User

KEY_BYTES = 24
NAME_MAX = 80


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_key(*, name: str, scope_code: str = "", by: User | None = None) -> tuple[ApiKey, str]:
    """A new key for the app `name`; returns the row and the key itself, shown only once."""
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise DomainError(_("应用名称须为 1–%(n)s 个字符") % {"n": NAME_MAX}, field="name")
    if ApiKey.objects.filter(name=name).exists():
        raise DomainError(_("应用 %(name)s 已有密钥") % {"name": name}, field="name")
    scope = None
    if scope_code:
        scope = Grid.objects.filter(code=scope_code.strip(), is_active=True).first()
        if scope is None:
            raise DomainError(_("网格 %(code)s 不存在") % {"code": scope_code}, field="scope")
    raw = "o311_" + secrets.token_urlsafe(KEY_BYTES)
    key = ApiKey.objects.create(name=name, prefix=raw[:12], key_hash=hash_key(raw), scope=scope)
    return key, raw


@transaction.atomic
def revoke_key(*, name: str, by: User | None = None) -> ApiKey:
    """Stop the app's key; its submissions and cases stay."""
    key = ApiKey.objects.select_for_update().filter(name=(name or "").strip()).first()
    if key is None:
        raise DomainError(_("没有名为 %(name)s 的密钥") % {"name": name}, field="name")
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def authenticate(raw: str | None) -> ApiKey | None:
    """The active key with this value, counted as used; None for a missing or bad key."""
    raw = (raw or "").strip()
    if not raw or len(raw) > 200:
        return None
    key = ApiKey.objects.active().select_related("scope").filter(key_hash=hash_key(raw)).first()
    if key is None:
        return None
    now = timezone.now()
    ApiKey.objects.filter(pk=key.pk).update(use_count=F("use_count") + 1, last_used_at=now)
    return key


@dataclass(frozen=True)
class RequestIn:
    """A POST requests body, parsed (GeoReport v2 names)."""

    service_code: str
    description: str = ""
    lat: float | None = None
    long: float | None = None
    address_string: str = ""
    address_id: str = ""
    attributes: dict[str, list[str]] | None = None
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    media_url: str = ""
    idempotency_key: str = ""


def _check(key: ApiKey, data: RequestIn) -> dict[str, Any]:
    """Everything that can be refused before the queue: the intake's arguments, as JSON."""
    item = intake.resolve_item(data.service_code) if data.service_code else None
    if item is None:
        raise DomainError(_("请提供 service_code"), field="service_code")
    if data.lat is None and data.long is None and not data.address_string and not data.address_id:
        raise DomainError(_("须提供 lat 和 long、address_string 或 address_id 之一"), field="lat")
    if (data.lat is None) != (data.long is None):
        raise DomainError(_("lat 和 long 须同时提供"), field="lat")
    if data.lat is not None and data.long is not None:
        if not (-90 <= data.lat <= 90 and -180 <= data.long <= 180):
            raise DomainError(_("lat/long 超出范围"), field="lat")
        if key.scope is not None:
            placement = place(lon=data.long, lat=data.lat)
            if placement.outside or not placement.grid.path.startswith(key.scope.path):
                raise DomainError(
                    _("该位置不在本应用可上报的网格 %(grid)s 内") % {"grid": key.scope.name},
                    field="lat",
                )
    description = (data.description or "").strip()
    if len(description) > intake.DESCRIPTION_MAX:
        raise DomainError(
            _("description 不能超过 %(n)s 个字符") % {"n": intake.DESCRIPTION_MAX},
            field="description",
        )
    if not description:
        # Open311 makes the description optional; our intake needs words: the item's name.
        description = item.name
    answers = check_answers(item, data.attributes)
    normalise_phone(data.phone, field="phone")
    address = data.address_string.strip() or (
        _("地址编号 %(id)s") % {"id": data.address_id.strip()} if data.address_id.strip() else ""
    )
    client_key = data.idempotency_key.strip()
    if len(client_key) > 60:
        raise DomainError(_("幂等键不能超过 60 个字符"), field="idempotency_key")
    return {
        "description": description,
        "item": item.code,
        "lon": data.long,
        "lat": data.lat,
        "address": address,
        "grid_code": key.scope.code if key.scope and data.lat is None else "",
        "contact_name": f"{data.last_name.strip()}{data.first_name.strip()}"[:50],
        "contact_phone": data.phone.strip(),
        "attributes": answers,
        "client_key": client_key,
    }


@transaction.atomic
def submit_request(
    *, key: ApiKey, data: RequestIn, photos: Sequence[CheckedPhoto] = ()
) -> Submission:
    """Store a checked service request and queue its intake. Enqueued inside the transaction:
    the database queue's row commits with the submission (a worker never sees one without the
    other), and an in-process backend makes the case before the answer is written."""
    from gridgov.open311.tasks import process_submission

    payload = _check(key, data)
    if len(photos) > 1:
        raise DomainError(_("每个请求只能附一张照片(media)"), field="media")
    contact = {k: payload.pop(k) for k in ("contact_name", "contact_phone") if payload.get(k)}
    submission = Submission(
        api_key=key, payload=payload, contact=json.dumps(contact) if contact else ""
    )
    for photo in photos:
        submission.payload["photo"] = {
            "name": photo.name,
            "content_type": photo.content_type,
            "suffix": photo.suffix,
            "width": photo.width,
            "height": photo.height,
        }
        submission.photo.save(f"photo{photo.suffix}", ContentFile(photo.data), save=False)
    submission.save()
    process_submission.enqueue(submission.pk)
    return submission


def process(submission_id: int, *, at: dt.datetime | None = None) -> Submission | None:
    """Run one queued submission through the intake, once: claimed by compare-and-set, so a
    second run (a retried task) changes nothing; the intake's idempotency key (the token, or
    the app's own key) makes a crash between the case and the claim harmless too."""
    submission = Submission.objects.select_related("api_key").filter(pk=submission_id).first()
    if submission is None or submission.processed_at is not None:
        return submission
    data = dict(submission.payload)
    if submission.contact:
        data.update(json.loads(submission.contact))
    client_key = data.pop("client_key", "")
    photo = data.pop("photo", None)
    photos = []
    if photo and submission.photo:
        with submission.photo.open("rb") as handle:
            photos.append(CheckedPhoto(data=handle.read(), **photo))
    # The intake's idempotency key: per app when the app sends its own key, else per token.
    idempotency = (
        f"o311-{submission.api_key_id}-{client_key}" if client_key else f"o311-{submission.token}"
    )
    error = ""
    case: Case | None = None
    try:
        with transaction.atomic():
            result = intake.report_case(
                by=None,
                channel=Channel.OPEN311,
                item=intake.resolve_item(data.pop("item")),
                idempotency_key=idempotency,
                photos=photos,
                **data,
            )
            case = result.case
    except DomainError as exc:
        error = exc.message
    claimed = Submission.objects.filter(pk=submission.pk, processed_at__isnull=True).update(
        case=case, error=error, processed_at=at or timezone.now(), payload={}, contact=""
    )
    if not claimed:
        return Submission.objects.filter(pk=submission.pk).first()
    submission.refresh_from_db()
    if submission.photo:
        # The case keeps its own copy; the queue's is not needed any more.
        submission.photo.delete(save=False)
        Submission.objects.filter(pk=submission.pk).update(photo="")
    return submission
