"""API idempotency keys (collection ``idempotency_keys``): the first response per key.

The API hashes each request that carries an ``Idempotency-Key`` header, calls
:meth:`MongoIdempotencyStore.lookup` before doing the work and
:meth:`MongoIdempotencyStore.put_if_absent` after it, and replays whatever comes back. A key
is scoped by the authenticated subject, so two subjects cannot collide. Records are removed by
a TTL index ``RETENTION_S`` after ``created_at``; since MongoDB's TTL monitor runs only about
once a minute, records older than that are also ignored on read (judged with the clock).
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection

from tron_staking.errors import ConflictError, DuplicateKeyError
from tron_staking.store import translate
from tron_staking.store.ports import Clock
from tron_staking.store.records import Document, RawIdempotencyKey, StoredResponse

RETENTION_S = 86_400
"""How long a key and its response are kept (the TTL index uses the same number)."""

_ATTEMPTS = 3


class MongoIdempotencyStore:
    """The Mongo implementation of :class:`~tron_staking.store.ports.IdempotencyStore`."""

    def __init__(self, collection: AsyncCollection[Document], clock: Clock) -> None:
        self._collection = collection
        self._clock = clock

    def _fresh_since(self) -> dt.datetime:
        return self._clock.now() - dt.timedelta(seconds=RETENTION_S)

    async def lookup(self, key: str, subject: str, request_hash: str) -> StoredResponse | None:
        """The stored response for ``key``, or None when the key is new (do the work).

        Raises ConflictError when the key was used with a different request (409).
        """
        with translate.driver_errors("read idempotency_keys"):
            raw = await self._collection.find_one(
                {"key": key, "subject": subject, "created_at": {"$gt": self._fresh_since()}},
                {"_id": False},
            )
        return None if raw is None else self._check(cast(RawIdempotencyKey, raw), request_hash)

    async def put_if_absent(
        self, key: str, subject: str, request_hash: str, response: StoredResponse
    ) -> StoredResponse:
        """Store ``response`` for ``key`` unless one is stored; return the first response.

        Raises ConflictError when the key was first used with a different request.
        """
        record: RawIdempotencyKey = {
            "key": key,
            "subject": subject,
            "request_hash": request_hash,
            "response": response.for_storage(),
            "created_at": self._clock.now(),
        }
        for _ in range(_ATTEMPTS):
            try:
                with translate.driver_errors("write idempotency_keys"):
                    raw = await self._collection.find_one_and_update(
                        {"key": key, "subject": subject},
                        {"$setOnInsert": dict(record)},
                        projection={"_id": False},
                        upsert=True,
                        return_document=ReturnDocument.AFTER,
                    )
            except DuplicateKeyError:
                continue  # a concurrent first write won the upsert race: read it back
            stored = cast(RawIdempotencyKey, raw)
            if stored["created_at"] > self._fresh_since():
                return self._check(stored, request_hash)
            # Expired but not reaped yet by the TTL monitor: it no longer counts.
            with translate.driver_errors("expire idempotency_keys"):
                await self._collection.delete_one(
                    {"key": key, "subject": subject, "created_at": stored["created_at"]}
                )
        raise ConflictError(f"idempotency key {key!r} is being written concurrently; retry")

    @staticmethod
    def _check(raw: RawIdempotencyKey, request_hash: str) -> StoredResponse:
        if raw["request_hash"] != request_hash:
            raise ConflictError(
                f"idempotency key {raw['key']!r} was already used with a different request"
            )
        return StoredResponse.from_storage(raw["response"])
