"""``Keystore.check_key``: a stored key is usable only when it decrypts under the configured
KEK and controls its address; the answer names why not and never carries key material."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.unit.signer.vault import MemoryVault
from tron_staking.domain.addresses import Address
from tron_staking.signer import secp256k1
from tron_staking.signer.kek import Kek
from tron_staking.signer.keystore import Keystore
from tron_staking.signer.ports import KeyState, Signer

pytestmark = pytest.mark.anyio

KEK = Kek.from_bytes(bytes(range(32)))
OTHER_KEK = Kek.from_bytes(bytes(range(1, 33)))
KEY_A = "11" * 32
KEY_B = "22" * 32
AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


async def test_a_key_that_decrypts_is_usable() -> None:
    keystore = Keystore(MemoryVault(), KEK)
    signer: Signer = keystore
    owner = await keystore.import_key(KEY_A, at=AT)

    check = await signer.check_key(owner)

    assert check.state is KeyState.USABLE
    assert check.usable


async def test_no_key_is_missing() -> None:
    owner = secp256k1.address_of(bytes.fromhex(KEY_B))

    check = await Keystore(MemoryVault(), KEK).check_key(owner)

    assert check.state is KeyState.MISSING
    assert not check.usable
    assert owner in check.message


async def test_a_key_sealed_under_another_kek_is_unusable_and_says_so() -> None:
    vault = MemoryVault()
    owner = await Keystore(vault, OTHER_KEK).import_key(KEY_A, at=AT)

    check = await Keystore(vault, KEK).check_key(owner)

    assert check.state is KeyState.UNUSABLE
    assert OTHER_KEK.kek_id in check.message
    assert KEK.kek_id in check.message
    assert KEY_A not in check.message


async def test_an_altered_key_is_unusable() -> None:
    vault = MemoryVault()
    owner = await Keystore(vault, KEK).import_key(KEY_A, at=AT)
    record = vault.records[owner]
    vault.records[owner] = {**record, "ciphertext": bytes(len(record["ciphertext"]))}

    check = await Keystore(vault, KEK).check_key(Address(owner))

    assert check.state is KeyState.UNUSABLE
    assert "fails authentication" in check.message
