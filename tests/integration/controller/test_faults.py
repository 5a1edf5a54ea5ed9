"""Exactly once under a faulty node: broadcasts that are processed but never answered,
answered but never packed, never answered nor processed, or refused with 503 or 429 — 30 % of
them — and reads from a lagging or empty node. Every intent ends with exactly one effective
transaction, and the position converges.

Transactions expire 9 s (three blocks) after the head here, so that a dropped one is proven
expired and replaced within the test.
"""

from __future__ import annotations

import collections
from collections.abc import AsyncIterator

import pytest

from tests.integration.controller import harness
from tests.integration.controller.harness import ControllerRig
from tests.support.clock import ManualClock
from tests.support.devnet import Devnet
from tron_staking.controller.reconciler import Outcome
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import OperationState, StakingResourceType, StakingStatusType
from tron_staking.domain.spec import DelegateSpec, PositionSpec, VoteWeight
from tron_staking.signer.keystore import Keystore
from tron_staking.store.client import MongoStore

pytestmark = pytest.mark.anyio

SUN = 1_000_000
EXPIRATION_WINDOW_S = 9
MAX_BLOCKS = 90


@pytest.fixture
async def fast_expiry_rig(
    devnet: Devnet, store: MongoStore, clock: ManualClock
) -> AsyncIterator[ControllerRig]:
    chain = harness.chain_client(devnet, expiration_window_s=EXPIRATION_WINDOW_S)
    keystore = Keystore(store.signing_keys, harness.new_kek())
    try:
        yield ControllerRig(devnet, store, clock, keystore, chain)
    finally:
        await chain.aclose()


async def _converge(rig: ControllerRig, owner: Address, position_id: str) -> int:
    """Two reconciles per mined block until the position is Ready and nothing is in flight;
    the blocks mined."""
    reconciler = rig.reconciler()
    for mined in range(MAX_BLOCKS):
        for _ in range(2):
            result = await reconciler.reconcile(owner)
            rig.results.append(result)
        position = await rig.position(position_id)
        operations = await rig.operations(owner)
        if harness.is_ready(position) and not harness.in_flight(operations):
            return mined
        await rig.devnet.mine(1)
    raise AssertionError(f"no convergence: {position} {harness.states(operations)}")


async def _fault_hits(devnet: Devnet) -> int:
    installed = await devnet.get("devnet/faults")
    return sum(int(rule["hits"]) for rule in installed["rules"])


@pytest.mark.parametrize(
    "mode", ["accept_then_timeout", "accept_then_drop", "timeout", "http_503", "http_429"]
)
async def test_broadcast_faults_keep_one_effective_transaction_per_intent(
    fast_expiry_rig: ControllerRig, mode: str
) -> None:
    rig = fast_expiry_rig
    devnet = rig.devnet
    owner_account = devnet.accounts[0]
    owner = harness.owner_address(owner_account)
    receiver = harness.owner_address(devnet.accounts[1])
    witness = Address(devnet.witnesses[0].address)
    await rig.import_key(owner_account)
    await devnet.mine(1)
    start = await rig.head_number()
    await rig.declare(
        PositionSpec(
            owner=owner,
            resource=StakingResourceType.ENERGY,
            amount_sun=200 * SUN,
            votes=(VoteWeight(witness, 100),),
            delegate=DelegateSpec(receiver=receiver),
        ),
        "pos_faults",
    )
    await devnet.faults(
        {"path": "wallet/broadcasttransaction", "mode": mode, "probability": 0.3}, seed=8
    )
    blocks = await _converge(rig, owner, "pos_faults")
    hits = await _fault_hits(devnet)
    await devnet.faults()
    assert hits > 0
    print(f"{mode}: {hits} faulty answers, converged after {blocks} blocks")

    position = await rig.position("pos_faults")
    assert position.state is StakingStatusType.DELEGATED
    assert await rig.types_on_chain(owner, start) == {
        "FreezeBalanceV2Contract": 1,
        "VoteWitnessContract": 1,
        "DelegateResourceContract": 1,
    }
    operations = await rig.operations(owner)
    landed = collections.Counter(op.intent_key for op in harness.effective(operations))
    assert set(landed.values()) == {1}
    on_chain = {tx["txid"] for tx in await rig.chain_transactions(owner, start)}
    assert {op.txid for op in harness.effective(operations)} == on_chain
    # Anything else the faults caused ended without effect, never twice.
    assert all(
        op.state in (OperationState.SOLIDIFIED, OperationState.EXPIRED, OperationState.REJECTED)
        for op in operations
    )
    observed = await rig.chain.observe(owner, [receiver])
    assert observed.delegated_to(receiver, StakingResourceType.ENERGY) == 200 * SUN
    assert all(r.outcome is not Outcome.ERROR for r in rig.results)


