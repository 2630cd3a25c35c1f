"""Masking and the ID-number rules (hypothesis, STYLE)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from gridgov.core import masking

digits = st.text(alphabet="0123456789", min_size=1, max_size=30)


def make_id(region: str, birth: dt.date, serial: int) -> str:
    first17 = f"{region}{birth:%Y%m%d}{serial:03d}"
    return first17 + masking.id_check_digit(first17)


def test_examples_from_the_issue() -> None:
    assert masking.mask_id_number("370402198001011234") == "370402********1234"
    assert masking.mask_phone("13912345678") == "139****5678"
    assert masking.mask_phone("+8613912345678") == "139****5678"
    assert masking.mask_name("欧阳娜娜") == "欧***"


@given(
    region=st.integers(110000, 659999).map(str),
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)),
    serial=st.integers(0, 999),
)
def test_generated_ids_validate_and_mask_hides_the_birth_date(
    region: str, birth: dt.date, serial: int
) -> None:
    number = make_id(region, birth, serial)
    assert masking.id_number_problem(number, today=dt.date(2026, 1, 1)) is None
    masked = masking.mask_id_number(number)
    assert masked == number[:6] + "*" * 8 + number[-4:]
    assert f"{birth:%Y%m%d}" not in masked
    assert masking.id_gender(number) == ("1" if serial % 2 else "2")


@given(
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)),
    serial=st.integers(0, 999),
    wrong=st.sampled_from("0123456789X"),
)
def test_any_wrong_check_digit_is_refused(birth: dt.date, serial: int, wrong: str) -> None:
    number = make_id("370402", birth, serial)
    if wrong != number[-1]:
        assert masking.id_number_problem(number[:17] + wrong) == "checksum"


def test_impossible_or_future_birth_dates_are_refused_but_new_region_codes_are_not() -> None:
    assert masking.id_number_problem("37040219800230123X") == "birth_date"
    future = make_id("370402", dt.date(2030, 1, 1), 1)
    assert masking.id_number_problem(future, today=dt.date(2026, 1, 1)) == "birth_date"
    # 370481 (滕州市) and the like: a code newer than its holder must still be accepted.
    assert masking.id_number_problem(make_id("370499", dt.date(1950, 5, 5), 12)) is None
    assert masking.id_number_problem("12345") == "format"


@given(value=digits)
def test_masked_phone_never_keeps_more_than_seven_digits_of_a_long_number(value: str) -> None:
    masked = masking.mask_phone(value)
    assert len(masked) == len(masking.national_phone(value))
    kept = sum(c.isdigit() for c in masked)
    assert kept <= 7
    if len(value) >= 8:
        assert masked.endswith(value[-4:])


@given(value=st.text(min_size=1, max_size=40))
def test_audit_mask_keeps_at_most_a_third(value: str) -> None:
    masked = masking.mask_secret(value)
    assert len(masked) == len(value)
    shown = sum(1 for m, v in zip(masked, value, strict=True) if m == v and v != "*")
    assert shown <= len(value) // 3


def test_phones_normalise_to_e164() -> None:
    assert masking.normalise_phone("139 1234 5678") == "+8613912345678"
    assert masking.normalise_phone("0371-64611001") == "+863716461100" + "1"
    assert masking.normalise_phone_lenient("12") == "12"


def _full_parse(value: str) -> str | None:
    """The reference: phonenumbers' full parse and validation, as normalise_phone did before
    its fast path for mobiles."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(value.strip(), "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _ours(value: str) -> str | None:
    try:
        return masking.normalise_phone(value)
    except ValueError:
        return None


@given(
    prefix=st.sampled_from(["", "+86", "86", "0086", " "]),
    head=st.integers(100, 199),
    tail=st.integers(0, 99_999_999),
)
def test_the_mobile_fast_path_agrees_with_the_full_parse(prefix: str, head: int, tail: int) -> None:
    value = f"{prefix}{head}{tail:08d}"
    assert _ours(value) == _full_parse(value)


def test_the_mobile_fast_path_agrees_on_every_three_digit_block() -> None:
    for head in range(100, 200):
        for tail in ("00000000", "12345678", "99999999", "50000001"):
            for prefix in ("", "+86", "86"):
                value = f"{prefix}{head}{tail}"
                assert _ours(value) == _full_parse(value), value
