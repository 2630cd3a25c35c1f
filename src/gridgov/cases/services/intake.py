"""Taking cases in (信息收集、上报) from every channel: grid workers' patrol reports with seed
003's handling modes, residents (contact optional, a tracking code to follow the case), hotline
transfers one by one or as a batch file keeping the hotline's own number, departments, off-site
inspection and party members.

A client-supplied idempotency key makes a retried submission return the first case; a unique
constraint keeps that true when the retry races the original. The key is bound to a fingerprint
of what was submitted: the same key with another payload is refused (422), never answered with
the first case, whose tracking code would let a stranger read it and give its callback. A key
without an account is shared by everyone, so it must be a long random token (a UUID).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from gridgov.cases import clock
from gridgov.cases.attachments import CheckedPhoto, store_photos
from gridgov.cases.attributes import check_answers
from gridgov.cases.location import Placement, find_duplicate_id, intake_level, place
from gridgov.cases.models import (
    Case,
    CaseAttachment,
    CaseState,
    Channel,
    EventKind,
    HandlingMode,
    MatterItem,
    Urgency,
)
from gridgov.cases.notifications import notify_on_commit, operators_of
from gridgov.cases.permissions import require, require_channel
from gridgov.cases.services.base import record, sync_step
from gridgov.core.errors import ConflictError, DomainError, ImportRejectedError, ImportRowError
from gridgov.core.hooks import find_facility
from gridgov.core.inputguard import read_csv_rows
from gridgov.core.jurisdiction import Role, scope_of
from gridgov.core.notify import in_every_language
from gridgov.core.plausible import check_plausible_past
from gridgov.people.services import normalise_phone

if TYPE_CHECKING:
    from django.contrib.auth.models import User

TITLE_MAX = 120
DESCRIPTION_MAX = 4000
KEY_MAX = 100
# An anonymous key is guessable unless it is long and random: 16+ URL-safe characters (a UUID,
# with or without hyphens, passes).
ANONYMOUS_KEY = re.compile(r"[A-Za-z0-9_-]{16,100}")
# A hotline clock a little ahead of ours is tolerated; a call from the future is a typo.
RECEIVED_SKEW = dt.timedelta(minutes=10)
# Channels that report without an account: residents, and outside apps (Open311, whose API key
# is checked by the open311 app before it calls report_case).
ANONYMOUS_CHANNELS = frozenset({Channel.RESIDENT, Channel.OPEN311})


class IdempotencyKeyReusedError(DomainError):
    """The key was already used for a different submission: HTTP 422, no case is named."""

    status_code = 422


@dataclass(frozen=True)
class Intake:
    """The case a submission produced, and whether this call created it (False on a retry)."""

    case: Case
    created: bool


def resolve_item(code: str | None) -> MatterItem | None:
    """An active catalogue item by code; '' or None means "not classified yet"."""
    code = (code or "").strip()
    if not code:
        return None
    # The code is unique: no ordering (a join) is needed to pick the one row.
    found = MatterItem.objects.active().select_related("matter_class").filter(code=code)
    item = next(iter(found.order_by()[:1]), None)
    if item is None:
        raise DomainError(_("事项编码 %(code)s 不存在或已停用") % {"code": code}, field="category")
    return item


def _key(by: Any, key: str | None) -> str | None:
    key = (key or "").strip()
    if not key:
        return None
    if len(key) > KEY_MAX:
        raise DomainError(
            _("幂等键不能超过 %(n)s 个字符") % {"n": KEY_MAX}, field="idempotency_key"
        )
    authenticated = by is not None and getattr(by, "is_authenticated", False)
    if not authenticated and not ANONYMOUS_KEY.fullmatch(key):
        raise DomainError(
            _("匿名上报的幂等键须为 16–100 位随机字符(字母、数字、- 或 _),例如 UUID"),
            field="idempotency_key",
        )
    owner = by.pk if authenticated else "anon"
    return f"{owner}:{key}"


def fingerprint(**payload: Any) -> str:
    """A hash of what a submission says (text, place, category, contact, photos…): a genuine
    retry repeats it exactly, another report under the same key does not."""
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _same_submission(case: Case, print_: str) -> Case:
    if case.idempotency_fingerprint != print_:
        raise IdempotencyKeyReusedError(
            _("该幂等键已用于另一份内容不同的上报;新的上报请使用新的幂等键"),
            field="idempotency_key",
        )
    return case


def _existing(stored_key: str | None, channel: str, external_number: str) -> Case | None:
    if stored_key:
        found: Case | None = Case.objects.filter(idempotency_key=stored_key).first()
        if found is not None:
            return found
    if external_number:
        numbered: Case | None = Case.objects.filter(
            channel=channel, external_number=external_number
        ).first()
        return numbered
    return None


def _hotline_case_for(by: Any, existing: Case) -> Case:
    """The case a re-sent hotline number already made, when the sender may see it. Another
    jurisdiction's case is not shown (nor its tracking code): its existence is all it learns."""
    if by is None or not Case.objects.visible_to(by).filter(pk=existing.pk).exists():
        raise ConflictError(
            _("热线工单编号 %(number)s 已由其他辖区受理") % {"number": existing.external_number}
        )
    return existing


