"""Per-owner leases with fencing tokens (collection ``controller_leases``).

The controller takes an owner's lease before reconciling it, renews it while working, and
releases it when done; a replica that crashed loses its owners when their leases expire, and
another replica takes them over. Expiry is judged with the injected clock. Each owner has one
document (unique index on ``owner``) that is never deleted, so its ``token`` only grows: every
new acquisition adds one, renewals keep it. Writes made under a lease are fenced by it
(:mod:`~tron_staking.store.fencing`): each runs in a transaction that first writes the lease
document while it still carries our holder and token, so a holder that lost the lease without
noticing writes nothing.

Every method is a single atomic ``find_one_and_update`` (or insert) on the owner's document.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection

from tron_staking.errors import DuplicateKeyError, LeaseLostError
from tron_staking.store import translate
from tron_staking.store.ports import Clock
from tron_staking.store.records import Document, Lease, RawLease

_NO_ID = {"_id": False}


def _ttl(ttl_s: float) -> dt.timedelta:
    if not ttl_s > 0:
        raise ValueError(f"ttl_s must be positive, not {ttl_s}")
    return dt.timedelta(seconds=ttl_s)


class MongoLeaseStore:
    """The Mongo implementation of :class:`~tron_staking.store.ports.LeaseStore`."""

    def __init__(self, collection: AsyncCollection[Document], clock: Clock) -> None:
        self._collection = collection
        self._clock = clock

    async def acquire(self, owner: str, holder: str, ttl_s: float) -> Lease:
        """Take the lease of ``owner`` for ``ttl_s`` seconds with a new, higher token.

        Succeeds when the lease is free, released, expired, or already ours (a re-acquisition
        also gets a new token). Raises LeaseLostError when another holder has an unexpired
        lease (skip this owner for now) and StoreUnavailableError when MongoDB is unreachable.
        """
        now = self._clock.now()
        expires_at = now + _ttl(ttl_s)
        try:
            with translate.driver_errors(f"acquire lease of {owner}"):
                raw = await self._collection.find_one_and_update(
                    {
                        "owner": owner,
                        "$or": [
                            {"holder": None},
                            {"holder": holder},
                            {"expires_at": {"$lte": now}},
                        ],
                    },
                    {
                        "$set": {
                            "holder": holder,
                            "acquired_at": now,
                            "renewed_at": now,
                            "expires_at": expires_at,
                        },
                        "$inc": {"token": 1},
                    },
                    projection=_NO_ID,
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
        except DuplicateKeyError as exc:
            # The filter missed an existing document, so the upsert collided with it on the
            # unique owner index: someone else holds the lease.
            raise LeaseLostError(f"lease of {owner} is held by another replica") from exc
        return Lease.from_storage(cast(RawLease, raw))

    async def renew(self, lease: Lease, ttl_s: float) -> Lease:
        """Extend ``lease`` to ``ttl_s`` seconds from now, keeping its token.

        A lease that expired but was not taken by anyone can still be renewed (its token is
        still the newest). Raises LeaseLostError when another holder took it or the token is
        stale: stop working on the owner.
        """
        now = self._clock.now()
        with translate.driver_errors(f"renew lease of {lease.owner}"):
            raw = await self._collection.find_one_and_update(
                self._exact(lease),
                {"$set": {"renewed_at": now, "expires_at": now + _ttl(ttl_s)}},
                projection=_NO_ID,
                return_document=ReturnDocument.AFTER,
            )
        if raw is None:
            raise LeaseLostError(f"lease of {lease.owner} (token {lease.token}) was lost")
        return Lease.from_storage(cast(RawLease, raw))

    async def release(self, lease: Lease) -> bool:
        """Give ``lease`` up so that anyone may acquire the owner at once.

        Returns False (and changes nothing) when the lease was already lost.
        """
        with translate.driver_errors(f"release lease of {lease.owner}"):
            result = await self._collection.update_one(
                self._exact(lease), {"$set": {"holder": None, "expires_at": self._clock.now()}}
            )
        return result.modified_count == 1

    async def ensure_held(self, lease: Lease) -> None:
        """Raise LeaseLostError unless ``lease`` is still held, unexpired, with its token.

        The executor calls it before every external effect (a broadcast is not a store write,
        so no transaction can fence it). Store writes need no such call: passing the lease to
        the write fences it.
        """
        query = {**self._exact(lease), "expires_at": {"$gt": self._clock.now()}}
        with translate.driver_errors(f"check lease of {lease.owner}"):
            raw = await self._collection.find_one(query, {"_id": True})
        if raw is None:
            raise LeaseLostError(f"lease of {lease.owner} (token {lease.token}) is not held")

    async def get(self, owner: str) -> Lease | None:
        """The unexpired lease of ``owner``, or None when nobody holds it."""
        query = {"owner": owner, "holder": {"$ne": None}, "expires_at": {"$gt": self._clock.now()}}
        with translate.driver_errors(f"read lease of {owner}"):
            raw = await self._collection.find_one(query, _NO_ID)
        return None if raw is None else Lease.from_storage(cast(RawLease, raw))

    async def held_by(self, holder: str) -> list[Lease]:
        """Every unexpired lease of ``holder``, ordered by owner."""
        query = {"holder": holder, "expires_at": {"$gt": self._clock.now()}}
        with translate.driver_errors(f"read leases of {holder}"):
            found = await self._collection.find(query, _NO_ID).sort("owner", 1).to_list()
        return [Lease.from_storage(cast(RawLease, raw)) for raw in found]

    @staticmethod
    def _exact(lease: Lease) -> dict[str, Any]:
        return {"owner": lease.owner, "holder": lease.holder, "token": lease.token}
