"""A Redis outage is never the caller's problem: reads miss, writes and publishes do nothing,
warnings are rate-limited, and the cache recovers when Redis comes back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import pytest
import structlog.testing

from tests.support import servers
from tron_staking import settings
from tron_staking.cache.redis_cache import RedisCache

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


class FakeMonotonic:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


@pytest.fixture
def monotonic() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture
async def cache(
    private_redis: servers.ServerProcess, monotonic: FakeMonotonic
) -> AsyncIterator[RedisCache]:
    config = settings.load({"REDIS_URL": private_redis.url}).redis
    cache = RedisCache.from_settings(
        config, cooldown_s=1.0, warn_interval_s=30.0, monotonic=monotonic
    )
    try:
        yield cache
    finally:
        await cache.aclose()


async def test_every_call_degrades_when_redis_is_down(
    cache: RedisCache, private_redis: servers.ServerProcess, monotonic: FakeMonotonic
) -> None:
    await cache.set("k", {"v": 1}, ttl_s=30)
    assert await cache.get("k") == {"v": 1}

    private_redis.stop()

    with structlog.testing.capture_logs() as logs:
        for _ in range(3):
            monotonic.now_s += 2  # past the cool-down: each call really tries the server
            assert await cache.get("k") is None
            await cache.set("k", {"v": 2}, ttl_s=30)
            await cache.delete("k")
            await cache.publish_wake("TOwnerA")
        assert await cache.ping() is False

    warnings = [entry for entry in logs if entry["log_level"] == "warning"]
    assert len(warnings) == 1  # rate-limited: one per warn_interval_s
    assert warnings[0]["event"].startswith("cache.")


async def test_a_dead_redis_does_not_stall_callers(
    cache: RedisCache, private_redis: servers.ServerProcess
) -> None:
    private_redis.stop()

    with anyio.fail_after(5):
        for _ in range(50):
            assert await cache.get("k") is None


async def test_the_cache_recovers_when_redis_returns(
    cache: RedisCache, private_redis: servers.ServerProcess, monotonic: FakeMonotonic
) -> None:
    private_redis.stop()
    assert await cache.get("k") is None

    private_redis.start()
    monotonic.now_s += 2

    await cache.set("k", "back", ttl_s=30)
    assert await cache.get("k") == "back"


async def test_a_subscription_survives_an_outage(
    cache: RedisCache, private_redis: servers.ServerProcess, monotonic: FakeMonotonic
) -> None:
    private_redis.stop()
    async with cache.subscribe_wake() as wakes:
        with anyio.move_on_after(0.5):
            await anext(wakes)  # waits (reconnecting) instead of raising

        private_redis.start()
        with anyio.fail_after(20):
            while True:
                monotonic.now_s += 2  # never inside the publisher's cool-down
                await cache.publish_wake("TOwnerA")
                with anyio.move_on_after(0.5):
                    assert await anext(wakes) == "TOwnerA"
                    break