def report_case(
    *,
    by: User | None,
    channel: str,
    description: str,
    title: str = "",
    item: MatterItem | None = None,
    urgency: str = Urgency.ORDINARY,
    mode: str = HandlingMode.COORDINATE,
    lon: float | None = None,
    lat: float | None = None,
    crs: str = "wgs84",
    address: str = "",
    grid_code: str = "",
    photos: Sequence[CheckedPhoto] = (),
    result: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    external_number: str = "",
    idempotency_key: str | None = None,
    received_at: dt.datetime | None = None,
    attributes: dict[str, Any] | None = None,
    facility: str = "",
) -> Intake:
    """Take a report in (申报单). Returns the existing case for a repeated idempotency key or
    hotline number. Photos must already be checked (attachments.check_photos)."""
    if channel not in Channel.values:
        raise DomainError(_("来源渠道无效"), field="channel")
    if by is None or not getattr(by, "is_authenticated", False):
        if channel not in ANONYMOUS_CHANNELS:
            raise DomainError(_("匿名只能以群众反映渠道上报"), field="channel")
    else:
        require(by, "cases.report_case")
        require_channel(by, channel)
    stored_key = _key(by, idempotency_key)
    print_ = ""
    if stored_key:
        print_ = fingerprint(
            channel=channel,
            description=(description or "").strip(),
            title=(title or "").strip(),
            item=item.code if item else "",
            urgency=urgency,
            mode=mode,
            lon=lon,
            lat=lat,
            crs=crs,
            address=(address or "").strip(),
            grid=(grid_code or "").strip(),
            result=(result or "").strip(),
            contact_name=(contact_name or "").strip(),
            contact_phone=(contact_phone or "").strip(),
            external_number=(external_number or "").strip(),
            received_at=received_at.isoformat() if received_at else "",
            photos=[hashlib.sha256(p.data).hexdigest() for p in photos],
            **({"attributes": attributes} if attributes else {}),
            **({"facility": facility.strip()} if facility else {}),
        )
    external_number = (external_number or "").strip()
    if channel == Channel.HOTLINE and not external_number:
        raise DomainError(_("热线转办须填写热线工单编号"), field="external_number")
    if len(external_number) > 64:
        raise DomainError(_("工单编号超过 64 个字符"), field="external_number")
    if external_number:
        # A hotline re-sends its cases, sometimes with less detail: its number decides first.
        existing = _existing(None, channel, external_number)
        if existing is not None:
            return Intake(_hotline_case_for(by, existing), created=False)
    # For client keys, insert first: a retry is rare, and the unique constraint finds it (also
    # when the retry races the original) without a lookup per report.
    try:
        with transaction.atomic():
            case = _create(
                by=by,
                channel=channel,
                description=description,
                title=title,
                item=item,
                urgency=urgency,
                mode=mode,
                lon=lon,
                lat=lat,
                crs=crs,
                address=address,
                grid_code=grid_code,
                photos=photos,
                result=result,
                contact_name=contact_name,
                contact_phone=contact_phone,
                external_number=external_number,
                stored_key=stored_key,
                key_fingerprint=print_,
                received_at=received_at,
                attributes=attributes,
                facility=facility,
            )
    except IntegrityError:
        # The same key or hotline number committed by a concurrent request (or earlier): that
        # case wins, if it is the same submission.
        existing = _existing(stored_key, channel, external_number)
        if existing is None:
            raise
        if stored_key and existing.idempotency_key == stored_key:
            _same_submission(existing, print_)
            return Intake(existing, created=False)
        return Intake(_hotline_case_for(by, existing), created=False)
    return Intake(case, created=True)


