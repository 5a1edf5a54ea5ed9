"""Encrypted private keys at rest (collection ``signing_keys``), one per owner address.

The signer stores what it encrypted and reads it back to decrypt; this module never sees a
plaintext key. The unique index on ``address`` refuses a second key for the same owner.
"""

from __future__ import annotations

from typing import cast

from pymongo.asynchronous.collection import AsyncCollection

from tron_staking.store import translate
from tron_staking.store.records import Document, RawSigningKey, SigningKeyRecord


class MongoSigningKeyStore:
    """The Mongo implementation of :class:`~tron_staking.store.ports.SigningKeyStore`."""

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection

    async def put(self, record: SigningKeyRecord) -> None:
        """Store ``record``; DuplicateKeyError when its address already has a key."""
        with translate.driver_errors("insert into signing_keys"):
            await self._collection.insert_one(dict(record.for_storage()))

    async def get(self, address: str) -> SigningKeyRecord | None:
        with translate.driver_errors("read signing_keys"):
            raw = await self._collection.find_one({"address": address}, {"_id": False})
        return None if raw is None else SigningKeyRecord.from_storage(cast(RawSigningKey, raw))

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
