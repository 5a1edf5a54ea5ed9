"""Replicas on one database: never two transactions for one intent, and a replica that lost
its lease (paused past its expiry while another took the owner over) writes nothing."""

from __future__ import annotations

import collections

import anyio
import pytest

from tests.integration.controller import harness
from tests.integration.controller.harness import ControllerRig
from tron_staking.chain.client import TronChainClient
from tron_staking.chain.outcomes import BroadcastOutcome
from tron_staking.chain.transactions import (
    BlockRef,
    SignedTransaction,
)
from tron_staking.controller.reconciler import Outcome, Reconciler
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import StakingResourceType
from tron_staking.domain.spec import PositionSpec, VoteWeight

pytestmark = pytest.mark.anyio

SUN = 1_000_000


class PausingChain(harness.ForwardingChain):
    """The real chain client behind the ``ChainClient`` port, with a gate before ``head``
    (which the executor reads right before building): the test holds a replica there."""

    def __init__(self, inner: TronChainClient) -> None:
        super().__init__(inner)
        self.arrived = anyio.Event()
        self.resume = anyio.Event()
        self.broadcasts = 0

    async def head(self) -> BlockRef:
        self.arrived.set()
        await self.resume.wait()
        return await super().head()

    async def broadcast(self, signed: SignedTransaction) -> BroadcastOutcome:
        self.broadcasts += 1
        return await super().broadcast(signed)


def _spec(rig: ControllerRig, owner: Address) -> PositionSpec:
    witness = Address(rig.devnet.witnesses[0].address)
    return PositionSpec(
        owner=owner,
        resource=StakingResourceType.BANDWIDTH,
        amount_sun=100 * SUN,
        votes=(VoteWeight(witness, 100),),
    )


async def test_paused_replica_that_lost_its_lease_writes_nothing(rig: ControllerRig) -> None:
    devnet = rig.devnet
    owner_account = devnet.accounts[0]
    owner = harness.owner_address(owner_account)
    await rig.import_key(owner_account)
    await devnet.mine(1)
    start = await rig.head_number()
    await rig.declare(_spec(rig, owner), "pos_paused")
    paused_chain = PausingChain(rig.chain)
    paused = Reconciler(
        harness.stores_of(rig.store),
        paused_chain,
        rig.keystore,
        rig.clock,
        holder="replica-paused",
        lease_ttl_s=harness.LEASE_TTL_S,
        policy=rig.policy,
    )
    other = rig.reconciler("replica-other")
    results = []

    async def run_paused() -> None:
        results.append(await paused.reconcile(owner))

    async with anyio.create_task_group() as tg:
        tg.start_soon(run_paused)
        await paused_chain.arrived.wait()  # planned a freeze and a vote; about to build them
        position_before = await rig.position("pos_paused")
        rig.clock.advance(harness.LEASE_TTL_S + 1)  # its lease expires while it is paused
        took_over = await other.reconcile(owner)
        assert took_over.outcome is not Outcome.CONFLICT
        operations_after_takeover = await rig.operations(owner)
        position_after_takeover = await rig.position("pos_paused")
        assert position_after_takeover.version > position_before.version
        paused_chain.resume.set()

    [resumed] = results
    assert resumed.outcome is Outcome.CONFLICT
    assert paused_chain.broadcasts == 0
    assert await rig.operations(owner) == operations_after_takeover
    assert await rig.position("pos_paused") == position_after_takeover
    await devnet.mine(1)
    assert await rig.types_on_chain(owner, start) == {
        "FreezeBalanceV2Contract": 1,
        "VoteWitnessContract": 1,
    }


async def test_two_replicas_racing_on_one_owner_never_double_send(rig: ControllerRig) -> None:
    devnet = rig.devnet
    owner_account = devnet.accounts[0]
    owner = harness.owner_address(owner_account)
    await rig.import_key(owner_account)
    await devnet.mine(1)
    start = await rig.head_number()
    await rig.declare(_spec(rig, owner), "pos_race")
    replicas = [rig.reconciler("replica-a"), rig.reconciler("replica-b")]
    outcomes: collections.Counter[Outcome] = collections.Counter()

    async def run(reconciler: Reconciler) -> None:
        outcomes[(await reconciler.reconcile(owner)).outcome] += 1

    for _ in range(harness.SOLID_LAG_BLOCKS + 6):
        async with anyio.create_task_group() as tg:
            for reconciler in replicas:
                tg.start_soon(run, reconciler)
        position = await rig.position("pos_race")
        if harness.is_ready(position) and not harness.in_flight(await rig.operations(owner)):
            break
        await devnet.mine(1)
    print(f"outcomes of racing reconciles: {dict(outcomes)}")
    assert harness.is_ready(await rig.position("pos_race"))
    assert await rig.types_on_chain(owner, start) == {
        "FreezeBalanceV2Contract": 1,
        "VoteWitnessContract": 1,
    }
    keys = collections.Counter(op.intent_key for op in await rig.operations(owner))
    assert set(keys.values()) == {1}