def _create(
    *,
    by: Any,
    channel: str,
    description: str,
    title: str,
    item: MatterItem | None,
    urgency: str,
    mode: str,
    lon: float | None,
    lat: float | None,
    crs: str,
    address: str,
    grid_code: str,
    photos: Sequence[CheckedPhoto],
    result: str,
    contact_name: str,
    contact_phone: str,
    external_number: str,
    stored_key: str | None,
    key_fingerprint: str,
    received_at: dt.datetime | None,
    attributes: dict[str, Any] | None = None,
    facility: str = "",
) -> Case:
    description = (description or "").strip()
    if not description:
        raise DomainError(_("请填写反映内容"), field="description")
    if len(description) > DESCRIPTION_MAX:
        raise DomainError(
            _("反映内容不能超过 %(n)s 个字") % {"n": DESCRIPTION_MAX}, field="description"
        )
    title = (title or "").strip()
    if len(title) > TITLE_MAX:
        raise DomainError(_("标题不能超过 %(n)s 个字") % {"n": TITLE_MAX}, field="title")
    if urgency not in Urgency.values:
        raise DomainError(_("紧急程度无效"), field="urgency")
    if mode not in HandlingMode.values:
        raise DomainError(_("处理方式无效"), field="mode")
    is_worker = scope_of(by).has_role(Role.WORKER)
    if channel != Channel.PATROL or not is_worker:
        # Seed 003's modes are the grid worker's choices on patrol; every other report is
        # coordinated by a platform.
        if mode in {HandlingMode.ON_SPOT, HandlingMode.APPROVAL}:
            raise DomainError(_("只有网格员巡查上报可选择现场处理或备案"), field="mode")
        mode = HandlingMode.COORDINATE
    if urgency == Urgency.EMERGENCY:
        mode = HandlingMode.EMERGENCY
    elif mode == HandlingMode.EMERGENCY:
        urgency = Urgency.EMERGENCY
    result = (result or "").strip()
    if mode == HandlingMode.ON_SPOT:
        if not result:
            raise DomainError(_("现场处理须填写处理结果"), field="result")
        # Only the catalogue says which matters may be closed on the spot (seed 003), and a
        # case closed at once is never classified later: it needs its item now.
        if item is None:
            raise DomainError(_("现场处理须选择事项分类"), field="category")
        if not item.on_spot_allowed:
            raise DomainError(
                _("事项“%(item)s”不能现场处理,请按需协调处理上报") % {"item": item.name},
                field="mode",
            )
    phone = normalise_phone(contact_phone, field="contact_phone")
    answers = check_answers(item, attributes)
    now = clock.now()
    if received_at is not None:
        if channel != Channel.HOTLINE:
            raise DomainError(_("来电时间只用于热线转办"), field="received_at")
        if timezone.is_naive(received_at):
            received_at = timezone.make_aware(received_at)
        check_plausible_past(received_at, field="received_at")
        if received_at > now + RECEIVED_SKEW:
            raise DomainError(_("来电时间晚于当前时间"), field="received_at")
    facility_ref = None
    if facility.strip():
        facility_ref = find_facility(facility)
        if facility_ref is None:
            raise DomainError(
                _("部件 %(code)s 不存在或已注销") % {"code": facility}, field="facility"
            )
        # A case on a facility happens where the facility stands.
        lon, lat, crs = facility_ref.lon, facility_ref.lat, "wgs84"
    placement: Placement = place(
        lon=lon, lat=lat, crs=crs, address=address, grid_code=grid_code, by=by
    )
    level, level_region = intake_level(placement=placement, channel=channel, urgency=urgency)
    case: Case = Case(
        channel=channel,
        external_number=external_number,
        idempotency_key=stored_key or "",
        idempotency_fingerprint=key_fingerprint,
        received_at=received_at,
        title=title or (item.name if item else description[:30]),
        description=description,
        item=item,
        urgency=urgency,
        mode=mode,
        lon=placement.lon,
        lat=placement.lat,
        address=(address or "").strip()[:200],
        facility_code=facility_ref.code if facility_ref else "",
        grid=placement.grid,
        outside_jurisdiction=placement.outside,
        needs_location=placement.needs_location,
        level=level,
        level_region=level_region,
        reporter=by if by is not None and getattr(by, "is_authenticated", False) else None,
        contact_name=(contact_name or "").strip()[:50],
        contact_phone=phone,
        attributes=answers,
        created_at=now,
    )
    case.duplicate_of_id = find_duplicate_id(case)
    if mode not in {HandlingMode.ON_SPOT, HandlingMode.APPROVAL}:
        # The receiving platform owes an acceptance within the step limit (STANDARDS: 核实).
        sync_step(case, now=now)
    case.save()
    extra: dict[str, Any] = {}
    if placement.outside:
        extra["outside_jurisdiction"] = True
    event = record(case, EventKind.REPORT, by=by, from_state="", at=now, extra=extra)
    store_photos(case, photos, by=case.reporter, event=event, purpose=CaseAttachment.Purpose.REPORT)
    if mode == HandlingMode.ON_SPOT:
        case.resolve_on_spot(result=result, at=now)
        case.save()
        record(
            case,
            EventKind.CLOSE,
            by=by,
            from_state=CaseState.REPORTED,
            at=now,
            closure_type=case.closure_type,
            reason="on_spot",
            note=result,
        )
    elif mode == HandlingMode.APPROVAL:
        case.record()
        case.save()
        record(case, EventKind.RECORD, by=by, from_state=CaseState.REPORTED, at=now)
    else:
        _notify_intake(case, by)
    return case


