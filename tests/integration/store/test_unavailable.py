"""A MongoDB that cannot be reached surfaces as StoreUnavailableError, quickly."""

from __future__ import annotations

import gc
import warnings
from collections.abc import AsyncIterator

import anyio
import pytest

from tests.support import servers
from tests.support.clock import ManualClock
from tron_staking import settings
from tron_staking.errors import StoreUnavailableError, TransientError
from tron_staking.store.client import MongoStore

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


@pytest.fixture
async def unreachable_store(clock: ManualClock) -> AsyncIterator[MongoStore]:
    env = {
        "MONGODB_URL": f"mongodb://127.0.0.1:{servers.free_port()}",
        "STAKING_MONGO_TIMEOUT_S": "0.3",
    }
    store = MongoStore.connect(settings.load(env).mongo, clock)
    try:
        yield store
    finally:
        # PyMongo leaks the socket of a connection attempt that its server monitor has in
        # flight when the client closes: the cancellation skips the socket's close (upstream
        # PYTHON-5867). Against a server that refuses connections the monitor is always
        # retrying, so collect that socket here, where its ResourceWarning is expected, rather
        # than in whichever later test the garbage collector happens to run.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            await store.close()
            await anyio.sleep(0.05)
            gc.collect()


async def test_every_operation_raises_store_unavailable(unreachable_store: MongoStore) -> None:
    with pytest.raises(StoreUnavailableError) as caught:
        await unreachable_store.ping()
    assert isinstance(caught.value, TransientError)
    with pytest.raises(StoreUnavailableError):
        await unreachable_store.positions.insert({"id": "pos_1"})
    with pytest.raises(StoreUnavailableError):
        await unreachable_store.positions.find({"owner": "TA"})
    with pytest.raises(StoreUnavailableError):
        await unreachable_store.leases.acquire("TA", "replica-a", ttl_s=30)
    with pytest.raises(StoreUnavailableError):
        await unreachable_store.ensure_indexes()
