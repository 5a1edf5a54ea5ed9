"""Addresses: base58check and hex parsing, checksum verification, canonical output."""

from __future__ import annotations

import hashlib

import base58
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tron_staking.domain import addresses
from tron_staking.errors import ValidationError

# USDT's TRC-20 contract: a well-known address in both forms.
USDT_BASE58 = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
USDT_HEX = "41a614f803b6fd780986a42c78ec9c7f77e6ded13c"

payloads = st.binary(min_size=20, max_size=20).map(lambda body: b"\x41" + body)
PROPERTY = settings(max_examples=200, deadline=None, derandomize=True)


def test_known_address_in_both_forms() -> None:
    assert addresses.parse_address(USDT_BASE58) == USDT_BASE58
    assert addresses.parse_address(USDT_HEX) == USDT_BASE58
    assert addresses.parse_address(USDT_HEX.upper().replace("0X", "")) == USDT_BASE58
    assert addresses.to_hex(addresses.parse_address(USDT_BASE58)) == USDT_HEX


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        ("T" + "1" * 33, "bad checksum"),
        (USDT_BASE58[:-1] + ("u" if USDT_BASE58[-1] != "u" else "v"), "last character changed"),
        (USDT_BASE58[:-1], "33 characters"),
        (USDT_BASE58.replace("T", "0", 1), "0 is not base58"),
        ("42" + USDT_HEX[2:], "hex without the 41 prefix"),
        (USDT_HEX[:-1] + "g", "not hex"),
        ("0x" + USDT_HEX, "0x prefix"),
        (" " + USDT_BASE58, "leading space"),
    ],
)
def test_rejects(text: str, why: str) -> None:
    with pytest.raises(ValidationError) as info:
        addresses.parse_address(text, field="owner")
    assert info.value.field == "owner", why


def test_rejects_non_strings() -> None:
    for value in (None, 41, b"T", ["T"]):
        with pytest.raises(ValidationError):
            addresses.parse_address(value)
    assert not addresses.is_address(None)
    assert addresses.is_address(USDT_BASE58)


def test_base58_of_a_wrong_version_byte_is_refused() -> None:
    bitcoin_style = base58.b58encode_check(b"\x00" + bytes(20)).decode()
    with pytest.raises(ValidationError):
        addresses.parse_address(bitcoin_style)
    with pytest.raises(ValidationError):
        addresses.from_bytes(b"\x00" + bytes(20))


def test_base58_primitives() -> None:
    assert addresses.b58encode(b"") == ""
    assert addresses.b58encode(b"\0\0\x01") == "112"
    assert addresses.b58decode("112") == b"\0\0\x01"
    with pytest.raises(ValueError, match="base58"):
        addresses.b58decode("0OIl")
    with pytest.raises(ValueError, match="short"):
        addresses.b58check_decode("1")


@PROPERTY
@given(payloads)
def test_hex_and_base58_round_trip(payload: bytes) -> None:
    canonical = addresses.from_bytes(payload)
    assert canonical == base58.b58encode_check(payload).decode()  # an independent encoder
    assert len(canonical) == 34
    assert canonical.startswith("T")
    assert addresses.parse_address(payload.hex()) == canonical
    assert addresses.parse_address(canonical) == canonical
    assert addresses.to_bytes(canonical) == payload
    assert addresses.to_hex(canonical) == payload.hex()


@PROPERTY
@given(payloads, st.integers(0, 3), st.integers(1, 255))
def test_corrupted_checksum_is_rejected(payload: bytes, index: int, flip: int) -> None:
    checksum = bytearray(hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4])
    checksum[index] ^= flip
    forged = addresses.b58encode(payload + bytes(checksum))
    with pytest.raises(ValidationError):
        addresses.parse_address(forged)


@PROPERTY
@given(payloads, st.integers(1, 33), st.sampled_from(addresses._ALPHABET))
def test_changed_character_is_rejected(payload: bytes, position: int, char: str) -> None:
    canonical = addresses.from_bytes(payload)
    if canonical[position] == char:
        return
    forged = canonical[:position] + char + canonical[position + 1 :]
    # A single substitution changes the payload or the checksum; base58check catches it
    # except with probability 2^-32, which these examples do not hit.
    with pytest.raises(ValidationError):
        addresses.parse_address(forged)
