"""The planner end to end on the devnet: declare, converge, unstake, withdraw.

The loop of ``planner_driver`` reads the chain through tronpy, maps it with
``tron_staking.chain.snapshot``, plans, applies the position updates, and sends each action as
a real signed transaction. The devnet is the java-tron simulator, so every transaction is
validated as mainnet would; a rejection or a loop that does not settle is a planner bug.
"""

from __future__ import annotations

import collections
import datetime as dt
from typing import Any

import pytest
from tronpy import AsyncTron

from tests.integration.planner_driver import PlannerDriver
from tests.support.devnet import Devnet
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import OperationState, StakingResourceType, StakingStatusType
from tron_staking.domain.ids import PositionId
from tron_staking.domain.position import Position
from tron_staking.domain.spec import DelegateSpec, PositionSpec, VoteWeight

pytestmark = pytest.mark.anyio


SUN = 1_000_000
ENERGY = StakingResourceType.ENERGY
BANDWIDTH = StakingResourceType.BANDWIDTH
SOLID_LAG_BLOCKS = 19
"""The devnet's default, as on mainnet: an operation is final (and its position Ready) only
once its block is solid."""
MAX_ROUNDS = SOLID_LAG_BLOCKS + 10
"""Rounds (one mined block each) to converge: everything lands in one block, then waits
for it to become solid; with slack."""
UNSTAKE_ROUNDS = SOLID_LAG_BLOCKS + 10
"""Undelegate and re-vote land in one block, the unfreeze in the next, then wait for
finality; with slack."""
EFFECTIVE_TARGET_BLOCKS = 2
"""Issue 8, Build 1: declared freeze, votes and delegation take effect on the head in one
block (two when the dependency guard makes the delegate wait for its freeze)."""
FINAL_TARGET_BLOCKS = SOLID_LAG_BLOCKS + 2
"""… and are final (Ready) within the solid lag plus two blocks; so is an unstake."""
UNFREEZE_DELAY_S = 14 * 86_400


async def _transactions(devnet: Devnet, owner: str, since_block: int) -> list[dict[str, Any]]:
    listing = await devnet.get("devnet/transactions", {"owner": owner, "since_block": since_block})
    result: list[dict[str, Any]] = listing["transactions"]
    return result


async def _settle(driver: PlannerDriver, max_rounds: int) -> int:
    """Reconcile and mine until a reconcile plans nothing and nothing is in flight."""
    for round_number in range(1, max_rounds + 1):
        plan = await driver.reconcile()
        if driver.rejections:
            break
        if not plan.actions and not driver.in_flight():
            return round_number
        await driver.devnet.mine(1)
    return max_rounds + 1


