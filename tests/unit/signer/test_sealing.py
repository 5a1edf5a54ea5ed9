"""AES-256-GCM at rest: round trip, fresh nonces, and every kind of tampering refused."""

from __future__ import annotations

import datetime as dt

import pytest

from tron_staking.errors import SigningKeyUnreadableError
from tron_staking.signer import sealing
from tron_staking.signer.kek import Kek
from tron_staking.signer.ports import RawSigningKey

KEK = Kek.from_bytes(bytes(range(32)))
OTHER_KEK = Kek.from_bytes(bytes(range(1, 33)))
PRIVATE_KEY = b"\x11" * 32
ADDRESS = "TCLBgkbfVkJroVBJVqBEsxtPNQEQMTQCLQ"
AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _sealed() -> RawSigningKey:
    return sealing.seal(PRIVATE_KEY, ADDRESS, KEK, at=AT)


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 1]) + data[index + 1 :]


def test_a_sealed_key_opens_with_its_kek_and_address() -> None:
    raw = _sealed()

    assert raw["algorithm"] == "AES-256-GCM"
    assert raw["kek_id"] == KEK.kek_id
    assert len(raw["nonce"]) == 12
    assert PRIVATE_KEY not in raw["ciphertext"]
    assert sealing.unseal(raw, KEK) == PRIVATE_KEY


def test_every_sealing_uses_a_fresh_nonce() -> None:
    first, second = _sealed(), _sealed()

    assert first["nonce"] != second["nonce"]
    assert first["ciphertext"] != second["ciphertext"]


@pytest.mark.parametrize("index", [0, 31, 47])
def test_a_tampered_ciphertext_fails(index: int) -> None:
    raw = _sealed()
    raw["ciphertext"] = _flip(raw["ciphertext"], index)

    with pytest.raises(SigningKeyUnreadableError, match="fails authentication"):
        sealing.unseal(raw, KEK)


def test_a_tampered_nonce_fails() -> None:
    raw = _sealed()
    raw["nonce"] = _flip(raw["nonce"], 0)

    with pytest.raises(SigningKeyUnreadableError, match="fails authentication"):
        sealing.unseal(raw, KEK)


def test_a_key_moved_to_another_address_fails() -> None:
    raw = _sealed()
    raw["address"] = "TAnotherAddressxxxxxxxxxxxxxxxxxxx"

    with pytest.raises(SigningKeyUnreadableError, match="another address"):
        sealing.unseal(raw, KEK)


def test_a_wrong_kek_is_named_as_such() -> None:
    with pytest.raises(SigningKeyUnreadableError, match=f"KEK {KEK.kek_id}.*{OTHER_KEK.kek_id}"):
        sealing.unseal(_sealed(), OTHER_KEK)


def test_a_wrong_kek_with_a_forged_fingerprint_still_fails() -> None:
    raw = _sealed()
    raw["kek_id"] = OTHER_KEK.kek_id

    with pytest.raises(SigningKeyUnreadableError, match="fails authentication"):
        sealing.unseal(raw, OTHER_KEK)


def test_an_unknown_algorithm_is_refused() -> None:
    raw = _sealed()
    raw["algorithm"] = "ROT13"

    with pytest.raises(SigningKeyUnreadableError, match="ROT13"):
        sealing.unseal(raw, KEK)
