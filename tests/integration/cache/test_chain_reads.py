"""The chain adapter's read-through cache on a real Redis: a hit on the same block, a miss on
the next, nothing cached without Redis, and no harm when Redis goes away."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.integration.chain.support import RequestLog, make_client
from tests.support.devnet import Devnet
from tests.support.servers import ServerProcess
from tron_staking import settings
from tron_staking.cache.chain_reads import ChainReadCache
from tron_staking.cache.null import NullCache
from tron_staking.cache.ports import Cache
from tron_staking.cache.redis_cache import RedisCache
from tron_staking.chain.client import TronChainClient
from tron_staking.domain.addresses import Address

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

OWNER_READS = {"wallet/getaccount", "wallet/getaccountresource"}


@pytest.fixture
async def redis_cache(private_redis: ServerProcess) -> AsyncIterator[RedisCache]:
    cache = RedisCache.from_settings(settings.load({"REDIS_URL": private_redis.url}).redis)
    try:
        yield cache
    finally:
        await cache.aclose()


@pytest.fixture
async def cached_client(devnet: Devnet, redis_cache: RedisCache) -> AsyncIterator[TronChainClient]:
    client = make_client(devnet, cache=ChainReadCache(redis_cache))
    try:
        yield client
    finally:
        await client.aclose()


async def test_same_block_hits_next_block_misses(
    devnet: Devnet, cached_client: TronChainClient
) -> None:
    log = RequestLog(devnet)
    owner, receiver = Address(devnet.accounts[0].address), Address(devnet.accounts[1].address)
    first = await cached_client.observe(owner, [receiver])
    assert set(log.paths()) >= OWNER_READS
    log.clear()

    again = await cached_client.observe(owner, [receiver])
    assert again == first
    assert log.paths() == ["wallet/getnowblock"]

    await devnet.mine(1)
    log.clear()
    later = await cached_client.observe(owner, [receiver])
    assert later.head_block_number == first.head_block_number + 1
    assert OWNER_READS | {"walletsolidity/getnowblock", "wallet/listwitnesses"} <= set(log.paths())


async def test_the_receiver_set_is_part_of_the_key(
    devnet: Devnet, cached_client: TronChainClient
) -> None:
    log = RequestLog(devnet)
    owner, receiver = Address(devnet.accounts[0].address), Address(devnet.accounts[1].address)
    alone = await cached_client.observe(owner, [])
    log.clear()
    with_receiver = await cached_client.observe(owner, [receiver])
    assert "wallet/getaccount" in log.paths()
    assert alone.receivers_activated == {}
    assert with_receiver.receivers_activated == {receiver: True}


async def test_solid_observations_are_cached_per_solid_block(
    devnet: Devnet, cached_client: TronChainClient
) -> None:
    log = RequestLog(devnet)
    owner = Address(devnet.accounts[0].address)
    first = await cached_client.observe_solid(owner, [])
    log.clear()
    assert await cached_client.observe_solid(owner, []) == first
    assert log.paths() == ["walletsolidity/getnowblock"]


async def test_an_empty_account_is_not_cached(
    devnet: Devnet, cached_client: TronChainClient
) -> None:
    log = RequestLog(devnet)
    nobody = Address("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
    await cached_client.observe(nobody, [])
    log.clear()
    await cached_client.observe(nobody, [])
    assert "wallet/getaccount" in log.paths()


@pytest.mark.parametrize("cache", [None, NullCache()], ids=["no-cache", "null-cache"])
async def test_without_redis_every_observe_reads(devnet: Devnet, cache: Cache | None) -> None:
    client = make_client(devnet, cache=None if cache is None else ChainReadCache(cache))
    log = RequestLog(devnet)
    owner = Address(devnet.accounts[0].address)
    try:
        await client.observe(owner, [])
        log.clear()
        await client.observe(owner, [])
    finally:
        await client.aclose()
    assert OWNER_READS | {"walletsolidity/getnowblock"} <= set(log.paths())


async def test_redis_stopped_mid_run_costs_requests_not_answers(
    devnet: Devnet, cached_client: TronChainClient, private_redis: ServerProcess
) -> None:
    owner = Address(devnet.accounts[0].address)
    before = await cached_client.observe(owner, [])
    private_redis.stop()
    log = RequestLog(devnet)
    during = await cached_client.observe(owner, [])
    assert during == before
    assert set(log.paths()) >= OWNER_READS
