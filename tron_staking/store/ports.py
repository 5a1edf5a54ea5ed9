"""The store's ports: the small Protocols the controller and the API depend on.

The Mongo adapters in this package implement them; tests may substitute any of them at this
boundary (never by patching the driver), and each has one contract test suite that runs
against the real adapter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from tron_staking.store.records import Document, Lease, Page, StoredResponse


class Clock(Protocol):
    """The source of "now" for everything the store judges by time (lease expiry, TTLs)."""

    def now(self) -> dt.datetime:
        """An aware UTC datetime."""
        ...


class VersionedStore(Protocol):
    """Documents keyed by ``id`` whose every update is a compare-and-set on ``version``.

    A write given ``lease`` happens only while that lease holds (LeaseLostError otherwise) and
    records its token in the document's ``fencing_token``.
    """

    async def insert(
        self, document: Mapping[str, Any], *, lease: Lease | None = None
    ) -> Document: ...

    async def get(self, id_: str) -> Document: ...

    async def find_one(self, filter_: Mapping[str, Any]) -> Document | None: ...

    async def find(
        self,
        filter_: Mapping[str, Any] | None = None,
        *,
        sort: Sequence[tuple[str, int]] = (),
        limit: int = 50,
        cursor: str | None = None,
        fields: Sequence[str] | None = None,
    ) -> Page: ...

    async def distinct(self, field: str, filter_: Mapping[str, Any] | None = None) -> list[Any]: ...

    async def count(self, filter_: Mapping[str, Any] | None = None) -> int: ...

    async def update(
        self,
        id_: str,
        expected_version: int,
        changes: Mapping[str, Any],
        *,
        lease: Lease | None = None,
    ) -> Document: ...

    async def replace(
        self,
        id_: str,
        expected_version: int,
        document: Mapping[str, Any],
        *,
        lease: Lease | None = None,
    ) -> Document: ...


class TransitionLog(Protocol):
    """The append-only history of each position; ``seq`` grows by one per entry."""

    async def append(
        self,
        position_id: str,
        entry: Mapping[str, Any],
        *,
        lease: Lease | None = None,
        first: bool = False,
    ) -> Document: ...

    async def list(
        self, position_id: str, *, after_seq: int = 0, limit: int = 1000
    ) -> list[Document]: ...


class PositionJournal(Protocol):
    """A position's compare-and-set write and the transitions it records, both or neither."""

    async def replace_with_transitions(
        self,
        id_: str,
        expected_version: int,
        document: Mapping[str, Any],
        entries: Sequence[Mapping[str, Any]],
        *,
        lease: Lease,
    ) -> tuple[Document, list[Document]]: ...


class LeaseStore(Protocol):
    """Per-owner leases with fencing tokens (see :class:`~tron_staking.store.records.Lease`)."""

    async def acquire(self, owner: str, holder: str, ttl_s: float) -> Lease: ...

    async def renew(self, lease: Lease, ttl_s: float) -> Lease: ...

    async def release(self, lease: Lease) -> bool: ...

    async def ensure_held(self, lease: Lease) -> None: ...

    async def get(self, owner: str) -> Lease | None: ...

    async def held_by(self, holder: str) -> list[Lease]: ...


class IdempotencyStore(Protocol):
    """The first response sent for each (idempotency key, subject), kept for 24 h."""

    async def lookup(self, key: str, subject: str, request_hash: str) -> StoredResponse | None: ...

    async def put_if_absent(
        self, key: str, subject: str, request_hash: str, response: StoredResponse
    ) -> StoredResponse: ...
