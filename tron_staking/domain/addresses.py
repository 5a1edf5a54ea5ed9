"""TRON addresses: parsing, validation and the canonical base58check form.

A TRON address is 21 bytes, ``0x41`` followed by 20 bytes of key hash. It is written either as
base58check (``T…``, 34 characters: base58 of the 21 bytes plus the first 4 bytes of
sha256(sha256(bytes))) or as 42 hex characters starting with ``41``. ``parse_address``
accepts both, verifies the checksum, and returns the canonical base58 form, which is the only
form the rest of the service handles (``Address``). Base58 is implemented here with
:mod:`hashlib` so that the domain needs no third-party library.
"""

from __future__ import annotations

import hashlib
import re
from typing import NewType

from tron_staking.errors import ValidationError

Address = NewType("Address", str)
"""A TRON address in canonical base58check form (``T…``, 34 characters)."""

ADDRESS_PREFIX = 0x41
ADDRESS_BYTES = 21
_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: value for value, char in enumerate(_ALPHABET)}
_HEX_ADDRESS = re.compile(r"41[0-9a-fA-F]{40}")


def b58encode(data: bytes) -> str:
    """Base58 (Bitcoin alphabet) of ``data``; leading zero bytes become leading ``1``."""
    number = int.from_bytes(data, "big")
    digits: list[str] = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(_ALPHABET[remainder])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(digits))


def b58decode(text: str) -> bytes:
    """The bytes that ``text`` encodes; ValueError on a character outside the alphabet."""
    number = 0
    for char in text:
        try:
            number = number * 58 + _INDEX[char]
        except KeyError:
            raise ValueError(f"{char!r} is not a base58 character") from None
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def _checksum(payload: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]


def b58check_encode(payload: bytes) -> str:
    return b58encode(payload + _checksum(payload))


def b58check_decode(text: str) -> bytes:
    """The payload of a base58check string; ValueError on a bad character or checksum."""
    raw = b58decode(text)
    if len(raw) < 5:
        raise ValueError("too short for base58check")
    payload, checksum = raw[:-4], raw[-4:]
    if _checksum(payload) != checksum:
        raise ValueError("checksum mismatch")
    return payload


def from_bytes(raw: bytes) -> Address:
    """The address of 21 raw bytes; ValidationError unless they start with 0x41."""
    if len(raw) != ADDRESS_BYTES or raw[0] != ADDRESS_PREFIX:
        raise ValidationError("an address is 21 bytes starting with 0x41", field="address")
    return Address(b58check_encode(raw))


def parse_address(text: object, *, field: str = "address") -> Address:
    """The canonical base58 form of ``text`` (base58check ``T…`` or hex ``41…``).

    Raises ValidationError(field=field) when ``text`` is not a string, has the wrong length or
    alphabet, does not start with 0x41, or (base58) fails its checksum. The caller reports it
    as a 422 on ``field``.
    """
    if not isinstance(text, str):
        raise ValidationError("an address must be a string", field=field)
    if len(text) == 34 and text.startswith("T"):
        try:
            payload = b58check_decode(text)
        except ValueError as exc:
            raise ValidationError(f"not a TRON address: {exc}", field=field) from None
        if len(payload) != ADDRESS_BYTES or payload[0] != ADDRESS_PREFIX:
            raise ValidationError("not a TRON address: wrong payload", field=field)
        # Only one spelling decodes to these bytes; returning the re-encoded form is canonical.
        return Address(b58check_encode(payload))
    if len(text) == 42 and _HEX_ADDRESS.fullmatch(text):
        return Address(b58check_encode(bytes.fromhex(text)))
    raise ValidationError(
        "not a TRON address: expected base58 'T…' (34 chars) or hex '41…' (42 chars)",
        field=field,
    )


def is_address(text: object) -> bool:
    try:
        parse_address(text)
    except ValidationError:
        return False
    return True


def to_bytes(address: Address) -> bytes:
    """The 21 raw bytes of a canonical address."""
    return b58check_decode(address)


def to_hex(address: Address) -> str:
    """The lowercase hex form (``41…``, 42 characters) java-tron prints in error messages."""
    return to_bytes(address).hex()
