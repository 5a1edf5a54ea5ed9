"""The MongoDB client factory and :class:`MongoStore`, the bundle of every repository.

The composition root builds one store per process from the Mongo settings and a clock::

    async with client.MongoStore.connect(settings.mongo, clock.WallClock()) as store:
        await store.ensure_indexes()
        ...  # hand store.positions, store.leases, ... to the controller and the API

The client is ``pymongo.AsyncMongoClient`` (not Motor), configured for aware UTC datetimes
and with the settings' timeout on server selection and connection, so that a MongoDB that is
down fails fast with StoreUnavailableError instead of hanging the caller.
"""

from __future__ import annotations

import datetime as dt
from types import TracebackType

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from tron_staking.settings import MongoSettings
from tron_staking.store import indexes, names, translate
from tron_staking.store.documents import VersionedRepository
from tron_staking.store.fencing import LeaseFence
from tron_staking.store.idempotency import MongoIdempotencyStore
from tron_staking.store.journal import MongoPositionJournal
from tron_staking.store.leases import MongoLeaseStore
from tron_staking.store.ports import Clock
from tron_staking.store.records import Document
from tron_staking.store.signing_keys import MongoSigningKeyStore
from tron_staking.store.transitions import MongoTransitionLog

_APP_NAME = "tron-staking"
# Operations that have a connection may legitimately run longer than connecting does (an
# index build), but never forever: a silent network partition must surface as an error.
_MIN_SOCKET_TIMEOUT_S = 30.0


def create_client(settings: MongoSettings) -> AsyncMongoClient[Document]:
    """A new, not yet connected client for ``settings.url``; close it with ``close()``."""
    timeout_ms = int(settings.timeout_s * 1000)
    return AsyncMongoClient(
        settings.url,
        tz_aware=True,
        tzinfo=dt.UTC,
        appname=_APP_NAME,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        socketTimeoutMS=int(max(settings.timeout_s, _MIN_SOCKET_TIMEOUT_S) * 1000),
    )


class MongoStore:
    """Every repository of tron-staking over one database, sharing one client."""

    def __init__(
        self, mongo_client: AsyncMongoClient[Document], database_name: str, clock: Clock
    ) -> None:
        self.client = mongo_client
        self.database: AsyncDatabase[Document] = mongo_client[database_name]
        db = self.database
        fence = LeaseFence(mongo_client, db[names.CONTROLLER_LEASES], clock)
        self.positions = VersionedRepository(db[names.STAKING_RECORDS], fence)
        self.operations = VersionedRepository(db[names.STAKING_OPERATIONS], fence)
        self.rewards = VersionedRepository(db[names.STAKING_REWARDS], fence)
        self.delegations = VersionedRepository(db[names.RESOURCE_DELEGATIONS], fence)
        self.votes = VersionedRepository(db[names.VOTING_HISTORY], fence)
        self.transitions = MongoTransitionLog(db[names.STATE_TRANSITIONS], clock, fence)
        self.journal = MongoPositionJournal(
            db[names.STAKING_RECORDS], db[names.STATE_TRANSITIONS], clock, fence
        )
        self.leases = MongoLeaseStore(db[names.CONTROLLER_LEASES], clock)
        self.idempotency = MongoIdempotencyStore(db[names.IDEMPOTENCY_KEYS], clock)
        self.signing_keys = MongoSigningKeyStore(db[names.SIGNING_KEYS])

    @classmethod
    def connect(cls, settings: MongoSettings, clock: Clock) -> MongoStore:
        """A store over ``settings.database``; the connection opens on first use."""
        return cls(create_client(settings), settings.database, clock)

    async def ping(self) -> None:
        """Round-trip to the server; StoreUnavailableError when it does not answer in time."""
        with translate.driver_errors("ping MongoDB"):
            await self.database.command("ping")

    async def ensure_indexes(self) -> list[indexes.IndexReport]:
        """Create every missing index (see :func:`~tron_staking.store.indexes.ensure_indexes`)."""
        return await indexes.ensure_indexes(self.database)

    async def close(self) -> None:
        await self.client.close()

    async def __aenter__(self) -> MongoStore:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
