"""Contract of the key vault (encrypted signing keys at rest) on a real server."""

from __future__ import annotations

import datetime as dt

import pytest

from tron_staking.errors import DuplicateKeyError
from tron_staking.signer.ports import KeyVault
from tron_staking.store.client import MongoStore
from tron_staking.store.signing_keys import RawSigningKey

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


def _record(address: str) -> RawSigningKey:
    return {
        "address": address,
        "algorithm": "AES-256-GCM",
        "kek_id": "kek-fingerprint",
        "nonce": bytes(range(12)),
        "ciphertext": bytes(range(48)),
        "created_at": dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC),
    }


async def test_a_stored_key_reads_back_byte_for_byte(store: MongoStore) -> None:
    vault: KeyVault = store.signing_keys
    await vault.put(_record("TB"))
    await vault.put(_record("TA"))

    found = await vault.get("TA")

    assert found == _record("TA")
    assert found is not None
    assert type(found["ciphertext"]) is bytes
    assert await vault.get("TC") is None
    assert await vault.addresses() == ["TA", "TB"]


async def test_a_second_key_for_an_address_is_refused(store: MongoStore) -> None:
    await store.signing_keys.put(_record("TA"))

    with pytest.raises(DuplicateKeyError, match="address"):
        await store.signing_keys.put(_record("TA"))


async def test_delete_removes_a_key_once(store: MongoStore) -> None:
    await store.signing_keys.put(_record("TA"))

    assert await store.signing_keys.delete("TA") is True
    assert await store.signing_keys.delete("TA") is False
    assert await store.signing_keys.get("TA") is None
