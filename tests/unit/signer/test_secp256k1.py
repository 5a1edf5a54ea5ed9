"""TRON keys, addresses and signatures, cross-checked against tronpy's implementation."""

from __future__ import annotations

import hashlib

import pytest
from tronpy.keys import PrivateKey as TronpyKey

from tron_staking.errors import ValidationError
from tron_staking.signer import secp256k1

KEY_HEX = "11" * 32
# secp256k1's group order n: n itself and 0 are not private keys.
GROUP_ORDER_HEX = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"


def test_the_address_matches_tronpy() -> None:
    key = secp256k1.parse_private_key(KEY_HEX)

    expected = TronpyKey(bytes.fromhex(KEY_HEX)).public_key.to_base58check_address()
    assert secp256k1.address_of(key) == expected


def test_a_signature_is_tronpys_and_recovers_to_the_owner() -> None:
    key = secp256k1.parse_private_key(KEY_HEX)
    txid = hashlib.sha256(b"raw data").digest()

    signature = secp256k1.sign_digest(key, txid)

    assert len(signature) == 65
    assert signature[64] in (0, 1)
    assert signature == TronpyKey(key).sign_msg_hash(txid).to_bytes()
    assert secp256k1.recover_address(signature, txid) == secp256k1.address_of(key)


def test_a_signature_over_another_digest_recovers_to_someone_else() -> None:
    key = secp256k1.parse_private_key(KEY_HEX)
    signature = secp256k1.sign_digest(key, bytes(32))

    assert secp256k1.recover_address(signature, b"\x01" * 32) != secp256k1.address_of(key)


@pytest.mark.parametrize("text", [f"0x{KEY_HEX}", f"  {KEY_HEX.upper()}\n"])
def test_prefix_case_and_whitespace_are_accepted(text: str) -> None:
    assert secp256k1.parse_private_key(text) == bytes.fromhex(KEY_HEX)


@pytest.mark.parametrize(
    "text", ["", "11" * 31, "11" * 33, "zz" * 32, "00" * 32, GROUP_ORDER_HEX, f"{KEY_HEX} extra"]
)
def test_malformed_keys_are_refused_without_echoing_them(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        secp256k1.parse_private_key(text)

    assert caught.value.field == "private_key"
    if text.strip():
        assert text.strip() not in str(caught.value)


def test_a_digest_must_be_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        secp256k1.sign_digest(bytes.fromhex(KEY_HEX), b"short")
