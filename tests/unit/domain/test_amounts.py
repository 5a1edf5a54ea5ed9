"""Amounts: exact TRX ↔ sun conversion, no floats, position bounds."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tron_staking.domain import amounts
from tron_staking.errors import ValidationError

PROPERTY = settings(max_examples=300, deadline=None, derandomize=True)


@pytest.mark.parametrize(
    ("value", "sun"),
    [
        ("1000.5", 1_000_500_000),
        ("1000", 1_000_000_000),
        ("0.000001", 1),
        ("1.500000", 1_500_000),
        ("1.5000000000", 1_500_000),
        ("007", 7_000_000),
        (Decimal("1000.5"), 1_000_500_000),
        (Decimal("1E+3"), 1_000_000_000),
        (Decimal("0.000001"), 1),
        (12, 12_000_000),
        (0, 0),
    ],
)
def test_parse_trx(value: object, sun: int) -> None:
    assert amounts.parse_trx(value) == sun


@pytest.mark.parametrize(
    "value",
    [
        "0.0000001",
        "1.1234567",
        "-1",
        "+1",
        "1e3",
        " 1",
        "1 ",
        "1,5",
        ".5",
        "1.",
        "",
        "NaN",
        1.5,
        True,
        None,
        Decimal("-1"),
        Decimal("NaN"),
        Decimal("Infinity"),
        Decimal("0.0000001"),
        -3,
        "9" * 65,
    ],
)
def test_parse_trx_rejects(value: object) -> None:
    with pytest.raises(ValidationError) as info:
        amounts.parse_trx(value, field="amount_trx")
    assert info.value.field == "amount_trx"


@pytest.mark.parametrize(
    ("sun", "text"),
    [
        (1_000_500_000, "1000.5"),
        (1_000_000_000, "1000"),
        (1, "0.000001"),
        (0, "0"),
        (-1, "-0.000001"),
    ],
)
def test_format_trx(sun: int, text: str) -> None:
    assert amounts.format_trx(sun) == text


def test_position_bounds() -> None:
    assert amounts.validate_position_amount(1_000_000) == 1_000_000
    assert amounts.validate_position_amount(10**17) == 10**17
    for bad in (999_999, 10**17 + 1, 0, -1, True, 1.0e6, "1000000"):
        with pytest.raises(ValidationError):
            amounts.validate_position_amount(bad)


def test_tron_power_is_whole_trx() -> None:
    assert amounts.tron_power(1_999_999) == 1
    assert amounts.sun_to_trx(1_500_000) == Decimal("1.5")


@PROPERTY
@given(st.integers(0, 10**17))
def test_format_then_parse_is_identity(sun: int) -> None:
    text = amounts.format_trx(sun)
    assert amounts.parse_trx(text) == sun
    assert amounts.parse_trx(amounts.sun_to_trx(sun)) == sun
    assert Decimal(text) == amounts.sun_to_trx(sun)


@PROPERTY
@given(st.integers(0, 10**11), st.integers(0, 999_999), st.integers(0, 6))
def test_parse_then_format_keeps_the_value(whole: int, fraction: int, zeros: int) -> None:
    text = f"{whole}.{fraction:06d}" + "0" * zeros
    sun = amounts.parse_trx(text)
    assert sun == whole * 1_000_000 + fraction
    assert Decimal(amounts.format_trx(sun)) == Decimal(text)
