"""A position's write and the transitions it records, in one fenced MongoDB transaction.

The reconciler persists each position (a compare-and-set on ``version`` in
``staking_records``) together with the transitions the write records (appended to
``state_transitions``). Both happen in the one transaction that checks the owner's lease
(:mod:`~tron_staking.store.fencing`): they commit together or not at all, so a crash, a lost
lease or a failed append never leaves a position whose audit trail lacks the step it took,
and a refused position write never leaves an entry behind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from tron_staking.store import fencing
from tron_staking.store.documents import VersionedRepository, stamped
from tron_staking.store.fencing import FENCING_TOKEN, LeaseFence
from tron_staking.store.ports import Clock
from tron_staking.store.records import Document, Lease

_NO_ID = {"_id": False}


class _MissedError(Exception):
    """The compare-and-set matched nothing: the transaction is aborted, then explained."""


class MongoPositionJournal:
    """The Mongo implementation of :class:`~tron_staking.store.ports.PositionJournal`."""

    def __init__(
        self,
        positions: AsyncCollection[Document],
        transitions: AsyncCollection[Document],
        clock: Clock,
        fence: LeaseFence,
    ) -> None:
        self._positions = positions
        self._repository = VersionedRepository(positions, fence)
        self._transitions = transitions
        self._clock = clock
        self._fence = fence

    async def replace_with_transitions(
        self,
        id_: str,
        expected_version: int,
        document: Mapping[str, Any],
        entries: Sequence[Mapping[str, Any]],
        *,
        lease: Lease,
    ) -> tuple[Document, list[Document]]:
        """Replace position ``id_`` at ``expected_version`` (as
        :meth:`~tron_staking.store.documents.VersionedRepository.replace` under ``lease``) and
        append ``entries`` as its next transitions (``seq`` numbered on, ``at`` from the clock
        when missing), all in one transaction; the position and the entries as stored.

        Raises VersionConflictError / LeaseLostError / NotFoundError as ``replace`` does, and
        whatever the append raises (translated); in every case neither write is stored.
        """
        if document.get("id", id_) != id_:
            raise ValueError(f"replace must keep id {id_!r}")
        stored = stamped(document, lease)
        stored["id"] = id_
        stored["version"] = expected_version + 1
        filter_: dict[str, Any] = {"id": id_, "version": expected_version}
        filter_.update(fencing.token_filter(lease))
        now = self._clock.now()
        appended: list[Document] = []

        async def statement(session: AsyncClientSession) -> None:
            appended.clear()
            replaced = await self._positions.find_one_and_replace(
                filter_,
                dict(stored),
                projection=_NO_ID,
                return_document=ReturnDocument.AFTER,
                session=session,
            )
            if replaced is None:
                raise _MissedError
            last = await self._transitions.find_one(
                {"position_id": id_},
                {"_id": False, "seq": True},
                sort=[("seq", -1)],
                session=session,
            )
            seq = int(last["seq"]) if last else 0
            for entry in entries:
                seq += 1
                row: Document = {k: v for k, v in entry.items() if k not in ("_id", "seq")}
                row.setdefault("at", now)
                row["position_id"] = id_
                row["seq"] = seq
                row[FENCING_TOKEN] = lease.token
                await self._transitions.insert_one(dict(row), session=session)
                appended.append(row)

        try:
            await self._fence.run(lease, "replace position with its transitions", statement)
        except _MissedError:
            raise await self._repository.miss(id_, expected_version, lease) from None
        return stored, list(appended)
