"""The append-only audit trail of position transitions (collection ``state_transitions``).

The controller appends one entry per transition it fires; the API lists a position's entries
oldest first. Entries are never changed or removed. ``seq`` starts at 1 and grows by one per
position; the unique (``position_id``, ``seq``) index makes two concurrent appends take
different numbers (the loser re-reads and retries). The controller appends under the owner's
lease (``lease=``): the append is fenced by it (see :mod:`~tron_staking.store.fencing`) and
the entry records the lease's ``fencing_token``.
"""

from __future__ import annotations

import builtins
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from tron_staking.errors import DuplicateKeyError
from tron_staking.store import fencing, translate
from tron_staking.store.fencing import FENCING_TOKEN, LeaseFence
from tron_staking.store.ports import Clock
from tron_staking.store.records import Document, Lease

_ATTEMPTS = 8


class MongoTransitionLog:
    """The Mongo implementation of :class:`~tron_staking.store.ports.TransitionLog`."""

    def __init__(
        self, collection: AsyncCollection[Document], clock: Clock, fence: LeaseFence | None = None
    ) -> None:
        self._collection = collection
        self._clock = clock
        self._fence = fence

    async def append(
        self,
        position_id: str,
        entry: Mapping[str, Any],
        *,
        lease: Lease | None = None,
        first: bool = False,
    ) -> Document:
        """Store ``entry`` as the next transition of ``position_id`` and return it with its
        ``seq`` (and ``at`` from the clock when the entry has none).

        ``first``: the position was just created, so the entry is tried as ``seq`` 1 without
        reading the last one (one round trip); should another entry hold 1, it is appended
        after the last as usual.

        With ``lease``, the entry is stored only while the lease holds. Raises
        DuplicateKeyError if concurrent appends kept winning (re-read and retry),
        LeaseLostError when ``lease`` no longer holds (nothing stored), and
        StoreUnavailableError when MongoDB cannot be reached.
        """
        for attempt in range(_ATTEMPTS):
            last: Document | None = None
            if not (first and attempt == 0):
                with translate.driver_errors("read state_transitions"):
                    last = await self._collection.find_one(
                        {"position_id": position_id},
                        {"_id": False, "seq": True},
                        sort=[("seq", -1)],
                    )
            document: Document = {
                key: value for key, value in entry.items() if key not in ("_id", "seq")
            }
            document.setdefault("at", self._clock.now())
            document["position_id"] = position_id
            document["seq"] = (int(last["seq"]) if last else 0) + 1
            if lease is not None:
                document[FENCING_TOKEN] = lease.token
            try:
                await fencing.write(
                    self._fence, lease, "append to state_transitions", self._inserter(document)
                )
            except DuplicateKeyError:
                continue
            return document
        raise DuplicateKeyError(
            f"append to state_transitions: {position_id!r} kept changing; try again"
        )

    def _inserter(
        self, document: Document
    ) -> Callable[[AsyncClientSession | None], Awaitable[None]]:
        async def statement(session: AsyncClientSession | None) -> None:
            await self._collection.insert_one(dict(document), session=session)

        return statement

    async def list(
        self, position_id: str, *, after_seq: int = 0, limit: int = 1000
    ) -> builtins.list[Document]:
        """The entries of ``position_id`` with ``seq`` greater than ``after_seq``, oldest first."""
        with translate.driver_errors("read state_transitions"):
            found = (
                self._collection.find(
                    {"position_id": position_id, "seq": {"$gt": after_seq}}, {"_id": False}
                )
                .sort("seq", 1)
                .limit(limit)
            )
            return await found.to_list()
