"""A MongoDB that cannot be reached surfaces as StoreUnavailableError, quickly."""

from __future__ import annotations

import pytest

from tests.support import servers
from tests.support.clock import ManualClock
from tron_staking import settings
from tron_staking.errors import StoreUnavailableError, TransientError
from tron_staking.store.client import MongoStore

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


@pytest.fixture
async def unreachable_store(clock: ManualClock) -> MongoStore:
    env = {
        "MONGODB_URL": f"mongodb://127.0.0.1:{servers.free_port()}",
        "STAKING_MONGO_TIMEOUT_S": "0.3",
    }
    return MongoStore.connect(settings.load(env).mongo, clock)


async def test_every_operation_raises_store_unavailable(unreachable_store: MongoStore) -> None:
    try:
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
    finally:
        await unreachable_store.close()
