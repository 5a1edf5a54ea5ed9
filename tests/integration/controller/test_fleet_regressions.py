"""Regressions found by the fleet benchmark (issue 12), on the devnet with the real store.

On a loaded machine one reconcile's sends took longer than the transaction expiration window
measured in chain time (the devnet's chain clock advances 3 s per block, so with 1 s blocks a
60 s window is 20 s of wall time): the executor read the head once and gave every action of
the plan ``that head's time + window`` as its expiration, so the actions sent late were
refused with ``TRANSACTION_EXPIRATION_ERROR`` (the benchmark's rejected delegations). Each
action's expiration must count from a head read shortly before it is built.

The benchmarks run ``serve --role all`` without Redis: the API's wake-up after a declaration
goes through the in-process stand-in cache, and the runner must listen to it there too, or the
declaration waits for the poller.
"""

from __future__ import annotations

import anyio
import pytest

from tests.integration.controller import harness
from tests.integration.controller.harness import ControllerRig
from tron_staking.cache.null import NullCache
from tron_staking.chain.outcomes import BroadcastOutcome
from tron_staking.chain.ports import ChainClient
from tron_staking.chain.transactions import SignedTransaction
from tron_staking.controller import executor
from tron_staking.controller.reconciler import Outcome, Reconciler
from tron_staking.controller.runner import Runner, RunnerSettings
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import OperationState, StakingOperationType, StakingResourceType
from tron_staking.domain.spec import DelegateSpec, PositionSpec, VoteWeight
from tron_staking.observability.metrics import Metrics

pytestmark = pytest.mark.anyio

SUN = 1_000_000
WINDOW_S = 9
"""A short expiration window (three blocks of chain time) so that the test mines little."""
BLOCK_S = 3
WAKE_WAIT_S = 20.0


class SlowAfterFirstSend(harness.ForwardingChain):
    """The first broadcast reaches the node, then the pipeline is held up (a loaded store and
    the other workers) while the chain moves past the expiration window of the head read
    before it; every call goes to the real client."""

    def __init__(self, inner: ChainClient, rig: ControllerRig) -> None:
        super().__init__(inner)
        self._rig = rig
        self.held_up = False

    async def broadcast(self, signed: SignedTransaction) -> BroadcastOutcome:
        outcome = await super().broadcast(signed)
        if not self.held_up:
            self.held_up = True
            await self._rig.devnet.mine(WINDOW_S // BLOCK_S + 1)
            await anyio.sleep(executor.HEAD_REFRESH_S + 0.2)
        return outcome


async def test_late_actions_of_a_slow_reconcile_are_not_sent_expired(rig: ControllerRig) -> None:
    devnet = rig.devnet
    owner_account, receiver_account = devnet.accounts[0], devnet.accounts[1]
    owner = harness.owner_address(owner_account)
    receiver = harness.owner_address(receiver_account)
    witness = Address(devnet.witnesses[0].address)
    await rig.import_key(owner_account)
    await devnet.mine(1)
    await rig.declare(
        PositionSpec(
            owner=owner,
            resource=StakingResourceType.ENERGY,
            amount_sun=100 * SUN,
            votes=(VoteWeight(witness, 1),),
            delegate=DelegateSpec(receiver=receiver),
        ),
        "pos_fleet_slow",
    )
    real = harness.chain_client(devnet, expiration_window_s=WINDOW_S)
    try:
        chain = SlowAfterFirstSend(real, rig)
        reconciler = Reconciler(
            harness.stores_of(rig.store),
            chain,
            rig.keystore,
            rig.clock,
            holder="replica-a",
            lease_ttl_s=harness.LEASE_TTL_S,
            policy=rig.policy,
        )
        result = await reconciler.reconcile(owner)
    finally:
        await real.aclose()
    assert result.outcome is Outcome.REQUEUE, result.message
    assert chain.held_up
    operations = await rig.operations(owner)
    sent = sorted((op.kind, op.state, op.error) for op in operations)
    assert sent == [
        (StakingOperationType.DELEGATE, OperationState.BROADCAST, None),
        (StakingOperationType.FREEZE, OperationState.BROADCAST, None),
        (StakingOperationType.VOTE, OperationState.BROADCAST, None),
    ]
    # every action was built against a head at most one window old when it was sent
    head_ms = await devnet.head_time_ms()
    late = [op for op in operations if op.kind is not StakingOperationType.FREEZE]
    assert all(op.expiration_ms >= head_ms + BLOCK_S * 1000 for op in late)


async def test_an_in_process_wake_up_starts_a_reconcile_without_redis(rig: ControllerRig) -> None:
    owner_account = rig.devnet.accounts[0]
    owner = harness.owner_address(owner_account)
    await rig.import_key(owner_account)
    await rig.devnet.mine(1)
    cache = NullCache()  # what serve uses without REDIS_URL; --role all shares it with the API
    never = RunnerSettings(poll_interval_s=3600.0, resync_interval_s=3600.0)
    runner = Runner(rig.reconciler(), rig.store.positions, cache, Metrics(), rig.clock, never)
    async with anyio.create_task_group() as tg:
        await tg.start(runner.run)
        await anyio.sleep(0.2)  # the start-up poll and resync found nothing
        await rig.declare(
            PositionSpec(owner=owner, resource=StakingResourceType.BANDWIDTH, amount_sun=10 * SUN),
            "pos_fleet_wake",
        )
        rig.clock.advance(60)  # due, but the poller does not look again for an hour
        await cache.publish_wake(owner)
        with anyio.move_on_after(WAKE_WAIT_S):
            while True:
                if await rig.operations(owner):
                    break
                await anyio.sleep(0.05)
        runner.stop()
    [operation] = await rig.operations(owner)
    assert operation.intent_key == f"freeze:{owner}:BANDWIDTH"