@pytest.mark.parametrize("mode", ["lag", "empty"])
async def test_faulty_reads_cause_no_transaction(rig: ControllerRig, mode: str) -> None:
    """A converged position read through a lagging or empty node: nothing is sent."""
    devnet = rig.devnet
    owner_account = devnet.accounts[0]
    owner = harness.owner_address(owner_account)
    await rig.import_key(owner_account)
    await devnet.mine(1)
    start = await rig.head_number()
    await rig.declare(
        PositionSpec(owner=owner, resource=StakingResourceType.BANDWIDTH, amount_sun=50 * SUN),
        "pos_reads",
    )
    await _converge(rig, owner, "pos_reads")
    before = await rig.types_on_chain(owner, start)
    assert before == {"FreezeBalanceV2Contract": 1}
    rule = {"path": "wallet/getaccount", "mode": mode, "probability": 1.0}
    if mode == "lag":
        rule["lag_blocks"] = 30
    await devnet.faults(rule, seed=5)
    reconciler = rig.reconciler()
    for _ in range(5):
        await devnet.mine(1)
        await reconciler.reconcile(owner)
    hits = await _fault_hits(devnet)
    await devnet.faults()
    assert hits > 0
    await devnet.mine(1)
    assert await rig.types_on_chain(owner, start) == before
    assert harness.in_flight(await rig.operations(owner)) == []


async def test_reorg_dropping_an_included_freeze_lands_the_same_bytes_again(
    rig: ControllerRig,
) -> None:
    devnet = rig.devnet
    owner_account = devnet.accounts[0]
    owner = harness.owner_address(owner_account)
    await rig.import_key(owner_account)
    await devnet.mine(1)
    start = await rig.head_number()
    await rig.declare(
        PositionSpec(owner=owner, resource=StakingResourceType.BANDWIDTH, amount_sun=30 * SUN),
        "pos_reorg",
    )
    reconciler = rig.reconciler()
    await reconciler.reconcile(owner)
    await devnet.mine(1)
    await reconciler.reconcile(owner)
    [freeze] = await rig.operations(owner)
    assert freeze.state is OperationState.INCLUDED
    assert (await rig.position("pos_reorg")).state is StakingStatusType.FROZEN
    await devnet.mine(2)
    await devnet.post("devnet/reorg", {"depth": 3, "drop": [freeze.txid]})
    assert await rig.types_on_chain(owner, start) == {}

    seen: set[OperationState] = set()
    for _ in range(harness.SOLID_LAG_BLOCKS + 10):
        for _ in range(2):
            result = await reconciler.reconcile(owner)
            assert result.outcome is not Outcome.ERROR, result.message
            seen |= {op.state for op in await rig.operations(owner)}
        position = await rig.position("pos_reorg")
        if harness.is_ready(position) and not harness.in_flight(await rig.operations(owner)):
            break
        await devnet.mine(1)
    assert harness.is_ready(position)
    assert position.state is StakingStatusType.FROZEN
    assert OperationState.BROADCAST in seen  # the reorg sent it back before it landed again
    [again] = await rig.operations(owner)
    assert again.id == freeze.id
    assert again.state is OperationState.SOLIDIFIED
    on_chain = await rig.chain_transactions(owner, start)
    assert [tx["txid"] for tx in on_chain] == [freeze.txid]
