"""Two guards of the pipeline (design §5) on the devnet and a real store:

* the stored operation says its bytes may be on a node *before* they leave, so a process that
  dies mid-send (or loses the answer) never lets a later refusal of a re-send kill an
  operation that landed;
* a rejected operation is looked up until the solid block is past its expiration, and a late
  receipt makes it ``included`` (a refusal is one node's answer, not proof).
"""

from __future__ import annotations

import pytest

from tests.integration.controller import harness
from tests.integration.controller.harness import ControllerRig
from tron_staking.chain import outcomes
from tron_staking.chain.outcomes import BroadcastOutcome
from tron_staking.chain.transactions import (
    Json,
    SignedTransaction,
)
from tron_staking.controller import broadcast
from tron_staking.controller.oplog import OperationLog
from tron_staking.controller.reconciler import Outcome
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import (
    OperationState,
    StakingOperationType,
    StakingResourceType,
)
from tron_staking.domain.ids import PositionId
from tron_staking.domain.operation import Operation
from tron_staking.domain.spec import PositionSpec
from tron_staking.statemachine import operation as operation_machine

pytestmark = pytest.mark.anyio

SUN = 1_000_000


class ProcessDied(BaseException):
    """Stands for the process dying while the broadcast's answer is on its way."""


class DiesAfterSending(harness.ForwardingChain):
    """Delivers the broadcast to the real node, then 'dies' before the answer reaches the
    caller; every other call goes to the real client."""

    async def broadcast(self, signed: SignedTransaction) -> BroadcastOutcome:
        await super().broadcast(signed)
        raise ProcessDied


async def _recorded_freeze(
    rig: ControllerRig, account_index: int, position_id: str
) -> tuple[Address, Operation, SignedTransaction]:
    """A declared position and its freeze, recorded under the owner's lease and signed."""
    account = rig.devnet.accounts[account_index]
    owner = harness.owner_address(account)
    await rig.import_key(account)
    await rig.devnet.mine(1)
    await rig.declare(
        PositionSpec(owner=owner, resource=StakingResourceType.ENERGY, amount_sun=100 * SUN),
        position_id,
    )
    params: dict[str, Json] = {"frozen_balance": 100 * SUN, "resource": "ENERGY"}
    unsigned = await rig.chain.build(
        owner, StakingOperationType.FREEZE, params, await rig.chain.head()
    )
    lease = await rig.store.leases.acquire(owner, "replica-a", 30)
    recorded = await OperationLog(rig.store.operations).record(
        Operation.new(
            kind=StakingOperationType.FREEZE,
            owner=owner,
            intent_key=f"freeze:{owner}:ENERGY",
            position_ids=(PositionId(position_id),),
            params=params,
            txid=unsigned.txid,
            expiration_ms=unsigned.expiration_ms,
            at=rig.clock.now(),
            raw_data=unsigned.raw_data,
            raw_data_hex=unsigned.raw_data_hex,
            fencing_token=lease.token,
        ),
        lease,
    )
    signed = await rig.chain.sign(unsigned, rig.keystore)
    await rig.store.leases.release(lease)
    return owner, recorded, signed


async def _stored(rig: ControllerRig, operation: Operation) -> Operation:
    return (await rig.operations(operation.owner))[0]


async def test_a_send_cut_short_is_stored_as_maybe_delivered_and_survives_a_refusal(
    rig: ControllerRig,
) -> None:
    owner, recorded, signed = await _recorded_freeze(rig, 5, "pos_cut")
    lease = await rig.store.leases.acquire(owner, "replica-a", 30)
    with pytest.raises(ProcessDied):
        await broadcast.send(
            DiesAfterSending(rig.chain),
            OperationLog(rig.store.operations),
            lease,
            recorded,
            signed,
            at=rig.clock.now(),
            chain_time_ms=await rig.devnet.head_time_ms(),
        )
    await rig.store.leases.release(lease)
    stored = await _stored(rig, recorded)
    assert stored.state is OperationState.RECORDED
    assert stored.maybe_delivered
    assert tuple(stored.signatures) == signed.signatures

    # A re-send refused (e.g. expired on a node ahead of the others) only records the error.
    refusal = outcomes.Rejected(stored.txid, "TRANSACTION_EXPIRATION_ERROR", "Transaction expired")
    after = broadcast.apply_outcome(stored, refusal, at=rig.clock.now(), chain_time_ms=0)
    assert after.state is OperationState.RECORDED
    assert after.error is not None

    # The bytes did reach the node: the controller finds them in the next block.
    await rig.devnet.mine(1)
    result = await rig.reconciler().reconcile(owner)
    assert result.outcome is not Outcome.ERROR, result.message
    landed = await _stored(rig, recorded)
    assert landed.state is OperationState.INCLUDED
    assert (await rig.types_on_chain(owner, 0))["FreezeBalanceV2Contract"] == 1


async def test_a_rejected_operation_that_lands_after_all_is_included(rig: ControllerRig) -> None:
    owner, recorded, signed = await _recorded_freeze(rig, 6, "pos_late")
    assert isinstance(await rig.chain.broadcast(signed), outcomes.Accepted)
    # The pipeline believed a refusal (one node's answer): the operation is rejected.
    _, record = operation_machine.fire(
        recorded, operation_machine.Trigger.REFUSED, at=rig.clock.now(), reason="refused"
    )
    rejected = recorded.with_signatures(signed.signatures, at=rig.clock.now()).with_transition(
        record
    )
    lease = await rig.store.leases.acquire(owner, "replica-a", 30)
    await OperationLog(rig.store.operations).save(
        rejected.with_final_at(await rig.devnet.head_time_ms(), at=rig.clock.now()), lease
    )
    await rig.store.leases.release(lease)
    assert (await _stored(rig, recorded)).state is OperationState.REJECTED

    await rig.devnet.mine(1)
    reconciler = rig.reconciler()
    for _ in range(3):
        result = await reconciler.reconcile(owner)
        assert result.outcome is not Outcome.ERROR, result.message
        await rig.devnet.mine(1)
    assert (await _stored(rig, recorded)).state is OperationState.INCLUDED
    # Its landing is the position's freeze: no second freeze was sent.
    position = await rig.position("pos_late")
    assert position.state.value == "frozen"
    assert (await rig.types_on_chain(owner, 0))["FreezeBalanceV2Contract"] == 1
