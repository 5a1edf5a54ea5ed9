"""The keystore as a Signer, over an in-memory vault substituted at the KeyVault port."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from tests.unit.signer.vault import MemoryVault
from tron_staking.domain.ids import TxId
from tron_staking.errors import (
    DuplicateKeyError,
    SigningKeyMissingError,
    SigningKeyUnreadableError,
    ValidationError,
)
from tron_staking.signer import secp256k1
from tron_staking.signer.kek import Kek
from tron_staking.signer.keystore import Keystore
from tron_staking.signer.ports import Signer

pytestmark = pytest.mark.anyio

KEK = Kek.from_bytes(bytes(range(32)))
KEY_A = "11" * 32
KEY_B = "22" * 32
AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
TXID = TxId(hashlib.sha256(b"a transaction").hexdigest())


async def test_import_stores_only_ciphertext_and_returns_the_address() -> None:
    vault = MemoryVault()
    keystore = Keystore(vault, KEK)

    address = await keystore.import_key(KEY_A, at=AT)

    assert address == secp256k1.address_of(bytes.fromhex(KEY_A))
    stored = vault.records[address]
    assert bytes.fromhex(KEY_A) not in stored["ciphertext"]
    assert KEY_A not in repr(stored)
    assert list(vault.records) == [address]


async def test_signatures_recover_to_the_owner() -> None:
    keystore = Keystore(MemoryVault(), KEK)
    signer: Signer = keystore
    owner = await keystore.import_key(KEY_A, at=AT)

    signature = await signer.sign(owner, TXID)

    assert len(signature) == 130
    assert secp256k1.recover_address(bytes.fromhex(signature), bytes.fromhex(TXID)) == owner
    assert await signer.has_key(owner) is True


async def test_an_owner_without_a_key_is_reported_as_missing() -> None:
    keystore = Keystore(MemoryVault(), KEK)
    owner = secp256k1.address_of(bytes.fromhex(KEY_B))

    assert await keystore.has_key(owner) is False
    with pytest.raises(SigningKeyMissingError, match=owner):
        await keystore.sign(owner, TXID)


async def test_a_second_import_of_an_address_is_refused() -> None:
    keystore = Keystore(MemoryVault(), KEK)
    owner = await keystore.import_key(KEY_A, at=AT)

    with pytest.raises(DuplicateKeyError, match=f"^{owner} already has a signing key$"):
        await keystore.import_key(KEY_A, at=AT)


async def test_a_keystore_with_another_kek_cannot_sign() -> None:
    vault = MemoryVault()
    owner = await Keystore(vault, KEK).import_key(KEY_A, at=AT)
    other = Keystore(vault, Kek.from_bytes(bytes(32)))

    with pytest.raises(SigningKeyUnreadableError, match="encrypted under KEK"):
        await other.sign(owner, TXID)


async def test_a_key_filed_under_another_owner_does_not_sign_for_it() -> None:
    vault = MemoryVault()
    keystore = Keystore(vault, KEK)
    owner_a = await keystore.import_key(KEY_A, at=AT)
    owner_b = await keystore.import_key(KEY_B, at=AT)
    # Swap records wholesale: each still authenticates for its own address only.
    vault.records[owner_b] = {**vault.records[owner_a], "address": owner_b}

    with pytest.raises(SigningKeyUnreadableError):
        await keystore.sign(owner_b, TXID)


@pytest.mark.parametrize("txid", ["", "ab" * 31, "zz" * 32])
async def test_a_malformed_txid_is_refused(txid: str) -> None:
    keystore = Keystore(MemoryVault(), KEK)
    owner = await keystore.import_key(KEY_A, at=AT)

    with pytest.raises(ValidationError, match="txid"):
        await keystore.sign(owner, TxId(txid))
