"""Contract of the Cache port: the Redis adapter on a real Redis, and the NullCache."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import anyio
import pytest
import redis.asyncio

from tron_staking import settings
from tron_staking.cache import factory
from tron_staking.cache.keys import WAKE_CHANNEL, AddressView, address_key
from tron_staking.cache.null import NullCache
from tron_staking.cache.ports import Cache
from tron_staking.cache.redis_cache import RedisCache
from tron_staking.cache.views import AddressViews

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


def _redis_settings(url: str | None) -> settings.RedisSettings:
    return settings.load({"REDIS_URL": url} if url else {}).redis


@pytest.fixture
async def redis_cache(redis_url: str) -> AsyncIterator[RedisCache]:
    cache = RedisCache.from_settings(_redis_settings(redis_url))
    try:
        yield cache
    finally:
        await cache.aclose()


@pytest.fixture
async def raw_redis(redis_url: str) -> AsyncIterator[redis.asyncio.Redis]:
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def key() -> str:
    return f"test:{uuid.uuid4().hex}"


async def test_a_value_set_is_read_back_as_json(redis_cache: RedisCache, key: str) -> None:
    value = {"balance_sun": 10**17, "votes": [{"witness": "TW", "count": 3}], "ok": True}

    await redis_cache.set(key, value, ttl_s=30)

    assert await redis_cache.get(key) == value
    assert await redis_cache.get(key + ":other") is None


async def test_a_value_carries_its_ttl(
    redis_cache: RedisCache, raw_redis: redis.asyncio.Redis, key: str
) -> None:
    await redis_cache.set(key, [1, 2], ttl_s=30)

    remaining_ms = await raw_redis.pttl(key)
    assert 0 < remaining_ms <= 30_000


async def test_a_value_is_gone_after_its_ttl(redis_cache: RedisCache, key: str) -> None:
    await redis_cache.set(key, "soon gone", ttl_s=0.05)

    for _ in range(250):
        if await redis_cache.get(key) is None:
            break
        await anyio.sleep(0.02)
    else:
        pytest.fail("the value outlived its TTL")


async def test_delete_forgets_keys(redis_cache: RedisCache, key: str) -> None:
    await redis_cache.set(key, 1, ttl_s=30)
    await redis_cache.set(key + ":2", 2, ttl_s=30)

    await redis_cache.delete(key, key + ":2")

    assert await redis_cache.get(key) is None
    assert await redis_cache.get(key + ":2") is None


async def test_bad_arguments_are_refused_by_both_caches(redis_cache: RedisCache) -> None:
    for cache in (redis_cache, NullCache()):
        with pytest.raises(ValueError, match="ttl_s"):
            await cache.set("k", 1, ttl_s=0)
        with pytest.raises(TypeError):
            await cache.set("k", object(), ttl_s=1)


async def test_a_value_that_is_not_json_reads_as_a_miss(
    redis_cache: RedisCache, raw_redis: redis.asyncio.Redis, key: str
) -> None:
    await raw_redis.set(key, b"\xff not json")

    assert await redis_cache.get(key) is None


async def test_wake_ups_reach_every_subscriber(redis_cache: RedisCache) -> None:
    async with redis_cache.subscribe_wake() as first, redis_cache.subscribe_wake() as second:
        await redis_cache.publish_wake("TOwnerA")
        await redis_cache.publish_wake("TOwnerB")

        with anyio.fail_after(10):
            assert [await anext(first), await anext(first)] == ["TOwnerA", "TOwnerB"]
            assert [await anext(second), await anext(second)] == ["TOwnerA", "TOwnerB"]


async def test_wake_ups_use_the_shared_channel(
    redis_cache: RedisCache, raw_redis: redis.asyncio.Redis
) -> None:
    async with redis_cache.subscribe_wake() as wakes:
        receivers = await raw_redis.publish(WAKE_CHANNEL, "TOwnerC")

        assert receivers >= 1
        with anyio.fail_after(10):
            assert await anext(wakes) == "TOwnerC"


async def test_a_subscription_iterates_with_async_for(redis_cache: RedisCache) -> None:
    seen: list[str] = []
    async with redis_cache.subscribe_wake() as wakes:
        for owner in ("TA", "TB", "TC"):
            await redis_cache.publish_wake(owner)
        with anyio.fail_after(10):
            async for owner in wakes:
                seen.append(owner)
                if len(seen) == 3:
                    break

    assert seen == ["TA", "TB", "TC"]


async def test_address_views_use_the_seed_keys_and_ttls(
    redis_cache: RedisCache, raw_redis: redis.asyncio.Redis
) -> None:
    address = f"T{uuid.uuid4().hex[:33]}"
    config = settings.load(
        {"STAKING_CACHE_TTL_REWARDS_S": "90", "STAKING_CACHE_TTL_STAKING_STATS_S": "15"}
    ).redis
    views = AddressViews(redis_cache, config)

    await views.put(AddressView.STAKING_STATS, address, {"frozen_sun": 1})
    await views.put(AddressView.REWARDS, address, {"unclaimed_sun": 2})
    await views.put(AddressView.RESOURCE_INFO, address, {"energy": 3})

    assert address_key(AddressView.REWARDS, address) == f"rewards:{address}"
    assert await views.get(AddressView.REWARDS, address) == {"unclaimed_sun": 2}
    assert 60_000 < await raw_redis.pttl(f"rewards:{address}") <= 90_000
    assert 0 < await raw_redis.pttl(f"staking_stats:{address}") <= 15_000
    assert 0 < await raw_redis.pttl(f"resource_info:{address}") <= 30_000

    await views.invalidate(address)

    assert (
        await raw_redis.exists(
            f"staking_stats:{address}", f"rewards:{address}", f"resource_info:{address}"
        )
        == 0
    )


def test_the_default_ttls_are_the_seeds() -> None:
    views = AddressViews(NullCache(), _redis_settings(None))

    assert views.ttl_s(AddressView.STAKING_STATS) == 30
    assert views.ttl_s(AddressView.REWARDS) == 60
    assert views.ttl_s(AddressView.RESOURCE_INFO) == 30


async def test_the_factory_picks_redis_only_when_configured(redis_url: str) -> None:
    disabled: Cache = factory.create_cache(_redis_settings(None))
    enabled: Cache = factory.create_cache(_redis_settings(redis_url))
    try:
        assert isinstance(disabled, NullCache)
        assert disabled.enabled is False
        assert isinstance(enabled, RedisCache)
        assert enabled.enabled is True
        assert await enabled.ping() is True
    finally:
        await disabled.aclose()
        await enabled.aclose()


async def test_the_null_cache_misses_and_wakes_in_process() -> None:
    cache = NullCache()
    try:
        await cache.set("k", {"a": 1}, ttl_s=30)
        assert await cache.get("k") is None
        await cache.publish_wake("TNobodyListens")

        async with cache.subscribe_wake() as first, cache.subscribe_wake() as second:
            await cache.publish_wake("TOwnerA")
            with anyio.fail_after(5):
                assert await anext(first) == "TOwnerA"
                assert await anext(second) == "TOwnerA"
    finally:
        await cache.aclose()
