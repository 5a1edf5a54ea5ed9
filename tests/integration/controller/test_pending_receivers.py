"""A delegation that landed while nobody applied it, to a receiver the spec no longer names: the
controller still reads that receiver, so it undoes the delegation instead of taking it for lost
stake and delegating the position's stake a second time (issue 9)."""

from __future__ import annotations

import collections
import dataclasses

import pytest

from tests.integration.controller import harness
from tests.integration.controller.harness import ControllerRig
from tron_staking.controller.inflight import InFlight
from tron_staking.controller.oplog import EFFECT_PENDING, OperationLog
from tron_staking.controller.reconciler import Outcome
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import (
    OperationState,
    StakingOperationType,
    StakingResourceType,
    StakingStatusType,
)
from tron_staking.domain.spec import DelegateSpec, PositionSpec

pytestmark = pytest.mark.anyio

SUN = 1_000_000
AMOUNT_SUN = 40 * SUN
MAX_BLOCKS = 60


async def test_a_landed_delegation_to_a_receiver_dropped_from_the_spec_is_undone_once(
    rig: ControllerRig,
) -> None:
    devnet = rig.devnet
    owner_account = devnet.accounts[0]
    owner = harness.owner_address(owner_account)
    first = Address(devnet.accounts[1].address)
    second = Address(devnet.accounts[2].address)
    await rig.import_key(owner_account)
    await devnet.mine(1)
    start = await rig.head_number()
    await rig.declare(
        PositionSpec(
            owner=owner,
            resource=StakingResourceType.ENERGY,
            amount_sun=AMOUNT_SUN,
            delegate=DelegateSpec(receiver=first),
        ),
        "pos_pending",
    )
    reconciler = rig.reconciler()
    for _ in range(MAX_BLOCKS):
        result = await reconciler.reconcile(owner)
        assert result.outcome is not Outcome.ERROR, result.message
        delegating = [
            op
            for op in await rig.operations(owner)
            if op.kind is StakingOperationType.DELEGATE and op.state is OperationState.BROADCAST
        ]
        if delegating:
            break
        await devnet.mine(1)
    assert len(delegating) == 1, harness.states(await rig.operations(owner))
    (delegate,) = delegating
    await devnet.mine(harness.SOLID_LAG_BLOCKS + 2)

    # A controller back from an outage longer than the solid lag sees the delegate already
    # final and stores it, then dies before it stores the position's transition.
    lease = await rig.store.leases.acquire(owner, "crashed", harness.LEASE_TTL_S)
    log = OperationLog(rig.store.operations)
    observed = await rig.chain.observe(owner, [first])
    loaded = await log.load(owner, observed.head_block_time_ms)
    inflight = InFlight(rig.chain, rig.keystore, log)
    await inflight.advance(loaded, observed, lease, at=rig.clock.now(), may_send=True)
    await rig.store.leases.release(lease)
    stored = await rig.store.operations.get(delegate.id)
    assert stored["state"] == OperationState.SOLIDIFIED.value
    assert stored[EFFECT_PENDING] is True
    assert (await rig.position("pos_pending")).state is StakingStatusType.PENDING

    # Meanwhile the spec moves the delegation to another receiver: no position names the first
    # one any more.
    current = await rig.position("pos_pending")
    spec = dataclasses.replace(current.spec, delegate=DelegateSpec(receiver=second))
    changed = current.with_spec(spec, at=rig.clock.now())
    await rig.store.positions.replace(current.id, current.version, dict(changed.for_storage()))

    for _ in range(MAX_BLOCKS):
        await devnet.mine(1)
        for _ in range(2):
            result = await reconciler.reconcile(owner)
            assert result.outcome is not Outcome.ERROR, result.message
        position = await rig.position("pos_pending")
        operations = await rig.operations(owner)
        if harness.is_ready(position) and not harness.in_flight(operations):
            break
    assert harness.is_ready(position), (position, harness.states(operations))
    assert position.state is StakingStatusType.DELEGATED
    observed = await rig.chain.observe(owner, [first, second])
    assert observed.delegated_to(first, StakingResourceType.ENERGY) == 0
    assert observed.delegated_to(second, StakingResourceType.ENERGY) == AMOUNT_SUN
    assert observed.staked(StakingResourceType.ENERGY) == AMOUNT_SUN
    sent = await rig.chain_transactions(owner, start)
    assert collections.Counter(
        (str(tx["type"]), tx["contract"].get("receiver_address")) for tx in sent
    ) == collections.Counter(
        {
            ("FreezeBalanceV2Contract", None): 1,
            ("DelegateResourceContract", first): 1,
            ("UnDelegateResourceContract", first): 1,
            ("DelegateResourceContract", second): 1,
        }
    )
    landed = collections.Counter(op.intent_key for op in harness.effective(operations))
    assert set(landed.values()) == {1}
    assert (await rig.store.operations.get(delegate.id))[EFFECT_PENDING] is False
