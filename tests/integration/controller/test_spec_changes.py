"""A spec changed while an operation for the old spec is still in flight: the old
operation lands, the controller undoes what no longer is wanted and never repeats what is
(found by the chaos run, ``bench/chaos.py``, cell ``spec/receiver``)."""

from __future__ import annotations

import collections
import dataclasses

import pytest

from tests.integration.controller import harness
from tests.integration.controller.harness import ControllerRig
from tron_staking.controller.reconciler import Outcome
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import (
    OperationState,
    StakingOperationType,
    StakingResourceType,
    StakingStatusType,
)
from tron_staking.domain.spec import DelegateSpec, PositionSpec, VoteWeight

pytestmark = pytest.mark.anyio

SUN = 1_000_000
MAX_BLOCKS = 60


async def test_receiver_changed_while_the_delegation_is_in_flight(rig: ControllerRig) -> None:
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
            amount_sun=40 * SUN,
            votes=(VoteWeight(Address(devnet.witnesses[0].address), 100),),
            delegate=DelegateSpec(receiver=first),
        ),
        "pos_receiver",
    )
    reconciler = rig.reconciler()
    for _ in range(MAX_BLOCKS):
        await reconciler.reconcile(owner)
        delegating = [
            op
            for op in await rig.operations(owner)
            if op.kind is StakingOperationType.DELEGATE and op.state is OperationState.BROADCAST
        ]
        if delegating:
            break
        await devnet.mine(1)
    assert delegating, harness.states(await rig.operations(owner))

    current = await rig.position("pos_receiver")
    spec = dataclasses.replace(current.spec, delegate=DelegateSpec(receiver=second))
    changed = current.with_spec(spec, at=rig.clock.now())
    await rig.store.positions.replace(current.id, current.version, dict(changed.for_storage()))

    for _ in range(MAX_BLOCKS):
        await devnet.mine(1)
        for _ in range(2):
            result = await reconciler.reconcile(owner)
            assert result.outcome is not Outcome.ERROR, result.message
        position = await rig.position("pos_receiver")
        operations = await rig.operations(owner)
        if harness.is_ready(position) and not harness.in_flight(operations):
            break
    assert harness.is_ready(position), (position, harness.states(operations))
    assert position.state is StakingStatusType.DELEGATED
    observed = await rig.chain.observe(owner, [first, second])
    assert observed.delegated_to(first, StakingResourceType.ENERGY) == 0
    assert observed.delegated_to(second, StakingResourceType.ENERGY) == 40 * SUN
    assert observed.staked(StakingResourceType.ENERGY) == 40 * SUN
    assert await rig.types_on_chain(owner, start) == {
        "FreezeBalanceV2Contract": 1,
        "VoteWitnessContract": 1,
        "DelegateResourceContract": 2,
        "UnDelegateResourceContract": 1,
    }
    landed = collections.Counter(op.intent_key for op in harness.effective(operations))
    assert set(landed.values()) == {1}
