"""Encrypted signing keys at rest on a real server."""

from __future__ import annotations

import datetime as dt

import pytest

from tron_staking.store.client import MongoStore
from tron_staking.store.records import SigningKeyRecord

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


def _record(address: str) -> SigningKeyRecord:
    return SigningKeyRecord(
        address=address,
        algorithm="AES-256-GCM",
        kek_id="kek-fingerprint",
        nonce=bytes(range(12)),
        ciphertext=bytes(range(48)),
        created_at=dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC),
    )


async def test_a_stored_key_reads_back_byte_for_byte(store: MongoStore) -> None:
    await store.signing_keys.put(_record("TB"))
    await store.signing_keys.put(_record("TA"))

    assert await store.signing_keys.get("TA") == _record("TA")
    assert await store.signing_keys.get("TC") is None
    assert await store.signing_keys.addresses() == ["TA", "TB"]


async def test_delete_removes_a_key_once(store: MongoStore) -> None:
    await store.signing_keys.put(_record("TA"))

    assert await store.signing_keys.delete("TA") is True
    assert await store.signing_keys.delete("TA") is False
    assert await store.signing_keys.get("TA") is None


def test_the_record_repr_shows_no_key_material() -> None:
    text = repr(_record("TA"))

    assert "ciphertext" not in text
    assert "nonce" not in text
