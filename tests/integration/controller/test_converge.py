"""The reconciler end to end on the devnet, a real MongoDB-protocol store and the keystore:
a declared position converges, unstakes and withdraws, with exactly one effective transaction
per intent; an owner without a key stalls and sends nothing.

The loop never mines right after a broadcast: each mined block is followed by two reconciles,
so operations sit ``recorded``/``broadcast`` across reconciles (and are re-sent as the same
bytes) before they land.
"""

from __future__ import annotations

import collections

import pytest

from tests.integration.controller import harness
from tests.integration.controller.harness import ControllerRig
from tron_staking.controller.reconciler import Outcome, Reconciler
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import (
    ConditionType,
    OperationState,
    StakingResourceType,
    StakingStatusType,
)
from tron_staking.domain.spec import DelegateSpec, PositionSpec, VoteWeight

pytestmark = pytest.mark.anyio

SUN = 1_000_000
SOLID_LAG_BLOCKS = 19
EFFECTIVE_TARGET_BLOCKS = 2
"""The planner's target: freeze + votes + delegation effective on the head in one block (two
when the unmanaged-stake guard holds the delegate back for the freeze's inclusion)."""
READY_TARGET_BLOCKS = SOLID_LAG_BLOCKS + 2
"""Ready once the last effect is final: solid lag plus the blocks to effective."""
RECONCILES_PER_BLOCK = 2


async def _round(rig: ControllerRig, reconciler: Reconciler, owner: Address) -> None:
    for _ in range(RECONCILES_PER_BLOCK):
        result = await reconciler.reconcile(owner)
        assert result.outcome is not Outcome.ERROR, result.message
        rig.results.append(result)


