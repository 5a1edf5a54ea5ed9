"""The API and its dependencies: every write wakes the controller for the owner through
Redis; without Redis the cache is disabled and the rate limits live in memory; a chain that
cannot be read makes chain-validated writes 503, never 500."""

from __future__ import annotations

from collections.abc import Iterator

import anyio
import httpx
import pytest

from tests.api import harness
from tests.support import servers
from tests.support.devnet import Devnet
from tron_staking import settings
from tron_staking.cache.redis_cache import RedisCache

pytestmark = pytest.mark.anyio

P = "/api/v1/tron/staking"


async def test_every_write_wakes_the_controller_for_the_owner(
    api: harness.ApiServer,
    client: httpx.AsyncClient,
    auth: dict[str, str],
    owner: str,
    witness: str,
    redis_url: str,
) -> None:
    cache = RedisCache.from_settings(settings.load({"REDIS_URL": redis_url}).redis)
    woken: list[str] = []
    try:
        async with cache.subscribe_wake() as wakes:
            created = await client.post(
                P + "/positions",
                json={"owner": owner, "resource": "ENERGY", "amount_sun": 2_000_000},
                headers=auth,
            )
            url = f"{P}/positions/{created.json()['id']}"
            await client.patch(
                url, json={"votes": [{"witness": witness, "weight": 1}]}, headers=auth
            )
            await client.delete(url, headers=auth)
            await client.post(P + "/claim-rewards", json={"owner": owner}, headers=auth)
            with anyio.fail_after(10):
                async for woken_owner in wakes:
                    woken.append(woken_owner)
                    if len(woken) == 4:
                        break
    finally:
        await cache.aclose()
    assert woken == [owner] * 4


@pytest.fixture
def redisless_api(
    mongo_settings: settings.MongoSettings, devnet_module: Devnet
) -> Iterator[harness.ApiServer]:
    env = harness.env_for(
        mongo_settings, None, devnet_module.url, STAKING_RATE_LIMIT_READ="2/minute"
    )
    server = harness.ApiServer(env).start()
    try:
        yield server
    finally:
        server.stop()


async def test_without_redis_the_cache_is_disabled_and_limits_are_in_memory(
    redisless_api: harness.ApiServer, owner: str
) -> None:
    headers = harness.bearer(redisless_api.token(owner))
    async with httpx.AsyncClient(base_url=redisless_api.url, timeout=30.0) as http:
        health = (await http.get("/health")).json()
        assert health["checks"]["redis"] == "disabled"
        assert health["status"] == "healthy"
        statuses = [
            (await http.get(P + "/positions", headers=headers)).status_code for _ in range(3)
        ]
        assert statuses == [200, 200, 429]


@pytest.fixture
def chainless_api(
    mongo_settings: settings.MongoSettings, redis_url: str
) -> Iterator[harness.ApiServer]:
    dead_chain = f"http://127.0.0.1:{servers.free_port()}"
    env = harness.env_for(mongo_settings, redis_url, dead_chain, STAKING_CHAIN_TIMEOUT_S="0.5")
    server = harness.ApiServer(env).start()
    try:
        yield server
    finally:
        server.stop()


async def test_an_unreadable_chain_is_503_for_chain_checks_and_degrades_health(
    chainless_api: harness.ApiServer, owner: str, witness: str
) -> None:
    headers = harness.bearer(chainless_api.token(owner))
    async with httpx.AsyncClient(base_url=chainless_api.url, timeout=60.0) as http:
        voting = await http.post(
            P + "/positions",
            json={"owner": owner, "resource": "ENERGY", "amount_sun": 2_000_000,
                  "votes": [{"witness": witness, "weight": 1}]},
            headers=headers,
        )  # fmt: skip
        assert voting.status_code == 503
        assert voting.headers["content-type"] == "application/problem+json"
        assert int(voting.headers["retry-after"]) >= 1
        plain = await http.post(
            P + "/positions",
            json={"owner": owner, "resource": "ENERGY", "amount_sun": 2_000_000},
            headers=headers,
        )
        assert plain.status_code == 201
        health = (await http.get("/health")).json()
        assert health["status"] == "degraded"
        assert health["checks"]["chain"] == "error"
        status = (await http.get("/status")).json()
        assert status["state"] == "degraded"
        assert status["chain"]["head_block"] is None
