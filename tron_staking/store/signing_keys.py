"""Encrypted private keys at rest (collection ``signing_keys``), one per owner address.

The keystore (:mod:`tron_staking.signer.keystore`) stores what it encrypted and reads it back
to decrypt; this module never sees a plaintext key. The unique index on ``address`` refuses a
second key for the same owner. Documents are the signer's ``RawSigningKey`` shape, which
:data:`RawSigningKey` mirrors field for field (the store and the signer are independent
layers, so the shape is written twice and checked structurally by mypy where they meet).
"""

from __future__ import annotations

import datetime as dt
from typing import TypedDict, cast

from pymongo.asynchronous.collection import AsyncCollection

from tron_staking.store import translate
from tron_staking.store.records import Document


class RawSigningKey(TypedDict):
    address: str
    algorithm: str
    kek_id: str
    nonce: bytes
    ciphertext: bytes
    created_at: dt.datetime


class MongoSigningKeyStore:
    """The Mongo implementation of :class:`~tron_staking.signer.ports.KeyVault`."""

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection

    async def put(self, raw: RawSigningKey) -> None:
        """Store ``raw``; DuplicateKeyError when its address already has a key."""
        with translate.driver_errors("insert into signing_keys"):
            await self._collection.insert_one(dict(raw))

    async def get(self, address: str) -> RawSigningKey | None:
        """The stored key of ``address`` (binary fields as ``bytes``), or None."""
        with translate.driver_errors("read signing_keys"):
            found = await self._collection.find_one({"address": address}, {"_id": False})
        if found is None:
            return None
        found["nonce"] = bytes(found["nonce"])
        found["ciphertext"] = bytes(found["ciphertext"])
        return cast(RawSigningKey, found)

    async def delete(self, address: str) -> bool:
        """Remove the key of ``address``; False when there was none."""
        with translate.driver_errors("delete from signing_keys"):
            result = await self._collection.delete_one({"address": address})
        return result.deleted_count == 1

    async def addresses(self) -> list[str]:
        """Every address that has a key, sorted."""
        with translate.driver_errors("read signing_keys"):
            found = self._collection.find({}, {"_id": False, "address": True}).sort("address", 1)
            return [str(raw["address"]) for raw in await found.to_list()]