def _notify_intake(case: Case, by: Any) -> None:
    """An emergency reaches the town and the levels around it at once (seed 003: 立即上报镇、村;
    the county platform too). Ordinary reports notify no one: the receiving platform's
    "to accept" queue is where they wait, and an inbox item per report would bury the
    assignments, urges and returns the inbox is for."""
    if case.urgency != Urgency.EMERGENCY:
        return
    from gridgov.cases.location import platform_chain

    regions = {case.level_region_id} | {r.pk for _level, r in platform_chain(case.grid.region)[:3]}
    notify_on_commit(
        operators_of(regions),
        kind="case_emergency",
        title=in_every_language(gettext_noop("突发事件:%(title)s"), title=case.title),
        body=case.description[:200],
        case=case,
        by=by,
    )


# ---------------------------------------------------------------------------------------------
# Hotline batch transfer (热线批量转办)

HOTLINE_COLUMNS = {
    "external_number": ("工单编号", "热线编号", "external_number"),
    "received_at": ("受理时间", "来电时间", "received_at"),
    "description": ("诉求内容", "反映内容", "description"),
    "title": ("标题", "title"),
    "category": ("事项编码", "category"),
    "urgency": ("紧急程度", "urgency"),
    "address": ("地址", "address"),
    "lon": ("经度", "lon"),
    "lat": ("纬度", "lat"),
    "crs": ("坐标系", "crs"),
    "contact_name": ("联系人", "contact_name"),
    "contact_phone": ("联系电话", "contact_phone"),
}
REQUIRED_HOTLINE = ("external_number", "description")
URGENCY_WORDS = {
    "": Urgency.ORDINARY,
    "一般": Urgency.ORDINARY,
    "ordinary": Urgency.ORDINARY,
    "紧急": Urgency.URGENT,
    "urgent": Urgency.URGENT,
    "突发": Urgency.EMERGENCY,
    "emergency": Urgency.EMERGENCY,
}


@dataclass
class HotlineImport:
    created: list[Case] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _rows_from_file(data: bytes, filename: str) -> list[list[Any]]:
    lower = filename.lower()
    if lower.endswith((".csv", ".txt")):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ImportRejectedError(
                [ImportRowError(_("CSV 文件须为 UTF-8 或 GB18030 编码"), source=filename)]
            )
        return read_csv_rows(text, source=filename)
    if lower.endswith((".xlsx", ".xls", ".xlsm", ".ods")):
        from gridgov.cases.catalogue import read_sheet_rows

        return read_sheet_rows(data, filename=filename)
    raise ImportRejectedError(
        [ImportRowError(_("文件须为 CSV 或 Excel(.xlsx/.xls)"), source=filename)]
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value).strip()


