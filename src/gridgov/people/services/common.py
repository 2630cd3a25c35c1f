"""Helpers shared by the people services: phones in E.164 and date checks."""

from __future__ import annotations

import datetime as dt

import phonenumbers
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError
from gridgov.core.plausible import check_plausible_date

# --- phones -----------------------------------------------------------------------------------


def normalise_phone(raw: str, *, field: str = "phone") -> str:
    """E.164 for mobiles and landlines of China by default; '' stays ''."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        raise DomainError(_("电话号码 %(raw)r 无法识别") % {"raw": raw}, field=field) from None
    if not phonenumbers.is_valid_number(number):
        raise DomainError(_("电话号码 %(raw)r 无效") % {"raw": raw}, field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """A phone as people in China write it (138 0000 0000, 0371-1234 5678)."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "CN")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def today() -> dt.date:
    return timezone.localdate()


def check_dates(started_on: dt.date | None, ended_on: dt.date | None) -> None:
    check_plausible_date(ended_on, field="ended_on")
    if started_on and ended_on and ended_on < started_on:
        raise DomainError(_("结束日期不能早于开始日期"), field="ended_on")
