"""Amounts of TRX: sun as ``int`` everywhere, TRX only as exact decimal strings at the edges.

1 TRX = 1,000,000 sun. The service computes and stores sun (``int``); a TRX figure appears
only in requests (``amount_trx``: a decimal string, a :class:`~decimal.Decimal` or a whole
``int``, at most 6 decimals) and responses (``*_trx``: a decimal string such as
``"1000.5"``). Floats are refused: a JSON number with decimals must reach ``parse_trx`` as a
Decimal (``json.loads(..., parse_float=Decimal)``) or as a string.
"""

from __future__ import annotations

import re
from decimal import Decimal

from tron_staking.errors import ValidationError

SUN_PER_TRX = 1_000_000
TRX_DECIMALS = 6
MIN_POSITION_SUN = SUN_PER_TRX
"""A position freezes at least 1 TRX (FreezeBalanceV2's own minimum)."""
MAX_POSITION_SUN = 10**17
"""The largest amount a position may declare (100 billion TRX, above the total supply)."""

_DECIMAL_TEXT = re.compile(r"([0-9]+)(?:\.([0-9]+))?")
_MAX_TEXT_LENGTH = 64


def parse_trx(value: object, *, field: str = "amount_trx") -> int:
    """The number of sun in ``value`` TRX, exactly.

    ``value`` is a plain decimal string (``"1000"``, ``"1000.5"``; no sign, exponent or
    spaces), a finite non-negative Decimal, or an int. More than 6 significant decimals,
    negatives, floats and booleans raise ValidationError(field=field).
    """
    if isinstance(value, bool | float):
        raise ValidationError(
            "send TRX as a decimal string or an integer, not a binary float", field=field
        )
    if isinstance(value, int):
        if value < 0:
            raise ValidationError("an amount cannot be negative", field=field)
        return value * SUN_PER_TRX
    if isinstance(value, Decimal):
        if not value.is_finite() or value.is_signed():
            raise ValidationError("an amount must be a finite non-negative number", field=field)
        text = format(value, "f")
    elif isinstance(value, str):
        text = value
    else:
        raise ValidationError("an amount must be a decimal string or an integer", field=field)
    match = _DECIMAL_TEXT.fullmatch(text) if len(text) <= _MAX_TEXT_LENGTH else None
    if match is None:
        raise ValidationError(f"{value!s:.40} is not a plain decimal TRX amount", field=field)
    whole, fraction = match.group(1), (match.group(2) or "").rstrip("0")
    if len(fraction) > TRX_DECIMALS:
        raise ValidationError("TRX has at most 6 decimals (1 sun = 0.000001 TRX)", field=field)
    return int(whole) * SUN_PER_TRX + int(fraction.ljust(TRX_DECIMALS, "0") or "0")


def format_trx(amount_sun: int) -> str:
    """``amount_sun`` as a TRX decimal string without trailing zeros (``"1000.5"``)."""
    sign = "-" if amount_sun < 0 else ""
    whole, fraction = divmod(abs(amount_sun), SUN_PER_TRX)
    if fraction == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{fraction:06d}".rstrip("0")


def sun_to_trx(amount_sun: int) -> Decimal:
    """``amount_sun`` as an exact Decimal number of TRX."""
    return Decimal(amount_sun).scaleb(-TRX_DECIMALS)


def validate_position_amount(amount_sun: object, *, field: str = "amount_sun") -> int:
    """``amount_sun`` if it is an int within [1 TRX, 10^17 sun]; ValidationError otherwise."""
    if isinstance(amount_sun, bool) or not isinstance(amount_sun, int):
        raise ValidationError("amount_sun must be an integer number of sun", field=field)
    if amount_sun < MIN_POSITION_SUN:
        raise ValidationError("a position stakes at least 1 TRX (1000000 sun)", field=field)
    if amount_sun > MAX_POSITION_SUN:
        raise ValidationError("a position stakes at most 10^17 sun", field=field)
    return amount_sun


def tron_power(amount_sun: int) -> int:
    """Votes (whole TRX of tron power) that ``amount_sun`` of stake gives."""
    return amount_sun // SUN_PER_TRX
