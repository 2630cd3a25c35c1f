"""The body of a fix upload (`POST /patrols/{uid}/fixes`) read column by column.

Validating 5,000 fix objects one by one with pydantic took most of the request's time (issue
11's upload bench). A well-formed batch, which is what phones send, is read here in one pass:
the JSON parsed once, each column checked for its type, the ranges checked as numpy arrays and
the times, written alike, parsed together as a matrix of characters. Whatever this fast reading does not accept
outright (a wrong type, a missing field, an out-of-range value, a time in another ISO 8601 form)
goes through the declared schema `FixBatchIn` as before, so a bad batch is refused with the
same 422 and the same fields, and every batch pydantic accepts is still accepted. The fast
reading only accepts what the schema accepts, and yields the same values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter
from typing import Any

import numpy as np
from django.http import HttpRequest
from ninja.errors import HttpError, ValidationError
from numpy.typing import NDArray
from pydantic import ValidationError as PydanticValidationError

from gridgov.core.openapi import parsed_json_body
from gridgov.fieldwork.schemas import CRS_NAMES, FixBatchIn
from gridgov.fieldwork.services import MAX_BATCH, FixBatch

# The form phones and the bench send (what `Date.toISOString()` and `isoformat()` write);
# any other ISO 8601 form goes to pydantic, which reads more of them.
_ISO_TIME = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d\d)-(?P<day>\d\d)"
    r"T(?P<hour>\d\d):(?P<minute>\d\d):(?P<second>\d\d)(?:\.(?P<fraction>\d{1,6}))?"
    r"(?:(?P<z>Z)|(?P<sign>[+-])(?P<off_hour>\d\d):(?P<off_minute>\d\d))?"
)
_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
_NUMBERS = frozenset({int, float})
_BATCH_ID_MAX = 64


@dataclass(frozen=True)
class FixUpload:
    batch_id: str
    crs: str
    batch: FixBatch


def read_fix_upload(request: HttpRequest) -> FixUpload:
    """The upload's batch id, coordinate system and fixes; a ninja `ValidationError` (422 with
    each bad field named, e.g. `fixes.12.lon`) when the body does not match `FixBatchIn`."""
    try:
        data = parsed_json_body(request)
    except (ValueError, RecursionError):
        # What ninja answers for a body it cannot parse.
        raise HttpError(400, "Cannot parse request body") from None
    try:
        fast = _read_fast(data)
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
        fast = None
    return fast if fast is not None else _read_checked(data)


def _column_ok(values: list[Any]) -> bool:
    return set(map(type, values)) <= _NUMBERS


def _read_fast(data: Any) -> FixUpload | None:
    if type(data) is not dict:
        return None
    batch_id = data.get("batch_id")
    crs = data.get("crs", "wgs84")
    fixes = data.get("fixes")
    if type(batch_id) is not str or not 1 <= len(batch_id) <= _BATCH_ID_MAX:
        return None
    if crs not in CRS_NAMES or type(crs) is not str:
        return None
    if type(fixes) is not list or not 1 <= len(fixes) <= MAX_BATCH:
        return None
    if set(map(type, fixes)) != {dict}:
        return None
    times = list(map(itemgetter("t"), fixes))
    lons = list(map(itemgetter("lon"), fixes))
    lats = list(map(itemgetter("lat"), fixes))
    accs = list(map(dict.get, fixes, repeat("accuracy")))
    if set(map(type, times)) != {str} or not (_column_ok(lons) and _column_ok(lats)):
        return None
    # A missing accuracy is NaN (not reported), as pydantic's None becomes in FixBatch.
    missing = accs.count(None)
    if missing:
        accs = [np.nan if a is None else a for a in accs]
    if not _column_ok(accs):
        return None
    lon = np.array(lons, dtype=np.float64)
    lat = np.array(lats, dtype=np.float64)
    accuracy = np.array(accs, dtype=np.float64)
    # NaN fails every comparison, so a NaN sent as a number is refused as pydantic refuses it;
    # the NaNs standing for a missing accuracy are counted out.
    if not (np.all((lon >= -180) & (lon <= 180)) and np.all((lat >= -90) & (lat <= 90))):
        return None
    if int(np.count_nonzero(accuracy >= 0)) != len(fixes) - missing:
        return None
    t = _timestamps(times)
    if t is None:
        return None
    return FixUpload(batch_id, crs, FixBatch(t=t, lon=lon, lat=lat, accuracy=accuracy))


def _timestamps(times: list[str]) -> FloatArray | None:
    """Epoch seconds of ISO 8601 times all written alike (the same width, the same separators
    and offset; what one phone sends), parsed as a character matrix; None otherwise. The value
    is what `datetime.fromisoformat(text).timestamp()` gives, to the microsecond."""
    first = _ISO_TIME.fullmatch(times[0])
    if first is None or (first["sign"] is None and first["z"] is None):
        return None  # a time without an offset (Asia/Shanghai) goes the checked way
    if first["sign"] is not None and first["off_hour"] > "18":
        return None
    width = len(times[0])
    if set(map(len, times)) != {width}:
        return None
    try:
        raw = "".join(times).encode("ascii")
    except UnicodeEncodeError:
        return None
    chars = np.frombuffer(raw, dtype=np.uint8).reshape(len(times), width)
    template = chars[0]
    digit = (template >= ord("0")) & (template <= ord("9"))
    # Every time has digits where the first has digits and the same other characters, so each
    # matches the pattern the first matched, with the same fields at the same places.
    if not (chars[:, ~digit] == template[~digit]).all():
        return None
    digits = chars[:, digit]
    if ((digits < ord("0")) | (digits > ord("9"))).any():
        return None

    values = chars.astype(np.int64) - ord("0")

    def number(name: str) -> IntArray:
        start, end = first.span(name)
        columns = values[:, start:end]
        value: IntArray = columns @ (10 ** np.arange(end - start - 1, -1, -1, dtype=np.int64))
        return value

    year, month, day = number("year"), number("month"), number("day")
    hour, minute, second = number("hour"), number("minute"), number("second")
    micro = np.zeros(len(times), dtype=np.int64)
    if first["fraction"] is not None:
        micro = number("fraction") * 10 ** (6 - len(first["fraction"]))
    offset = np.zeros(len(times), dtype=np.int64)
    if first["sign"] is not None:
        sign = -1 if first["sign"] == "-" else 1
        offset = sign * (number("off_hour") * 3600 + number("off_minute") * 60)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    days_in_month = _MONTH_DAYS[np.clip(month, 1, 12) - 1] + ((month == 2) & leap)
    # Anything else is refused or read the checked way (beyond 2200 a count of microseconds
    # no longer fits a double exactly).
    if not (
        ((year >= 1970) & (year <= 2200)).all()
        and ((month >= 1) & (month <= 12)).all()
        and ((day >= 1) & (day <= days_in_month)).all()
        and (hour <= 23).all()
        and (minute <= 59).all()
        and (second <= 59).all()
        and (offset % 60 == 0).all()
        and (np.abs(offset) < 19 * 3600).all()
    ):
        return None
    # Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-compatible
    # low-level date algorithms", days_from_civil).
    y = year - (month <= 2)
    era = y // 400
    year_of_era = y - era * 400
    day_of_year = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days = era * 146097 + day_of_era - 719468
    seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset
    result: FloatArray = (seconds * 1_000_000 + micro) / 1e6
    return result


def _read_checked(data: Any) -> FixUpload:
    """The declared schema's reading, with its error list in ninja's form."""
    try:
        payload = FixBatchIn.model_validate(data)
    except PydanticValidationError as exc:
        errors = [
            {**error, "loc": ("body", "payload", *error["loc"])}
            for error in exc.errors(include_url=False, include_context=False)
        ]
        raise ValidationError(errors) from None
    batch = FixBatch.from_rows([(f.t, f.lon, f.lat, f.accuracy) for f in payload.fixes])
    return FixUpload(payload.batch_id, payload.crs, batch)