async def test_declare_converge_unstake_withdraw(
    devnet: Devnet, tron: AsyncTron, record_property: Any
) -> None:
    owner, receiver_account = devnet.accounts[0], devnet.accounts[1]
    receiver = Address(receiver_account.address)
    w0, w1, w2 = (Address(w.address) for w in devnet.witnesses[:3])
    await devnet.mine(1)
    start_block = int(
        (await devnet.post("wallet/getnowblock"))["block_header"]["raw_data"]["number"]
    )
    at = dt.datetime.fromtimestamp(await devnet.head_time_ms() / 1000, tz=dt.UTC)
    energy = Position.new(
        PositionSpec(
            owner=Address(owner.address),
            resource=ENERGY,
            amount_sun=1_000 * SUN,
            votes=(VoteWeight(w0, 70), VoteWeight(w1, 30)),
            delegate=DelegateSpec(receiver=receiver),
        ),
        created_by="e2e",
        at=at,
        position_id=PositionId("pos_energy"),
    )
    bandwidth = Position.new(
        PositionSpec(
            owner=Address(owner.address),
            resource=BANDWIDTH,
            amount_sun=500 * SUN,
            votes=(VoteWeight(w2, 100),),
        ),
        created_by="e2e",
        at=at,
        position_id=PositionId("pos_bandwidth"),
    )
    driver = PlannerDriver(
        devnet,
        tron,
        owner,
        positions={energy.id: energy, bandwidth.id: bandwidth},
        defer_broadcast=True,
    )

    # -- declare: the chain converges to the declaration -----------------------------------------
    # two reconciles per block, each action recorded in one and broadcast in the next: the
    # planner sees every operation sit `recorded`, then `broadcast`, and sends nothing twice
    rounds = await driver.run(MAX_ROUNDS, reconciles_per_block=2)
    assert driver.rejections == []
    assert rounds <= MAX_ROUNDS, driver.not_ready()
    effective = max(driver.effective_at[p] for p in (energy.id, bandwidth.id)) - start_block
    final = max(driver.ready_at[p] for p in (energy.id, bandwidth.id)) - start_block
    record_property("declare_effective_blocks", effective)
    record_property("declare_ready_blocks", final)
    print(f"declare: effective after {effective} block(s), Ready after {final} block(s)")
    assert effective <= EFFECTIVE_TARGET_BLOCKS
    assert final <= FINAL_TARGET_BLOCKS
    assert driver.positions[energy.id].state is StakingStatusType.DELEGATED
    assert driver.positions[bandwidth.id].state is StakingStatusType.VOTING

    observed = await driver.observe()
    assert observed.frozen(BANDWIDTH) == 500 * SUN
    assert observed.frozen(ENERGY) == 0  # all of it is delegated out
    assert observed.delegated_to(receiver, ENERGY) == 1_000 * SUN
    assert observed.staked(ENERGY) == 1_000 * SUN
    assert observed.votes_by_witness == {w0: 700, w1: 300, w2: 500}
    assert observed.tron_power_limit == 1_500
    assert observed.can_delegate(ENERGY) == 0
    assert observed.can_delegate(BANDWIDTH) > 0
    assert observed.staked_bandwidth_available_bytes > 0  # the BANDWIDTH stake pays the fees
    receiver_acc = await devnet.post("wallet/getaccount", {"address": receiver, "visible": True})
    assert (
        receiver_acc["account_resource"]["acquired_delegated_frozenV2_balance_for_energy"]
        == 1_000 * SUN
    )

    # -- steady state: more reconciles send nothing ------------------------------------------------
    for _ in range(3):
        await devnet.mine(1)
        plan = await driver.reconcile()
        assert plan.actions == (), [a.reason for a in plan.actions]

    # -- exactly one effective transaction per intent ----------------------------------------------
    sent = await _transactions(devnet, owner.address, start_block)
    assert collections.Counter(tx["type"] for tx in sent) == {
        "FreezeBalanceV2Contract": 2,
        "VoteWitnessContract": 1,
        "DelegateResourceContract": 1,
    }
    assert sorted(tx["txid"] for tx in sent) == sorted(op.txid for op in driver.operations.values())
    keys = [op.intent_key for op in driver.operations.values()]
    assert len(keys) == len(set(keys)) == 4

    # -- unstake ENERGY: undelegate → re-vote → unfreeze -------------------------------------------
    last_block = max(tx["block"] for tx in sent)
    unstake_at = dt.datetime.fromtimestamp(observed.head_block_time_ms / 1000, tz=dt.UTC)
    unstake_block = (await driver.observe()).head_block_number
    driver.positions[energy.id] = driver.positions[energy.id].with_unstake_requested(at=unstake_at)
    driver.forget_measurements()
    driver.defer_broadcast = False
    assert await _settle(driver, UNSTAKE_ROUNDS) <= UNSTAKE_ROUNDS, (
        driver.rejections,
        driver.not_ready(),
    )
    assert driver.rejections == []
    assert driver.positions[energy.id].state is StakingStatusType.UNFREEZING
    assert driver.positions[bandwidth.id].state is StakingStatusType.VOTING

    unstaking = await _transactions(devnet, owner.address, last_block + 1)
    assert [tx["type"] for tx in unstaking] == [
        "UnDelegateResourceContract",
        "VoteWitnessContract",
        "UnfreezeBalanceV2Contract",
    ]
    undelegated, voted, unfrozen = (tx["block"] for tx in unstaking)
    # undelegate and re-vote in the next block; the unfreeze (which, landing without the
    # re-vote, would rescale the bandwidth position's votes) once the re-vote is visible
    assert undelegated == voted == unstake_block + 1
    assert unfrozen == voted + 1
    unfreezing = (energy.id, StakingStatusType.UNFREEZING)
    unstake_effective = driver.reached[unfreezing] - unstake_block
    unstake_final = driver.final[unfreezing] - unstake_block
    record_property("unstake_effective_blocks", unstake_effective)
    record_property("unstake_final_blocks", unstake_final)
    print(f"unstake: unfreezing after {unstake_effective} block(s), final after {unstake_final}")
    assert unstake_effective <= EFFECTIVE_TARGET_BLOCKS
    assert unstake_final <= FINAL_TARGET_BLOCKS
    observed = await driver.observe()
    assert observed.delegations == ()
    assert observed.votes_by_witness == {w2: 500}
    assert observed.frozen(ENERGY) == 0
    assert [(e.resource, e.amount_sun) for e in observed.unfreezing] == [(ENERGY, 1_000 * SUN)]
    expire_ms = observed.unfreezing[0].expire_time_ms
    assert driver.positions[energy.id].unfreeze_expire_time_ms == expire_ms
    balance_before = observed.balance_sun

    # -- 14 days later the withdrawal lands --------------------------------------------------------
    await devnet.advance_time(UNFREEZE_DELAY_S)
    await devnet.mine(1)
    rounds = await driver.run(MAX_ROUNDS)
    assert driver.rejections == []
    assert rounds <= MAX_ROUNDS, driver.not_ready()
    assert driver.positions[energy.id].state is StakingStatusType.WITHDRAWN
    assert driver.positions[bandwidth.id].state is StakingStatusType.VOTING

    observed = await driver.observe()
    assert observed.unfreezing == ()
    assert observed.head_block_time_ms > expire_ms
    assert observed.votes_by_witness == {w2: 500}
    assert observed.frozen(BANDWIDTH) == 500 * SUN
    assert observed.balance_sun >= balance_before + 1_000 * SUN - 1 * SUN  # at most a fee

    for _ in range(3):
        await devnet.mine(1)
        plan = await driver.reconcile()
        assert plan.actions == (), [a.reason for a in plan.actions]
    assert {op.state for op in driver.operations.values()} == {OperationState.SOLIDIFIED}

    everything = await _transactions(devnet, owner.address, start_block)
    assert collections.Counter(tx["type"] for tx in everything) == {
        "FreezeBalanceV2Contract": 2,
        "VoteWitnessContract": 2,
        "DelegateResourceContract": 1,
        "UnDelegateResourceContract": 1,
        "UnfreezeBalanceV2Contract": 1,
        "WithdrawExpireUnfreezeContract": 1,
    }
    assert sorted(tx["txid"] for tx in everything) == sorted(
        op.txid for op in driver.operations.values()
    )
