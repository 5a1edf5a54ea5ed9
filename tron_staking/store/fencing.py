"""Writes made under an owner's lease, fenced by its token inside one MongoDB transaction.

The controller passes its :class:`~tron_staking.store.records.Lease` to every write it makes
for an owner (operations, positions, transitions). :meth:`LeaseFence.run` performs such a
write in a multi-document transaction whose first statement updates the owner's lease
document, matching only while that lease is still ours: same holder, same token, unexpired by
the store's clock. If it matches nothing the transaction is aborted and LeaseLostError raised,
so the write never happens. Because the transaction has written the lease document, a
concurrent :meth:`~tron_staking.store.leases.MongoLeaseStore.acquire` by another replica is
serialised with it: either the write commits while the lease is still ours and the new holder
starts after it, or the new token is committed first and the write is refused. A transaction
that lost such a race is retried by the driver and then sees the new token.

On top of that, each document written under a lease carries ``fencing_token`` (the token it
was last written under) and :func:`token_filter` makes an update refuse a document that a
newer lease already wrote; the repositories apply both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from tron_staking.errors import LeaseLostError
from tron_staking.store import translate
from tron_staking.store.ports import Clock
from tron_staking.store.records import Document, Lease

FENCING_TOKEN = "fencing_token"  # noqa: S105 - a field name, not a secret
"""The field of a document written under a lease: the token of that lease."""

_T = TypeVar("_T")


def token_filter(lease: Lease) -> dict[str, Any]:
    """The filter clause that matches documents not written under a newer lease than ``lease``
    (no ``fencing_token``, a null one, or one at most ``lease.token``)."""
    return {FENCING_TOKEN: {"$not": {"$gt": lease.token}}}


class LeaseFence:
    """Runs writes made under a lease in a transaction that checks the lease (see module)."""

    def __init__(
        self,
        mongo_client: AsyncMongoClient[Document],
        leases: AsyncCollection[Document],
        clock: Clock,
    ) -> None:
        self._client = mongo_client
        self._leases = leases
        self._clock = clock

    async def run(
        self,
        lease: Lease,
        action: str,
        write: Callable[[AsyncClientSession], Awaitable[_T]],
    ) -> _T:
        """Run ``write(session)`` in one transaction with the check of ``lease``; its result.

        ``write`` must pass ``session`` to every statement and may run more than once (the
        driver retries a transaction that hit a transient conflict); only the last run
        commits. Raises LeaseLostError (nothing written) when ``lease`` is no longer held with
        its token or has expired — stop working on the owner; whatever ``write`` raises
        (translated), which aborts the transaction; StoreUnavailableError when MongoDB cannot
        be reached or the transaction kept conflicting.
        """

        async def body(session: AsyncClientSession) -> _T:
            await self._claim(lease, session)
            return await write(session)

        with translate.driver_errors(action):
            async with self._client.start_session() as session:
                return await session.with_transaction(body)

    async def _claim(self, lease: Lease, session: AsyncClientSession) -> None:
        """Write to the lease document iff ``lease`` still holds, inside the transaction."""
        result = await self._leases.update_one(
            {
                "owner": lease.owner,
                "holder": lease.holder,
                "token": lease.token,
                "expires_at": {"$gt": self._clock.now()},
            },
            {"$inc": {"fenced_writes": 1}},
            session=session,
        )
        if result.matched_count != 1:
            raise LeaseLostError(
                f"lease of {lease.owner} (token {lease.token}) is no longer held: write refused"
            )


async def write(
    fence: LeaseFence | None,
    lease: Lease | None,
    action: str,
    statement: Callable[[AsyncClientSession | None], Awaitable[_T]],
) -> _T:
    """Run ``statement`` plainly (``lease`` None: session None) or fenced by ``lease``.

    The repositories' one path to the driver for writes; errors are translated either way.
    Raises ValueError when a lease is given to a repository built without a fence.
    """
    if lease is None:
        with translate.driver_errors(action):
            return await statement(None)
    if fence is None:
        raise ValueError(f"{action}: this repository cannot write under a lease")
    return await fence.run(lease, action, statement)
