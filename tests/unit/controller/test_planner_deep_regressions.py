"""Scenarios the deep (randomised, 20×) run of the planner's properties found, replayed
deterministically on the chain model. Each docstring says what went wrong and on which code."""

from __future__ import annotations

from tests.unit.controller import builders as b
from tests.unit.controller.builders import Kind, State
from tests.unit.controller.harness import Fate, World
from tests.unit.controller.model import worlds as w
from tron_staking.domain.enums import OperationState, StakingResourceType
from tron_staking.domain.position import Position
from tron_staking.domain.spec import DelegateSpec

Res = StakingResourceType
ROUNDS_PAST_THE_FREEZE_EXPIRY = 24
"""Healthy rounds after the dropped freeze: its expiration (60 s, 20 blocks) has passed, but
the solid block (19 behind) does not prove it expired yet."""


def owner() -> w.Owner:
    return w.Owner(
        address=b.OWNER,
        spare_trx=20,
        unmanaged_trx={Res.ENERGY: 0, Res.BANDWIDTH: 0},
        unmanaged_delegated_trx=0,
        unmanaged_votes=0,
    )


def by_amount(world: World, trx: int) -> Position:
    (found,) = [p for p in world.positions.values() if p.amount_sun == trx * w.SUN]
    return found


def test_a_delegate_whose_freeze_was_dropped_never_lands_on_stake_frozen_later() -> None:
    """A (30 TRX, delegated to R2) and B (20 TRX) are frozen together; the node drops the
    freeze. While it is not yet proven expired, B's spec gains a delegate to R1, which rides
    alone (nothing else could cover it) and whose first send gets no answer, so its bytes are
    re-sent until they expire. B is unstaked; the freeze is proven expired, and A is frozen
    again on its own. Seen on f48c41e (the deep run of
    ``test_drift_made_outside_is_repaired_without_touching_the_rest``): B's re-sent delegate
    landed on A's new stake, so 20 TRX of A's freeze were delegated to R1 for a position that
    was already withdrawn, and A stayed ``frozen`` with Stalled=CanDelegateInsufficient
    forever (its stake is all there, so no drift). A delegate whose positions' stake can no
    longer arrive must be final before the pool grows."""
    a_spec = b.spec(30, delegate=b.RECEIVER2)
    world = w.build_world(owner(), [a_spec, b.spec(20)])
    world.reconcile(fates=[Fate.DROPPED, Fate.PACKED])
    world.mine()
    for _ in range(ROUNDS_PAST_THE_FREEZE_EXPIRY):
        world.reconcile()
        world.mine()
    (freeze,) = [op for op in world.operations.values() if op.kind is Kind.FREEZE]
    assert world.operations[freeze.id].state is OperationState.BROADCAST

    second = by_amount(world, 20)
    spec = second.spec.with_delegate(DelegateSpec(b.RECEIVER))
    world.positions[second.id] = second.with_spec(spec, at=world.now)
    world.reconcile(fates=[Fate.LOST_BEFORE_NODE])
    stray = [
        op
        for op in world.operations.values()
        if op.kind is Kind.DELEGATE and second.id in op.position_ids
    ]
    assert [op.state for op in stray] == [OperationState.RECORDED]
    world.mine()
    second = world.positions[second.id]
    world.positions[second.id] = second.with_unstake_requested(at=world.now)

    assert world.settle(200) >= 0, world.not_ready()
    assert world.violations == world.audit.violations == []
    first = by_amount(world, 30)
    assert first.state is State.DELEGATED
    assert world.positions[second.id].state is State.WITHDRAWN
    delegated = {
        receiver: record.amount_sun
        for (source, receiver, _, _), record in world.chain.state.records.items()
        if source == b.OWNER
    }
    assert delegated == {b.RECEIVER2: 30 * w.SUN}
