"""Dates as real exports write them, recognised per column (issue 13): ISO 8601, `YYYY/MM/DD
HH:MM[:SS]`, `MM/DD/YYYY hh:mm[:ss] AM`, Excel's `M/D/YY H:MM`, Excel serial day numbers, with
or without seconds. A column's format is chosen once from its values, so a day-first reading can
never mix with a month-first one inside a file; within the chosen family the seconds are optional,
so `2026/11/03 08:30` and `2026/11/03 08:30:10` read in one column (exports drop ":00"). A time
without a zone is read in the mapping's time zone and stored in UTC.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from functools import cache

# Excel counts days from 1899-12-30 (its 1900 leap-year bug included); a serial of 1 is
# 1899-12-31, and 2958465 is 9999-12-31.
EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # noqa: DTZ001 - naive on purpose, zoned by the caller
EXCEL_MAX = 2_958_465

PATTERNS: tuple[str, ...] = (
    "iso",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%m/%d/%y %H:%M:%S",
    "%m/%d/%y %H:%M",
    "%m/%d/%y",
    "excel",
)
SAMPLE = 200


def parse_with(text: str, pattern: str) -> dt.datetime | None:
    """A naive or aware datetime, or None when `text` is not in `pattern`."""
    text = text.strip()
    if pattern == "iso":
        if len(text) < 10 or text[4] != "-":
            return None
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            return None
    if pattern == "excel":
        try:
            serial = float(text)
        except ValueError:
            return None
        if not 1 <= serial <= EXCEL_MAX:
            return None
        # Round to the second: Excel stores fractions of a day in binary floating point.
        return EXCEL_EPOCH + dt.timedelta(seconds=round(serial * 86400))
    for variant in variants(pattern):
        try:
            return dt.datetime.strptime(text, variant)  # noqa: DTZ007 - zoned by the caller
        except ValueError:
            continue
    return None


@cache
def variants(pattern: str) -> tuple[str, ...]:
    """The pattern and its sibling with or without seconds (the same family): a column read as
    `%Y/%m/%d %H:%M` also reads `%Y/%m/%d %H:%M:%S`, and the 12-hour US form likewise."""
    if "%M:%S" in pattern:
        return (pattern, pattern.replace("%M:%S", "%M"))
    if "%M" in pattern:
        return (pattern, pattern.replace("%M", "%M:%S"))
    return (pattern,)


def detect(values: Iterable[str]) -> str | None:
    """The pattern that reads most of a column's first values (earliest pattern on a tie)."""
    sample = [v.strip() for v in values if v and v.strip()][:SAMPLE]
    if not sample:
        return None
    best, best_hits = None, 0
    for pattern in PATTERNS:
        hits = sum(1 for v in sample if parse_with(v, pattern) is not None)
        if hits > best_hits:
            best, best_hits = pattern, hits
    return best


def aware(value: dt.datetime, tz: str) -> dt.datetime:
    """In UTC; a naive time is read in `tz`."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=zoneinfo.ZoneInfo(tz))
    return value.astimezone(dt.UTC)


def describe(pattern: str) -> str:
    if pattern == "iso":
        return "ISO 8601"
    if pattern == "excel":
        return "Excel serial"
    if "%M" in pattern:
        return pattern.replace("%M:%S", "%M").replace("%M", "%M[:%S]")
    return pattern
