"""The keystore over the real Mongo vault: what is imported signs for its owner, and only
under the KEK it was imported with."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from tron_staking.domain.ids import TxId
from tron_staking.errors import SigningKeyUnreadableError
from tron_staking.signer import secp256k1
from tron_staking.signer.kek import Kek
from tron_staking.signer.keystore import Keystore
from tron_staking.signer.ports import Signer
from tron_staking.store.client import MongoStore

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

KEY = "3e" * 32
AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
TXID = TxId(hashlib.sha256(b"freeze 1000 TRX").hexdigest())


async def test_a_key_imported_through_mongo_signs_for_its_owner(store: MongoStore) -> None:
    keystore = Keystore(store.signing_keys, Kek.from_bytes(b"k" * 32))
    owner = await keystore.import_key(KEY, at=AT)
    signer: Signer = keystore

    signature = bytes.fromhex(await signer.sign(owner, TXID))

    assert secp256k1.recover_address(signature, bytes.fromhex(TXID)) == owner
    assert await signer.has_key(owner) is True


async def test_another_kek_reading_the_same_database_gets_a_clear_error(
    store: MongoStore,
) -> None:
    owner = await Keystore(store.signing_keys, Kek.from_bytes(b"k" * 32)).import_key(KEY, at=AT)
    other = Keystore(store.signing_keys, Kek.from_bytes(b"q" * 32))

    with pytest.raises(SigningKeyUnreadableError, match=r"encrypted under KEK .* configured KEK"):
        await other.sign(owner, TXID)