async def test_position_converges_then_unstakes_to_withdrawn(rig: ControllerRig) -> None:
    devnet = rig.devnet
    owner_account, receiver_account = devnet.accounts[0], devnet.accounts[1]
    owner = harness.owner_address(owner_account)
    receiver = harness.owner_address(receiver_account)
    w0, w1 = (Address(w.address) for w in devnet.witnesses[:2])
    await rig.import_key(owner_account)
    await devnet.mine(1)
    start = await rig.head_number()
    await rig.declare(
        PositionSpec(
            owner=owner,
            resource=StakingResourceType.ENERGY,
            amount_sun=1_000 * SUN,
            votes=(VoteWeight(w0, 70), VoteWeight(w1, 30)),
            delegate=DelegateSpec(receiver=receiver),
        ),
        "pos_e2e",
    )
    reconciler = rig.reconciler()
    seen_states = [StakingStatusType.PENDING]
    seen_op_states: set[OperationState] = set()
    effective_block = ready_block = None
    for _ in range(READY_TARGET_BLOCKS + 10):
        await _round(rig, reconciler, owner)
        position = await rig.position("pos_e2e")
        seen_op_states |= {op.state for op in await rig.operations(owner)}
        if position.state is not seen_states[-1]:
            seen_states.append(position.state)
        if effective_block is None and position.state is StakingStatusType.DELEGATED:
            effective_block = await rig.head_number()
        if harness.is_ready(position):
            ready_block = await rig.head_number()
            break
        await devnet.mine(1)
    assert effective_block is not None, position
    assert ready_block is not None, position
    blocks_to_effective, blocks_to_ready = effective_block - start, ready_block - start
    print(f"declaration → effective: {blocks_to_effective} blocks; → Ready: {blocks_to_ready}")
    assert blocks_to_effective <= EFFECTIVE_TARGET_BLOCKS
    assert blocks_to_ready <= READY_TARGET_BLOCKS
    # Operations were seen waiting across reconciles before they landed.
    assert OperationState.BROADCAST in seen_op_states
    assert seen_states[0] is StakingStatusType.PENDING
    assert seen_states[-1] is StakingStatusType.DELEGATED

    # The chain holds exactly the declaration, from exactly one transaction per intent.
    types = await rig.types_on_chain(owner, start)
    assert types == {
        "FreezeBalanceV2Contract": 1,
        "VoteWitnessContract": 1,
        "DelegateResourceContract": 1,
    }
    observed = await rig.chain.observe(owner, [receiver])
    assert observed.delegated_to(receiver, StakingResourceType.ENERGY) == 1_000 * SUN
    assert observed.votes_by_witness == {w0: 700, w1: 300}
    operations = await rig.operations(owner)
    on_chain = {tx["txid"] for tx in await rig.chain_transactions(owner, start)}
    assert {op.txid for op in harness.effective(operations)} == on_chain
    assert all(op.state is OperationState.SOLIDIFIED for op in operations)

    # Transitions recorded with their txids and blocks, in order.
    history = await rig.transitions("pos_e2e")
    assert [(h["from"], h["to"]) for h in history][:1] == [("pending", "frozen")]
    assert history[-1]["to"] == "delegated"
    assert all(h["txid"] in on_chain and isinstance(h["block"], int) for h in history)

    # Steady state: more reconciles send nothing.
    for _ in range(2):
        await devnet.mine(1)
        await _round(rig, reconciler, owner)
    assert await rig.types_on_chain(owner, start) == types

    # Unstake: undelegate → re-vote → unfreeze, then 14 days → withdraw.
    balance_before = observed.balance_sun
    await rig.unstake("pos_e2e")
    for _ in range(3 * (SOLID_LAG_BLOCKS + 4)):
        await _round(rig, reconciler, owner)
        position = await rig.position("pos_e2e")
        if position.state is StakingStatusType.UNFREEZING and not harness.in_flight(
            await rig.operations(owner)
        ):
            break
        await devnet.mine(1)
    assert position.state is StakingStatusType.UNFREEZING, position
    await devnet.advance_time(14 * 86_400 + 60)
    for _ in range(SOLID_LAG_BLOCKS + 10):
        await devnet.mine(1)
        await _round(rig, reconciler, owner)
        position = await rig.position("pos_e2e")
        if position.state is StakingStatusType.WITHDRAWN:
            break
    assert position.state is StakingStatusType.WITHDRAWN, position
    history_to = [h["to"] for h in await rig.transitions("pos_e2e")]
    assert "claimable" in history_to
    assert history_to[-1] == "withdrawn"
    types = await rig.types_on_chain(owner, start)
    assert types["UnDelegateResourceContract"] == 1
    assert types["UnfreezeBalanceV2Contract"] == 1
    assert types["WithdrawExpireUnfreezeContract"] == 1
    final = await rig.chain.observe(owner, [receiver])
    fees = sum(op.fee_sun or 0 for op in await rig.operations(owner))
    assert final.balance_sun >= balance_before + 1_000 * SUN - fees - 10 * SUN
    keys = collections.Counter(
        op.intent_key for op in harness.effective(await rig.operations(owner))
    )
    assert sum(keys.values()) == sum(types.values())


async def test_owner_without_key_is_planned_but_stalls(rig: ControllerRig) -> None:
    devnet = rig.devnet
    owner = harness.owner_address(devnet.accounts[2])
    await devnet.mine(1)
    start = await rig.head_number()
    await rig.declare(
        PositionSpec(owner=owner, resource=StakingResourceType.BANDWIDTH, amount_sun=10 * SUN),
        "pos_nokey",
    )
    reconciler = rig.reconciler()
    for _ in range(3):
        result = await reconciler.reconcile(owner)
        assert result.outcome is not Outcome.ERROR, result.message
        await devnet.mine(1)
    position = await rig.position("pos_nokey")
    stalled = position.condition(ConditionType.STALLED)
    assert stalled is not None
    assert stalled.reason == "NoSigningKey"
    assert position.state is StakingStatusType.PENDING
    assert await rig.operations(owner) == []
    assert await rig.chain_transactions(owner, start) == []
