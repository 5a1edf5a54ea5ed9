"""In-flight scenarios the property tests found, replayed deterministically on the chain model
(each is the minimal example hypothesis shrank to; the docstring says what went wrong)."""

from __future__ import annotations

from tests.unit.controller import builders as b
from tests.unit.controller.builders import Kind
from tests.unit.controller.harness import World
from tests.unit.controller.model import worlds as w
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import OperationState, StakingResourceType
from tron_staking.domain.spec import DelegateSpec

Res = StakingResourceType


def owner(spare_trx: int = 20) -> w.Owner:
    return w.Owner(
        address=b.OWNER,
        spare_trx=spare_trx,
        unmanaged_trx={Res.ENERGY: 0, Res.BANDWIDTH: 0},
        unmanaged_delegated_trx=0,
        unmanaged_votes=0,
    )


def change_receiver(world: World, receiver: Address) -> None:
    (position,) = world.positions.values()
    spec = position.spec.with_delegate(DelegateSpec(receiver))
    world.positions[position.id] = position.with_spec(spec, at=world.now)


def test_a_receiver_change_lands_undelegate_and_delegate_in_one_block_and_converges() -> None:
    """1 TRX of ENERGY delegated to R1, then PATCHed to R2: the undelegate and the new delegate
    are packed in one block; the position must end ``delegated`` to R2 and Ready (seen on the
    planner of 4d0becb: it stayed ``frozen`` with Stalled=CanDelegateInsufficient forever,
    although the chain held the delegation to R2)."""
    world = w.build_world(owner(), [b.spec(1, delegate=b.RECEIVER)])
    assert world.settle(60) >= 0, world.not_ready()
    change_receiver(world, b.RECEIVER2)
    assert world.settle(60) >= 0, world.not_ready()
    (position,) = world.positions.values()
    assert position.delegation is not None
    assert position.delegation.receiver == b.RECEIVER2
    assert world.violations == world.audit.violations == world.refusals == []


def test_unstaking_a_locked_delegation_does_not_wake_the_owner_every_minute() -> None:
    """An auto-claim voter unstakes a delegation locked for 3 days, then waits 14 days for
    the unfreeze: about a dozen wake-ups (lock end, maturity, daily claims), not one a minute
    (seen on 4d0becb: a reward below the claim minimum is a stall with the 60 s retry, so the
    owner is reconciled every minute for the whole lock and unfreeze)."""
    spec = b.spec(100, votes={w.WITNESSES[0]: 1}, delegate=b.RECEIVER, lock=True, auto_claim=True)
    world = w.build_world(owner(), [spec])
    assert world.settle(60) >= 0, world.not_ready()
    (position,) = world.positions.values()
    world.positions[position.id] = position.with_unstake_requested(at=world.now)
    rounds = world.settle(400)
    assert rounds >= 0, (world.not_ready(), world.last_plan)
    assert world.violations == world.audit.violations == world.refusals == []


def test_a_dropped_delegate_expires_on_solid_time_and_is_sent_once_more() -> None:
    """The node loses an accepted delegate: the operation stays ``broadcast`` until the solid
    block's time passes its expiration, then ``expired``; only then is one replacement sent."""
    world = w.build_world(owner(), [b.spec(10, delegate=b.RECEIVER)])
    world.reconcile()  # freeze and delegate ride together (no other stake could cover it)
    (delegate,) = [op for op in world.operations.values() if op.kind is Kind.DELEGATE]
    world.chain.drop(delegate.txid)
    expired_at_solid_ms = None
    for _ in range(60):
        world.mine()
        world.reconcile()
        if world.operations[delegate.id].state is OperationState.EXPIRED:
            expired_at_solid_ms = world.chain.solid_time_ms
            break
        assert world.chain.solid_time_ms <= delegate.expiration_ms
    assert expired_at_solid_ms is not None
    assert expired_at_solid_ms > delegate.expiration_ms
    assert world.settle(60) >= 0, world.not_ready()
    delegates = [op for op in world.operations.values() if op.kind is Kind.DELEGATE]
    assert len(delegates) == 2
    assert world.violations == world.audit.violations == []