def _parse_received(text: str) -> dt.datetime | None:
    if not text:
        return None
    value = parse_datetime(text.replace("/", "-"))
    if value is None:
        raise ValueError(text)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def import_hotline_cases(*, data: bytes, filename: str, by: User) -> HotlineImport:
    """Transfer a batch of hotline cases from a CSV/Excel export. Every row is checked first;
    any bad row rejects the whole file with row-numbered errors and nothing is written. Rows
    whose hotline number is already in the platform are skipped, so a re-sent file is safe."""
    require(by, "cases.report_case")
    require_channel(by, Channel.HOTLINE)
    rows = _rows_from_file(data, filename)
    if not rows:
        raise ImportRejectedError([ImportRowError(_("文件为空"), source=filename)])
    header = [_cell(h) for h in rows[0]]
    columns: dict[str, int] = {}
    for key, names in HOTLINE_COLUMNS.items():
        for i, name in enumerate(header):
            if name in names:
                columns[key] = i
    missing = [HOTLINE_COLUMNS[k][0] for k in REQUIRED_HOTLINE if k not in columns]
    if missing:
        raise ImportRejectedError(
            [
                ImportRowError(
                    _("缺少列:%(columns)s") % {"columns": _("、").join(missing)},
                    source=filename,
                    location=_("第1行"),
                )
            ]
        )
    errors: list[ImportRowError] = []
    prepared: list[tuple[int, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(rows[1:], start=2):
        values = {k: _cell(raw[i]) if i < len(raw) else "" for k, i in columns.items()}
        if not any(values.values()):
            continue
        where = _("第%(n)s行") % {"n": number}
        try:
            prepared.append((number, _check_hotline_row(values, seen, number)))
        except DomainError as exc:
            errors.append(ImportRowError(exc.message, source=filename, location=where))
    if errors:
        raise ImportRejectedError(errors)
    if not prepared:
        raise ImportRejectedError(
            [ImportRowError(_("只有表头,没有数据行"), source=filename, location=_("第1行"))]
        )
    report = HotlineImport()
    with transaction.atomic():
        for number, row in prepared:
            try:
                intake = report_case(by=by, channel=Channel.HOTLINE, **row)
            except DomainError as exc:
                raise ImportRejectedError(
                    [
                        ImportRowError(
                            exc.message, source=filename, location=_("第%(n)s行") % {"n": number}
                        )
                    ]
                ) from None
            if intake.created:
                report.created.append(intake.case)
            else:
                report.skipped.append(row["external_number"])
    return report


def _check_hotline_row(values: dict[str, str], seen: dict[str, int], number: int) -> dict[str, Any]:
    external = values.get("external_number", "")
    if not external:
        raise DomainError(_("工单编号不能为空"))
    if external in seen:
        raise DomainError(
            _("工单编号 %(no)s 与第%(row)s行重复") % {"no": external, "row": seen[external]}
        )
    seen[external] = number
    if not values.get("description"):
        raise DomainError(_("诉求内容不能为空"))
    urgency = URGENCY_WORDS.get(values.get("urgency", "").lower())
    if urgency is None:
        raise DomainError(_("紧急程度须为 一般、紧急 或 突发"))
    lon_text, lat_text = values.get("lon", ""), values.get("lat", "")
    try:
        lon = float(lon_text) if lon_text else None
        lat = float(lat_text) if lat_text else None
    except ValueError:
        raise DomainError(_("经纬度须为数字")) from None
    if (lon is None) != (lat is None):
        raise DomainError(_("经度和纬度须同时填写"))
    if lon is None and not values.get("address"):
        raise DomainError(_("须填写地址或经纬度"))
    try:
        received_at = _parse_received(values.get("received_at", ""))
    except ValueError:
        raise DomainError(
            _("受理时间 %(value)s 无法识别(示例 2026-09-30 14:05)")
            % {"value": values.get("received_at")}
        ) from None
    item = resolve_item(values.get("category"))
    normalise_phone(values.get("contact_phone", ""), field="contact_phone")
    return {
        "external_number": external,
        "description": values["description"],
        "title": values.get("title", ""),
        "item": item,
        "urgency": urgency,
        "lon": lon,
        "lat": lat,
        "crs": values.get("crs") or "wgs84",
        "address": values.get("address", ""),
        "contact_name": values.get("contact_name", ""),
        "contact_phone": values.get("contact_phone", ""),
        "received_at": received_at,
    }
