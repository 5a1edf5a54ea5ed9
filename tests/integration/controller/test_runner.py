"""The runner in process: a wake-up on Redis pub/sub starts a reconcile at once; without Redis
the poller finds due owners; the loop wrapper moves the metrics; stop drains the workers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
import pytest

from tests.integration.controller import harness
from tests.integration.controller.harness import ControllerRig
from tests.support import servers
from tron_staking import settings
from tron_staking.cache.null import NullCache
from tron_staking.cache.ports import Cache
from tron_staking.cache.redis_cache import RedisCache
from tron_staking.controller.runner import Runner, RunnerSettings
from tron_staking.domain.enums import StakingResourceType
from tron_staking.domain.spec import PositionSpec
from tron_staking.observability.metrics import Metrics

pytestmark = pytest.mark.anyio

SUN = 1_000_000
WAIT_S = 30.0


async def _eventually(check: Callable[[], Awaitable[bool]]) -> None:
    with anyio.fail_after(WAIT_S):
        while True:
            if await check():
                return
            await anyio.sleep(0.05)


async def _run_until_sent(
    rig: ControllerRig, cache: Cache, loop_settings: RunnerSettings
) -> Metrics:
    """Start a runner, declare a position, ``trigger`` it, wait for its freeze to be sent."""
    metrics = Metrics()
    owner_account = rig.devnet.accounts[0]
    owner = harness.owner_address(owner_account)
    await rig.import_key(owner_account)
    runner = Runner(rig.reconciler(), rig.store.positions, cache, metrics, rig.clock, loop_settings)

    async def sent() -> bool:
        return len(await rig.operations(owner)) == 1

    async with anyio.create_task_group() as tg:
        await tg.start(runner.run)
        await anyio.sleep(0.2)  # the start-up resync found nothing
        await rig.declare(
            PositionSpec(owner=owner, resource=StakingResourceType.BANDWIDTH, amount_sun=10 * SUN),
            "pos_runner",
        )
        if cache.enabled:
            await cache.publish_wake(owner)
        else:
            rig.clock.advance(60)  # its next_reconcile_at has come
        await _eventually(sent)
        runner.stop()
    [operation] = await rig.operations(owner)
    assert operation.intent_key == f"freeze:{owner}:BANDWIDTH"
    return metrics


def _sample(metrics: Metrics, name: str, labels: dict[str, str]) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


async def test_a_wake_up_on_redis_starts_a_reconcile(rig: ControllerRig, redis_url: str) -> None:
    cache = RedisCache.from_settings(settings.load({"REDIS_URL": redis_url}).redis)
    try:
        metrics = await _run_until_sent(
            rig, cache, RunnerSettings(workers=2, poll_interval_s=3600, resync_interval_s=3600)
        )
    finally:
        await cache.aclose()
    assert (
        _sample(metrics, "staking_transactions_total", {"kind": "freeze", "result": "recorded"})
        == 1
    )
    assert _sample(metrics, "staking_reconcile_total", {"result": "requeue"}) >= 1
    assert _sample(metrics, "staking_reconcile_duration_seconds_count", {}) >= 1
    assert _sample(metrics, "staking_leases_held", {}) == 0


async def test_without_redis_the_poller_finds_due_owners(rig: ControllerRig) -> None:
    metrics = await _run_until_sent(
        rig, NullCache(), RunnerSettings(workers=1, poll_interval_s=0.05, resync_interval_s=3600)
    )
    assert _sample(metrics, "staking_positions", {"state": "pending"}) == 1
    assert _sample(metrics, "staking_active_records", {}) == 1


async def test_with_redis_stopped_mid_run_the_poller_carries_on(
    rig: ControllerRig, private_redis: servers.ServerProcess
) -> None:
    """Redis goes away while the runner listens: the wake-up is lost, the poller still finds
    the due owner, and its freeze is sent."""
    cache = RedisCache.from_settings(settings.load({"REDIS_URL": private_redis.url}).redis)
    metrics = Metrics()
    owner_account = rig.devnet.accounts[0]
    owner = harness.owner_address(owner_account)
    await rig.import_key(owner_account)
    runner = Runner(
        rig.reconciler(),
        rig.store.positions,
        cache,
        metrics,
        rig.clock,
        RunnerSettings(workers=1, poll_interval_s=0.05, resync_interval_s=3600),
    )

    async def sent() -> bool:
        return len(await rig.operations(owner)) == 1

    try:
        async with anyio.create_task_group() as tg:
            await tg.start(runner.run)
            await anyio.sleep(0.2)
            private_redis.stop()
            await rig.declare(
                PositionSpec(
                    owner=owner, resource=StakingResourceType.BANDWIDTH, amount_sun=10 * SUN
                ),
                "pos_no_redis",
            )
            await cache.publish_wake(owner)  # lost: Redis is down
            rig.clock.advance(60)
            await _eventually(sent)
            runner.stop()
    finally:
        await cache.aclose()
    assert _sample(metrics, "staking_reconcile_total", {"result": "requeue"}) >= 1
